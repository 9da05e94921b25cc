// A training run of the small transformer (model.kind = transformer): the model in float64 or float32, its optimiser
// with one learning rate per parameter group, a task or a file, and the recorded trajectory (loss, learning rates,
// gradient norm, held-out accuracy).
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "snapscope/history.hpp"
#include "snapscope/lab.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/transformer.hpp"
#include "snapscope/transformer_optim.hpp"
#include "snapscope/transformer_settings.hpp"
#include "snapscope/transformer_tasks.hpp"

namespace snapscope {

class RgbaImage;

struct TransformerRecord {
    std::int64_t step = 0;
    double loss = 0, grad_norm = 0;
    double accuracy = NAN;  // evaluated every train.eval_every steps (and at the end); NaN in between
    // A text, at the same steps: mean cross-entropy per word of the validation text, and the watched batch's attention
    // entropy (nats, the mean over layers, heads, sequences and query positions).
    double valid_loss = NAN, attention_entropy = NAN;
    double seconds = 0;  // since the run was built
    std::array<double, kNumParamGroups> lr{};
};

// The attention maps of the watched batch's first sequence at a pinned step (output.attention_steps).
struct PinnedAttention {
    std::int64_t step = 0;
    std::vector<std::int32_t> tokens;
    int layers = 0, heads = 0;
    std::vector<double> attention;  // [layers, heads, n, n]
};

// What one look inside the model shows (the GUI, the symmetry checks): for one sequence, every position's logits and
// per layer and head the attention probabilities, and the hidden state entering each layer and leaving the last.
struct TransformerView {
    int n = 0, vocab = 0, layers = 0, heads = 0, d = 0;
    std::vector<double> logits;     // [n, V]
    std::vector<double> attention;  // [layers, heads, n, n]
    std::vector<double> hidden;     // [layers + 1, n, d]
};

// The model and optimiser behind one precision.
class TransformerEngine {
public:
    virtual ~TransformerEngine() = default;
    virtual const TransformerSpec& spec() const = 0;
    virtual const std::vector<ParamTensor>& tensors() const = 0;
    // One optimiser step on `batch`: loss, gradient norm (before clipping). False, changing nothing, when the loss,
    // a gradient or an updated parameter would not be finite.
    virtual bool train_step(const SeqBatch& batch, Rng* dropout, const std::array<double, kNumParamGroups>& lr, double clip,
                            double& loss, double& grad_norm) = 0;
    virtual double loss(const SeqBatch& batch) = 0;  // no dropout, no update
    virtual std::vector<int> predict_last(const SeqBatch& batch) = 0;
    virtual TransformerView view(const std::vector<std::int32_t>& tokens) = 0;
    virtual std::vector<double> params() const = 0;  // as doubles, in tensors() order
    virtual void set_params(const std::vector<double>& p) = 0;
    virtual int scalar_bytes() const = 0;
};

std::unique_ptr<TransformerEngine> make_transformer_engine(const TransformerSpec& spec, const std::string& precision, const OptimSettings& opt);

// The model spec a config describes, for data of `vocab` tokens and sequences of at most `data_len`.
TransformerSpec transformer_spec(const Config& cfg, int vocab, int data_len);

// Weights from a file's "params" ({"name": {"shape": [...], "data": [...]}}, as final.json writes them), checked
// against `spec`: every tensor present with its shape, no other, every value a finite number. Throws ConfigError
// naming model.init_from and the tensor.
std::vector<double> read_transformer_params(const std::string& path, const TransformerSpec& spec, std::uint64_t max_bytes);
// The model settings weights belong to, as final.json records them ({"model.d_model": 32, "model.pos_encoding":
// "none", ...}: the config keys that decide the model), and how a run's differ from a file's (one line per key;
// empty when the file records none).
nlohmann::json transformer_architecture_json(const TransformerSettings& t, const TransformerSpec& s);
std::vector<std::string> transformer_architecture_differences(const nlohmann::json& file_model, const nlohmann::json& run_model);
// The "model" a weights file records (null if none or unreadable).
nlohmann::json transformer_weights_architecture(const std::string& path, std::uint64_t max_bytes);
// The same check of a parsed document; `where` names it in messages.
std::vector<double> transformer_params_from_json(const nlohmann::json& doc, const TransformerSpec& spec, const std::string& where);

class TransformerRun final : public LabRun {
public:
    // Throws ConfigError, DataError or MemoryLimitError.
    explicit TransformerRun(const Config& cfg);

    const Config& config() const override { return cfg_; }
    std::int64_t step_index() const override { return step_; }
    bool step() override;
    std::int64_t run(std::int64_t n) override;
    void record_now() override;
    // record_now(), and the held-out accuracy of the current weights in that record even between evaluation steps
    // (the end of a run).
    void evaluate_now();
    double last_loss() const override { return history_.empty() ? NAN : history_.back().loss; }
    std::vector<LrGroup> lr_groups() const override;
    void set_lr(const std::string& name, double value) override;
    const std::vector<RunEvent>& events() const override { return events_; }
    bool diverged() const override { return !divergence_.empty(); }
    const std::string& divergence_message() const override { return divergence_; }
    void clear_divergence() override { divergence_.clear(); }
    std::vector<std::pair<std::string, double>> scalar_metrics() const override;
    std::string size_text() const override;
    OutputFolder prepare_folder(const std::string& dir) const override;
    void write_results(const OutputFolder& folder, const RunTiming& t) override;
    std::vector<std::string> output_files() const override;
    // The PNG figure of a pinned map (attention_STEP.png), words on its axes.
    RgbaImage attention_png(const PinnedAttention& p) const;
    void print_summary(std::FILE* out) const override;
    std::vector<double> sweep_values(const SweepMeasure& m) const override;
    std::vector<std::string> notes() const override { return notes_; }
    // A text: the pinned maps so far, and the newest validation loss and attention entropy (NaN before the first).
    const std::vector<PinnedAttention>& pinned_attention() const { return pinned_; }
    // The watched window: the probe batch's first sequence (empty when the source has no probe).
    std::vector<std::int32_t> watched_tokens() const;
    double valid_loss() const { return valid_loss_; }
    double attention_entropy() const { return attention_entropy_; }

    const ThinningHistory<TransformerRecord>& history() const { return history_; }
    std::uint64_t record_count() const { return record_count_; }
    TransformerEngine& engine() { return *engine_; }
    const TransformerEngine& engine() const { return *engine_; }
    const SeqSource& source() const { return *source_; }
    // The newest held-out accuracy (NaN before the first evaluation or without a held-out set).
    double accuracy() const { return accuracy_; }
    std::size_t param_count() const;
    // The base learning rate of each group (what set_lr sets) and the rate in effect at the current step.
    const std::array<double, kNumParamGroups>& base_lr() const { return lr_; }
    std::array<double, kNumParamGroups> effective_lr() const;

private:
    void prepare_batch();
    void record(double loss, double grad_norm, bool evaluate);
    // The held-out measures of the current weights into `r` (accuracy; a text's validation loss and entropy).
    void evaluate_into(TransformerRecord& r);
    void pin_attention();
    double seconds() const;
    Config cfg_;
    std::unique_ptr<SeqSource> source_;
    std::unique_ptr<TransformerEngine> engine_;
    Rng data_rng_, drop_rng_;
    SeqBatch batch_;
    std::int64_t batch_step_ = -1;
    std::array<double, kNumParamGroups> lr_{};
    std::int64_t step_ = 0;
    std::string divergence_;
    std::vector<RunEvent> events_;
    ThinningHistory<TransformerRecord> history_;
    std::uint64_t record_count_ = 0;
    double accuracy_ = NAN, valid_loss_ = NAN, attention_entropy_ = NAN;
    std::vector<std::string> notes_;
    std::vector<std::int64_t> pin_steps_;
    std::vector<PinnedAttention> pinned_;
    std::chrono::steady_clock::time_point start_;
};

// attention_STEP.png
std::string attention_png_name(std::int64_t step);

// output.attention_steps as sorted distinct steps; throws ConfigError naming the key.
std::vector<std::int64_t> transformer_attention_steps(const std::string& text, const std::string& source);

// Everything a run of `cfg` holds, for the memory check (given the model spec and the data's bytes).
MemoryEstimate transformer_memory(const Config& cfg, const TransformerSpec& spec, double data_bytes, double batch_positions, double longest);

// The lab's registry entry (model.kind transformer), its keys and cross-key rules.
LabSpec transformer_lab();
std::vector<KeyBinding> transformer_config_keys();
void check_transformer_config(const Config& c, const std::string& source);
// The compare runs the window trains beside a run (its companions): the run's settings with another positional encoding,
// mask or depth, on the same data and seed. nope_bidirectional (no PE, no mask, loss at the last position),
// nope_causal_1, nope_causal_2 (no PE, the causal mask, 1 or 2 layers), sinusoidal (sinusoidal PE, the mask).
const std::vector<std::string>& transformer_variant_names();
// `cfg` made into variant `name`; throws ConfigError for an unknown name or one the settings do not allow.
Config transformer_variant_config(const Config& cfg, const std::string& name);

// The learning-rate group names ("lr_embedding", ...) in ParamGroup order.
const std::array<const char*, kNumParamGroups>& transformer_lr_names();

}  // namespace snapscope
