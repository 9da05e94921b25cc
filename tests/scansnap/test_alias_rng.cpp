#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "snapscope/alias.hpp"
#include "snapscope/rng.hpp"

using namespace snapscope;

TEST(Rng, SameSeedSameStreamDifferentSeedDifferent) {
    Rng a(42), b(42), c(43);
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next_u64();
        EXPECT_EQ(x, b.next_u64());
        EXPECT_NE(x, c.next_u64());
    }
}

TEST(Rng, UniformInUnitIntervalWithRightMean) {
    Rng r(1);
    double sum = 0;
    for (int i = 0; i < 200000; ++i) {
        const double u = r.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
    }
    EXPECT_NEAR(sum / 200000, 0.5, 0.005);
}

TEST(Rng, BelowIsUniform) {
    Rng r(7);
    std::vector<int> hist(7, 0);
    const int n = 700000;
    for (int i = 0; i < n; ++i) {
        const auto v = r.below(7);
        ASSERT_LT(v, 7u);
        ++hist[v];
    }
    for (int h : hist) EXPECT_NEAR(h, n / 7.0, 5 * std::sqrt(n / 7.0));
}

TEST(Alias, TableProbabilitiesEqualNormalisedWeights) {
    const std::vector<double> w{1, 1, 1, 0.1, 0.2, 0.5, 1.0, 0, 3};
    AliasTable t(w);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(t.probability(i), w[i] / total, 1e-12) << i;
}

TEST(Alias, EmpiricalFrequenciesMatch) {
    const std::vector<double> w{10, 1, 0.1, 5, 2.5, 0};
    AliasTable t(w);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    Rng r(3);
    std::vector<std::uint32_t> counts(w.size(), 0);
    const int n = 2000000;
    t.sample_counts(r, n, counts.data());
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double p = w[i] / total;
        sum += counts[i];
        EXPECT_NEAR(counts[i], n * p, 5 * std::sqrt(n * p * (1 - p)) + 1e-9) << i;
    }
    EXPECT_EQ(sum, static_cast<std::uint64_t>(n));
    EXPECT_EQ(counts[5], 0u);  // zero weight never drawn
    // The one-uniform sampler agrees too.
    std::vector<int> c2(w.size(), 0);
    for (int i = 0; i < 500000; ++i) ++c2[t.sample(r)];
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double p = w[i] / total;
        EXPECT_NEAR(c2[i], 500000 * p, 5 * std::sqrt(500000 * p * (1 - p)) + 1e-9) << i;
    }
}

TEST(Alias, RejectsBadWeights) {
    EXPECT_THROW(AliasTable(std::vector<double>{}), std::invalid_argument);
    EXPECT_THROW(AliasTable(std::vector<double>{0, 0}), std::invalid_argument);
    EXPECT_THROW(AliasTable(std::vector<double>{1, -1}), std::invalid_argument);
    EXPECT_THROW(AliasTable(std::vector<double>{1, NAN}), std::invalid_argument);
}

TEST(Alias, FastCountsEqualTheScalarPathBitForBit) {
    // The vectorised sampler (AVX-512 where the CPU has it) must give the scalar path's counts and leave the random
    // stream where the scalar path leaves it, for any number of draws and any table.
#if !(defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__))
    GTEST_SKIP() << "this build has no AVX-512 path (sample_counts is the scalar path)";
#endif
    Rng wr(31);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<double> w(1 + wr.below(60));
        for (double& x : w) x = wr.uniform() < 0.1 ? 0.0 : wr.uniform();
        w[wr.below(w.size())] += 0.5;
        const AliasTable t(w);
        Rng a(trial), b(trial);
        const int draws = static_cast<int>(wr.below(300));
        std::vector<std::uint32_t> ca(w.size(), 0), cb(w.size(), 0);
        t.sample_counts(a, draws, ca.data());
        t.sample_counts_scalar(b, draws, cb.data());
        ASSERT_EQ(ca, cb) << trial;
        ASSERT_EQ(a.next_u64(), b.next_u64()) << trial;
    }
}
