#include "snapscope/tpg.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/QR>

namespace snapscope {

TpgDataset read_tpg_jsonl(const std::string& text, const std::string& source, int vocab_size) {
    TpgDataset d;
    for (auto& r : read_jsonl_samples(text, source, vocab_size, d.K)) d.samples.push_back({std::move(r.tokens), r.label});
    return d;
}

TpgDataset load_tpg_file(const std::string& path, int vocab_size) {
    return read_tpg_jsonl(read_text_file(path, "dataset file (data.path)"), path, vocab_size);
}

std::vector<QueryGraph> token_priority_graphs(const TpgDataset& data) {
    std::vector<int> slot(data.K, -1);
    std::vector<QueryGraph> out;
    for (std::size_t i = 0; i < data.samples.size(); ++i) {
        const TpgSample& s = data.samples[i];
        const int k = s.query();
        if (slot[k] < 0) {
            slot[k] = static_cast<int>(out.size());
            QueryGraph q;
            q.query = k;
            q.graph.n = data.K;
            q.constrained.assign(data.K, 0);
            out.push_back(std::move(q));
        }
        QueryGraph& q = out[slot[k]];
        q.samples.push_back(static_cast<int>(i));
        q.constrained[s.label] = 1;
        for (int t : s.tokens) {
            q.constrained[t] = 1;
            if (t != s.label) q.graph.edges.emplace_back(s.label, t);
        }
    }
    for (QueryGraph& q : out) q.scc = strongly_connected_components(q.graph);
    std::sort(out.begin(), out.end(), [](const QueryGraph& a, const QueryGraph& b) { return a.query < b.query; });
    return out;
}

TpgDataset generate_tpg(int n, int T, int K, const std::string& graph, Rng& rng, int max_tries) {
    if (n < 1 || T < 2 || K < 2) throw DataError("generator: need n >= 1, T >= 2 and K >= 2");
    for (int attempt = 0; attempt < max_tries; ++attempt) {
        TpgDataset d;
        d.K = K;
        for (int i = 0; i < n; ++i) {
            // A random permutation prefix: T distinct tokens (all K first when T > K, then with replacement).
            std::vector<int> perm(K);
            for (int j = 0; j < K; ++j) perm[j] = j;
            for (int j = K - 1; j > 0; --j) std::swap(perm[j], perm[rng.below(static_cast<std::uint64_t>(j) + 1)]);
            TpgSample s;
            for (int t = 0; t < std::min(T, K); ++t) s.tokens.push_back(perm[t]);
            for (int t = K; t < T; ++t) s.tokens.push_back(static_cast<int>(rng.below(K)));
            s.label = static_cast<int>(rng.below(K));
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
    throw DataError("generator: no " + graph + " dataset found in " + std::to_string(max_tries) + " tries (n " + std::to_string(n) +
                    ", T " + std::to_string(T) + ", K " + std::to_string(K) + ")", "data.graph");
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

TpgModel::TpgModel(Eigen::MatrixXd embeddings) : W(Eigen::MatrixXd::Zero(embeddings.cols(), embeddings.cols())), E_(std::move(embeddings)) {}

std::vector<double> TpgModel::attention(const std::vector<int>& tokens) const {
    const Eigen::VectorXd v = W * E_.row(tokens.back()).transpose();  // W e_k
    std::vector<double> s(tokens.size());
    double zmax = -INFINITY;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        s[t] = E_.row(tokens[t]).dot(v);
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
            acc += g * E_.row(smp.tokens[t]).transpose();
        }
        grad->noalias() += (w * acc) * E_.row(smp.query());
    }
    return total;
}

}  // namespace snapscope
