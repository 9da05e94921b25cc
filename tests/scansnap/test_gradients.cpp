// Every gradient of the Scan-and-Snap model against central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "snapscope/rng.hpp"
#include "snapscope/scansnap_model.hpp"

using namespace snapscope;

namespace {

constexpr int M = 10;

// `samples` samples with queries 8 and 9, labels 6 and 7, contexts drawn from tokens 0..5 (plus, when
// `query_in_context`, the query itself once), with uneven weights. With 7 samples each query's group has at most
// kColumnPathMaxSamples samples (the column path); with 40, more (the gathered-GEMM path).
SparseBatch make_batch(Rng& rng, bool query_in_context, int samples = 7) {
    SparseBatch b;
    for (int s = 0; s < samples; ++s) {
        SparseSample x;
        x.query = 8 + s % 2;
        x.label = 6 + (s / 2) % 2;
        x.weight = 0.05 + 0.1 * (s % 9);
        x.begin = static_cast<std::uint32_t>(b.tok.size());
        for (int t = 0; t < 6; ++t) {
            if (rng.uniform() < 0.3) continue;
            b.tok.push_back(t);
            b.cnt.push_back(1 + static_cast<double>(rng.below(4)));
        }
        if (b.tok.size() == x.begin) { b.tok.push_back(3); b.cnt.push_back(2); }
        if (query_in_context && s == 2) { b.tok.push_back(x.query); b.cnt.push_back(1); }
        x.end = static_cast<std::uint32_t>(b.tok.size());
        b.samples.push_back(x);
    }
    return b;
}

void randomise(ScanSnapModel& m, Rng& rng) {
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < M; ++j) {
            m.Z(i, j) = rng.uniform(-1.5, 1.5);
            m.Y(i, j) = rng.uniform(-1.5, 1.5);
        }
}

void check_gradients(ModelOptions opt, bool grouped, bool query_in_context, int samples = 7) {
    Rng rng(1234);
    ScanSnapModel model(M, opt);
    model.set_grouped_path(grouped);
    randomise(model, rng);
    const SparseBatch batch = make_batch(rng, query_in_context, samples);
    ScanSnapGrads g;
    g.resize(M);
    const double loss = model.forward_backward(batch, &g);
    EXPECT_NEAR(loss, model.forward_backward(batch, nullptr), 1e-12);
    const double h = 1e-5;
    double worst = 0;
    auto check = [&](double& param, double analytic, const char* name, int i, int j) {
        const double keep = param;
        param = keep + h;
        const double up = model.forward_backward(batch, nullptr);
        param = keep - h;
        const double down = model.forward_backward(batch, nullptr);
        param = keep;
        const double fd = (up - down) / (2 * h);
        worst = std::max(worst, std::abs(fd - analytic));
        EXPECT_NEAR(analytic, fd, 1e-8 + 1e-6 * std::abs(fd)) << name << "(" << i << "," << j << ")";
    };
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < M; ++j) {
            check(model.Z(i, j), g.dZ(i, j), "dZ", i, j);
            check(model.Y(i, j), g.dY(i, j), "dY", i, j);
        }
    // Only the queries' rows of Z get gradient.
    for (int i = 0; i < 8; ++i) EXPECT_EQ(g.dZ.row(i).cwiseAbs().maxCoeff(), 0.0) << i;
    EXPECT_GT(g.dZ.row(8).cwiseAbs().maxCoeff(), 1e-6);
    EXPECT_LT(worst, 1e-7);
    // clear() zeroes everything it touched.
    g.clear();
    EXPECT_EQ(g.dZ.cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ(g.dY.cwiseAbs().maxCoeff(), 0.0);
}

}  // namespace

class GradientCheck : public ::testing::TestWithParam<std::tuple<bool, bool, bool, bool>> {};

TEST_P(GradientCheck, MatchesCentralFiniteDifferences) {
    const auto [normalize, residual, attend_query, grouped] = GetParam();
    static_assert(7 / 2 + 1 <= kColumnPathMaxSamples && 40 / 2 > kColumnPathMaxSamples);
    for (int samples : {7, 40}) {
        SCOPED_TRACE(samples);
        check_gradients(ModelOptions{normalize, residual, attend_query}, grouped, false, samples);
    }
}

INSTANTIATE_TEST_SUITE_P(AllOptions, GradientCheck,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Bool(), ::testing::Bool()));

TEST(Gradients, QueryTokenInsideTheContext) {
    check_gradients(ModelOptions{true, true, true}, false, true);
    check_gradients(ModelOptions{true, false, false}, true, true);
}

TEST(Gradients, GroupedAndPerSamplePathsAgree) {
    for (int samples : {7, 40}) {  // the grouped path's column and GEMM forms
        SCOPED_TRACE(samples);
        Rng rng(99);
        ScanSnapModel a(M, ModelOptions{}), b(M, ModelOptions{});
        randomise(a, rng);
        b.Z = a.Z;
        b.Y = a.Y;
        b.set_grouped_path(false);
        const SparseBatch batch = make_batch(rng, false, samples);
        ScanSnapGrads ga, gb;
        ga.resize(M);
        gb.resize(M);
        const double la = a.forward_backward(batch, &ga);
        EXPECT_NEAR(la, b.forward_backward(batch, &gb), 1e-13 * std::abs(la));
        EXPECT_LT((ga.dZ - gb.dZ).cwiseAbs().maxCoeff(), 1e-13);
        EXPECT_LT((ga.dY - gb.dY).cwiseAbs().maxCoeff(), 1e-13);
    }
}

TEST(Gradients, ZeroInitLossIsLnMAndZGetsNoGradient) {
    ScanSnapModel model(M, ModelOptions{});
    Rng rng(5);
    const SparseBatch batch = make_batch(rng, false);
    double wsum = 0;
    for (const auto& s : batch.samples) wsum += s.weight;
    ScanSnapGrads g;
    g.resize(M);
    EXPECT_NEAR(model.forward_backward(batch, &g), wsum * std::log(M), 1e-12);
    EXPECT_EQ(g.dZ.cwiseAbs().maxCoeff(), 0.0);  // Y = 0: no signal reaches Z at step 0
    EXPECT_GT(g.dY.cwiseAbs().maxCoeff(), 0.0);  // Y moves first
}
