#include "snapscope/scansnap_run.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace snapscope {

std::uint64_t scansnap_memory_bytes(std::int64_t M) {
    // Z, Y, their gradients and momentum buffers: six M x M float64 matrices.
    return 6ULL * static_cast<std::uint64_t>(M) * static_cast<std::uint64_t>(M) * sizeof(double);
}

namespace {

std::unique_ptr<DataSource> checked_data(const Config& cfg) {
    if (cfg.model.kind != "scan_snap")
        throw ConfigError("model.kind", "config: key 'model.kind': '" + cfg.model.kind + "' is not the scan_snap model");
    if (cfg.data.kind == "synthetic") {
        const std::int64_t M = std::max<std::int64_t>(synthetic_vocab_size(cfg.data), cfg.data.vocab_size);
        const std::uint64_t need = scansnap_memory_bytes(M);
        if (need > kScanSnapMemoryLimit) {
            std::ostringstream os;
            os << "config: the vocabulary M = " << M << " needs " << need / (1 << 20) << " MiB for the model's matrices (limit "
               << (kScanSnapMemoryLimit >> 20) << " MiB); reduce data.num_last, data.num_next_per_last or data.num_unique_per_next";
            throw ConfigError("data.num_unique_per_next", os.str());
        }
    } else if (cfg.data.vocab_size > 0 && scansnap_memory_bytes(cfg.data.vocab_size) > kScanSnapMemoryLimit) {
        throw ConfigError("data.vocab_size", "config: key 'data.vocab_size': " + std::to_string(cfg.data.vocab_size) +
                                                 " is too large for the model's M x M matrices");
    }
    auto d = make_data_source(cfg);
    if (scansnap_memory_bytes(d->vocab_size()) > kScanSnapMemoryLimit)
        throw DataError(cfg.data.path + ": the largest token id gives M = " + std::to_string(d->vocab_size()) +
                        ", too large for the model's M x M matrices", "data.path");
    return d;
}

}  // namespace

ScanSnapRun::ScanSnapRun(const Config& cfg)
    : cfg_(cfg),
      data_(checked_data(cfg)),
      model_(data_->vocab_size(), ModelOptions{cfg.model.normalize, cfg.model.residual, cfg.model.attend_query}),
      mean_field_(cfg.train.mode == "mean_field"),
      lr_z_(cfg.train.lr_z),
      lr_y_(cfg.effective_lr_y()),
      momentum_(cfg.train.optimizer == "gd" ? 0.0 : cfg.train.momentum),
      scalars_(static_cast<std::size_t>(cfg.history.capacity)) {
    const int M = data_->vocab_size();
    Rng root(cfg.train.seed);
    Rng init_rng = root.fork(1);
    data_rng_ = root.fork(2);
    if (cfg.train.init == "uniform") {
        // PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = M. Y first, then Z.
        const double b = 1.0 / std::sqrt(static_cast<double>(M));
        for (int k = 0; k < M; ++k)
            for (int l = 0; l < M; ++l) model_.Y(k, l) = init_rng.uniform(-b, b);
        for (int m = 0; m < M; ++m)
            for (int l = 0; l < M; ++l) model_.Z(m, l) = init_rng.uniform(-b, b);
    }
    grads_.resize(M);
    opt_z_.resize(M, M);
    opt_y_.resize(M, M);
    const std::size_t n = static_cast<std::size_t>(M) * M;
    opt_z_.set_param_bound(max_abs(model_.Z.data(), n));
    opt_y_.set_param_bound(max_abs(model_.Y.data(), n));
    // Bound the matrix history by memory.
    const std::size_t K = data_->classes().size(), Q = data_->queries().size();
    const double record_bytes = static_cast<double>((K + Q) * static_cast<std::size_t>(M) * sizeof(double) + 64);
    const double fit = cfg.history.matrix_budget_mb * 1048576.0 / record_bytes;
    matrices_.set_capacity(static_cast<std::size_t>(std::clamp(fit, 16.0, static_cast<double>(cfg.history.capacity))));
    if (mean_field_) data_->mean_field_batch(batch_);
}

void ScanSnapRun::prepare_batch() {
    if (mean_field_ || batch_step_ == step_) return;
    batch_.clear();
    data_->next_batch(cfg_.train.batch, data_rng_, batch_);
    batch_step_ = step_;
}

double ScanSnapRun::current_loss() {
    prepare_batch();
    return model_.forward_backward(batch_, nullptr);
}

ClassMetrics ScanSnapRun::class_metrics() const {
    const auto& classes = data_->classes();
    const int M = model_.vocab_size();
    ClassMetrics cm;
    cm.attention.assign(classes.size() * static_cast<std::size_t>(M), 0.0);
    cm.common_mass.resize(classes.size());
    cm.distinct_entropy.resize(classes.size());
    std::vector<double> a;
    for (std::size_t c = 0; c < classes.size(); ++c) {
        const ClassInfo& ci = classes[c];
        model_.attention(ci.query, ci.tokens, ci.probs, a);
        double* row = cm.attention.data() + c * M;
        for (std::size_t i = 0; i < ci.tokens.size(); ++i) row[ci.tokens[i]] = a[i];
        double common = 0;
        for (int t : ci.common) common += row[t];
        double total = 0;
        for (int t : ci.distinct) total += row[t];
        double h = 0;
        if (total > 0)
            for (int t : ci.distinct) {
                const double p = row[t] / total;
                if (p > 0) h -= p * std::log(p);
            }
        cm.common_mass[c] = common;
        cm.distinct_entropy[c] = h;
    }
    return cm;
}

void ScanSnapRun::record(double loss) {
    ClassMetrics cm = class_metrics();
    ScalarRecord s;
    s.step = step_;
    s.loss = loss;
    s.lr_z = lr_z_;
    s.lr_y = lr_y_;
    s.common_mass = std::move(cm.common_mass);
    s.distinct_entropy = std::move(cm.distinct_entropy);
    scalars_.push(std::move(s));

    MatrixRecord r;
    r.step = step_;
    r.attention = std::move(cm.attention);
    const int M = model_.vocab_size();
    const auto& q = data_->queries();
    r.zrows.resize(q.size() * static_cast<std::size_t>(M));
    for (std::size_t i = 0; i < q.size(); ++i)
        std::copy(model_.Z.data() + static_cast<std::size_t>(q[i]) * M, model_.Z.data() + static_cast<std::size_t>(q[i] + 1) * M,
                  r.zrows.data() + i * M);
    matrices_.push(std::move(r));
}

void ScanSnapRun::record_now() {
    if (!scalars_.empty() && scalars_.back().step == step_ && scalars_.back().lr_z == lr_z_ && scalars_.back().lr_y == lr_y_)
        return;
    record(current_loss());
}

bool ScanSnapRun::step() {
    if (diverged()) return false;
    prepare_batch();
    const double loss = model_.forward_backward(batch_, &grads_);
    // Refuse an update that would leave a non-finite loss, gradient or parameter: the run stays at its last
    // good step. (Checked without writing, so nothing needs undoing.)
    const std::size_t M = static_cast<std::size_t>(model_.vocab_size());
    double gz = 0, gy = 0;  // max |gradient|, +inf if any entry is not finite
    for (int m : grads_.z_rows) gz = std::max(gz, max_abs(grads_.dZ.data() + m * M, M));
    for (int l : grads_.y_cols) gy = std::max(gy, max_abs(grads_.dY.data() + l * M, M));
    bool finite = std::isfinite(loss) && std::isfinite(gz) && std::isfinite(gy);
    // Usually a bound proves the update finite; near overflow, check it exactly.
    finite = finite &&
             (opt_z_.update_surely_finite(lr_z_, momentum_, gz) ||
              opt_z_.step_stays_finite(model_.Z.data(), grads_.dZ.data(), grads_.z_rows, lr_z_, momentum_)) &&
             (opt_y_.update_surely_finite(lr_y_, momentum_, gy) ||
              opt_y_.step_stays_finite(model_.Y.data(), grads_.dY.data(), grads_.y_cols, lr_y_, momentum_));
    if (!finite) {
        grads_.clear();
        std::ostringstream os;
        os << "the run diverged at step " << step_ << " (loss " << loss
           << ", a gradient or the update is not finite); lower train.lr_z / train.lr_y and continue";
        divergence_ = os.str();
        return false;
    }
    const bool recorded = !scalars_.empty() && scalars_.back().step == step_ && scalars_.back().lr_z == lr_z_ &&
                          scalars_.back().lr_y == lr_y_;
    if (!recorded) record(loss);
    opt_z_.step(model_.Z.data(), grads_.dZ.data(), grads_.z_rows, lr_z_, momentum_);
    opt_y_.step(model_.Y.data(), grads_.dY.data(), grads_.y_cols, lr_y_, momentum_);
    grads_.clear();
    ++step_;
    return true;
}

std::int64_t ScanSnapRun::run(std::int64_t n) {
    std::int64_t done = 0;
    while (done < n && step()) ++done;
    return done;
}

void ScanSnapRun::set_lr_z(double lr) {
    if (lr == lr_z_) return;
    events_.push_back({step_, "lr_z", lr_z_, lr});
    lr_z_ = lr;
}

void ScanSnapRun::set_lr_y(double lr) {
    if (lr == lr_y_) return;
    events_.push_back({step_, "lr_y", lr_y_, lr});
    lr_y_ = lr;
}

}  // namespace snapscope
