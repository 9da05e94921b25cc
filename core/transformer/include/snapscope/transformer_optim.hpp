// Optimisers of the small transformer with PyTorch's semantics, one learning rate per parameter group:
//   gd:       p -= lr g
//   momentum: buf = g at the first step, then buf = mu buf + g;  p -= lr buf          (torch.optim.SGD, dampening 0)
//   adam:     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g g;  step_size = lr / (1 - b1^t);
//             denom = sqrt(v) / sqrt(1 - b2^t) + eps;  p -= step_size m / denom      (torch.optim.Adam, in that order)
// clip_grad_norm: total = |(|g_1|, |g_2|, ...)|_2 over every tensor; g *= min(1, max_norm / (total + 1e-6)).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "snapscope/transformer.hpp"

namespace snapscope {

struct OptimSettings {
    std::string kind = "adam";  // gd | momentum | adam
    double momentum = 0.9;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

template <class S>
class TransformerOptimizer {
public:
    TransformerOptimizer(const std::vector<ParamTensor>& tensors, OptimSettings s);
    // One update of `params` with `grads` (same layout), lr[g] for the tensors of group g.
    void step(AlignedVector<S>& params, const AlignedVector<S>& grads, const std::array<double, kNumParamGroups>& lr);
    std::int64_t steps() const { return t_; }
    const OptimSettings& settings() const { return s_; }

private:
    std::vector<ParamTensor> tensors_;
    OptimSettings s_;
    AlignedVector<S> m_, v_;  // momentum buffer (m_) or Adam's moments
    std::int64_t t_ = 0;
};

// The L2 norm over all tensors (as clip_grad_norm_ computes it: the norm of the per-tensor norms).
template <class S>
double total_grad_norm(const std::vector<ParamTensor>& tensors, const AlignedVector<S>& grads);
// Scales the gradients to norm max_norm if their norm is larger (clip_grad_norm_); returns the norm before.
template <class S>
double clip_grad_norm(const std::vector<ParamTensor>& tensors, AlignedVector<S>& grads, double max_norm);

extern template class TransformerOptimizer<double>;
extern template class TransformerOptimizer<float>;

}  // namespace snapscope
