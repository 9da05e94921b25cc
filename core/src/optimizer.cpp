#include "snapscope/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <Eigen/Core>

namespace snapscope {

void SliceMomentum::resize(int num_slices, int slice_len) {
    slice_len_ = slice_len;
    buf_.assign(static_cast<std::size_t>(num_slices) * slice_len, 0.0);
    active_.assign(num_slices, 0);
    active_list_.clear();
}

void SliceMomentum::reset() {
    max_w_ = max_b_ = 0;
    std::fill(buf_.begin(), buf_.end(), 0.0);
    std::fill(active_.begin(), active_.end(), 0);
    active_list_.clear();
}

bool SliceMomentum::step_stays_finite(const double* W, const double* G, const std::vector<int>& touched, double lr,
                                      double mu) const {
    using Vec = Eigen::Map<const Eigen::ArrayXd>;
    const Eigen::Index n = slice_len_;
    auto ok = [&](int s) {
        const std::size_t off = static_cast<std::size_t>(s) * slice_len_;
        // x * 0 is 0 for finite x and NaN for inf or NaN, so one vectorised sum tells whether all are finite.
        return std::isfinite(((Vec(W + off, n) - lr * (mu * Vec(buf_.data() + off, n) + Vec(G + off, n))) * 0.0).sum());
    };
    for (int s : touched)
        if (!ok(s)) return false;
    if (mu != 0.0)
        for (int s : active_list_)
            if (!ok(s)) return false;
    return true;
}

bool SliceMomentum::update_surely_finite(double lr, double mu, double max_grad) const {
    const double bound = std::max(max_w_, param_bound_) + lr * (mu * max_b_ + max_grad);
    return bound < 1e300;  // false for inf and NaN too
}

void SliceMomentum::step(double* W, const double* G, const std::vector<int>& touched, double lr, double mu) {
    if (mu == 0.0) {
        // Plain SGD: the buffer is the gradient, so only this step's slices move.
        for (int s : active_list_) {
            double* b = buf_.data() + static_cast<std::size_t>(s) * slice_len_;
            for (int i = 0; i < slice_len_; ++i) b[i] = 0.0;
            active_[s] = 0;
        }
        active_list_.clear();
    }
    for (int s : touched)
        if (!active_[s]) { active_[s] = 1; active_list_.push_back(s); }
    const std::size_t n = static_cast<std::size_t>(slice_len_);
    double mw = 0, mb = 0;
    for (int s : active_list_) {
        const std::size_t off = static_cast<std::size_t>(s) * n;
        double* __restrict b = buf_.data() + off;
        double* __restrict w = W + off;
        const double* __restrict g = G + off;
        for (std::size_t i = 0; i < n; ++i) {
            b[i] = mu * b[i] + g[i];
            w[i] -= lr * b[i];
        }
        mw = std::max(mw, max_abs(w, n));
        mb = std::max(mb, max_abs(b, n));
    }
    // Parameters of slices that drop out of the active list (plain SGD) keep their values, so the parameter
    // bound never shrinks; buffers of inactive slices are zero.
    max_w_ = std::max(max_w_, mw);
    max_b_ = mb;
}

}  // namespace snapscope
