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
#include "snapscope/limits.hpp"

namespace snapscope {

struct TpgSample {
    std::vector<int> tokens;  // x_1..x_T; the last one is the query
    int label = 0;
    int query() const { return tokens.back(); }
};

struct TpgDataset {
    int K = 0;
    std::vector<TpgSample> samples;
    std::vector<std::string> words;  // token id -> word, for a dataset built from a text (empty: tokens are ids)
    // The word of a token (its id when there are no words, or it is out of the table).
    std::string name(int token) const;
};

struct Corpus;
// The token-priority graph of one query word of a text (data.kind = text): windows of `seq_len` words of the training
// text that end in the query word and whose next word occurs in the window (the model predicts a token of its
// sequence), the next word being one of the query's `num_labels` most frequent such next words (not <unk>). The query
// is `query_word` (put through the text's tokenizer: lower case), or when it is empty the word with the most such
// windows. At most `max_samples` windows are kept, spread evenly over the text. The tokens are renumbered 0..K-1 over
// the words the kept windows hold (in the corpus's order, the most frequent first) and `words` names them. The
// samples' bytes are checked against `max_bytes` before they are built. Throws DataError naming its key
// (data.query_word: not a word of the vocabulary, or no such window; data.seq_len: the text is shorter than a window,
// or too many bytes).
TpgDataset tpg_text_samples(const Corpus& c, const std::string& query_word, int num_labels, int seq_len, int max_samples, std::uint64_t max_bytes);

// JSON Lines, the same format as the Scan-and-Snap file data. K = vocab_size, or the largest id + 1. A label
// must occur in its sequence (the model predicts a token of the sequence): otherwise DataError names FILE:LINE.
TpgDataset tpg_dataset(const JsonlData& data);
TpgDataset read_tpg_jsonl(const std::string& text, const std::string& source, int vocab_size);
// Reads the file line by line; the samples are counted against `max_bytes` as they are read.
TpgDataset load_tpg_file(const std::string& path, int vocab_size, std::uint64_t max_bytes);

// The paper's generator: n samples of length T over K tokens (T <= K: T distinct tokens; T > K: all K, then
// T - K more drawn with replacement), label uniform over K, replaced by a random token of the sequence when
// absent. `graph`: "cyclic" (resample until some graph has an SCC of size > 1), "acyclic" (until every SCC is a
// single token) or "any". A try costs O(n T log T), whatever K is; the number of tries is bounded by `max_tries`
// and by a budget of about 10^8 token draws. Throws DataError (key data.graph) when no dataset is found, and at
// once when the requirement cannot be met (a cycle needs at least two samples).
TpgDataset generate_tpg(int n, int T, int K, const std::string& graph, Rng& rng, int max_tries = 100000);

// Embeddings, K rows of length d: "onehot" (d = K, the standard basis), "ortho" (rows of a random orthogonal
// matrix, d >= K), "random" (normalised Gaussian rows), "equicorr" (unit rows with pairwise correlation rho,
// d >= K + 1).
Eigen::MatrixXd make_embeddings(const std::string& kind, int K, int d, double rho, Rng& rng);

// The token-priority graph of each query token: an edge y -> x_t for every sample (query k, label y) and
// every position token x_t != y. A graph holds only the tokens its query's samples contain (its nodes), so its
// size follows the data, not the vocabulary.
struct QueryGraph {
    int query = 0;
    std::vector<int> tokens;                  // the nodes: tokens seen with this query, ascending (node i = tokens[i])
    std::vector<std::pair<int, int>> edges;   // (from, to) token ids, each edge once, ascending
    SccResult scc;                            // over the nodes: comp[node]; members list token ids (ascending)
    std::vector<int> samples;                 // indices of the samples with this query
    int node(int token) const;                // index of a token among the nodes, -1 if the query never saw it
    int comp_of(int token) const;             // its SCC, -1 if the query never saw it
};
// Graphs sorted by query.
std::vector<QueryGraph> token_priority_graphs(const TpgDataset& data);
// The graph of `query` in a list sorted by query (null if it has none).
const QueryGraph* find_graph(const std::vector<QueryGraph>& graphs, int query);

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
    Eigen::MatrixXd Et_;  // E^T (d x K): a token's embedding is a contiguous column (E's rows are strided)
};

}  // namespace snapscope
