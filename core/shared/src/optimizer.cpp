#include "snapscope/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

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

void SliceMomentum::step(double* W, double* G, const std::vector<int>& touched, double lr, double mu) {
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
    // One pass over each active slice: the momentum update, the parameter update, the gradient zeroed for the next
    // step (no separate clearing pass) and the largest |w| and |b| (for update_surely_finite), as bit patterns.
    std::uint64_t mw_bits = 0, mb_bits = 0;
    for (int s : active_list_) {
        const std::size_t off = static_cast<std::size_t>(s) * n;
        double* __restrict b = buf_.data() + off;
        double* __restrict w = W + off;
        double* __restrict g = G + off;
        for (std::size_t i = 0; i < n; ++i) {
            const double bi = mu * b[i] + g[i];
            const double wi = w[i] - lr * bi;
            b[i] = bi;
            w[i] = wi;
            g[i] = 0.0;
            std::uint64_t ub, uw;
            std::memcpy(&ub, &bi, sizeof ub);
            std::memcpy(&uw, &wi, sizeof uw);
            ub &= 0x7FFFFFFFFFFFFFFFULL;
            uw &= 0x7FFFFFFFFFFFFFFFULL;
            mb_bits = ub > mb_bits ? ub : mb_bits;
            mw_bits = uw > mw_bits ? uw : mw_bits;
        }
    }
    auto as_double = [](std::uint64_t bits) {
        if (bits >= 0x7FF0000000000000ULL) return static_cast<double>(__builtin_inf());
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    };
    const double mw = as_double(mw_bits), mb = as_double(mb_bits);
    // Parameters of slices that drop out of the active list (plain SGD) keep their values, so the parameter
    // bound never shrinks; buffers of inactive slices are zero.
    max_w_ = std::max(max_w_, mw);
    max_b_ = mb;
}

}  // namespace snapscope
