#include "snapscope/transformer_optim.hpp"

#include <cmath>

#include <Eigen/Core>
#include <stdexcept>

namespace snapscope {

template <class S>
TransformerOptimizer<S>::TransformerOptimizer(const std::vector<ParamTensor>& tensors, OptimSettings s) : tensors_(tensors), s_(std::move(s)) {
    if (s_.kind != "gd" && s_.kind != "momentum" && s_.kind != "adam") throw std::invalid_argument("optimizer: unknown kind " + s_.kind);
    std::size_t n = 0;
    for (const ParamTensor& t : tensors_) n = std::max(n, t.offset + t.size);
    if (s_.kind == "momentum") m_.assign(n, S(0));
    if (s_.kind == "adam") {
        m_.assign(n, S(0));
        v_.assign(n, S(0));
    }
}

template <class S>
void TransformerOptimizer<S>::step(AlignedVector<S>& params, const AlignedVector<S>& grads, const std::array<double, kNumParamGroups>& lr) {
    ++t_;
    const double bc1 = 1 - std::pow(s_.beta1, static_cast<double>(t_));
    const double bc2_sqrt = std::sqrt(1 - std::pow(s_.beta2, static_cast<double>(t_)));
    const S mu = static_cast<S>(s_.momentum), b1 = static_cast<S>(s_.beta1), b2 = static_cast<S>(s_.beta2);
    const S one_b1 = static_cast<S>(1 - s_.beta1), one_b2 = static_cast<S>(1 - s_.beta2), eps = static_cast<S>(s_.eps);
    for (const ParamTensor& t : tensors_) {
        S* __restrict p = params.data() + t.offset;
        const S* __restrict g = grads.data() + t.offset;
        const S rate = static_cast<S>(lr[t.group]);
        if (s_.kind == "gd") {
            for (std::size_t i = 0; i < t.size; ++i) p[i] -= rate * g[i];
        } else if (s_.kind == "momentum") {
            S* __restrict b = m_.data() + t.offset;
            if (t_ == 1)
                for (std::size_t i = 0; i < t.size; ++i) b[i] = g[i];
            else
                for (std::size_t i = 0; i < t.size; ++i) b[i] = mu * b[i] + g[i];
            for (std::size_t i = 0; i < t.size; ++i) p[i] -= rate * b[i];
        } else {
            S* __restrict m = m_.data() + t.offset;
            S* __restrict v = v_.data() + t.offset;
            const S step_size = static_cast<S>(lr[t.group] / bc1), bc2s = static_cast<S>(bc2_sqrt);
            // As Eigen arrays, so the square root and the division are vectorised (std::sqrt's errno keeps a plain loop
            // scalar); each entry is computed in the same order as the formula above.
            using Arr = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>;
            using CArr = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, 1>>;
            const Eigen::Index n = static_cast<Eigen::Index>(t.size);
            Arr M(m, n), Vv(v, n), P(p, n);
            const CArr G(g, n);
            M = M * b1 + G * one_b1;
            Vv = Vv * b2 + one_b2 * G * G;
            P += -step_size * (M / (Vv.sqrt() / bc2s + eps));
        }
    }
}

template <class S>
double total_grad_norm(const std::vector<ParamTensor>& tensors, const AlignedVector<S>& grads) {
    double total = 0;
    for (const ParamTensor& t : tensors) {
        double ss = 0;
        for (std::size_t i = 0; i < t.size; ++i) ss += static_cast<double>(grads[t.offset + i]) * grads[t.offset + i];
        total += ss;  // |g_t|^2: the norm of the per-tensor norms squared
    }
    return std::sqrt(total);
}

template <class S>
double clip_grad_norm(const std::vector<ParamTensor>& tensors, AlignedVector<S>& grads, double max_norm) {
    const double total = total_grad_norm(tensors, grads);
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1) {
        const S c = static_cast<S>(coef);
        for (S& g : grads) g *= c;
    }
    return total;
}

template class TransformerOptimizer<double>;
template class TransformerOptimizer<float>;
template double total_grad_norm<double>(const std::vector<ParamTensor>&, const AlignedVector<double>&);
template double total_grad_norm<float>(const std::vector<ParamTensor>&, const AlignedVector<float>&);
template double clip_grad_norm<double>(const std::vector<ParamTensor>&, AlignedVector<double>&, double);
template double clip_grad_norm<float>(const std::vector<ParamTensor>&, AlignedVector<float>&, double);

}  // namespace snapscope
