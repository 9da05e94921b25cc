#include "snapscope/alias.hpp"

#include <cmath>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif
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
    // The gathers index with 32-bit offsets: fine for any table the memory checks let through.
    simd_ = n < (1u << 28);
}

void AliasTable::sample_counts(Rng& rng, int draws, std::uint32_t* counts) const {
#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
    if (simd_) {
        sample_counts_avx512(rng, draws, counts);
        return;
    }
#endif
    sample_counts_scalar(rng, draws, counts);
}

#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
void AliasTable::sample_counts_avx512(Rng& rng, int draws, std::uint32_t* counts) const {
    // Eight draws at a time from four 64-bit numbers, in the scalar path's order (low half, then high half of each),
    // with the same double arithmetic, so the counts are the scalar path's bit for bit.
    const std::size_t n = cells_.size();
    std::uint32_t* h = partial_.data();
    const __m512d scale = _mm512_set1_pd(scale32_);
    alignas(32) std::uint32_t idx[8];
    int t = 0;
    for (; t + 8 <= draws; t += 8) {
        const std::uint64_t r0 = rng.next_u64(), r1 = rng.next_u64(), r2 = rng.next_u64(), r3 = rng.next_u64();
        const __m256i bits = _mm256_set_epi64x(static_cast<long long>(r3), static_cast<long long>(r2), static_cast<long long>(r1),
                                               static_cast<long long>(r0));
        const __m512d x = _mm512_mul_pd(_mm512_cvtepu32_pd(bits), scale);
        const __m256i col = _mm512_cvttpd_epi32(x);
        const __m512d frac = _mm512_sub_pd(x, _mm512_cvtepi32_pd(col));
        const __m512d prob = _mm512_i32gather_pd(col, prob_.data(), 8);
        const __m256i alias = _mm256_i32gather_epi32(reinterpret_cast<const int*>(alias_.data()), col, 4);
        const __mmask8 keep = _mm512_cmp_pd_mask(frac, prob, _CMP_LT_OQ);
        _mm256_store_si256(reinterpret_cast<__m256i*>(idx), _mm256_mask_blend_epi32(keep, alias, col));
        ++h[idx[0]];
        ++h[n + idx[1]];
        ++h[2 * n + idx[2]];
        ++h[3 * n + idx[3]];
        ++h[idx[4]];
        ++h[n + idx[5]];
        ++h[2 * n + idx[6]];
        ++h[3 * n + idx[7]];
    }
    sample_counts_scalar(rng, draws - t, counts);  // the rest, and the counts out of the partial histograms
}
#endif

void AliasTable::sample_counts_scalar(Rng& rng, int draws, std::uint32_t* counts) const {
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
