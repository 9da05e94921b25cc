#include "snapscope/tpg_run.hpp"

#include <cmath>
#include <sstream>

namespace snapscope {

TpgDataset tpg_dataset_from_config(const Config& cfg) {
    if (cfg.data.kind == "file") return load_tpg_file(cfg.data.path, cfg.data.vocab_size);
    Rng root(cfg.train.seed);
    Rng data_rng = root.fork(2);
    return generate_tpg(cfg.data.num_samples, cfg.data.seq_len, cfg.data.vocab_size, cfg.data.graph, data_rng);
}

TpgRun::TpgRun(const Config& cfg) : TpgRun(cfg, tpg_dataset_from_config(cfg)) {}

TpgRun::TpgRun(const Config& cfg, TpgDataset data)
    : cfg_(cfg), data_(std::move(data)), model_(Eigen::MatrixXd::Identity(1, 1)), history_(static_cast<std::size_t>(cfg.history.capacity)) {
    init(cfg);
}

void TpgRun::init(const Config& cfg) {
    if (cfg.model.kind != "tpg") throw ConfigError("model.kind", "config: key 'model.kind': '" + cfg.model.kind + "' is not the tpg model");
    if (data_.samples.empty()) throw DataError("the tpg dataset has no samples", "data.path");
    const int K = data_.K;
    const int d = cfg.model.dim > 0 ? cfg.model.dim : K;
    if (static_cast<double>(d) * d > 16.0e6) throw ConfigError("model.dim", "config: key 'model.dim': d = " + std::to_string(d) + " is too large");
    Rng root(cfg.train.seed);
    Rng init_rng = root.fork(1);
    Rng emb_rng = root.fork(3);
    model_ = TpgModel(make_embeddings(cfg.model.embedding, K, d, cfg.model.rho, emb_rng));
    const double b = 1.0 / std::sqrt(static_cast<double>(d));
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) model_.W(i, j) = init_rng.uniform(-b, b);
    orthonormal_ = cfg.model.embedding == "onehot" || cfg.model.embedding == "ortho";
    graphs_ = token_priority_graphs(data_);
    svm_ = graph_svm(data_, graphs_, model_.E(), orthonormal_);
    fin_ = soft_composition(data_, graphs_, model_.E());
    grad_ = Eigen::MatrixXd::Zero(d, d);
    buf_ = Eigen::MatrixXd::Zero(d, d);
    lr_ = cfg.train.lr;
}

void TpgRun::record(double loss) {
    TpgRecord r;
    r.step = step_;
    r.loss = loss;
    r.lr = lr_;
    r.metrics = tpg_metrics(model_, data_, graphs_, svm_, fin_);
    history_.push(std::move(r));
}

void TpgRun::record_now() {
    if (!history_.empty() && history_.back().step == step_) return;
    record(model_.loss(data_.samples, nullptr));
}

bool TpgRun::step() {
    if (diverged()) return false;
    grad_.setZero();
    const double loss = model_.loss(data_.samples, &grad_);
    const std::string& opt = cfg_.train.optimizer;
    Eigen::MatrixXd update;
    if (opt == "normalized_gd") {
        const double n = grad_.norm();
        update = n > 0 ? Eigen::MatrixXd(grad_ / n) : Eigen::MatrixXd::Zero(grad_.rows(), grad_.cols());
    } else if (opt == "momentum") {
        update = cfg_.train.momentum * buf_ + grad_;  // PyTorch semantics: buf = grad at the first step
    } else {
        update = grad_;
    }
    const Eigen::MatrixXd next = model_.W - lr_ * update;
    if (!std::isfinite(loss) || !next.allFinite()) {
        std::ostringstream os;
        os << "the run diverged at step " << step_ << " (loss " << loss << " or the update is not finite); lower train.lr and continue";
        divergence_ = os.str();
        return false;
    }
    if (history_.empty() || history_.back().step != step_) record(loss);
    if (opt == "momentum") buf_ = update;
    model_.W = next;
    ++step_;
    return true;
}

std::int64_t TpgRun::run(std::int64_t n) {
    std::int64_t done = 0;
    while (done < n && step()) ++done;
    return done;
}

}  // namespace snapscope
