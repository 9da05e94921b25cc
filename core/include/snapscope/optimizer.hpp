// SGD with momentum, PyTorch semantics (dampening 0, no Nesterov, no weight decay):
//   buf <- mu * buf + grad      (buf = grad at the first step)
//   W   <- W - lr * buf
// The matrix is seen as `num_slices` contiguous slices of `slice_len` values
// (rows of a row-major matrix, columns of a column-major one). Slices whose
// buffer is still zero are skipped: that changes no bit of the result, since
// their update is W - lr * 0.
#pragma once

#include <vector>

namespace snapscope {

class SliceMomentum {
public:
    void resize(int num_slices, int slice_len);
    void reset();
    // touched: slices whose gradient may be non-zero in this step.
    void step(double* W, const double* G, const std::vector<int>& touched, double lr, double mu);
    // True if step(W, G, touched, lr, mu) would leave every parameter finite (checked without writing).
    bool step_stays_finite(const double* W, const double* G, const std::vector<int>& touched, double lr, double mu) const;
    const std::vector<double>& buffer() const { return buf_; }
    std::size_t active_slices() const { return active_list_.size(); }

private:
    int slice_len_ = 0;
    std::vector<double> buf_;
    std::vector<char> active_;
    std::vector<int> active_list_;
};

}  // namespace snapscope
