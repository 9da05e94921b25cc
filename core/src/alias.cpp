#include "snapscope/alias.hpp"

#include <cmath>
#include <stdexcept>

namespace snapscope {

AliasTable::AliasTable(const std::vector<double>& weights) {
    const std::size_t n = weights.size();
    if (n == 0) throw std::invalid_argument("alias table: no outcomes");
    double total = 0.0;
    for (double w : weights) {
        if (!(w >= 0.0) || !std::isfinite(w)) throw std::invalid_argument("alias table: weights must be finite and >= 0");
        total += w;
    }
    if (!(total > 0.0)) throw std::invalid_argument("alias table: all weights are zero");

    prob_.assign(n, 0.0);
    alias_.assign(n, 0);
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    small.reserve(n);
    large.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        scaled[i] = weights[i] * static_cast<double>(n) / total;
        (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
        const std::uint32_t s = small.back();
        small.pop_back();
        const std::uint32_t l = large.back();
        prob_[s] = scaled[s];
        alias_[s] = l;
        scaled[l] = (scaled[l] + scaled[s]) - 1.0;
        if (scaled[l] < 1.0) {
            large.pop_back();
            small.push_back(l);
        }
    }
    // Whatever is left is 1 up to rounding.
    for (std::uint32_t i : large) { prob_[i] = 1.0; alias_[i] = i; }
    for (std::uint32_t i : small) { prob_[i] = 1.0; alias_[i] = i; }
    cells_.resize(n);
    for (std::size_t i = 0; i < n; ++i) cells_[i] = Cell{prob_[i], alias_[i]};
    n_ = static_cast<double>(n);
    scale32_ = n_ * 0x1.0p-32;
    last_ = static_cast<std::uint32_t>(n - 1);
    partial_.assign(4 * n, 0);
}

void AliasTable::sample_counts(Rng& rng, int draws, std::uint32_t* counts) const {
    const std::size_t n = cells_.size();
    std::uint32_t* h = partial_.data();
    int t = 0;
    for (; t + 4 <= draws; t += 4) {
        const std::uint64_t r0 = rng.next_u64(), r1 = rng.next_u64();
        ++h[sample32(static_cast<std::uint32_t>(r0))];
        ++h[n + sample32(static_cast<std::uint32_t>(r0 >> 32))];
        ++h[2 * n + sample32(static_cast<std::uint32_t>(r1))];
        ++h[3 * n + sample32(static_cast<std::uint32_t>(r1 >> 32))];
    }
    for (; t < draws; ++t) ++h[sample32(static_cast<std::uint32_t>(rng.next_u64() >> 32))];
    for (std::size_t i = 0; i < n; ++i) {
        counts[i] += h[i] + h[n + i] + h[2 * n + i] + h[3 * n + i];
        h[i] = h[n + i] = h[2 * n + i] = h[3 * n + i] = 0;
    }
}

double AliasTable::probability(std::size_t i) const {
    const double n = static_cast<double>(prob_.size());
    double p = prob_[i] / n;
    for (std::size_t j = 0; j < prob_.size(); ++j)
        if (alias_[j] == i && j != i) p += (1.0 - prob_[j]) / n;
    return p;
}

}  // namespace snapscope
