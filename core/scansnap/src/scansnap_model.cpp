#include "snapscope/scansnap_model.hpp"

#include <algorithm>
#include <cmath>

namespace snapscope {

void ScanSnapGrads::resize(int M) {
    dZ = RowMatrix::Zero(M, M);
    dY = ColMatrix::Zero(M, M);
    z_rows.clear();
    y_cols.clear();
    z_row_flag.assign(M, 0);
    y_col_flag.assign(M, 0);
}

void ScanSnapGrads::clear() {
    for (int m : z_rows) dZ.row(m).setZero();
    for (int l : y_cols) dY.col(l).setZero();
    forget_touched();
}

void ScanSnapGrads::forget_touched() {
    for (int m : z_rows) z_row_flag[m] = 0;
    for (int l : y_cols) y_col_flag[l] = 0;
    z_rows.clear();
    y_cols.clear();
}

ScanSnapModel::ScanSnapModel(int M, ModelOptions opt) : Z(RowMatrix::Zero(M, M)), Y(ColMatrix::Zero(M, M)), M_(M), opt_(opt) {
    o_.resize(M);
    delta_.resize(M);
}

double ScanSnapModel::forward_backward(const SparseBatch& batch, ScanSnapGrads* grads) {
    // New epoch for the per-query exp cache: exp(Z(m,l) - max_l' Z(m,l')) is shared by every sample with query m.
    ++epoch_;
    if (grouped_path_ && !opt_.residual && !opt_.attend_query && build_groups(batch)) {
        double loss = 0;
        for (std::size_t gi = 0; gi < used_groups_; ++gi) loss += group_forward_backward(batch, groups_[gi], grads);
        return loss;
    }
    double loss = 0;
    for (const SparseSample& s : batch.samples) loss += sample(batch, s, grads);
    return loss;
}

bool ScanSnapModel::build_groups(const SparseBatch& batch) {
    // Samples with the same (query, label) share one support (the union of their tokens) and are processed with
    // dense matrix products. Worth it only when the union is not much wider than a sample's own support.
    // The groups' vectors keep their capacity from step to step (groups_ only grows; used_groups_ are this batch's).
    used_groups_ = 0;
    if (pos_.size() != static_cast<std::size_t>(M_)) pos_.assign(M_, -1);
    std::size_t entries = 0;
    for (std::size_t i = 0; i < batch.samples.size(); ++i) {
        const SparseSample& s = batch.samples[i];
        std::size_t gi = 0;
        while (gi < used_groups_ && !(groups_[gi].query == s.query && groups_[gi].label == s.label)) ++gi;
        if (gi == used_groups_) {
            if (used_groups_ >= 256) return false;  // many classes: the per-sample path is as good
            if (groups_.size() == used_groups_) groups_.emplace_back();
            Group& ng = groups_[used_groups_++];
            ng.query = s.query;
            ng.label = s.label;
            ng.tokens.clear();
            ng.samples.clear();
        }
        groups_[gi].samples.push_back(static_cast<std::uint32_t>(i));
        entries += s.end - s.begin;
    }
    std::size_t dense = 0;
    for (std::size_t gi = 0; gi < used_groups_; ++gi) {
        Group& g = groups_[gi];
        for (std::uint32_t si : g.samples) {
            const SparseSample& s = batch.samples[si];
            for (std::uint32_t j = s.begin; j < s.end; ++j) {
                const int t = batch.tok[j];
                if (pos_[t] < 0) {
                    pos_[t] = static_cast<int>(g.tokens.size());
                    g.tokens.push_back(t);
                }
            }
        }
        for (int t : g.tokens) pos_[t] = -1;
        dense += g.tokens.size() * g.samples.size();
    }
    return dense <= 2 * entries + 64;
}

double ScanSnapModel::group_forward_backward(const SparseBatch& batch, const Group& g, ScanSnapGrads* grads) {
    // Shapes: k = |support|, n = samples in the group, M = vocabulary.
    //   A (k x n) attention, U (k x n) normalised, Ys (M x k) = Y[:, support], O (M x n) logits,
    //   D (M x n) = softmax(O) - e_label, dYs (M x k) = D (w U)^T, DU (k x n) = Ys^T D.
    const int m = g.query;
    const Eigen::Index k = static_cast<Eigen::Index>(g.tokens.size()), n = static_cast<Eigen::Index>(g.samples.size());
    for (Eigen::Index i = 0; i < k; ++i) pos_[g.tokens[i]] = static_cast<int>(i);
    ezs_.resize(k);
    double zmax = -INFINITY;
    for (Eigen::Index i = 0; i < k; ++i) zmax = std::max(zmax, Z(m, g.tokens[i]));
    for (Eigen::Index i = 0; i < k; ++i) ezs_[i] = std::exp(Z(m, g.tokens[i]) - zmax);
    A_.setZero(k, n);
    wts_.resize(n);
    for (Eigen::Index c = 0; c < n; ++c) {
        const SparseSample& s = batch.samples[g.samples[c]];
        wts_[c] = s.weight;
        for (std::uint32_t j = s.begin; j < s.end; ++j) {
            const int p = pos_[batch.tok[j]];
            A_(p, c) += batch.cnt[j] * ezs_[p];
        }
    }
    for (int t : g.tokens) pos_[t] = -1;
    for (Eigen::Index c = 0; c < n; ++c) {
        const double total = A_.col(c).sum();
        if (!(total > 1e-300) || !std::isfinite(total)) return NAN;  // cannot happen after max-subtraction
        A_.col(c) /= total;
    }
    norms_.setOnes(n);
    U_ = A_;
    if (opt_.normalize) {
        norms_ = A_.colwise().norm().transpose();
        for (Eigen::Index c = 0; c < n; ++c) U_.col(c) /= norms_[c];
    }
    // O = Y[:, support] U. With a few samples in the group (the large preset: 2-3), as k column updates straight
    // from Y: a gathered copy of Y's columns and a packed GEMM cost more than the products. With many (Fig 4: 64),
    // one GEMM on the gathered columns.
    const bool by_columns = n <= kColumnPathMaxSamples;
    if (by_columns) {
        O_.setZero(M_, n);
        for (Eigen::Index i = 0; i < k; ++i) {
            const auto y = Y.col(g.tokens[i]);
            for (Eigen::Index c = 0; c < n; ++c)
                if (const double u = U_(i, c); u != 0.0) O_.col(c).noalias() += u * y;
        }
    } else {
        Ys_.resize(M_, k);
        for (Eigen::Index i = 0; i < k; ++i) Ys_.col(i) = Y.col(g.tokens[i]);
        O_.noalias() = Ys_ * U_;
    }
    double loss = 0;
    for (Eigen::Index c = 0; c < n; ++c) {
        auto col = O_.col(c);
        const double omax = col.maxCoeff();
        const double lbl = col[g.label];
        col.array() = (col.array() - omax).exp();
        const double z = col.sum();
        loss += wts_[c] * (std::log(z) + omax - lbl);
        col /= z;
        col[g.label] -= 1.0;  // O_ now holds D = softmax - e_label
    }
    if (!grads) return loss;
    // dY[:, support] += D (w U)^T and DU = Y[:, support]^T D.
    if (by_columns) {
        // One support token at a time (its columns stay in cache).
        DU_.resize(k, n);
        for (Eigen::Index i = 0; i < k; ++i) {
            const int t = g.tokens[i];
            grads->touch_y_col(t);
            auto dy = grads->dY.col(t);
            const auto y = Y.col(t);
            for (Eigen::Index c = 0; c < n; ++c) {
                if (const double wu = U_(i, c) * wts_[c]; wu != 0.0) dy.noalias() += wu * O_.col(c);
                DU_(i, c) = y.dot(O_.col(c));
            }
        }
    } else {
        WU_ = U_ * wts_.asDiagonal();
        dYs_.noalias() = O_ * WU_.transpose();
        for (Eigen::Index i = 0; i < k; ++i) {
            grads->touch_y_col(g.tokens[i]);
            grads->dY.col(g.tokens[i]) += dYs_.col(i);
        }
        DU_.noalias() = Ys_.transpose() * O_;
    }
    // d_g = (d_u - u (u . d_u)) / |g|, then dZ(m, l) = sum_c w_c a_lc (dg_lc - a_c . dg_c).
    if (opt_.normalize) {
        for (Eigen::Index c = 0; c < n; ++c) {
            const double ud = U_.col(c).dot(DU_.col(c));
            DU_.col(c) = (DU_.col(c) - U_.col(c) * ud) / norms_[c];
        }
    }
    grads->touch_z_row(m);
    for (Eigen::Index c = 0; c < n; ++c) {
        const double adg = A_.col(c).dot(DU_.col(c));
        for (Eigen::Index i = 0; i < k; ++i) grads->dZ(m, g.tokens[i]) += wts_[c] * A_(i, c) * (DU_(i, c) - adg);
    }
    return loss;
}

const double* ScanSnapModel::exp_row(int m) {
    if (row_slot_.size() != static_cast<std::size_t>(M_)) row_slot_.assign(M_, -1);
    int slot = row_slot_[m];
    if (slot < 0) {
        slot = static_cast<int>(row_cache_.size());
        row_slot_[m] = slot;
        row_cache_.emplace_back();
        row_cache_.back().ez.assign(M_, 0.0);
        row_cache_.back().stamp.assign(M_, 0);
    }
    RowCache& rc = row_cache_[slot];
    if (rc.epoch != epoch_) {
        rc.epoch = epoch_;
        rc.zmax = Z.row(m).maxCoeff();
    }
    return nullptr;
}

void ScanSnapModel::attention(int m, const std::vector<int>& tokens, const std::vector<double>& weights,
                              std::vector<double>& out) const {
    out.resize(tokens.size());
    double zmax = -INFINITY;
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (weights[i] > 0) zmax = std::max(zmax, Z(m, tokens[i]));
    double total = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        out[i] = weights[i] > 0 ? weights[i] * std::exp(Z(m, tokens[i]) - zmax) : 0.0;
        total += out[i];
    }
    for (double& v : out) v /= total;
}

double ScanSnapModel::sample(const SparseBatch& batch, const SparseSample& s, ScanSnapGrads* grads) {
    const int m = s.query;
    // Support: the contextual tokens present, plus the query when it is a key (attend_query) or is added back
    // (residual). cnt_ = 0 marks an entry outside the attention (residual only).
    sup_.clear();
    cnt_.clear();
    int query_pos = -1;
    for (std::uint32_t i = s.begin; i < s.end; ++i) {
        if (batch.tok[i] == m) query_pos = static_cast<int>(sup_.size());
        sup_.push_back(batch.tok[i]);
        cnt_.push_back(batch.cnt[i]);
    }
    if (opt_.attend_query || opt_.residual) {
        if (query_pos < 0) {
            query_pos = static_cast<int>(sup_.size());
            sup_.push_back(m);
            cnt_.push_back(0.0);
        }
        if (opt_.attend_query) cnt_[query_pos] += 1.0;
    }
    const std::size_t k = sup_.size();

    // a = softmax over the keys of Z(m, key), keys weighted by their counts. exp(Z(m,l) - rowmax) is cached per
    // (query, token) for this batch.
    exp_row(m);
    RowCache& rc = row_cache_[row_slot_[m]];
    a_.resize(k);
    double total = 0;
    for (std::size_t i = 0; i < k; ++i) {
        const int l = sup_[i];
        if (rc.stamp[l] != epoch_) {
            rc.stamp[l] = epoch_;
            rc.ez[l] = std::exp(Z(m, l) - rc.zmax);
        }
        a_[i] = cnt_[i] * rc.ez[l];
        total += a_[i];
    }
    if (!(total > 1e-300) || !std::isfinite(total)) {
        attention(m, sup_, cnt_, a_);  // far-apart logits: fall back to this sample's own maximum
    } else {
        const double inv = 1.0 / total;
        for (double& v : a_) v *= inv;
    }
    g_ = a_;
    if (opt_.residual) g_[query_pos] += 1.0;
    double norm = 1.0;
    u_ = g_;
    if (opt_.normalize) {
        double ss = 0;
        for (double v : g_) ss += v * v;
        norm = std::sqrt(ss);
        const double inv = 1.0 / norm;
        for (double& v : u_) v *= inv;
    }

    // o = Y u over the support columns: M x k work.
    const std::size_t M = static_cast<std::size_t>(M_);
    double* __restrict o = o_.data();
    std::fill(o, o + M, 0.0);
    for (std::size_t i = 0; i < k; ++i) {
        const double ui = u_[i];
        if (ui == 0.0) continue;
        const double* __restrict y = Y.data() + static_cast<std::size_t>(sup_[i]) * M;
        for (std::size_t r = 0; r < M; ++r) o[r] += ui * y[r];
    }
    double omax = o[0];
    for (std::size_t r = 1; r < M; ++r) omax = o[r] > omax ? o[r] : omax;
    double* __restrict d = delta_.data();
    delta_.array() = (o_.array() - omax).exp();  // Eigen's vectorised exp
    const double z = delta_.sum();
    const double loss = std::log(z) + omax - o[s.label];
    if (!grads) return s.weight * loss;

    // delta = softmax(o) - e_n
    const double invz = 1.0 / z;
    for (std::size_t r = 0; r < M; ++r) d[r] *= invz;
    d[s.label] -= 1.0;

    // One pass per support column: d_u = Y^T delta and dY += weight * delta u^T.
    du_.resize(k);
    for (std::size_t i = 0; i < k; ++i) {
        const int l = sup_[i];
        du_[i] = Y.col(l).dot(delta_);  // Eigen's dot keeps several partial sums (vectorised reduction)
        if (u_[i] != 0.0) {
            grads->touch_y_col(l);
            double* __restrict gy = grads->dY.data() + static_cast<std::size_t>(l) * M;
            const double c = s.weight * u_[i];
            for (std::size_t r = 0; r < M; ++r) gy[r] += c * d[r];
        }
    }
    dg_ = du_;
    if (opt_.normalize) {
        double ud = 0;
        for (std::size_t i = 0; i < k; ++i) ud += u_[i] * du_[i];
        for (std::size_t i = 0; i < k; ++i) dg_[i] = (du_[i] - u_[i] * ud) / norm;
    }
    // Through the softmax: dZ(m,l) = a_l (dg_l - sum_j a_j dg_j).
    double adg = 0;
    for (std::size_t i = 0; i < k; ++i) adg += a_[i] * dg_[i];
    grads->touch_z_row(m);
    for (std::size_t i = 0; i < k; ++i)
        if (a_[i] != 0.0) grads->dZ(m, sup_[i]) += s.weight * a_[i] * (dg_[i] - adg);
    return s.weight * loss;
}

}  // namespace snapscope
