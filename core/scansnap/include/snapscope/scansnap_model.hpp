// The 1-layer model of "Scan and Snap" (Tian et al., NeurIPS 2023), theory.md section 1.
//
// Tokens are one-hot, so the parameters are two M x M matrices:
//   Z (M x M, row-major):    Z(m, l) = attention logit of query token m on key token l.
//   Y (M x M, column-major): Y(k, l) = weight from contextual token l to output logit k.
//
// One sample (query m, contextual counts cnt_l, label n):
//   a_l = cnt_l e^{Z(m,l)} / sum_l' cnt_l' e^{Z(m,l')}          (pooled attention, sparse: support = tokens present)
//   g   = a (+ onehot(m) if residual)
//   u   = g / |g|_2 if normalize, else g
//   o   = Y u          (M logits; cost M x |support|, not M x M)
//   loss = -log softmax(o)_n
// Backward (delta = softmax(o) - e_n):
//   dY  = delta u^T (only the support's columns)
//   d_u = Y^T delta (on the support), d_g = (I - u u^T) d_u / |g| (normalize) or d_u
//   dZ(m, :) = a .* (d_g - (a . d_g))    (only the query's row; uses the attention part a of g)
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "snapscope/data.hpp"

namespace snapscope {

struct ModelOptions {
    bool normalize = true;
    bool residual = false;
    bool attend_query = false;
};

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

// Gradients with the set of rows of dZ / columns of dY that are non-zero, so
// the optimiser and the next zeroing touch only those.
struct ScanSnapGrads {
    RowMatrix dZ;
    ColMatrix dY;
    std::vector<int> z_rows, y_cols;  // touched, each listed once
    std::vector<char> z_row_flag, y_col_flag;
    void resize(int M);
    void clear();  // zeroes the touched parts only
    void forget_touched();  // the touched lists only (after an optimiser step that zeroed the gradient itself)
    void touch_z_row(int m) { if (!z_row_flag[m]) { z_row_flag[m] = 1; z_rows.push_back(m); } }
    void touch_y_col(int l) { if (!y_col_flag[l]) { y_col_flag[l] = 1; y_cols.push_back(l); } }
};

// Groups of at most this many samples multiply by Y's columns in place rather than by a gathered GEMM (faster for
// a few samples, slower for many).
constexpr long kColumnPathMaxSamples = 8;

class ScanSnapModel {
public:
    ScanSnapModel(int M, ModelOptions opt);

    int vocab_size() const { return M_; }
    const ModelOptions& options() const { return opt_; }

    RowMatrix Z;
    ColMatrix Y;

    // Weighted loss sum_s weight_s * loss_s over the batch. When grads is not
    // null the weighted gradients are added to it.
    double forward_backward(const SparseBatch& batch, ScanSnapGrads* grads);

    // The grouped path (dense products per (query, label) group) is used when it applies; turning it off forces
    // the per-sample path (tests compare the two).
    void set_grouped_path(bool on) { grouped_path_ = on; }

    // Pooled attention a over the given contextual tokens with the given counts
    // for query m (the query itself is not a key here). Output in `out`, same order.
    void attention(int m, const std::vector<int>& tokens, const std::vector<double>& weights, std::vector<double>& out) const;

private:
    double sample(const SparseBatch& batch, const SparseSample& s, ScanSnapGrads* grads);
    const double* exp_row(int m);
    struct Group {
        int query = 0, label = 0;
        std::vector<int> tokens;
        std::vector<std::uint32_t> samples;
    };
    bool build_groups(const SparseBatch& batch);
    double group_forward_backward(const SparseBatch& batch, const Group& g, ScanSnapGrads* grads);
    bool grouped_path_ = true;
    std::vector<Group> groups_;
    std::size_t used_groups_ = 0;
    std::vector<int> pos_;
    Eigen::VectorXd ezs_, wts_, norms_;
    ColMatrix A_, U_, WU_, Ys_, O_, dYs_, DU_;
    struct RowCache {
        std::vector<double> ez;
        std::vector<std::uint32_t> stamp;
        std::uint32_t epoch = 0;
        double zmax = 0;
    };
    std::vector<int> row_slot_;
    std::vector<RowCache> row_cache_;
    std::uint32_t epoch_ = 0;
    int M_;
    ModelOptions opt_;
    // Work buffers (one sample at a time).
    std::vector<int> sup_;
    std::vector<double> cnt_, a_, g_, u_, du_, dg_;
    Eigen::VectorXd o_, delta_;
};

}  // namespace snapscope
