#include "snapscope/data.hpp"
#include "snapscope/limits.hpp"

#include <algorithm>
#include <cmath>

namespace snapscope {

const char* token_kind_name(TokenKind k) {
    switch (k) {
        case TokenKind::Common: return "common";
        case TokenKind::QueryCommon: return "query-common";
        case TokenKind::Distinct: return "distinct";
        case TokenKind::Query: return "query";
        case TokenKind::Next: return "next";
        case TokenKind::Other: return "unused";
    }
    return "?";
}

void DataSource::mean_field_batch(SparseBatch& out) const {
    out.clear();
    for (std::size_t c = 0; c < classes_.size(); ++c) {
        const ClassInfo& ci = classes_[c];
        SparseSample s;
        s.query = ci.query;
        s.label = ci.label;
        s.cls = static_cast<int>(c);
        s.weight = ci.prior;
        s.begin = static_cast<std::uint32_t>(out.tok.size());
        for (std::size_t i = 0; i < ci.tokens.size(); ++i) {
            out.tok.push_back(ci.tokens[i]);
            out.cnt.push_back(ci.probs[i] * ci.mean_context);
        }
        s.end = static_cast<std::uint32_t>(out.tok.size());
        out.samples.push_back(s);
    }
}

std::string DataSource::describe_token(int id) const {
    std::string s = token_name(id);
    if (id < 0 || id >= static_cast<int>(tokens_.size())) return s + " (out of range)";
    const TokenInfo& t = tokens_[id];
    s += std::string(" (") + token_kind_name(t.kind);
    switch (t.kind) {
        case TokenKind::QueryCommon:
        case TokenKind::Query: s += ", query " + std::to_string(t.group); break;
        case TokenKind::Distinct:
        case TokenKind::Next: s += ", class " + std::to_string(t.group); break;
        default: break;
    }
    return s + ")";
}

void DataSource::finish_token_table() {
    tokens_.assign(vocab_size_, TokenInfo{});
    // Contextual roles first, then query/next roles take precedence.
    std::vector<int> owner(vocab_size_, -1);   // class index, or -2 if shared
    for (std::size_t c = 0; c < classes_.size(); ++c)
        for (int t : classes_[c].tokens) owner[t] = owner[t] == -1 ? static_cast<int>(c) : (owner[t] == static_cast<int>(c) ? owner[t] : -2);
    std::vector<int> query_of_shared(vocab_size_, -1);  // query index if shared only within one query, else -2
    for (std::size_t c = 0; c < classes_.size(); ++c)
        for (int t : classes_[c].tokens) {
            const int q = classes_[c].query_index;
            query_of_shared[t] = query_of_shared[t] == -1 ? q : (query_of_shared[t] == q ? q : -2);
        }
    for (int t = 0; t < vocab_size_; ++t) {
        if (owner[t] >= 0) tokens_[t] = {TokenKind::Distinct, owner[t]};
        else if (owner[t] == -2) {
            bool every_class = true;
            // A token shared by all classes is common; one shared by the classes of one query (and more than one
            // query exists) is query-common.
            if (query_of_shared[t] >= 0 && queries_.size() > 1) every_class = false;
            tokens_[t] = every_class ? TokenInfo{TokenKind::Common, -1} : TokenInfo{TokenKind::QueryCommon, query_of_shared[t]};
        }
    }
    for (std::size_t c = 0; c < classes_.size(); ++c) tokens_[classes_[c].label] = {TokenKind::Next, static_cast<int>(c)};
    for (std::size_t q = 0; q < queries_.size(); ++q) tokens_[queries_[q]] = {TokenKind::Query, static_cast<int>(q)};
    for (std::size_t c = 0; c < classes_.size(); ++c) {
        ClassInfo& ci = classes_[c];
        ci.common.clear();
        ci.distinct.clear();
        for (int t : ci.tokens) (owner[t] == static_cast<int>(c) ? ci.distinct : ci.common).push_back(t);
    }
}

bool SyntheticData::uses_tables(const Config& cfg, double* bytes) {
    const ScanSnapSettings& d = scansnap_settings(cfg);
    // The class's support: common, per-query common and its distinct tokens (zero weights drop out, which only makes
    // the real tables smaller than this bound).
    // Which sampler a configuration gets decides its random draws, so the rule is fixed: tables when their CDFs hold
    // at most 4 MiB / 10 entries per class and 32 MiB / 10 in all (the sizes of the first tables, 10 bytes an entry).
    // The memory reported is what the tables take now.
    const int k = d.num_common + d.num_common_per_last + d.num_unique_per_next;
    const std::size_t outcomes = static_cast<std::size_t>(std::max(k, 1));
    const double entries = MultinomialTable::entries_bound(outcomes, cfg.data.seq_len - 1);
    const double classes = static_cast<double>(d.num_last) * d.num_next_per_last;
    const bool use = 10.0 * entries <= 4.0 * 1048576 && 10.0 * entries * classes <= 32.0 * 1048576 && cfg.data.seq_len - 1 <= 65535;
    if (bytes) *bytes = use ? MultinomialTable::bytes_needed(outcomes, cfg.data.seq_len - 1) * classes : 0.0;
    return use;
}

std::int64_t synthetic_vocab_size(const Config& cfg) {
    const ScanSnapSettings& d = scansnap_settings(cfg);
    const std::int64_t nl = d.num_last, nn = static_cast<std::int64_t>(d.num_last) * d.num_next_per_last;
    return static_cast<std::int64_t>(d.num_common) + static_cast<std::int64_t>(d.num_common_per_last) * nl +
           static_cast<std::int64_t>(d.num_unique_per_next) * nn + nl + nn;
}

SyntheticData::SyntheticData(const Config& cfg) : seq_len_(cfg.data.seq_len) {
    const ScanSnapSettings& d = scansnap_settings(cfg);
    const int num_next = d.num_last * d.num_next_per_last;
    const int common_per_last_offset = d.num_common;
    const int unique_offset = common_per_last_offset + d.num_common_per_last * d.num_last;
    const int last_offset = unique_offset + d.num_unique_per_next * num_next;
    const int next_offset = last_offset + d.num_last;
    const int M = next_offset + num_next;
    vocab_size_ = std::max(M, cfg.data.vocab_size);

    // linspace(unique_min, unique_max, n) as torch.linspace computes it (n == 1 gives unique_min).
    std::vector<double> unique_w(d.num_unique_per_next);
    for (int i = 0; i < d.num_unique_per_next; ++i) {
        const double step = d.num_unique_per_next > 1 ? (d.unique_max - d.unique_min) / (d.num_unique_per_next - 1) : 0.0;
        unique_w[i] = d.unique_min + step * i;
    }
    if (d.num_unique_per_next > 1) unique_w.back() = d.unique_max;

    int cls = 0;
    for (int m = 0; m < d.num_last; ++m) {
        queries_.push_back(last_offset + m);
        for (int j = 0; j < d.num_next_per_last; ++j, ++cls) {
            ClassInfo ci;
            ci.query = last_offset + m;
            ci.label = next_offset + cls;
            ci.query_index = m;
            ci.prior = 1.0 / num_next;
            ci.mean_context = seq_len_ - 1;
            std::vector<std::pair<int, double>> tw;
            for (int t = 0; t < d.num_common; ++t) tw.emplace_back(t, d.common_weight);
            for (int t = 0; t < d.num_common_per_last; ++t)
                tw.emplace_back(common_per_last_offset + m * d.num_common_per_last + t, d.common_weight);
            for (int t = 0; t < d.num_unique_per_next; ++t)
                tw.emplace_back(unique_offset + cls * d.num_unique_per_next + t, unique_w[t]);
            double total = 0;
            for (auto& p : tw) total += p.second;
            for (auto& p : tw) {
                if (p.second <= 0) continue;  // a zero-weight token never occurs
                ci.tokens.push_back(p.first);
                ci.probs.push_back(p.second / total);
            }
            classes_.push_back(std::move(ci));
        }
    }
    finish_token_table();
    // The generator knows each token's role; use it rather than inferring it from co-occurrence (they differ only
    // when a query has a single class, whose per-query common tokens then co-occur with that class alone).
    for (int t = 0; t < d.num_common; ++t) tokens_[t] = {TokenKind::Common, -1};
    for (int m = 0; m < d.num_last; ++m)
        for (int t = 0; t < d.num_common_per_last; ++t)
            tokens_[common_per_last_offset + m * d.num_common_per_last + t] = {TokenKind::QueryCommon, m};
    for (int c = 0; c < num_next; ++c)
        for (int t = 0; t < d.num_unique_per_next; ++t) tokens_[unique_offset + c * d.num_unique_per_next + t] = {TokenKind::Distinct, c};
    for (auto& ci : classes_) {
        ci.common.clear();
        ci.distinct.clear();
        for (int t : ci.tokens) (tokens_[t].kind == TokenKind::Distinct ? ci.distinct : ci.common).push_back(t);
    }
    std::size_t widest = 0;
    const bool tables = uses_tables(cfg);
    for (const auto& ci : classes_) {
        if (tables) tables_.emplace_back(ci.probs, seq_len_ - 1);
        else samplers_.emplace_back(ci.probs);
        widest = std::max(widest, ci.tokens.size());
    }
    scratch_.assign(widest, 0);
}

void SyntheticData::add_sample(int c, std::uint32_t* counts, double weight, SparseBatch& out) {
    const ClassInfo& ci = classes_[c];
    SparseSample s;
    s.query = ci.query;
    s.label = ci.label;
    s.cls = c;
    s.weight = weight;
    // Room for every token of the class, written by index and cut back to the ones that occur (a push_back per
    // token checked the capacity each time: a tenth of a Fig 4 step).
    const std::size_t begin = out.tok.size(), k = ci.tokens.size();
    out.tok.resize(begin + k);
    out.cnt.resize(begin + k);
    std::int32_t* __restrict tok = out.tok.data() + begin;
    double* __restrict cnt = out.cnt.data() + begin;
    const int* __restrict ids = ci.tokens.data();
    std::size_t n = 0;
    for (std::size_t i = 0; i < k; ++i) {
        tok[n] = ids[i];
        cnt[n] = counts[i];
        n += counts[i] != 0;
        counts[i] = 0;
    }
    out.tok.resize(begin + n);
    out.cnt.resize(begin + n);
    s.begin = static_cast<std::uint32_t>(begin);
    s.end = static_cast<std::uint32_t>(begin + n);
    out.samples.push_back(s);
}

void SyntheticData::next_batch(int batch, Rng& rng, SparseBatch& out) {
    if (!tables_.empty()) return next_batch_tables(batch, rng, out);
    const int ctx = seq_len_ - 1;
    const std::uint64_t K = classes_.size();
    const double w = 1.0 / batch;
    for (int b = 0; b < batch; ++b) {
        const int c = static_cast<int>(rng.below(K));  // class uniform, like random.choice(facts)
        // L-1 i.i.d. draws from P(.|n); only the counts matter to the model.
        samplers_[c].sample_counts(rng, ctx, scratch_.data());
        add_sample(c, scratch_.data(), w, out);
    }
}

void SyntheticData::next_batch_tables(int batch, Rng& rng, SparseBatch& out) {
    // One window at a time is: c = rng.below(K), then one uniform per conditional draw while draws are left. Here
    // kLanes windows take their random numbers from a copy of the generator in that order, assuming the usual case
    // (no rejection in below, no window out of draws before its last outcome); their draws are then made side by
    // side. If the assumption fails for a lane, the lanes are redone one at a time from the real generator, so the
    // batch is the same as the one-at-a-time loop's, bit for bit.
    constexpr int kLanes = 8;
    const std::uint64_t K = classes_.size();
    const double w = 1.0 / batch;
    if (max_support_ == 0)
        for (const MultinomialTable& t : tables_) max_support_ = std::max(max_support_, t.size());
    const std::size_t stride = max_support_;
    lane_u_.resize(kLanes * stride);
    lane_counts_.resize(kLanes * stride);
    for (int b = 0; b < batch;) {
        const int lanes = std::min(kLanes, batch - b);
        Rng spec = rng;
        int cls[kLanes];
        std::uint32_t R[kLanes];
        std::size_t k[kLanes], kmax = 0;
        bool usual = true;
        for (int l = 0; l < lanes && usual; ++l) {
            const unsigned __int128 m = static_cast<unsigned __int128>(spec.next_u64()) * K;
            if (static_cast<std::uint64_t>(m) < K) usual = false;  // below() might reject and draw again
            cls[l] = static_cast<int>(m >> 64);
            k[l] = tables_[cls[l]].size();
            kmax = std::max(kmax, k[l]);
            R[l] = static_cast<std::uint32_t>(tables_[cls[l]].draws());
            for (std::size_t i = 0; i + 1 < k[l]; ++i) lane_u_[l * stride + i] = spec.uniform();
        }
        for (std::size_t i = 0; usual && i + 1 < kmax; ++i)
            for (int l = 0; l < lanes; ++l) {
                if (i + 1 >= k[l]) continue;
                if (R[l] == 0) usual = false;  // one at a time would have drawn no uniform here
                const std::uint32_t x = R[l] ? tables_[cls[l]].draw(i, R[l], lane_u_[l * stride + i]) : 0;
                lane_counts_[l * stride + i] = x;
                R[l] -= x;
            }
        if (usual) {
            rng = spec;
            for (int l = 0; l < lanes; ++l) {
                lane_counts_[l * stride + k[l] - 1] = R[l];
                add_sample(cls[l], lane_counts_.data() + l * stride, w, out);
            }
        } else {
            for (int l = 0; l < lanes; ++l) {
                const int c = static_cast<int>(rng.below(K));
                tables_[c].sample_counts(rng, scratch_.data());
                add_sample(c, scratch_.data(), w, out);
            }
        }
        b += lanes;
    }
}

}  // namespace snapscope
