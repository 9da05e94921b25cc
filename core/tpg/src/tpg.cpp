#include "snapscope/tpg.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <Eigen/QR>

namespace snapscope {

TpgDataset tpg_dataset(const JsonlData& in) {
    TpgDataset d;
    d.K = in.K;
    d.samples.reserve(in.samples.size());
    for (const JsonlSample& r : in.samples) {
        if (std::find(r.tokens.begin(), r.tokens.end(), r.label) == r.tokens.end())
            throw DataError(in.source + ":" + std::to_string(r.line) + ": the label " + std::to_string(r.label) +
                                " does not occur in the sequence; the token-priority-graph model predicts a token of its sequence",
                            "data.path");
        d.samples.push_back({r.tokens, r.label});
    }
    return d;
}

TpgDataset read_tpg_jsonl(const std::string& text, const std::string& source, int vocab_size) {
    return tpg_dataset(read_jsonl_text(text, source, vocab_size));
}

TpgDataset load_tpg_file(const std::string& path, int vocab_size, std::uint64_t max_bytes) {
    return tpg_dataset(read_jsonl_file(path, vocab_size, max_bytes));
}

int QueryGraph::node(int token) const {
    const auto it = std::lower_bound(tokens.begin(), tokens.end(), token);
    return it != tokens.end() && *it == token ? static_cast<int>(it - tokens.begin()) : -1;
}

int QueryGraph::comp_of(int token) const {
    const int n = node(token);
    return n < 0 ? -1 : scc.comp[n];
}

const QueryGraph* find_graph(const std::vector<QueryGraph>& graphs, int query) {
    const auto it = std::lower_bound(graphs.begin(), graphs.end(), query, [](const QueryGraph& g, int q) { return g.query < q; });
    return it != graphs.end() && it->query == query ? &*it : nullptr;
}

std::vector<QueryGraph> token_priority_graphs(const TpgDataset& data) {
    // Samples grouped by query (a sort, not an array of size K).
    std::vector<std::pair<int, int>> by_query;  // (query, sample index)
    by_query.reserve(data.samples.size());
    for (std::size_t i = 0; i < data.samples.size(); ++i) by_query.emplace_back(data.samples[i].query(), static_cast<int>(i));
    std::sort(by_query.begin(), by_query.end());
    std::vector<QueryGraph> out;
    for (std::size_t a = 0; a < by_query.size();) {
        std::size_t b = a;
        while (b < by_query.size() && by_query[b].first == by_query[a].first) ++b;
        QueryGraph q;
        q.query = by_query[a].first;
        for (std::size_t i = a; i < b; ++i) {
            const TpgSample& s = data.samples[by_query[i].second];
            q.samples.push_back(by_query[i].second);
            q.tokens.push_back(s.label);
            q.tokens.insert(q.tokens.end(), s.tokens.begin(), s.tokens.end());
            for (int t : s.tokens)
                if (t != s.label) q.edges.emplace_back(s.label, t);
        }
        std::sort(q.tokens.begin(), q.tokens.end());
        q.tokens.erase(std::unique(q.tokens.begin(), q.tokens.end()), q.tokens.end());
        std::sort(q.edges.begin(), q.edges.end());
        q.edges.erase(std::unique(q.edges.begin(), q.edges.end()), q.edges.end());
        Digraph local;
        local.n = static_cast<int>(q.tokens.size());
        local.edges.reserve(q.edges.size());
        for (const auto& [from, to] : q.edges) local.edges.emplace_back(q.node(from), q.node(to));
        q.scc = strongly_connected_components(local);
        for (auto& m : q.scc.members)
            for (int& v : m) v = q.tokens[v];  // members as token ids (ascending, since nodes are)
        out.push_back(std::move(q));
        a = b;
    }
    return out;
}

TpgDataset generate_tpg(int n, int T, int K, const std::string& graph, Rng& rng, int max_tries) {
    if (n < 1 || T < 2 || K < 2) throw DataError("generator: need n >= 1, T >= 2 and K >= 2");
    if (graph == "cyclic" && n < 2)
        throw DataError("generator: a cyclic dataset needs at least two samples (a cycle is two labels that beat each other); "
                        "raise data.num_samples",
                        "data.num_samples");
    // Bound the work: about 10^8 token draws in all.
    const double per_try = static_cast<double>(n) * (T + 8);
    const int tries = static_cast<int>(std::max(1.0, std::min(static_cast<double>(max_tries), 1e8 / per_try)));
    std::unordered_map<int, int> moved;  // a sparse permutation: position -> token, for positions swapped so far
    for (int attempt = 0; attempt < tries; ++attempt) {
        TpgDataset d;
        d.K = K;
        for (int i = 0; i < n; ++i) {
            // min(T, K) distinct tokens: the first positions of a random permutation (partial Fisher-Yates over a
            // sparse map, so a draw costs O(T) whatever K is); when T > K the rest is drawn with replacement.
            TpgSample s;
            const int distinct = std::min(T, K);
            moved.clear();
            for (int j = 0; j < distinct; ++j) {
                const int r = j + static_cast<int>(rng.below(static_cast<std::uint64_t>(K - j)));
                auto at = [&](int p) {
                    const auto it = moved.find(p);
                    return it == moved.end() ? p : it->second;
                };
                const int vj = at(j), vr = at(r);
                moved[r] = vj;
                moved[j] = vr;
                s.tokens.push_back(vr);
            }
            for (int t = K; t < T; ++t) s.tokens.push_back(static_cast<int>(rng.below(static_cast<std::uint64_t>(K))));
            s.label = static_cast<int>(rng.below(static_cast<std::uint64_t>(K)));
            if (std::find(s.tokens.begin(), s.tokens.end(), s.label) == s.tokens.end())
                s.label = s.tokens[rng.below(s.tokens.size())];
            d.samples.push_back(std::move(s));
        }
        if (graph == "any") return d;
        bool cyclic = false;
        for (const QueryGraph& q : token_priority_graphs(d))
            for (const auto& m : q.scc.members) cyclic = cyclic || m.size() > 1;
        if ((graph == "cyclic") == cyclic) return d;
    }
    std::string hint;
    if (graph == "cyclic")
        hint = "; a cycle needs two samples with the same query (last token), which is rare when K is large: lower data.vocab_size "
               "or raise data.num_samples";
    else
        hint = "; with many samples and few tokens some graph almost always has a cycle: lower data.num_samples or raise data.vocab_size";
    throw DataError("generator: no " + graph + " dataset found in " + std::to_string(tries) + " tries (n " + std::to_string(n) + ", T " +
                        std::to_string(T) + ", K " + std::to_string(K) + ")" + hint,
                    "data.graph");
}

Eigen::MatrixXd make_embeddings(const std::string& kind, int K, int d, double rho, Rng& rng) {
    auto gaussian = [&rng]() {
        // Box-Muller from our own uniform stream (reproducible everywhere).
        const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    };
    auto orthonormal_rows = [&](int rows) {
        Eigen::MatrixXd A(d, d);
        for (int i = 0; i < d; ++i)
            for (int j = 0; j < d; ++j) A(i, j) = gaussian();
        Eigen::HouseholderQR<Eigen::MatrixXd> qr(A);
        Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(d, d);
        return Eigen::MatrixXd(Q.transpose().topRows(rows));
    };
    if (kind == "onehot") {
        if (d != K) throw ConfigError("model.dim", "config: key 'model.dim': onehot embeddings need dim = K (" + std::to_string(K) + ")");
        return Eigen::MatrixXd::Identity(K, K);
    }
    if (kind == "ortho") {
        if (d < K) throw ConfigError("model.dim", "config: key 'model.dim': ortho embeddings need dim >= K (" + std::to_string(K) + ")");
        return orthonormal_rows(K);
    }
    if (kind == "equicorr") {
        if (d < K + 1)
            throw ConfigError("model.dim", "config: key 'model.dim': equicorr embeddings need dim >= K + 1 (" + std::to_string(K + 1) + ")");
        const Eigen::MatrixXd C = orthonormal_rows(K + 1);
        Eigen::MatrixXd E(K, d);
        for (int i = 0; i < K; ++i) E.row(i) = std::sqrt(rho) * C.row(0) + std::sqrt(1 - rho) * C.row(i + 1);
        return E;
    }
    if (kind == "random") {
        Eigen::MatrixXd E(K, d);
        for (int i = 0; i < K; ++i) {
            for (int j = 0; j < d; ++j) E(i, j) = gaussian();
            E.row(i).normalize();
        }
        return E;
    }
    throw ConfigError("model.embedding", "config: key 'model.embedding': unknown embedding '" + kind + "'");
}

TpgModel::TpgModel(Eigen::MatrixXd embeddings)
    : W(Eigen::MatrixXd::Zero(embeddings.cols(), embeddings.cols())), E_(std::move(embeddings)), Et_(E_.transpose()) {}

std::vector<double> TpgModel::attention(const std::vector<int>& tokens) const {
    const Eigen::VectorXd v = W * Et_.col(tokens.back());  // W e_k
    std::vector<double> s(tokens.size());
    double zmax = -INFINITY;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        s[t] = Et_.col(tokens[t]).dot(v);
        zmax = std::max(zmax, s[t]);
    }
    double total = 0;
    for (double& x : s) {
        x = std::exp(x - zmax);
        total += x;
    }
    for (double& x : s) x /= total;
    return s;
}

double TpgModel::loss(const std::vector<TpgSample>& samples, Eigen::MatrixXd* grad) const {
    double total = 0;
    const double w = 1.0 / static_cast<double>(samples.size());
    Eigen::VectorXd acc(d());
    for (const TpgSample& smp : samples) {
        const std::vector<double> s = attention(smp.tokens);
        double p = 0;
        for (std::size_t t = 0; t < s.size(); ++t)
            if (smp.tokens[t] == smp.label) p += s[t];
        total -= w * std::log(p);
        if (!grad) continue;
        // dloss/dW = (sum_t g_t e_{x_t}) e_k^T
        acc.setZero();
        for (std::size_t t = 0; t < s.size(); ++t) {
            const double g = s[t] - (smp.tokens[t] == smp.label ? s[t] / p : 0.0);
            acc += g * Et_.col(smp.tokens[t]);
        }
        grad->noalias() += (w * acc) * Et_.col(smp.query()).transpose();
    }
    return total;
}

}  // namespace snapscope
