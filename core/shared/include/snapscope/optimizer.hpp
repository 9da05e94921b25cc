// SGD with momentum, PyTorch semantics (dampening 0, no Nesterov, no weight decay):
//   buf <- mu * buf + grad      (buf = grad at the first step)
//   W   <- W - lr * buf
// The matrix is seen as `num_slices` contiguous slices of `slice_len` values
// (rows of a row-major matrix, columns of a column-major one). Slices whose
// buffer is still zero are skipped: that changes no bit of the result, since
// their update is W - lr * 0.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace snapscope {

// max |x| over p[0..n) as a double; +inf if any value is infinite or NaN. Works on the bit patterns (for
// non-negative doubles their order is the integer order, and NaN/inf patterns are the largest), so the loop
// vectorises without fast-math.
inline double max_abs(const double* p, std::size_t n) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t b;
        std::memcpy(&b, p + i, sizeof b);
        b &= 0x7FFFFFFFFFFFFFFFULL;
        m = b > m ? b : m;
    }
    if (m >= 0x7FF0000000000000ULL) return __builtin_inf();
    double d;
    std::memcpy(&d, &m, sizeof d);
    return d;
}

class SliceMomentum {
public:
    void resize(int num_slices, int slice_len);
    void reset();
    // touched: slices whose gradient may be non-zero in this step. Zeroes G's active slices (the gradient is used
    // once), so the caller need not clear it.
    void step(double* W, double* G, const std::vector<int>& touched, double lr, double mu);
    // True if step(W, G, touched, lr, mu) would leave every parameter finite (checked without writing).
    bool step_stays_finite(const double* W, const double* G, const std::vector<int>& touched, double lr, double mu) const;
    // Cheap sufficient condition for the same: a bound on the updated values from the largest parameter and
    // buffer entries seen in the last update (or `param_bound`, the initial values' bound) and max |grad|.
    bool update_surely_finite(double lr, double mu, double max_grad) const;
    void set_param_bound(double b) { param_bound_ = b; }
    const std::vector<double>& buffer() const { return buf_; }
    std::size_t active_slices() const { return active_list_.size(); }

private:
    int slice_len_ = 0;
    double param_bound_ = 0, max_w_ = 0, max_b_ = 0;  // see update_surely_finite
    std::vector<double> buf_;
    std::vector<char> active_;
    std::vector<int> active_list_;
};

}  // namespace snapscope
