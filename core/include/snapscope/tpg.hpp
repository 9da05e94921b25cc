// The token-priority-graph lab (Li, Huang, Ildiz, Rawat, Oymak, AISTATS 2024; theory.md section 2).
//
// Tokens 0..K-1 have embeddings e_i in R^d (rows of E, K x d). One parameter W (d x d). A sample is a sequence
// x_1..x_T whose last token k is the query (it is also a key) and a label y:
//   z_t = e_{x_t}^T W e_k,   s = softmax(z),   p(j) = sum_{t: x_t = j} s_t,   loss = -log p(y)  (mean over samples)
//   dloss/dW = sum_t g_t e_{x_t} e_k^T,   g_t = s_t - s_t 1[x_t = y] / p(y).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "snapscope/config.hpp"
#include "snapscope/data.hpp"
#include "snapscope/graph.hpp"
#include "snapscope/rng.hpp"

namespace snapscope {

struct TpgSample {
    std::vector<int> tokens;  // x_1..x_T; the last one is the query
    int label = 0;
    int query() const { return tokens.back(); }
};

struct TpgDataset {
    int K = 0;
    std::vector<TpgSample> samples;
};

// JSON Lines, the same format as the Scan-and-Snap file data. K = vocab_size, or the largest id + 1.
TpgDataset read_tpg_jsonl(const std::string& text, const std::string& source, int vocab_size);
TpgDataset load_tpg_file(const std::string& path, int vocab_size);

// The paper's generator: n samples of length T over K tokens (T <= K: T distinct tokens; T > K: all K, then
// T - K more drawn with replacement), label uniform over K, replaced by a random token of the sequence when
// absent. `graph`: "cyclic" (resample until some graph has an SCC of size > 1), "acyclic" (until every SCC is a
// single token) or "any". Throws DataError if no dataset is found in `max_tries`.
TpgDataset generate_tpg(int n, int T, int K, const std::string& graph, Rng& rng, int max_tries = 100000);

// Embeddings, K rows of length d: "onehot" (d = K, the standard basis), "ortho" (rows of a random orthogonal
// matrix, d >= K), "random" (normalised Gaussian rows), "equicorr" (unit rows with pairwise correlation rho,
// d >= K + 1).
Eigen::MatrixXd make_embeddings(const std::string& kind, int K, int d, double rho, Rng& rng);

// The token-priority graph of each query token: an edge y -> x_t for every sample (query k, label y) and
// every position token x_t != y.
struct QueryGraph {
    int query = 0;
    Digraph graph;                 // over all K tokens
    SccResult scc;
    std::vector<char> constrained;  // token appears in a sample with this query
    std::vector<int> samples;       // indices of the samples with this query
};
std::vector<QueryGraph> token_priority_graphs(const TpgDataset& data);

class TpgModel {
public:
    TpgModel(Eigen::MatrixXd embeddings);
    const Eigen::MatrixXd& E() const { return E_; }
    int K() const { return static_cast<int>(E_.rows()); }
    int d() const { return static_cast<int>(E_.cols()); }
    Eigen::MatrixXd W;

    // Mean loss over the samples; adds the mean gradient to *grad (d x d) when given.
    double loss(const std::vector<TpgSample>& samples, Eigen::MatrixXd* grad) const;
    // Attention s over the positions of `tokens` (the last token is the query).
    std::vector<double> attention(const std::vector<int>& tokens) const;

private:
    Eigen::MatrixXd E_;
};

}  // namespace snapscope
