// Walker/Vose alias table: O(n) to build, O(1) per draw.
#pragma once

#include <cstdint>
#include <vector>

#include "snapscope/rng.hpp"

namespace snapscope {

class AliasTable {
public:
    AliasTable() = default;
    // weights: non-negative, at least one positive. Throws std::invalid_argument otherwise.
    explicit AliasTable(const std::vector<double>& weights);

    std::size_t size() const { return prob_.size(); }

    // One draw uses one 53-bit uniform: its integer part picks the column and
    // its fractional part flips the column's biased coin.
    std::uint32_t sample(Rng& rng) const {
        const double x = rng.uniform() * n_;
        std::uint32_t i = static_cast<std::uint32_t>(x);
        i = i < last_ ? i : last_;
        const Cell& c = cells_[i];
        // Branch-free select: the coin is a coin flip, so a branch would mispredict half the time.
        const std::uint32_t keep = 0u - static_cast<std::uint32_t>((x - static_cast<double>(i)) < c.prob);
        return c.alias ^ ((i ^ c.alias) & keep);
    }

    // One draw from 32 random bits: x = bits * n / 2^32 (exact in double), column floor(x), coin frac(x).
    // Each outcome's probability is off by less than n / 2^32 (5e-9 for n = 20), finer than the float32
    // probabilities of torch.multinomial that the paper's code used.
    std::uint32_t sample32(std::uint32_t bits) const {
        const double x = static_cast<double>(bits) * scale32_;
        const std::uint32_t i = static_cast<std::uint32_t>(x);
        const Cell& c = cells_[i];
        const std::uint32_t keep = 0u - static_cast<std::uint32_t>((x - static_cast<double>(i)) < c.prob);
        return c.alias ^ ((i ^ c.alias) & keep);
    }

    // Adds `draws` samples to counts[0..size()), two draws per 64 random bits (sample32). Four
    // interleaved partial histograms break the store-to-load chains of repeated increments. Where the CPU has
    // AVX-512 (the build uses -march=native) eight draws are made at once; the counts are the same bit for bit.
    void sample_counts(Rng& rng, int draws, std::uint32_t* counts) const;
    // The scalar path alone (tests compare the two).
    void sample_counts_scalar(Rng& rng, int draws, std::uint32_t* counts) const;

    // Probability of outcome i implied by the table (for tests).
    double probability(std::size_t i) const;

private:
#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
    void sample_counts_avx512(Rng& rng, int draws, std::uint32_t* counts) const;
#endif
    bool simd_ = false;
    struct Cell {
        double prob;
        std::uint32_t alias;
    };
    std::vector<double> prob_;
    std::vector<std::uint32_t> alias_;
    std::vector<Cell> cells_;
    double n_ = 0;
    double scale32_ = 0;
    std::uint32_t last_ = 0;
    mutable std::vector<std::uint32_t> partial_;
};

}  // namespace snapscope
