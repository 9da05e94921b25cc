#include "tpg/tpg_window.hpp"

#include <algorithm>

namespace snapscope::gui {

const TpgFrame& tpg_frame(const Frame& f) {
    static const TpgFrame none;
    const TpgFrame* t = f.lab_as<TpgFrame>();
    return t ? *t : none;
}

namespace {

class TpgWindowRun : public WindowRun {
public:
    explicit TpgWindowRun(std::unique_ptr<TpgRun> run) : run_(std::move(run)) {}

    LabRun& run() override { return *run_; }
    // The frames show the state after each step (W and the samples' attention are computed from the model now).
    void after_step() override { run_->record_now(); }
    std::uint64_t record_count() const override { return run_->history().empty() ? 0 : run_->record_count(); }

    FramePtr frame() const override {
        const TpgRecord& r = run_->history().back();
        auto lab = std::make_shared<TpgFrame>();
        lab->tpg = r.metrics;
        lab->W.assign(run_->model().W.data(), run_->model().W.data() + run_->model().W.size());
        // Per-sample attention for the first kTpgShownSamples samples only: the history keeps thousands of frames.
        const std::size_t n = std::min(run_->data().samples.size(), kTpgShownSamples);
        for (std::size_t i = 0; i < n; ++i) lab->sample_attention.push_back(run_->model().attention(run_->data().samples[i].tokens));
        auto f = std::make_shared<Frame>();
        f->step = r.step;
        f->loss = r.loss;
        f->lrs = {r.lr};
        f->lab = std::move(lab);
        return f;
    }

    double frame_bytes() const override {
        double att = 0;
        const std::size_t n = std::min(run_->data().samples.size(), kTpgShownSamples);
        for (std::size_t i = 0; i < n; ++i) att += 8.0 * static_cast<double>(run_->data().samples[i].tokens.size()) + 24;
        return sizeof(Frame) + sizeof(TpgFrame) + 8.0 * run_->model().d() * run_->model().d() + att + 256;
    }

    std::shared_ptr<const RunInfo> info() const override {
        auto ti = std::make_shared<TpgInfo>();
        ti->data = run_->data();
        ti->graphs = run_->graphs();
        ti->E = run_->model().E();
        ti->W_svm = run_->svm().W;
        ti->W_fin = run_->fin().W_fin;
        ti->svm = run_->svm();
        ti->fin_note = run_->fin().note;
        ti->orthonormal = run_->orthonormal();
        ti->d = run_->model().d();
        auto info = std::make_shared<RunInfo>();
        info->config = run_->config();
        info->M = run_->data().K;
        for (int t = 0; t < info->M; ++t) info->token_labels.push_back(std::to_string(t));
        info->lab = std::move(ti);
        return info;
    }

    Config with_current_rates(Config cfg) const override {
        tpg_settings(cfg).lr = run_->lr();
        return cfg;
    }
    LabCommandResult apply(const LabCommand& c) override {
        const auto* set = dynamic_cast<const TpgSetTrainingSet*>(&c);
        if (!set) return WindowRun::apply(c);
        return {true, tpg_dataset_to_json(set->data), "Restarted on the edited training set (" + std::to_string(set->data.samples.size()) + " samples)"};
    }

    // Reset: the same training set (it may have been edited), a new initial W from the seed.
    nlohmann::json reset_data() const override { return tpg_dataset_to_json(run_->data()); }

private:
    std::unique_ptr<TpgRun> run_;
};

std::unique_ptr<WindowRun> make(const Config& cfg, const nlohmann::json& data) {
    if (data.is_null()) return std::make_unique<TpgWindowRun>(std::make_unique<TpgRun>(cfg));
    return std::make_unique<TpgWindowRun>(std::make_unique<TpgRun>(cfg, tpg_dataset_from_json(data, "the lab data")));
}

}  // namespace

WindowLab tpg_window_lab() { return {"tpg", &make}; }

}  // namespace snapscope::gui
