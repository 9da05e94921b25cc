// Exact multinomial counts by conditional binomials: for a fixed number of draws N over k outcomes with
// probabilities p, n_1 ~ Bin(N, p_1), n_2 ~ Bin(N - n_1, p_2 / (1 - p_1)), ..., n_k = what is left; each binomial is
// drawn by inverting its CDF, precomputed for every remaining count R = 0..N. A window of N tokens then costs k - 1
// uniforms instead of N alias draws. The CDFs are exact to double rounding (about 1e-16), finer than the alias
// table's 32-bit draws. Built only when its tables are small (see bytes_needed); otherwise use AliasTable.
// Each CDF has a guide table (indexed search) of G = 4 len buckets: guide[j] is the first x whose CDF value exceeds
// j / G, so the search for u starts at guide[floor(u G)] and takes one or two comparisons; it returns the same x as a search
// from 0 (the counts are identical draw for draw), only sooner.
#pragma once

#include <cstdint>
#include <vector>

#include "snapscope/rng.hpp"

namespace snapscope {

class MultinomialTable {
public:
    // Bytes the tables for these probabilities and N would take (an upper bound, without building them).
    static double bytes_needed(std::size_t outcomes, int draws);
    // CDF entries they would hold at most.
    static double entries_bound(std::size_t outcomes, int draws);

    MultinomialTable(const std::vector<double>& probs, int draws);
    int draws() const { return draws_; }
    std::size_t size() const { return k_; }
    std::size_t bytes() const {
        return cdf_.size() * sizeof(double) + guide_.size() * sizeof(std::uint16_t) + offset_.size() * sizeof(std::uint32_t);
    }

    // Guide buckets per CDF entry: with four, a bucket rarely holds more than one CDF value, so two branch-free steps
    // almost always end the search (a data-dependent loop mispredicted about once per draw).
    static constexpr std::uint32_t kGuidePerEntry = 4;

    // Sets counts[0..size()) to one window's counts (they sum to draws()).
    void sample_counts(Rng& rng, std::uint32_t* counts) const;

    // The CDF draw(i, R, .) inverts: its values at x = 0, 1, ..., len - 1 (the last is 1).
    const double* cdf(std::size_t i, std::uint32_t R, std::uint32_t* len) const {
        const std::size_t row = i * (static_cast<std::size_t>(draws_) + 1) + R;
        *len = offset_[row + 1] - offset_[row];
        return cdf_.data() + offset_[row];
    }

    // One conditional draw: the count of outcome i < size() - 1 when R > 0 draws are left, for the uniform u in
    // [0, 1). sample_counts is this for i = 0, 1, ..., one uniform each, while R > 0.
    std::uint32_t draw(std::size_t i, std::uint32_t R, double u) const {
        const std::size_t row = i * (static_cast<std::size_t>(draws_) + 1) + R;
        const std::uint32_t off = offset_[row], len = offset_[row + 1] - off;
        const double* c = cdf_.data() + off;
        const std::uint32_t buckets = kGuidePerEntry * len;
        const std::uint32_t j = static_cast<std::uint32_t>(u * buckets);
        std::uint32_t x = guide_[kGuidePerEntry * off + (j < buckets ? j : buckets - 1)];
        // Two steps without branches (x stays <= len - 1: the last entry is 1 > u), then the rare rest.
        x += static_cast<std::uint32_t>(u >= c[x]);
        x += static_cast<std::uint32_t>(u >= c[x]);
        while (u >= c[x]) ++x;
        return x;
    }

private:
    std::size_t k_ = 0;
    int draws_ = 0;
    // For outcome i < k-1 and remaining R: the CDF of Bin(R, q_i) at cdf_[offset_[i * (N + 1) + R] + x], x = 0..,
    // ending at the first entry equal to 1 (offset_ ends with cdf_.size()); its guide (kGuidePerEntry buckets per entry) at
    // kGuidePerEntry times the same offsets in guide_ (draws <= 65535).
    std::vector<double> cdf_;
    std::vector<std::uint16_t> guide_;
    std::vector<std::uint32_t> offset_;
};

}  // namespace snapscope
