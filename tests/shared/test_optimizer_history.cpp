#include <gtest/gtest.h>

#include "snapscope/history.hpp"
#include "snapscope/optimizer.hpp"
#include "snapscope/rng.hpp"

using namespace snapscope;

TEST(SliceMomentum, MatchesPyTorchSgdMomentum) {
    // torch.optim.SGD(momentum=0.9): buf = grad at the first step, then buf = 0.9 buf + grad; w -= lr buf.
    SliceMomentum opt;
    opt.resize(2, 3);
    std::vector<double> w{1, 2, 3, 4, 5, 6}, g(6, 0.0);
    const double lr = 0.1, mu = 0.9;
    std::vector<double> ref_w = w, ref_buf(6, 0.0);
    const double grads[3][3] = {{0.5, -1, 2}, {0.25, 0, -3}, {1, 1, 1}};
    for (int t = 0; t < 3; ++t) {
        for (int i = 0; i < 3; ++i) g[i] = grads[t][i];  // slice 0 only
        opt.step(w.data(), g.data(), {0}, lr, mu);
        for (int i = 0; i < 3; ++i) {
            ref_buf[i] = t == 0 ? grads[t][i] : mu * ref_buf[i] + grads[t][i];
            ref_w[i] -= lr * ref_buf[i];
        }
        for (int i = 0; i < 6; ++i) EXPECT_EQ(w[i], ref_w[i]) << t << "," << i;
    }
    EXPECT_EQ(w[3], 4.0);  // an untouched slice does not move
    EXPECT_EQ(opt.active_slices(), 1u);
    // Momentum keeps moving slice 0 after its gradient stops.
    std::fill(g.begin(), g.end(), 0.0);
    const double before = w[0];
    opt.step(w.data(), g.data(), {}, lr, mu);
    EXPECT_EQ(w[0], before - lr * mu * ref_buf[0]);
}

TEST(SliceMomentum, PlainSgdWithZeroMomentum) {
    SliceMomentum opt;
    opt.resize(2, 2);
    std::vector<double> w{0, 0, 0, 0}, g{1, 2, 3, 4};
    opt.step(w.data(), g.data(), {0, 1}, 0.5, 0.0);
    EXPECT_EQ(w, (std::vector<double>{-0.5, -1, -1.5, -2}));
    g = {0, 0, 1, 1};
    opt.step(w.data(), g.data(), {1}, 0.5, 0.0);
    EXPECT_EQ(w, (std::vector<double>{-0.5, -1, -2, -2.5}));
}

namespace {
struct Rec {
    std::int64_t step;
    double value;
};
}  // namespace

TEST(ThinningHistory, BoundedKeepsFirstAndNewest) {
    ThinningHistory<Rec> h(64);
    for (std::int64_t s = 0; s < 1000000; ++s) {
        h.push({s, static_cast<double>(s)});
        ASSERT_LE(h.size(), 64u);
    }
    EXPECT_EQ(h[0].step, 0);
    EXPECT_EQ(h.back().step, 999999);
    for (std::size_t i = 1; i < h.size(); ++i) EXPECT_LT(h[i - 1].step, h[i].step);
    // The newest records are dense.
    for (std::size_t i = h.size() - 8; i < h.size(); ++i) EXPECT_EQ(h[i].step, h[i - 1].step + 1);
    EXPECT_EQ(h[h.index_at(999998)].step, 999998);
    EXPECT_EQ(h.index_at(-5), 0u);
}

TEST(ThinningHistory, SameStepReplaces) {
    ThinningHistory<Rec> h(16);
    h.push({0, 1});
    h.push({1, 2});
    h.push({1, 3});
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h.back().value, 3);
}

namespace {
struct VecRec {
    std::int64_t step;
    std::vector<double> values;
};
}  // namespace

TEST(ThinningHistory, RecordsKeepTheirContentsThroughThinning) {
    ThinningHistory<VecRec> h(16);
    for (std::int64_t s = 0; s < 5000; ++s) h.push({s, std::vector<double>(3, static_cast<double>(s))});
    for (const VecRec& r : h) {
        ASSERT_EQ(r.values.size(), 3u) << r.step;
        EXPECT_EQ(r.values[2], static_cast<double>(r.step));
    }
}

#include <cmath>
#include <limits>

TEST(MaxAbs, FindsTheLargestMagnitudeAndFlagsNonFinite) {
    std::vector<double> v{0.5, -3.25, 2.0, -0.0, 1e-300};
    EXPECT_EQ(max_abs(v.data(), v.size()), 3.25);
    v.push_back(std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isinf(max_abs(v.data(), v.size())));
    v.back() = -std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE(std::isinf(max_abs(v.data(), v.size())));
    EXPECT_EQ(max_abs(v.data(), 0), 0.0);
}

TEST(SliceMomentum, FinitenessBoundAndExactCheckAgree) {
    SliceMomentum opt;
    opt.resize(1, 4);
    std::vector<double> w{1, -2, 3, -4}, g{0.5, 0.5, 0.5, 0.5};
    opt.set_param_bound(4);
    EXPECT_TRUE(opt.update_surely_finite(1.0, 0.9, 0.5));
    EXPECT_TRUE(opt.step_stays_finite(w.data(), g.data(), {0}, 1.0, 0.9));
    // An update that overflows: the bound refuses it and the exact check confirms.
    EXPECT_FALSE(opt.update_surely_finite(1e308, 0.9, 10.0));
    EXPECT_FALSE(opt.step_stays_finite(w.data(), std::vector<double>(4, 10.0).data(), {0}, 1e308, 0.9));
    // A large but finite update: the bound is cautious, the exact check lets it through.
    EXPECT_FALSE(opt.update_surely_finite(1e300, 0.9, 1.0));
    EXPECT_TRUE(opt.step_stays_finite(w.data(), g.data(), {0}, 1e300, 0.9));
}
