#include "snapscope/transformer_run.hpp"
#include "snapscope/transformer_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "snapscope/input.hpp"
#include "snapscope/parallel.hpp"

namespace snapscope {

const std::array<const char*, kNumParamGroups>& transformer_lr_names() {
    static const std::array<const char*, kNumParamGroups> names = {"lr_embedding", "lr_attention", "lr_mlp", "lr_unembedding"};
    return names;
}

namespace {

template <class S>
class Engine final : public TransformerEngine {
public:
    Engine(const TransformerSpec& spec, const OptimSettings& opt) : model_(spec), opt_(model_.tensors(), opt) {}
    Transformer<S>& model() { return model_; }
    const TransformerSpec& spec() const override { return model_.spec(); }
    const std::vector<ParamTensor>& tensors() const override { return model_.tensors(); }
    int scalar_bytes() const override { return static_cast<int>(sizeof(S)); }

    // A batch of two or more sequences is always split in two halves, each through its own copy of the model, and the
    // gradient is the halves' gradients weighted by their targets: the two can run at once (parallel_for), and the
    // results are the same bit for bit whether they do or not.
    static constexpr int kParts = 2;

    bool train_step(const SeqBatch& batch, Rng* dropout, const std::array<double, kNumParamGroups>& lr, double clip, double& loss,
                    double& grad_norm) override {
        const int B = batch.size();
        if (B < kParts) {
            model_.zero_grads();
            loss = model_.forward(batch, dropout);
            if (!std::isfinite(loss)) return false;
            model_.backward();
        } else {
            if (!replica_) replica_ = std::make_unique<Transformer<S>>(model_.spec());
            replica_->params = model_.params;
            for (int p = 0; p < kParts; ++p) {
                SeqBatch& part = parts_[p];
                part.clear();
                const int from = B * p / kParts, to = B * (p + 1) / kParts;
                const int a = batch.offsets[static_cast<std::size_t>(from)], b = batch.offsets[static_cast<std::size_t>(to)];
                part.tokens.assign(batch.tokens.begin() + a, batch.tokens.begin() + b);
                part.targets.assign(batch.targets.begin() + a, batch.targets.begin() + b);
                for (int s = from; s < to; ++s) part.offsets.push_back(batch.offsets[static_cast<std::size_t>(s) + 1] - a);
                if (dropout) drop_[p] = dropout->fork(static_cast<std::uint64_t>(p) + 1);
            }
            double losses[kParts];
            int rows[kParts];
            parallel_for(kParts, [&](int p) {
                Transformer<S>& m = p == 0 ? model_ : *replica_;
                m.zero_grads();
                losses[p] = m.forward(parts_[p], dropout ? &drop_[p] : nullptr);
                rows[p] = m.targets_counted();
                if (std::isfinite(losses[p])) m.backward();
            });
            const int total = rows[0] + rows[1];
            loss = total > 0 ? (losses[0] * rows[0] + losses[1] * rows[1]) / total : 0.0;
            if (!std::isfinite(loss)) return false;
            const S w0 = static_cast<S>(total > 0 ? static_cast<double>(rows[0]) / total : 0.5);
            const S w1 = static_cast<S>(total > 0 ? static_cast<double>(rows[1]) / total : 0.5);
            S* __restrict g = model_.grads.data();
            const S* __restrict h = replica_->grads.data();
            for (std::size_t i = 0; i < model_.grads.size(); ++i) g[i] = g[i] * w0 + h[i] * w1;
        }
        grad_norm = clip > 0 ? clip_grad_norm(model_.tensors(), model_.grads, clip) : total_grad_norm(model_.tensors(), model_.grads);
        if (!std::isfinite(grad_norm)) return false;
        // The update is kept only if every parameter stays finite: the state before it is kept aside when a bound
        // cannot rule out an overflow (a run far from diverging never pays for the copy).
        double pmax = 0, lmax = 0;
        for (S p : model_.params) pmax = std::max(pmax, static_cast<double>(std::abs(p)));
        for (double r : lr) lmax = std::max(lmax, r);
        const OptimSettings& o = opt_.settings();
        const double g = clip > 0 ? std::min(grad_norm, clip) : grad_norm;
        const double step_bound = o.kind == "adam" ? lmax / (1 - o.beta1) * (g + bmax_) / o.eps : lmax * (g + bmax_ / std::max(1e-300, 1 - o.momentum));
        const bool sure = pmax + step_bound < 1e30 && std::isfinite(step_bound);
        if (!sure) {
            TransformerOptimizer<S> keep_opt = opt_;
            const AlignedVector<S> keep = model_.params;
            opt_.step(model_.params, model_.grads, lr);
            for (S p : model_.params)
                if (!std::isfinite(p)) {
                    model_.params = keep;
                    opt_ = keep_opt;
                    return false;
                }
        } else {
            opt_.step(model_.params, model_.grads, lr);
        }
        bmax_ = std::max(bmax_, g);
        return true;
    }

    double loss(const SeqBatch& batch) override { return model_.forward(batch, nullptr); }

    std::vector<int> predict_last(const SeqBatch& batch) override {
        model_.forward(batch, nullptr);
        // One target (the last position) per sequence: the logits' rows are the sequences, in order.
        const auto& lg = model_.logits();
        std::vector<int> out(static_cast<std::size_t>(lg.rows()));
        for (Eigen::Index r = 0; r < lg.rows(); ++r) {
            Eigen::Index best = 0;
            lg.row(r).maxCoeff(&best);
            out[static_cast<std::size_t>(r)] = static_cast<int>(best);
        }
        return out;
    }

    TransformerView view(const std::vector<std::int32_t>& tokens) override {
        SeqBatch b;
        b.add(tokens, std::vector<std::int32_t>(tokens.size(), -1));
        model_.forward(b, nullptr, true);
        const TransformerSpec& s = model_.spec();
        TransformerView v;
        v.n = static_cast<int>(tokens.size());
        v.vocab = s.vocab;
        v.layers = s.layers;
        v.heads = s.heads;
        v.d = s.d;
        const auto& lg = model_.logits();
        v.logits.assign(lg.data(), lg.data() + lg.size());
        const std::size_t nn = static_cast<std::size_t>(v.n) * v.n;
        v.attention.resize(static_cast<std::size_t>(s.layers) * s.heads * nn);
        for (int l = 0; l < s.layers; ++l)
            for (int j = 0; j < s.heads; ++j) {
                const S* p = model_.attention(l, 0, j);
                std::copy(p, p + nn, v.attention.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(l) * s.heads + j) * nn));
            }
        for (int l = 0; l <= s.layers; ++l) {
            const auto& h = model_.hidden(l);
            v.hidden.insert(v.hidden.end(), h.data(), h.data() + h.size());
        }
        return v;
    }

    std::vector<double> params() const override { return std::vector<double>(model_.params.begin(), model_.params.end()); }
    void set_params(const std::vector<double>& p) override {
        for (std::size_t i = 0; i < p.size() && i < model_.params.size(); ++i) model_.params[i] = static_cast<S>(p[i]);
    }

private:
    Transformer<S> model_;
    TransformerOptimizer<S> opt_;
    std::unique_ptr<Transformer<S>> replica_;  // the second half's copy of the model
    SeqBatch parts_[kParts];
    Rng drop_[kParts];
    double bmax_ = 0;  // the largest gradient norm so far (bounds the momentum buffer and Adam's first moment)
};

std::unique_ptr<SeqSource> make_source(const Config& cfg, Rng& test_rng, std::uint64_t limit) {
    const TransformerSettings& t = transformer_settings(cfg);
    const bool last = t.loss_positions == "last";
    if (cfg.data.kind == "file") return std::make_unique<FileSequences>(cfg.data.path, last, cfg.data.vocab_size, limit);
    if (cfg.data.kind == "text") {
        Corpus corpus = load_config_corpus(cfg, limit);
        return std::make_unique<TextSequences>(std::move(corpus), cfg.train.batch, cfg.data.seq_len, last, t.valid_tokens);
    }
    try {
        if (t.task == "addition") return std::make_unique<AdditionTask>(t.digits, t.causal && !last, t.num_test, test_rng);
        if (t.task == "random") return std::make_unique<RandomTokens>(cfg.data.vocab_size, cfg.data.seq_len, last);
        return std::make_unique<FirstTokenTask>(cfg.data.vocab_size, cfg.data.seq_len, t.num_test, test_rng);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(t.task == "addition" ? "data.num_test" : "data.num_test", std::string("config: key 'data.num_test': ") + e.what());
    }
}

}  // namespace

std::unique_ptr<TransformerEngine> make_transformer_engine(const TransformerSpec& spec, const std::string& precision, const OptimSettings& opt) {
    if (precision == "float32") return std::make_unique<Engine<float>>(spec, opt);
    return std::make_unique<Engine<double>>(spec, opt);
}

TransformerSpec transformer_spec(const Config& cfg, int vocab, int data_len) {
    const TransformerSettings& t = transformer_settings(cfg);
    TransformerSpec s;
    s.vocab = vocab;
    s.d = t.d_model;
    s.max_len = t.max_len > 0 ? t.max_len : data_len;
    s.layers = t.layers;
    s.heads = t.heads;
    s.mlp = t.mlp;
    s.ffn = t.ffn;
    s.act = t.activation == "gelu" ? Activation::Gelu : Activation::Relu;
    s.pe = t.pos_encoding == "sinusoidal" ? PosEncoding::Sinusoidal : t.pos_encoding == "learned" ? PosEncoding::Learned : PosEncoding::None;
    s.causal = t.causal;
    s.residual = t.residual_connections;
    s.ln = t.layer_norm == "pre" ? LayerNormMode::Pre : t.layer_norm == "post" ? LayerNormMode::Post : LayerNormMode::None;
    s.dropout = t.dropout;
    s.tied = t.tied;
    s.scale_embedding = t.scale_embedding;
    s.init_range = t.init_range;
    return s;
}

std::vector<double> read_transformer_params(const std::string& path, const TransformerSpec& spec, std::uint64_t max_bytes) {
    nlohmann::json doc;
    try {
        // The JSON document takes several times the text's bytes: the text may be an eighth of the memory limit.
        doc = parse_json_text(read_input_file(path, "weights file (model.init_from)", std::max<std::uint64_t>(max_bytes / 8, 1 << 20)), path);
    } catch (const InputError& e) {
        throw ConfigError("model.init_from", "model.init_from: " + std::string(e.what()));
    }
    return transformer_params_from_json(doc, spec, "model.init_from '" + brief_text(path, 80) + "'");
}

std::vector<double> transformer_params_from_json(const nlohmann::json& doc, const TransformerSpec& spec, const std::string& where) {
    auto fail = [&](const std::string& what) -> void { throw ConfigError("model.init_from", where + ": " + what); };
    if (!doc.is_object() || !doc.contains("params") || !doc["params"].is_object())
        fail("expected an object with \"params\": {\"name\": {\"shape\": [...], \"data\": [...]}, ...} (as final.json writes it)");
    const nlohmann::json& ps = doc["params"];
    const std::vector<ParamTensor> tensors = transformer_tensors(spec);
    std::vector<double> out(transformer_param_count(spec), 0.0);
    for (const ParamTensor& t : tensors) {
        if (!ps.contains(t.name)) fail("no tensor \"" + t.name + "\" (the model's settings need it; are model.* the ones it was trained with?)");
        const nlohmann::json& e = ps[t.name];
        if (!e.is_object() || !e.contains("shape") || !e.contains("data") || !e["shape"].is_array() || !e["data"].is_array())
            fail("\"" + t.name + "\" must be {\"shape\": [...], \"data\": [...]}, got " + brief(e));
        std::vector<int> shape;
        for (const nlohmann::json& n : e["shape"]) {
            if (!n.is_number_integer() || n.get<std::int64_t>() < 0 || n.get<std::int64_t>() > (1 << 30))
                fail("\"" + t.name + "\".shape must hold sizes, got " + brief(e["shape"]));
            shape.push_back(n.get<int>());
        }
        auto text = [](const std::vector<int>& s) {
            std::string r = "[";
            for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
            return r + "]";
        };
        if (shape != t.shape) fail("\"" + t.name + "\" has shape " + text(shape) + "; the model's is " + text(t.shape) + " (check model.* and the data's vocabulary)");
        const nlohmann::json& data = e["data"];
        if (data.size() != t.size)
            fail("\"" + t.name + "\".data has " + std::to_string(data.size()) + " values; its shape " + text(t.shape) + " needs " + std::to_string(t.size));
        for (std::size_t i = 0; i < t.size; ++i) {
            const nlohmann::json& v = data[i];
            if (!v.is_number() || !std::isfinite(v.get<double>()))
                fail("\"" + t.name + "\".data[" + std::to_string(i) + "] must be a finite number, got " + brief(v));
            out[t.offset + i] = v.get<double>();
        }
    }
    for (auto it = ps.begin(); it != ps.end(); ++it) {
        bool known = false;
        for (const ParamTensor& t : tensors) known = known || t.name == it.key();
        if (!known) fail("tensor \"" + brief_text(it.key(), 60) + "\" is not one of this model's (are model.* the ones it was trained with?)");
    }
    return out;
}

nlohmann::json transformer_architecture_json(const TransformerSettings& t, const TransformerSpec& s) {
    return {{"model.activation", t.activation},
            {"model.causal", t.causal},
            {"model.d_model", s.d},
            {"model.ffn", s.ffn_width()},
            {"model.heads", s.heads},
            {"model.layer_norm", t.layer_norm},
            {"model.layers", s.layers},
            {"model.mlp", t.mlp},
            {"model.pos_encoding", t.pos_encoding},
            {"model.residual_connections", t.residual_connections},
            {"model.scale_embedding", t.scale_embedding},
            {"model.tied", t.tied}};
}

std::vector<std::string> transformer_architecture_differences(const nlohmann::json& file_model, const nlohmann::json& run_model) {
    std::vector<std::string> out;
    if (!file_model.is_object()) return out;
    for (auto it = run_model.begin(); it != run_model.end(); ++it)
        if (file_model.contains(it.key()) && file_model[it.key()] != it.value())
            out.push_back(it.key() + " = " + brief(file_model[it.key()]) + ", this run " + brief(it.value()));
    return out;
}

nlohmann::json transformer_weights_architecture(const std::string& path, std::uint64_t max_bytes) {
    try {
        const nlohmann::json doc = parse_json_text(read_input_file(path, "weights file (model.init_from)", std::max<std::uint64_t>(max_bytes / 8, 1 << 20)), path);
        if (doc.is_object() && doc.contains("model") && doc["model"].is_object()) return doc["model"];
    } catch (const InputError&) {
        // read_transformer_params says what is wrong with the file
    }
    return nullptr;
}

MemoryEstimate transformer_memory(const Config& cfg, const TransformerSpec& spec, double data_bytes, double batch_positions, double longest) {
    const TransformerSettings& t = transformer_settings(cfg);
    const double sb = t.precision == "float32" ? 4 : 8;
    const double P = static_cast<double>(transformer_param_count(spec));
    MemoryEstimate e;
    const std::string pkey = spec.vocab > 4 * spec.d * spec.d ? "data.vocab_size" : "model.d_model";
    // Parameters, gradients, two optimiser buffers, a copy kept aside for the divergence check, the second half-batch's
    // copy of the model (parameters and gradients), the files' doubles.
    e.add("the model's " + std::to_string(static_cast<std::int64_t>(P)) + " parameters, gradients and optimiser state", pkey, P * (7 * sb + 16));
    // The batch's work buffers (its two halves, one per copy of the model, together one batch), named by what sizes
    // them more: the number of sequences or their length.
    const double sequences = longest > 0 ? batch_positions / longest : batch_positions;
    const std::string wkey = cfg.data.kind == "synthetic" && longest > sequences ? "data.seq_len" : "train.batch";
    e.add("the work buffers of one batch (train.batch sequences)", wkey,
          transformer_work_bytes(spec, batch_positions, longest, batch_positions, static_cast<int>(sb)));
    // The held-out evaluation runs chunks of up to 512 sequences through the model: their buffers too.
    if (cfg.data.kind == "synthetic" && transformer_settings(cfg).task != "random") {
        const double eval = std::min<double>(512, transformer_settings(cfg).num_test) * longest;
        e.add("the work buffers of the held-out evaluation (up to 512 sequences at once)", "data.num_test",
              transformer_work_bytes(spec, eval, longest, std::min<double>(512, transformer_settings(cfg).num_test), static_cast<int>(sb)));
    }
    if (cfg.data.kind == "text") {
        // The validation text is evaluated 16 windows at a time.
        e.add("the work buffers of the validation (16 windows at once)", "data.seq_len",
              transformer_work_bytes(spec, 16 * longest, longest, 16 * longest, static_cast<int>(sb)));
    }
    e.add("the training and held-out data", cfg.data.kind == "synthetic" ? "data.num_test" : "data.path", data_bytes);
    e.add("the recorded history (at most history.budget_mb)", "history.budget_mb",
          std::min(static_cast<double>(history_budget_bytes(cfg)), static_cast<double>(cfg.history.capacity) * (sizeof(TransformerRecord) + 32)));
    return e;
}

TransformerRun::TransformerRun(const Config& cfg) : cfg_(cfg) {
    if (cfg.model.kind != "transformer")
        throw ConfigError("model.kind", "config: key 'model.kind': '" + cfg.model.kind + "' is not the transformer model");
    const TransformerSettings& t = transformer_settings(cfg);
    const std::uint64_t limit = memory_limit_bytes(cfg);
    // Cheap facts first: a model that cannot fit is refused before any data is read or drawn.
    Rng root(cfg.train.seed);
    Rng init_rng = root.fork(1);
    data_rng_ = root.fork(2);
    drop_rng_ = root.fork(3);
    Rng test_rng = root.fork(4);
    if (cfg.data.kind == "synthetic") {
        const int vocab = t.task == "addition" ? AdditionTask::kVocab : t.task == "random" ? cfg.data.vocab_size : cfg.data.vocab_size + 1;
        const int len = t.task == "addition" ? 3 * t.digits + 2 : cfg.data.seq_len;
        const double per = t.task == "addition" ? (t.loss_positions == "last" ? (t.digits + 1) * (2.0 * t.digits + 2 + t.digits / 2.0) : len) : len;
        transformer_memory(cfg, transformer_spec(cfg, vocab, len), 64.0 * len * t.num_test, per * cfg.train.batch, len).check(limit, "config");
    }
    source_ = make_source(cfg, test_rng, limit);
    const TransformerSpec spec = transformer_spec(cfg, source_->vocab(), source_->max_len());
    if (spec.max_len < source_->max_len())
        throw ConfigError("model.max_len", "config: key 'model.max_len': " + std::to_string(spec.max_len) + " is shorter than the data's longest sequence (" +
                                               std::to_string(source_->max_len()) + ")");
    double batch_positions = static_cast<double>(cfg.train.batch) * source_->max_len();
    if (cfg.data.kind == "synthetic" && t.task == "addition" && t.loss_positions == "last") batch_positions *= t.digits + 1;
    try {
        transformer_memory(cfg, spec, source_->bytes(), batch_positions, source_->max_len()).check(limit, cfg.data.kind == "synthetic" ? "config" : cfg.data.path);
    } catch (const ConfigError& e) {
        if (cfg.data.kind != "synthetic") throw DataError(e.what(), e.key());
        throw;
    }
    OptimSettings o;
    o.kind = cfg.train.optimizer;
    o.momentum = cfg.train.momentum;
    o.beta1 = t.beta1;
    o.beta2 = t.beta2;
    o.eps = t.adam_eps;
    engine_ = make_transformer_engine(spec, t.precision, o);
    if (!t.init_from.empty()) {
        const nlohmann::json file_model = transformer_weights_architecture(t.init_from, limit);
        engine_->set_params(read_transformer_params(t.init_from, spec, limit));
        for (const std::string& d : transformer_architecture_differences(file_model, transformer_architecture_json(t, spec)))
            notes_.push_back("model.init_from's weights were trained with " + d + " (the shapes fit; the optimiser starts afresh)");
        if (file_model.is_null()) notes_.push_back("model.init_from records no model settings: check that model.* are the ones its weights were trained with");
    } else {
        // Initialised in float64 and rounded, so both precisions start from the same weights.
        Transformer<double> init(spec);
        init.init(init_rng);
        engine_->set_params(std::vector<double>(init.params.begin(), init.params.end()));
    }
    lr_ = {t.lr_embedding, t.lr_attention, t.lr_mlp, t.lr_unembedding};
    if (!t.attention_steps.empty()) pin_steps_ = transformer_attention_steps(t.attention_steps, "config");
    start_ = std::chrono::steady_clock::now();
    history_.set_capacity(history_records(cfg, 1.0, sizeof(TransformerRecord) + 32, "the trajectory's records"));
}

std::size_t TransformerRun::param_count() const { return transformer_param_count(engine_->spec()); }

std::array<double, kNumParamGroups> TransformerRun::effective_lr() const {
    const TransformerSettings& t = transformer_settings(cfg_);
    std::array<double, kNumParamGroups> r = lr_;
    const std::int64_t every = t.lr_decay_every > 0 ? t.lr_decay_every : t.lr_decay_per_epoch ? source_->steps_per_epoch() : 0;
    if (every > 0) {
        const double f = std::pow(t.lr_decay, static_cast<double>(step_ / every));
        for (double& v : r) v *= f;
    }
    return r;
}

double TransformerRun::seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

void TransformerRun::evaluate_into(TransformerRecord& r) {
    accuracy_ = source_->accuracy([this](const SeqBatch& b) { return engine_->predict_last(b); });
    r.accuracy = accuracy_;
    if (const SeqBatch* probe = source_->probe()) {
        valid_loss_ = source_->validation_loss([this](const SeqBatch& b) { return engine_->loss(b); });
        // The watched batch's attention entropy: -sum p log p of every query's row, averaged.
        double h = 0, rows = 0;
        for (int s = 0; s < probe->size(); ++s) {
            const std::vector<std::int32_t> toks(probe->tokens.begin() + probe->offsets[static_cast<std::size_t>(s)],
                                                 probe->tokens.begin() + probe->offsets[static_cast<std::size_t>(s) + 1]);
            const TransformerView v = engine_->view(toks);
            const std::size_t n = static_cast<std::size_t>(v.n);
            for (std::size_t row = 0; row < v.attention.size() / n; ++row) {
                const double* p = v.attention.data() + row * n;
                double e = 0;
                for (std::size_t j = 0; j < n; ++j)
                    if (p[j] > 0) e -= p[j] * std::log(p[j]);
                h += e;
                rows += 1;
            }
        }
        attention_entropy_ = rows > 0 ? h / rows : NAN;
        r.valid_loss = valid_loss_;
        r.attention_entropy = attention_entropy_;
    }
}

std::vector<std::int32_t> TransformerRun::watched_tokens() const {
    const SeqBatch* probe = source_->probe();
    if (!probe || probe->size() == 0) return {};
    return std::vector<std::int32_t>(probe->tokens.begin(), probe->tokens.begin() + probe->offsets[1]);
}

void TransformerRun::pin_attention() {
    if (!std::binary_search(pin_steps_.begin(), pin_steps_.end(), step_)) return;
    if (!pinned_.empty() && pinned_.back().step == step_) return;
    PinnedAttention p;
    p.step = step_;
    p.tokens = watched_tokens();
    if (p.tokens.empty()) return;
    TransformerView v = engine_->view(p.tokens);
    p.layers = v.layers;
    p.heads = v.heads;
    p.attention = std::move(v.attention);
    pinned_.push_back(std::move(p));
}

void TransformerRun::prepare_batch() {
    if (batch_step_ == step_) return;
    batch_.clear();
    source_->next_batch(cfg_.train.batch, data_rng_, batch_);
    batch_step_ = step_;
}

void TransformerRun::record(double loss, double grad_norm, bool evaluate) {
    TransformerRecord r;
    r.step = step_;
    r.loss = loss;
    r.grad_norm = grad_norm;
    r.lr = effective_lr();
    r.seconds = seconds();
    if (evaluate) evaluate_into(r);
    history_.push(r);
    ++record_count_;
}

bool TransformerRun::step() {
    if (diverged()) return false;
    prepare_batch();
    const TransformerSettings& t = transformer_settings(cfg_);
    const std::array<double, kNumParamGroups> lr = effective_lr();
    // The record of this step (its loss, the rates in effect, the accuracy of the parameters before the update)
    // comes from the step itself; a rate changed since a record_now() replaces that record.
    const bool evaluate = step_ % t.eval_every == 0;
    double loss = NAN, gnorm = NAN;
    TransformerRecord before;
    if (evaluate) evaluate_into(before);
    pin_attention();
    if (!engine_->train_step(batch_, t.dropout > 0 ? &drop_rng_ : nullptr, lr, t.clip_grad_norm, loss, gnorm)) {
        std::ostringstream os;
        os << "the run diverged at step " << step_ << " (loss " << loss << ", gradient norm " << gnorm
           << ": the loss, a gradient or an updated weight is not finite); lower the learning rates (train.lr_*) and continue";
        divergence_ = os.str();
        return false;
    }
    TransformerRecord r;
    r.step = step_;
    r.loss = loss;
    r.grad_norm = gnorm;
    r.lr = lr;
    r.seconds = seconds();
    if (evaluate) {
        r.accuracy = before.accuracy;
        r.valid_loss = before.valid_loss;
        r.attention_entropy = before.attention_entropy;
    }
    history_.push(r);
    ++record_count_;
    ++step_;
    return true;
}

std::int64_t TransformerRun::run(std::int64_t n) {
    std::int64_t done = 0;
    while (done < n && step()) ++done;
    return done;
}

void TransformerRun::record_now() {
    if (!history_.empty() && history_.back().step == step_ && history_.back().lr == effective_lr()) return;
    // The held-out set is evaluated at the evaluation steps only (the window records the newest state at every
    // publication; evaluating there cost more than the training steps between).
    prepare_batch();
    record(engine_->loss(batch_), NAN, step_ % transformer_settings(cfg_).eval_every == 0);
}

void TransformerRun::evaluate_now() {
    record_now();
    pin_attention();
    const TransformerRecord& b = history_.back();
    if (std::isfinite(b.accuracy) || std::isfinite(b.valid_loss)) return;
    TransformerRecord r = b;
    evaluate_into(r);
    if (!std::isfinite(r.accuracy) && !std::isfinite(r.valid_loss)) return;  // nothing to evaluate (no held-out set)
    history_.push(r);  // (the same step: replaces the record)
}

std::vector<LrGroup> TransformerRun::lr_groups() const {
    static const char* labels[] = {"eta_emb", "eta_attn", "eta_mlp", "eta_unemb"};
    std::vector<LrGroup> g;
    for (int i = 0; i < kNumParamGroups; ++i) g.push_back({transformer_lr_names()[i], labels[i], lr_[static_cast<std::size_t>(i)], 1e-5, 10});
    return g;
}

void TransformerRun::set_lr(const std::string& name, double value) {
    for (int i = 0; i < kNumParamGroups; ++i)
        if (name == transformer_lr_names()[i]) {
            double& lr = lr_[static_cast<std::size_t>(i)];
            if (lr == value) return;
            events_.push_back({step_, name, lr, value});
            lr = value;
            return;
        }
    throw ConfigError("events", "unknown event '" + name + "' (the transformer lab's learning rates: lr_embedding, lr_attention, lr_mlp, lr_unembedding)");
}

std::vector<std::pair<std::string, double>> TransformerRun::scalar_metrics() const {
    if (history_.empty()) return {};
    return {{"grad_norm", history_.back().grad_norm}, {"accuracy", accuracy_}};
}

std::string TransformerRun::size_text() const {
    const TransformerSpec& s = engine_->spec();
    return "V " + std::to_string(s.vocab) + ", d " + std::to_string(s.d) + ", " + std::to_string(s.layers) + "L " + std::to_string(s.heads) + "H";
}

std::vector<double> TransformerRun::sweep_values(const SweepMeasure&) const {
    return {diverged() ? NAN : accuracy_, static_cast<double>(param_count())};
}

}  // namespace snapscope
