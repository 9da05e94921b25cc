#include "scansnap/scansnap_window.hpp"

#include <algorithm>

#include "snapscope/limits.hpp"

namespace snapscope::gui {

const ScanSnapFrame& scansnap_frame(const Frame& f) {
    static const ScanSnapFrame none;
    const ScanSnapFrame* s = f.lab_as<ScanSnapFrame>();
    return s ? *s : none;
}

const ScanSnapInfo& scansnap_info(const RunInfo& info) {
    static const ScanSnapInfo none;
    const ScanSnapInfo* s = info.lab_as<ScanSnapInfo>();
    return s ? *s : none;
}

namespace {

class ScanSnapWindowRun : public WindowRun {
public:
    ScanSnapWindowRun(const Config& cfg, RunHistoryPlan plan) : run_(std::make_unique<ScanSnapRun>(cfg, plan)) {}

    LabRun& run() override { return *run_; }
    std::uint64_t record_count() const override { return run_->scalars().empty() ? 0 : run_->record_count(); }

    FramePtr frame() const override {
        const ScalarRecord& s = run_->scalars().back();
        const MatrixRecord& m = run_->matrices().back();
        auto lab = std::make_shared<ScanSnapFrame>();
        lab->common_mass = s.common_mass;
        lab->distinct_entropy = s.distinct_entropy;
        lab->attention = m.attention;
        lab->zrows = m.zrows;
        auto f = std::make_shared<Frame>();
        f->step = s.step;
        f->loss = s.loss;
        f->lrs = {s.lr_z, s.lr_y};  // lr_groups() order
        f->lab = std::move(lab);
        return f;
    }

    double frame_bytes() const override {
        const double K = static_cast<double>(run_->data().classes().size()), Q = static_cast<double>(run_->data().queries().size());
        return sizeof(Frame) + sizeof(ScanSnapFrame) + 8 * (2 * K + (K + Q) * run_->vocab_size()) + 256;
    }

    std::shared_ptr<const RunInfo> info() const override {
        auto info = std::make_shared<RunInfo>();
        info->config = run_->config();
        info->M = run_->vocab_size();
        for (int t = 0; t < info->M; ++t) info->token_labels.push_back(run_->data().describe_token(t));
        auto lab = std::make_shared<ScanSnapInfo>();
        lab->tokens = run_->data().tokens();
        lab->classes = run_->data().classes();
        lab->queries = run_->data().queries();
        lab->words = run_->data().words();
        info->lab = std::move(lab);
        return info;
    }

    Config with_current_rates(Config cfg) const override {
        scansnap_settings(cfg).lr_z = run_->lr_z();
        scansnap_settings(cfg).lr_y = run_->lr_y();
        scansnap_settings(cfg).lr_y_over_z.reset();
        return cfg;
    }

    // The mean-field twin: a second model of the same size; both must fit in limits.memory_mb together. Its frames
    // take a quarter of history.budget_mb.
    std::unique_ptr<WindowRun> make_companion(const std::string& name, std::size_t capacity, std::size_t& cap) const override {
        if (name != kMeanFieldCompanion) return WindowRun::make_companion(name, capacity, cap);
        const Config& cfg = run_->config();
        Config m = cfg;
        scansnap_settings(m).mode = "mean_field";
        const double both = scansnap_memory(cfg, run_->shape(), RunHistoryPlan{0.2, 0}).total() +
                            scansnap_memory(m, run_->shape(), RunHistoryPlan{0.05, 0}).total();
        const std::uint64_t limit = memory_limit_bytes(cfg);
        if (both > static_cast<double>(limit))
            throw ConfigError("limits.memory_mb", "the run and its mean-field twin would need about " + format_bytes(both) +
                                                      " together, more than limits.memory_mb (" + format_bytes(static_cast<double>(limit)) +
                                                      "); turn the twin off or make the run smaller");
        cap = std::min(capacity, history_records(m, 0.25, frame_bytes(), "the mean-field twin's frames"));
        return std::make_unique<ScanSnapWindowRun>(m, RunHistoryPlan{0.05, 0});
    }

private:
    std::unique_ptr<ScanSnapRun> run_;
};

// The run keeps its trajectory (a fifth of history.budget_mb); the window's frames keep the matrices.
std::unique_ptr<WindowRun> make(const Config& cfg, const nlohmann::json&) {
    return std::make_unique<ScanSnapWindowRun>(cfg, RunHistoryPlan{0.2, 0});
}

}  // namespace

WindowLab scansnap_window_lab() { return {"scan_snap", &make}; }

}  // namespace snapscope::gui
