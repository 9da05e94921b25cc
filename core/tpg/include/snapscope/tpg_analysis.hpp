// What the token-priority-graph paper predicts for a dataset: the graph-SVM direction W_svm (hard retrieval of
// the highest-priority SCC), the soft-composition part W_fin (the mix inside an SCC), and the metrics that
// compare a trained W with them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "snapscope/qp.hpp"
#include "snapscope/tpg.hpp"

namespace snapscope {

struct SvmColumn {
    int query = 0;
    std::vector<std::pair<int, double>> values;  // (token, e_token^T W_svm e_query) for the constrained tokens
};

struct SvmResult {
    Eigen::MatrixXd W;     // d x d
    bool converged = true;
    std::string skipped;   // why W_svm was not computed (problem too large) or is approximate, empty if neither
    double work = 0;       // multiply-adds the QPs spent
    std::vector<SvmColumn> columns;  // orthonormal case: the per-query solution in token coordinates
    // Worst KKT residuals over the QPs solved (see QpResult).
    double primal_violation = 0, complementarity = 0, stationarity = 0, min_multiplier = 0;
    int constraints = 0;
};

// W_svm = argmin |W|_F s.t. (e_y - e_j)^T W e_k = 0 if j is in y's SCC, >= 1 otherwise, for every sample (k, y)
// and token j != y present. With orthonormal embeddings it is solved per query column on the SCCs
// (minimise sum_v n_v h_v^2 s.t. h_u - h_v >= 1 on condensation edges); otherwise on all d x d entries.
// The general d x d problem is skipped (with a reason in `skipped`) beyond kMaxSvmConstraints constraints or
// kMaxSvmVariables variables, so a large dataset cannot stall the app. Pass an empty E with orthonormal = true
// to get only `columns` (token coordinates; e.g. onehot embeddings without building a K x K identity).
constexpr int kMaxSvmConstraints = 20000;
constexpr int kMaxSvmVariables = 4096;
// The general problem's rows (up to d*d coefficients each) are also checked against `max_bytes` (skipped if over).
// `cancelled`, when given, is asked between QP sweeps (a background analysis stops early; the result then says so).
// All the QPs together spend at most about `max_work` multiply-adds (a few seconds at kSvmWorkBudget); past it W_svm
// is approximate and `skipped` says so.
constexpr double kSvmWorkBudget = 2e9;
SvmResult graph_svm(const TpgDataset& data, const std::vector<QueryGraph>& graphs, const Eigen::MatrixXd& E, bool orthonormal,
                    std::uint64_t max_bytes = 1ULL << 30, const std::function<bool()>& cancelled = nullptr,
                    double max_work = kSvmWorkBudget);

struct ReducedSample {
    int query = 0, label = 0;
    std::vector<int> keys;       // the sample's tokens that lie in its label's SCC, each once, ascending
    std::vector<double> counts;  // how often each occurs in the sample
};

struct FinResult {
    std::vector<ReducedSample> reduced;  // samples holding another token of their label's SCC
    Eigen::MatrixXd basis;               // d*d x nb: vec((e_j - mean of the SCC) e_k^T), column-major vec
    Eigen::MatrixXd span;                // d*d x rank: an orthonormal basis of span(basis) (projection = span span^T)
    Eigen::MatrixXd W_fin;               // d x d: the reduced loss's minimiser within span(basis)
    double reduced_loss = 0;
    double gradient_norm = 0;            // at W_fin (should be ~0)
    bool converged = true;
    std::string note;                    // why W_fin is approximate, if it is
};

// An orthonormal basis (n x r) of the span of `columns`' columns, r their numerical rank: a column-pivoted QR whose
// pivots below kSpanRankTolerance times the largest count as zero. (Eigen's default, epsilon times the number of
// columns, let the rounding noise of two exactly opposite columns, e_a - mean and e_b - mean of a two-token SCC, pass as
// a second direction on some CPUs: the projection then gained a random direction.)
constexpr double kSpanRankTolerance = 1e-9;
Eigen::MatrixXd orthonormal_span(const Eigen::MatrixXd& columns);

// Throws ConfigError (model.dim) when its d*d x nb matrices would need more than `max_bytes`.
FinResult soft_composition(const TpgDataset& data, const std::vector<QueryGraph>& graphs, const Eigen::MatrixXd& E,
                           std::uint64_t max_bytes = 1ULL << 30, const std::function<bool()>& cancelled = nullptr);

// The metrics over training steps. Ours compare W with the converged W_fin and use the label's SCC; the paper's own
// (as the official notebooks compute them) compare with W_fin(tau), trained in parallel from 0 on the reduced set
// with the same optimiser, and take the maximum over SCCs.
struct TpgMetrics {
    double corr_svm = 0;      // <W, W_svm> / (|W| |W_svm|)
    double fit_R = 0;         // R minimising |W - R W_svm - W_fin|
    double corr_fit = 0;      // corr(W, R W_svm + W_fin)
    double proj_dist = 0;     // |Pi_{S_fin} W - W_fin|
    double top_scc_mass = 0;  // mean over samples of the attention on tokens of the label's SCC
    // The paper's definitions.
    double proj_dist_tau = 0;  // |Pi_{S_fin} W(tau) - W_fin(tau)|, W_fin(tau) trained in parallel on the reduced set
    double proj_corr = 0;      // corr(W_svm, W - Pi_{S_fin} W): the part outside S_fin lines up with W_svm
    double max_scc_mass = 0;   // mean over samples of the largest attention mass on one SCC ("softmax probability")
};

// `w_fin_tau` (may be null) is W_fin(tau) for proj_dist_tau.
TpgMetrics tpg_metrics(const TpgModel& model, const TpgDataset& data, const std::vector<QueryGraph>& graphs, const SvmResult& svm,
                       const FinResult& fin, const Eigen::MatrixXd* w_fin_tau = nullptr);

// The loss of W on the reduced set (each reduced sample: its keys in its label's SCC, attended from its original
// query), summed over the reduced samples and divided by `n` (the official code divides by the full set's size); adds
// the gradient to *grad when given.
double reduced_loss(const Eigen::MatrixXd& E, const Eigen::MatrixXd& W, const std::vector<ReducedSample>& reduced, std::size_t n,
                    Eigen::MatrixXd* grad);

// Cosine similarity of two matrices (0 if either is zero).
double matrix_corr(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

// The highest-priority SCC present in `tokens` for query `tokens.back()` (a component of the tokens present that
// no other present component reaches, first in priority order); -1 if the query has no graph.
int top_scc(const QueryGraph& g, const std::vector<int>& tokens);

}  // namespace snapscope
