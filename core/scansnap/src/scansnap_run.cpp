#include "snapscope/scansnap_run.hpp"

#include "snapscope/corpus.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace snapscope {

double scansnap_scalar_record_bytes(const ScanSnapShape& sh) {
    return sizeof(ScalarRecord) + 16.0 * static_cast<double>(sh.classes) + 32;
}

double scansnap_matrix_record_bytes(const ScanSnapShape& sh) {
    return sizeof(MatrixRecord) + 8.0 * static_cast<double>(sh.classes + sh.queries) * static_cast<double>(sh.M) + 32;
}

MemoryEstimate scansnap_memory(const Config& cfg, const ScanSnapShape& sh, RunHistoryPlan plan) {
    const double M = static_cast<double>(sh.M), K = static_cast<double>(sh.classes), Q = static_cast<double>(sh.queries);
    const double B = scansnap_settings(cfg).mode == "mean_field" ? K : static_cast<double>(cfg.train.batch);
    const double k = std::min(static_cast<double>(cfg.data.kind == "synthetic" ? cfg.data.seq_len - 1 : sh.widest), static_cast<double>(sh.widest)) + 1;
    MemoryEstimate e;
    e.add("the model's M x M matrices Z and Y with their gradients and momentum buffers (M = " + std::to_string(sh.M) + ")", sh.vocab_key,
          6.0 * M * M * 8 + 16 * M);
    e.add("the per-query caches of exp(Z) (" + std::to_string(sh.queries) + " queries x M)", sh.vocab_key, Q * M * 12);
    e.add("one batch of sparse samples", "train.batch", B * (k * 12 + 32));
    // The grouped path's dense work: logits and their gradient per sample (M x B), support blocks (M x k).
    e.add("the batch's work buffers (M x batch logits)", "train.batch", (K <= 256 ? M * B * 8 + 4 * k * B * 8 : 0) + 2 * M * k * 8 + 3 * M * 8);
    e.add("the attention metrics of one record (classes x M)", "data.num_next_per_last", K * M * 8 * 2 + K * static_cast<double>(sh.widest) * 16);
    e.add("the training data", cfg.data.kind != "synthetic" ? "data.path" : "data.num_unique_per_next", sh.data_bytes + M * 16);
    const double hs = plan.scalar_share > 0 ? plan.scalar_share * static_cast<double>(history_budget_bytes(cfg)) : 4 * scansnap_scalar_record_bytes(sh);
    const double hm = plan.matrix_share > 0 ? plan.matrix_share * static_cast<double>(history_budget_bytes(cfg)) : 4 * scansnap_matrix_record_bytes(sh);
    e.add("the recorded history (at most its share of history.budget_mb)", "history.budget_mb",
          std::min(hs, static_cast<double>(cfg.history.capacity) * scansnap_scalar_record_bytes(sh)) +
              std::min(hm, static_cast<double>(cfg.history.capacity) * scansnap_matrix_record_bytes(sh)));
    return e;
}

namespace {

// The key that contributes most to the synthetic generator's vocabulary.
std::string synthetic_vocab_key(const Config& cfg) {
    const ScanSnapSettings& d = scansnap_settings(cfg);
    // M's largest term, and of its factors the largest (the one most likely set too high): num_next_per_last = 10^5
    // is named, not num_unique_per_next = 10 that multiplies it.
    const double nl = d.num_last, nn = static_cast<double>(d.num_last) * d.num_next_per_last;
    auto largest = [](std::initializer_list<std::pair<double, const char*>> factors) {
        const std::pair<double, const char*>* best = factors.begin();
        for (const auto& f : factors)
            if (f.first > best->first) best = &f;
        return best->second;
    };
    const std::pair<double, const char*> parts[] = {
        {static_cast<double>(d.num_common), "data.num_common"},
        {d.num_common_per_last * nl, largest({{static_cast<double>(d.num_common_per_last), "data.num_common_per_last"}, {nl, "data.num_last"}})},
        {d.num_unique_per_next * nn,
         largest({{static_cast<double>(d.num_unique_per_next), "data.num_unique_per_next"},
                  {static_cast<double>(d.num_next_per_last), "data.num_next_per_last"},
                  {nl, "data.num_last"}})},
        {nl, "data.num_last"},
        {nn, largest({{static_cast<double>(d.num_next_per_last), "data.num_next_per_last"}, {nl, "data.num_last"}})}};
    const auto* best = &parts[0];
    for (const auto& p : parts)
        if (p.first > best->first) best = &p;
    return best->second;
}

// The model's size for these samples, checked against the limit before the token table and the matrices are built.
std::unique_ptr<FileData> checked_file_data(const Config& cfg, const JsonlData& data, RunHistoryPlan plan, ScanSnapShape& shape,
                                            std::uint64_t limit) {
    shape.M = data.K;
    shape.vocab_key = "data.vocab_size";
    std::set<std::pair<int, int>> classes;
    std::set<int> queries;
    for (const JsonlSample& s : data.samples) {
        classes.insert({s.tokens.back(), s.label});
        queries.insert(s.tokens.back());
        shape.widest = std::max<std::int64_t>(shape.widest, static_cast<std::int64_t>(s.tokens.size()));
    }
    shape.classes = static_cast<std::int64_t>(classes.size());
    shape.queries = static_cast<std::int64_t>(queries.size());
    shape.data_bytes = 28.0 * static_cast<double>(data.tokens) + 64.0 * static_cast<double>(data.samples.size());
    try {
        scansnap_memory(cfg, shape, plan).check(limit, cfg.data.path);
    } catch (const ConfigError& e) {
        std::string msg = e.what();
        if (e.key() == "data.vocab_size" && cfg.data.kind == "text")
            msg += " (M is the text's vocabulary, " + std::to_string(data.K) + " words: cap it with data.vocab_size)";
        else if (e.key() == "data.vocab_size" && cfg.data.vocab_size == 0)
            msg += " (M is the dataset's largest token id + 1 = " + std::to_string(data.K) + ")";
        throw DataError(msg, e.key());
    }
    return std::make_unique<FileData>(data);
}


// Builds the data source after checking that the whole run fits in limits.memory_mb.
std::unique_ptr<DataSource> checked_data(const Config& cfg, RunHistoryPlan plan, ScanSnapShape& shape) {
    if (cfg.model.kind != "scan_snap")
        throw ConfigError("model.kind", "config: key 'model.kind': '" + cfg.model.kind + "' is not the scan_snap model");
    const std::uint64_t limit = memory_limit_bytes(cfg);
    if (cfg.data.kind == "synthetic") {
        const ScanSnapSettings& d = scansnap_settings(cfg);
        const std::int64_t Mgen = synthetic_vocab_size(cfg);
        shape.M = std::max<std::int64_t>(Mgen, cfg.data.vocab_size);
        shape.vocab_key = cfg.data.vocab_size > Mgen ? "data.vocab_size" : synthetic_vocab_key(cfg);
        shape.classes = static_cast<std::int64_t>(d.num_last) * d.num_next_per_last;
        shape.queries = d.num_last;
        shape.widest = static_cast<std::int64_t>(d.num_common) + d.num_common_per_last + d.num_unique_per_next;
        double table_bytes = 0;
        SyntheticData::uses_tables(cfg, &table_bytes);
        shape.data_bytes = static_cast<double>(shape.classes) * (static_cast<double>(shape.widest) * 40 + 256) + table_bytes;
        if (cfg.data.vocab_size != 0 && cfg.data.vocab_size < Mgen)
            throw ConfigError("data.vocab_size", "config: key 'data.vocab_size': " + std::to_string(cfg.data.vocab_size) +
                                                     " is smaller than the generator's vocabulary (" + std::to_string(Mgen) + ")");
        if (shape.M > 100000000)
            throw ConfigError(shape.vocab_key, "config: key '" + shape.vocab_key + "': the generator's vocabulary M = " +
                                                   std::to_string(shape.M) + " is larger than the 10^8 tokens snapscope supports");
        scansnap_memory(cfg, shape, plan).check(limit, "config");
        return std::make_unique<SyntheticData>(cfg);
    }
    if (cfg.data.kind == "text") {
        // A text: its (window -> next word) samples of the kept classes (text_pair_samples), then as a dataset file.
        const Corpus corpus = load_config_corpus(cfg, limit);
        const ScanSnapSettings& d = scansnap_settings(cfg);
        std::unique_ptr<FileData> fd =
            checked_file_data(cfg, text_pair_samples(corpus, d.num_last, d.num_next_per_last, cfg.data.seq_len, limit), plan, shape, limit);
        fd->set_words(corpus.words);
        return fd;
    }
    // File data: the samples are read first (counted against the limit as they are read), then the model's size
    // is known and checked before the token table and the matrices are built.
    return checked_file_data(cfg, read_jsonl_file(cfg.data.path, cfg.data.vocab_size, limit), plan, shape, limit);
}

}  // namespace

ScanSnapRun::ScanSnapRun(const Config& cfg, RunHistoryPlan plan)
    : cfg_(cfg),
      data_(checked_data(cfg, plan, shape_)),
      model_(data_->vocab_size(),
             ModelOptions{scansnap_settings(cfg).normalize, scansnap_settings(cfg).residual, scansnap_settings(cfg).attend_query}),
      mean_field_(scansnap_settings(cfg).mode == "mean_field"),
      batch_size_(cfg.train.batch),
      lr_z_(scansnap_settings(cfg).lr_z),
      lr_y_(scansnap_settings(cfg).effective_lr_y()),
      momentum_(cfg.train.optimizer == "gd" ? 0.0 : cfg.train.momentum),
      scalars_(plan.scalar_share > 0 ? history_records(cfg, plan.scalar_share, scansnap_scalar_record_bytes(shape_), "the trajectory's records")
                                     : 4) {
    const int M = data_->vocab_size();
    Rng root(cfg.train.seed);
    Rng init_rng = root.fork(1);
    data_rng_ = root.fork(2);
    if (scansnap_settings(cfg).init == "uniform") {
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
    // The matrix history: its share of history.budget_mb (or the newest 4 records).
    record_matrices_ = plan.matrices;
    matrices_.set_capacity(plan.matrix_share > 0 ? history_records(cfg, plan.matrix_share, scansnap_matrix_record_bytes(shape_),
                                                                   "the attention and Z records")
                                                 : 4);
    if (mean_field_) data_->mean_field_batch(batch_);
}

void ScanSnapRun::prepare_batch() {
    if (mean_field_ || batch_step_ == step_) return;
    batch_.clear();
    data_->next_batch(batch_size_, data_rng_, batch_);
    batch_step_ = step_;
}

double ScanSnapRun::current_loss() {
    prepare_batch();
    return model_.forward_backward(batch_, nullptr);
}

namespace {

// A class's common-token mass and the entropy of its attention on its distinct tokens (renormalised), from the
// attention on its support (a[i] on ci.tokens[i]; every support token is common or distinct).
void mass_and_entropy(const ClassInfo& ci, const std::vector<double>& a, double& common, double& entropy) {
    common = 0;
    double total = 0;
    for (std::size_t i = 0; i < ci.tokens.size(); ++i) {
        if (std::binary_search(ci.distinct.begin(), ci.distinct.end(), ci.tokens[i])) total += a[i];
        else common += a[i];
    }
    entropy = 0;
    if (total > 0)
        for (std::size_t i = 0; i < ci.tokens.size(); ++i)
            if (std::binary_search(ci.distinct.begin(), ci.distinct.end(), ci.tokens[i])) {
                const double p = a[i] / total;
                if (p > 0) entropy -= p * std::log(p);
            }
}

}  // namespace

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
        mass_and_entropy(ci, a, cm.common_mass[c], cm.distinct_entropy[c]);
    }
    return cm;
}

void ScanSnapRun::class_scalars(std::vector<double>& common_mass, std::vector<double>& distinct_entropy) const {
    // Per class, over the class's own tokens only: cost sum of the classes' supports, no M-sized work.
    const auto& classes = data_->classes();
    common_mass.assign(classes.size(), 0.0);
    distinct_entropy.assign(classes.size(), 0.0);
    for (std::size_t c = 0; c < classes.size(); ++c) {
        const ClassInfo& ci = classes[c];
        model_.attention(ci.query, ci.tokens, ci.probs, class_att_);
        mass_and_entropy(ci, class_att_, common_mass[c], distinct_entropy[c]);
    }
}

void ScanSnapRun::record(double loss) {
    ++record_count_;
    ScalarRecord s;
    s.step = step_;
    s.loss = loss;
    s.lr_z = lr_z_;
    s.lr_y = lr_y_;
    if (!record_matrices_) {
        class_scalars(s.common_mass, s.distinct_entropy);
        scalars_.push(std::move(s));
        return;
    }
    ClassMetrics cm = class_metrics();
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
    opt_z_.step(model_.Z.data(), grads_.dZ.data(), grads_.z_rows, lr_z_, momentum_);  // (zeroes the gradient)
    opt_y_.step(model_.Y.data(), grads_.dY.data(), grads_.y_cols, lr_y_, momentum_);
    grads_.forget_touched();
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
