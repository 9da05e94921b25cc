// Exact multinomial counts by conditional binomials: for a fixed number of draws N over k outcomes with
// probabilities p, n_1 ~ Bin(N, p_1), n_2 ~ Bin(N - n_1, p_2 / (1 - p_1)), ..., n_k = what is left; each binomial is
// drawn by inverting its CDF, precomputed for every remaining count R = 0..N. A window of N tokens then costs k - 1
// uniforms instead of N alias draws. The CDFs are exact to double rounding (about 1e-16), finer than the alias
// table's 32-bit draws. Built only when its tables are small (see bytes_needed); otherwise use AliasTable.
#pragma once

#include <cstdint>
#include <vector>

#include "snapscope/rng.hpp"

namespace snapscope {

class MultinomialTable {
public:
    // Bytes the tables for these probabilities and N would take (an upper bound, without building them).
    static double bytes_needed(std::size_t outcomes, int draws);

    MultinomialTable(const std::vector<double>& probs, int draws);
    int draws() const { return draws_; }
    std::size_t size() const { return k_; }
    std::size_t bytes() const { return cdf_.size() * sizeof(double) + offset_.size() * sizeof(std::uint32_t); }

    // Sets counts[0..size()) to one window's counts (they sum to draws()).
    void sample_counts(Rng& rng, std::uint32_t* counts) const;

private:
    std::size_t k_ = 0;
    int draws_ = 0;
    // For outcome i < k-1 and remaining R: the CDF of Bin(R, q_i) at cdf_[offset_[i * (N + 1) + R] + x], x = 0..,
    // ending at the first entry equal to 1.
    std::vector<double> cdf_;
    std::vector<std::uint32_t> offset_;
};

}  // namespace snapscope
