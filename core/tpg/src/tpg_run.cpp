#include "snapscope/tpg_run.hpp"

#include <cmath>
#include <sstream>

#include "snapscope/corpus.hpp"

namespace snapscope {

double tpg_record_bytes() { return sizeof(TpgRecord) + 32; }

MemoryEstimate tpg_memory(const Config& cfg, std::int64_t K, std::int64_t samples, double tokens) {
    const int dim = tpg_settings(cfg).dim;
    const double d = dim > 0 ? dim : static_cast<double>(K);
    const std::string dkey = dim > 0 ? "model.dim" : "data.vocab_size";
    const std::string nkey = cfg.data.kind == "file" || cfg.data.kind == "text" ? "data.path" : (cfg.data.seq_len * 1.0 > samples ? "data.seq_len" : "data.num_samples");
    MemoryEstimate e;
    e.add("the samples", nkey, 4 * tokens + 64.0 * static_cast<double>(samples));
    e.add("the embeddings (K x d = " + std::to_string(K) + " x " + std::to_string(static_cast<std::int64_t>(d)) + ")",
          "data.vocab_size", 16 * static_cast<double>(K) * d);  // E and E^T
    // W, its gradient, the momentum buffer, the update and the next W; W_svm, W_fin; building orthonormal rows.
    e.add("the d x d matrices (W, gradient, optimiser, W_svm, W_fin; d = " + std::to_string(static_cast<std::int64_t>(d)) + ")", dkey,
          8 * 10 * d * d);
    e.add("the token-priority graphs", nkey, 40 * tokens);
    // soft_composition's reduced samples (each token at most once, with its count) and their design rows' headers;
    // its basis and Newton system are checked against the limit where their sizes are known.
    e.add("the reduced samples of the W_fin analysis", nkey, 12 * tokens + 160.0 * static_cast<double>(samples));
    e.add("the recorded history (at most history.budget_mb)", "history.budget_mb",
          std::min(static_cast<double>(history_budget_bytes(cfg)), static_cast<double>(cfg.history.capacity) * tpg_record_bytes()));
    e.add("one record's attention", nkey, 16 * tokens);
    return e;
}

TpgDataset tpg_dataset_from_config(const Config& cfg) {
    if (cfg.model.kind != "tpg") throw ConfigError("model.kind", "config: key 'model.kind': '" + cfg.model.kind + "' is not the tpg model");
    const std::uint64_t limit = memory_limit_bytes(cfg);
    if (cfg.data.kind == "file" || cfg.data.kind == "text") {
        const TpgSettings& t = tpg_settings(cfg);
        TpgDataset d = cfg.data.kind == "text"
                           ? tpg_text_samples(load_config_corpus(cfg, limit), t.query_word, t.num_labels, cfg.data.seq_len, t.num_samples, limit)
                           : load_tpg_file(cfg.data.path, cfg.data.vocab_size, limit);
        double tokens = 0;
        for (const TpgSample& s : d.samples) tokens += static_cast<double>(s.tokens.size());
        try {
            tpg_memory(cfg, d.K, static_cast<std::int64_t>(d.samples.size()), tokens).check(limit, cfg.data.path);
        } catch (const ConfigError& e) {
            throw DataError(std::string(e.what()) + (cfg.data.kind == "text" ? " (K = " + std::to_string(d.K) + " words in the kept windows)"
                                                     : cfg.data.vocab_size == 0 ? " (K is the dataset's largest token id + 1 = " +
                                                                                   std::to_string(d.K) + ")"
                                                                             : std::string()),
                            e.key());
        }
        return d;
    }
    // Checked before the generator runs: a run that cannot fit is refused at once, whatever the data would be.
    const TpgSettings& t = tpg_settings(cfg);
    tpg_memory(cfg, cfg.data.vocab_size, t.num_samples, static_cast<double>(t.num_samples) * cfg.data.seq_len)
        .check(limit, "config");
    Rng root(cfg.train.seed);
    Rng data_rng = root.fork(2);
    return generate_tpg(t.num_samples, cfg.data.seq_len, cfg.data.vocab_size, t.graph, data_rng);
}

TpgRun::TpgRun(const Config& cfg) : TpgRun(cfg, tpg_dataset_from_config(cfg)) { explicit_data_ = false; }

TpgRun::TpgRun(const Config& cfg, TpgDataset data)
    : cfg_(cfg), data_(std::move(data)), model_(Eigen::MatrixXd::Identity(1, 1)) {
    init(cfg);
    explicit_data_ = true;
}

void TpgRun::init(const Config& cfg) {
    if (cfg.model.kind != "tpg") throw ConfigError("model.kind", "config: key 'model.kind': '" + cfg.model.kind + "' is not the tpg model");
    if (data_.samples.empty()) throw DataError("the tpg dataset has no samples", "data.path");
    const int K = data_.K;
    const TpgSettings& t = tpg_settings(cfg);
    const int d = t.dim > 0 ? t.dim : K;
    double tokens = 0;
    for (const TpgSample& s : data_.samples) tokens += static_cast<double>(s.tokens.size());
    const std::uint64_t limit = memory_limit_bytes(cfg);
    tpg_memory(cfg, K, static_cast<std::int64_t>(data_.samples.size()), tokens).check(limit, "config");
    history_.set_capacity(history_records(cfg, 1.0, tpg_record_bytes(), "the trajectory's records"));
    Rng root(cfg.train.seed);
    Rng init_rng = root.fork(1);
    Rng emb_rng = root.fork(3);
    model_ = TpgModel(make_embeddings(t.embedding, K, d, t.rho, emb_rng));
    const double b = 1.0 / std::sqrt(static_cast<double>(d));
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) model_.W(i, j) = init_rng.uniform(-b, b);
    orthonormal_ = t.embedding == "onehot" || t.embedding == "ortho";
    graphs_ = token_priority_graphs(data_);
    svm_ = graph_svm(data_, graphs_, model_.E(), orthonormal_, limit);
    fin_ = soft_composition(data_, graphs_, model_.E(), limit);
    grad_ = Eigen::MatrixXd::Zero(d, d);
    buf_ = Eigen::MatrixXd::Zero(d, d);
    wfin_tau_ = Eigen::MatrixXd::Zero(d, d);
    wfin_grad_ = Eigen::MatrixXd::Zero(d, d);
    wfin_buf_ = Eigen::MatrixXd::Zero(d, d);
    lr_ = t.lr;
}

void TpgRun::record(double loss) {
    TpgRecord r;
    r.step = step_;
    r.loss = loss;
    r.lr = lr_;
    r.metrics = tpg_metrics(model_, data_, graphs_, svm_, fin_, &wfin_tau_);
    history_.push(std::move(r));
    ++record_count_;
}

void TpgRun::record_now() {
    if (!history_.empty() && history_.back().step == step_ && history_.back().lr == lr_) return;
    record(model_.loss(data_.samples, nullptr));
}

namespace {

// The step direction of train.optimizer for gradient `grad`: grad / |grad|_F, momentum * buf + grad (PyTorch's
// semantics: buf = grad at the first step; the caller stores the result as the new buf), or grad.
Eigen::MatrixXd update_direction(const std::string& opt, double momentum, const Eigen::MatrixXd& grad, const Eigen::MatrixXd& buf) {
    if (opt == "normalized_gd") {
        const double n = grad.norm();
        return n > 0 ? Eigen::MatrixXd(grad / n) : Eigen::MatrixXd::Zero(grad.rows(), grad.cols());
    }
    if (opt == "momentum") return momentum * buf + grad;
    return grad;
}

}  // namespace

bool TpgRun::step() {
    if (diverged()) return false;
    grad_.setZero();
    const double loss = model_.loss(data_.samples, &grad_);
    const std::string& opt = cfg_.train.optimizer;
    const Eigen::MatrixXd update = update_direction(opt, cfg_.train.momentum, grad_, buf_);
    const Eigen::MatrixXd next = model_.W - lr_ * update;
    if (!std::isfinite(loss) || !next.allFinite()) {
        std::ostringstream os;
        os << "the run diverged at step " << step_ << " (loss " << loss << " or the update is not finite); lower train.lr and continue";
        divergence_ = os.str();
        return false;
    }
    // Recorded already unless the rate changed since (then the record of this step is replaced: its lr is the one
    // this step's update uses, as a run that had the change before recording writes it).
    if (history_.empty() || history_.back().step != step_ || history_.back().lr != lr_) record(loss);
    if (opt == "momentum") buf_ = update;
    model_.W = next;
    // W_fin(tau): the same optimiser on the reduced set.
    if (!fin_.reduced.empty()) {
        wfin_grad_.setZero();
        reduced_loss(model_.E(), wfin_tau_, fin_.reduced, data_.samples.size(), &wfin_grad_);
        const Eigen::MatrixXd u = update_direction(opt, cfg_.train.momentum, wfin_grad_, wfin_buf_);
        if (opt == "momentum") wfin_buf_ = u;
        const Eigen::MatrixXd nf = wfin_tau_ - lr_ * u;
        if (nf.allFinite()) wfin_tau_ = nf;
    }
    ++step_;
    return true;
}

std::int64_t TpgRun::run(std::int64_t n) {
    std::int64_t done = 0;
    while (done < n && step()) ++done;
    return done;
}

}  // namespace snapscope
