#include "snapscope/multinomial.hpp"

#include <algorithm>
#include <cmath>
#include <math.h>  // lgamma_r
#include <stdexcept>

namespace snapscope {

namespace {

// The conditional probabilities q_i = p_i / (p_i + ... + p_k), the sums taken from the end (exact for the last).
std::vector<double> conditional(const std::vector<double>& p) {
    std::vector<double> q(p.size());
    double tail = 0;
    for (std::size_t i = p.size(); i-- > 0;) {
        tail += p[i];
        q[i] = tail > 0 ? std::min(1.0, p[i] / tail) : 0.0;
    }
    return q;
}

// log Gamma(x) without touching the global signgam that std::lgamma writes (tables built on several threads at once,
// as a sweep's runs do, raced on it); glibc's lgamma_r computes the same value.
double log_gamma(double x) {
    int sign = 0;
    return ::lgamma_r(x, &sign);
}

// CDF of Bin(R, q) up to where it reaches 1 (in double), appended to `out`.
void append_cdf(int R, double q, std::vector<double>& out) {
    if (q <= 0 || R == 0) {
        out.push_back(1.0);
        return;
    }
    if (q >= 1) {
        for (int x = 0; x < R; ++x) out.push_back(0.0);
        out.push_back(1.0);
        return;
    }
    // pmf by logs (no overflow at any R), summed in order.
    const double lq = std::log(q), l1q = std::log1p(-q);
    const double lgR = log_gamma(R + 1.0);
    double c = 0;
    for (int x = 0; x <= R; ++x) {
        const double lp = lgR - log_gamma(x + 1.0) - log_gamma(R - x + 1.0) + x * lq + (R - x) * l1q;
        c += std::exp(lp);
        if (c >= 1.0 || x == R) {
            out.push_back(1.0);  // the rest of the tail (below double precision) goes to this last value
            return;
        }
        out.push_back(c);
    }
}

}  // namespace

double MultinomialTable::entries_bound(std::size_t outcomes, int draws) {
    // At most (R + 1) CDF entries per (outcome, R), R = 0..N, for the first k - 1 outcomes.
    const double k = static_cast<double>(outcomes), n = draws;
    return std::max(0.0, k - 1) * (n + 1) * (n + 2) / 2;
}

double MultinomialTable::bytes_needed(std::size_t outcomes, int draws) {
    // A double and kGuidePerEntry 16-bit guides per entry, plus the offsets.
    const double k = static_cast<double>(outcomes), n = draws;
    return (8.0 + 2.0 * kGuidePerEntry) * entries_bound(outcomes, draws) + 4.0 * k * (n + 1);
}

MultinomialTable::MultinomialTable(const std::vector<double>& probs, int draws) : k_(probs.size()), draws_(draws) {
    if (probs.empty() || draws < 0) throw std::invalid_argument("multinomial table: no outcomes or negative draws");
    if (draws > 65535) throw std::invalid_argument("multinomial table: more than 65535 draws");
    double total = 0;
    for (double v : probs) {
        if (!(v >= 0) || !std::isfinite(v)) throw std::invalid_argument("multinomial table: probabilities must be finite and >= 0");
        total += v;
    }
    if (!(total > 0)) throw std::invalid_argument("multinomial table: all probabilities are zero");
    std::vector<double> p(probs);
    for (double& v : p) v /= total;
    const std::vector<double> q = conditional(p);
    const std::size_t N1 = static_cast<std::size_t>(draws) + 1;
    offset_.assign((k_ > 0 ? k_ - 1 : 0) * N1, 0);
    offset_.reserve(offset_.size() + 1);
    for (std::size_t i = 0; i + 1 < k_; ++i)
        for (int R = 0; R <= draws; ++R) {
            offset_[i * N1 + static_cast<std::size_t>(R)] = static_cast<std::uint32_t>(cdf_.size());
            append_cdf(R, q[i], cdf_);
        }
    offset_.push_back(static_cast<std::uint32_t>(cdf_.size()));  // the end of the last CDF
    // Guides. Bucket j holds the u with floor(u G) = j, so u >= j / G up to the product's rounding; the guide is
    // taken for a threshold a little below j / G, which can only make it start earlier, never past the answer.
    guide_.resize(kGuidePerEntry * cdf_.size());
    for (std::size_t i = 0; i + 1 < k_; ++i)
        for (int R = 0; R <= draws; ++R) {
            const std::size_t row = i * N1 + static_cast<std::size_t>(R);
            const std::size_t begin = offset_[row], len = offset_[row + 1] - begin;
            const std::size_t buckets = kGuidePerEntry * len;
            std::size_t x = 0;
            for (std::size_t j = 0; j < buckets; ++j) {
                const double threshold = static_cast<double>(j) / static_cast<double>(buckets) - 1e-12;
                while (cdf_[begin + x] <= threshold) ++x;  // ends: the last entry is 1
                guide_[kGuidePerEntry * begin + j] = static_cast<std::uint16_t>(x);
            }
        }
}

void MultinomialTable::sample_counts(Rng& rng, std::uint32_t* counts) const {
    std::uint32_t R = static_cast<std::uint32_t>(draws_);
    for (std::size_t i = 0; i + 1 < k_; ++i) {
        if (R == 0) {
            counts[i] = 0;
            continue;
        }
        const std::uint32_t x = draw(i, R, rng.uniform());
        counts[i] = x;
        R -= x;
    }
    counts[k_ - 1] = R;
}

}  // namespace snapscope
