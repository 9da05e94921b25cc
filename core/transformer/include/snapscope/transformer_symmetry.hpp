// The symmetry facts of Zuo and Guerzhoy (theory.md section 3), measured on a model: without positional encoding
// and without a causal mask a transformer is permutation-equivariant, so the prediction read at the last position
// cannot change when positions 0..n-2 are permuted, at any depth; a causal mask alone keeps one layer invariant but
// (generically) not two; a positional encoding breaks the invariance.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "snapscope/transformer.hpp"

namespace snapscope {

struct SymmetryCase {
    PosEncoding pe = PosEncoding::None;
    bool causal = false;
    int layers = 1;
};

struct SymmetryResult {
    SymmetryCase c;
    // max over R random permutations of positions 0..n-2 (the last kept) of max |logits_last(permuted) - logits_last|
    double max_change = 0;
    // max over R random permutations pi of all n positions of max_i |logits(x_pi)[i] - logits(x)[pi(i)]|
    double equivariance_error = 0;
    double scale = 0;  // max |logit| of the unpermuted sequence: the changes above are rounding when below 1e-9 of it
    bool invariant() const { return max_change <= kSymmetryTolerance * std::max(1.0, scale); }
    bool equivariant() const { return equivariance_error <= kSymmetryTolerance * std::max(1.0, scale); }
    static constexpr double kSymmetryTolerance = 1e-9;
};

// Each case is `base` with its PE, mask and depth, in float64, with the weights `weights` (base's layout and the
// case's tensors equal) or, when null, random ones (PyTorch's defaults, from `seed`); evaluated on one random
// sequence of `n` tokens (from the seed) and `permutations` random permutations. Throws std::invalid_argument when
// `weights` do not fit a case's tensors.
std::vector<SymmetryResult> symmetry_checks(const TransformerSpec& base, const std::vector<SymmetryCase>& cases, int n, int permutations,
                                            std::uint64_t seed, const std::vector<double>* weights = nullptr);

// The last position's logits of `model` for `tokens` (any length up to its max_len).
std::vector<double> last_logits(Transformer<double>& model, const std::vector<std::int32_t>& tokens);

}  // namespace snapscope
