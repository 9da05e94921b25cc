#include "transformer/transformer_window.hpp"

#include <algorithm>
#include <chrono>

#include "snapscope/limits.hpp"
#include "snapscope/transformer_text.hpp"

namespace snapscope::gui {

const TransformerFrame& transformer_frame(const Frame& f) {
    static const TransformerFrame none;
    const TransformerFrame* t = f.lab_as<TransformerFrame>();
    return t ? *t : none;
}

const TransformerInfo& transformer_info(const RunInfo& info) {
    static const TransformerInfo none;
    const TransformerInfo* t = info.lab_as<TransformerInfo>();
    return t ? *t : none;
}

namespace {

class TransformerWindowRun : public WindowRun {
public:
    explicit TransformerWindowRun(const Config& cfg)
        : run_(std::make_unique<TransformerRun>(cfg)), text_(cfg.data.kind == "text") {
        after_step();  // the map of step 0
    }

    LabRun& run() override { return *run_; }

    // A text: the watched window's attention after each step (one forward pass of one window: a few per cent of a step).
    void after_step() override {
        if (!text_) return;
        const std::vector<std::int32_t> tokens = run_->watched_tokens();
        if (tokens.empty()) return;
        const TransformerView v = run_->engine().view(tokens);
        watched_ = std::make_shared<const std::vector<float>>(v.attention.begin(), v.attention.end());
    }
    std::uint64_t record_count() const override { return run_->history().empty() ? 0 : run_->record_count(); }

    FramePtr frame() const override {
        const TransformerRecord& r = run_->history().back();
        auto lab = std::make_shared<TransformerFrame>();
        lab->accuracy = r.accuracy;
        lab->grad_norm = r.grad_norm;
        lab->valid_loss = r.valid_loss;
        lab->attention_entropy = r.attention_entropy;
        lab->watched = watched_;
        auto f = std::make_shared<Frame>();
        f->step = r.step;
        f->loss = r.loss;
        f->lrs.assign(r.lr.begin(), r.lr.end());
        f->lab = std::move(lab);
        return f;
    }

    double frame_bytes() const override {
        const TransformerSpec& s = run_->engine().spec();
        const double maps = text_ ? 4.0 * s.layers * s.heads * s.max_len * s.max_len + 64 : 0.0;
        return sizeof(Frame) + sizeof(TransformerFrame) + 8 * kNumParamGroups + 128 + maps;
    }

    std::shared_ptr<const RunInfo> info() const override {
        auto ti = std::make_shared<TransformerInfo>();
        const TransformerSettings& t = transformer_settings(run_->config());
        ti->spec = run_->engine().spec();
        ti->task = run_->config().data.kind == "file" ? "file" : t.task;
        ti->digits = t.digits;
        for (int i = 0; i < ti->spec.vocab; ++i) ti->token_names.push_back(run_->source().token_name(i));
        const std::size_t shown = std::min<std::size_t>(64, std::max<std::size_t>(run_->source().test_size(), 16));
        for (std::size_t i = 0; i < shown; ++i) ti->examples.push_back(run_->source().example(static_cast<int>(i)));
        ti->ceiling = run_->source().order_blind_ceiling();
        ti->params = run_->param_count();
        ti->test_size = run_->source().test_size();
        if (const auto* text = dynamic_cast<const TextSequences*>(&run_->source())) {
            ti->text = true;
            ti->corpus = text->corpus().describe();
            ti->steps_per_epoch = text->steps_per_epoch();
            ti->watched = run_->watched_tokens();
            if (!t.attention_steps.empty()) ti->pins = transformer_attention_steps(t.attention_steps, "config");
        }
        auto info = std::make_shared<RunInfo>();
        info->config = run_->config();
        info->M = ti->spec.vocab;
        info->token_labels = ti->token_names;
        info->lab = std::move(ti);
        return info;
    }

    // The weights, copied whenever they changed (at every publication while training: the worker publishes at most
    // 20 times a second; a copy is a few hundred KB for the lab's models). A copy made at most every so often missed
    // the last steps before a pause, which then showed the weights of an earlier step.
    std::shared_ptr<const LabFrame> live() override {
        const std::int64_t step = run_->step_index();
        if (!live_ || live_->step != step) {
            auto l = std::make_shared<TransformerLive>();
            l->step = step;
            l->serial = ++serial_;
            l->params = run_->engine().params();
            live_ = std::move(l);
        }
        return live_;
    }

    Config with_current_rates(Config cfg) const override {
        TransformerSettings& t = transformer_settings(cfg);
        const auto& lr = run_->base_lr();
        t.lr_embedding = lr[kGroupEmbedding];
        t.lr_attention = lr[kGroupAttention];
        t.lr_mlp = lr[kGroupMlp];
        t.lr_unembedding = lr[kGroupUnembedding];
        return cfg;
    }

    // A compare run: the same data and seed with another PE, mask or depth; its memory is checked with the run's.
    std::unique_ptr<WindowRun> make_companion(const std::string& name, std::size_t capacity, std::size_t& cap) const override {
        const Config c = transformer_variant_config(run_->config(), name);
        if (config_to_json(c) == config_to_json(run_->config()))
            throw ConfigError("companions", "it is this run's own model (nothing to compare)");
        auto comp = std::make_unique<TransformerWindowRun>(c);
        cap = std::min(capacity, history_records(c, 0.1, frame_bytes(), "a compare run's frames"));
        return comp;
    }

private:
    std::unique_ptr<TransformerRun> run_;
    bool text_ = false;
    std::shared_ptr<const std::vector<float>> watched_;
    std::shared_ptr<const TransformerLive> live_;
    std::uint64_t serial_ = 0;
};

std::unique_ptr<WindowRun> make(const Config& cfg, const nlohmann::json&) { return std::make_unique<TransformerWindowRun>(cfg); }

}  // namespace

WindowLab transformer_window_lab() { return {"transformer", &make}; }

}  // namespace snapscope::gui
