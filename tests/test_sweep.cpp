#include <gtest/gtest.h>

#include "snapscope/sweep.hpp"
#include "test_util.hpp"

using namespace snapscope;

namespace {
SweepDefinition definition(const std::vector<SweepAxis>& axes, int seeds) {
    SweepDefinition d;
    d.axes = axes;
    d.seeds = seeds;
    return d;
}
std::vector<SweepPoint> expand_sweep(const std::vector<SweepAxis>& axes, int seeds) {
    const SweepDefinition d = definition(axes, seeds);
    std::vector<SweepPoint> pts;
    for (std::int64_t i = 0; i < d.size(); ++i) pts.push_back(d.point(i));
    return pts;
}
}  // namespace

TEST(Sweep, GridExpandsAsACartesianProductTimesSeeds) {
    const auto axes = parse_grid("train.lr_z=0.5,1; data.num_last=1,3,5");
    ASSERT_EQ(axes.size(), 2u);
    EXPECT_EQ(axes[1].values.size(), 3u);
    const auto pts = expand_sweep(axes, 2);
    ASSERT_EQ(pts.size(), 12u);
    EXPECT_EQ(pts[0].values[0], 0.5);
    EXPECT_EQ(pts[0].values[1], 1);
    EXPECT_EQ(pts[1].seed, 2u);
    EXPECT_EQ(pts[2].values[1], 3);  // last axis fastest (after seeds)
    EXPECT_EQ(pts[11].values[0], 1);
    EXPECT_EQ(pts[11].index, 11);
    EXPECT_NE(pts[0].key(), pts[1].key());
    EXPECT_THROW(parse_grid_axis("train.nope=1"), ConfigError);
    EXPECT_THROW(parse_grid_axis("train.seed=1,2"), ConfigError);
    EXPECT_THROW(parse_grid_axis("train.lr_z=1,,2"), ConfigError);
    EXPECT_THROW(parse_grid_axis("lr"), ConfigError);
}

TEST(Sweep, SnapStepIsWhereTheAttentionStopsMoving) {
    std::vector<MatrixRecord> recs;
    for (int s = 0; s <= 40; ++s) {
        MatrixRecord r;
        r.step = s;
        const double v = s < 15 ? 0.1 * s : 1.5 + 0.0001 * (s - 15);  // moves fast, then creeps below the tolerance
        r.attention = {v, 1 - v};
        recs.push_back(r);
    }
    std::vector<const MatrixRecord*> p;
    for (const auto& r : recs) p.push_back(&r);
    EXPECT_EQ(snap_step(p, 0.01, 10), 15);
    EXPECT_EQ(snap_step(p, 0.01, 30), -1);   // not enough steps after step 15 to tell
    EXPECT_EQ(snap_step(p, 0.00001, 5), -1);  // still moving at this tolerance
}

TEST(Sweep, Fig6PointShowsThePapersTrend) {
    // Averaged over seeds: a larger eta_Z gives sparser attention (lower distinct entropy).
    const SweepDefinition def = make_sweep_definition(preset_config("fig6-sweep"), {"train.lr_z=0.5,3"}, 4, 0.01, 10);
    ASSERT_EQ(def.axes.size(), 3u);  // the preset's three axes, lr_z replaced
    double ent[2] = {0, 0};
    for (std::int64_t i = 0; i < def.size(); ++i) {
        const SweepPoint p = def.point(i);
        if (p.values[0] != 1 || p.values[2] != 1) continue;  // num_last 1, ratio 1: lr_z 0.5 or 3
        const SweepResult r = run_sweep_point(def, p);
        const std::size_t z = 1;  // axis index of train.lr_z
        ASSERT_EQ(def.axes[z].key, "train.lr_z");
        ent[p.values[z] == 0.5 ? 0 : 1] += r.distinct_entropy / 4;
        EXPECT_GE(r.snap_step, 0);
    }
    EXPECT_LT(ent[1], ent[0] - 0.1);
}

TEST(Sweep, ResultsCsvRoundTrips) {
    const auto axes = parse_grid("train.lr_z=0.5,1");
    std::vector<SweepResult> rows;
    for (const SweepPoint& p : expand_sweep(axes, 2)) {
        SweepResult r;
        r.point = p;
        r.loss = 0.25 * p.index;
        r.distinct_entropy = 1.5;
        r.common_mass = 0.4;
        r.snap_step = p.index == 3 ? -1 : 20;
        rows.push_back(r);
    }
    const std::string csv = sweep_results_csv(axes, rows);
    const SweepDefinition def = definition(axes, 2);
    const auto back = read_sweep_results(csv, "r.csv", def);
    EXPECT_EQ(sweep_results_csv(axes, back), csv);
    EXPECT_THROW(read_sweep_results("index,seed\n", "bad.csv", def), DataError);
    EXPECT_THROW(read_sweep_results(csv + "3,1,2,x,1,1,1\n", "bad.csv", def), DataError);
}

TEST(Sweep, SnapStepMatchesTheDefinitionOnNoisyData) {
    // Brute force (the definition) against the one-pass version on random walks that settle.
    Rng rng(8);
    for (int trial = 0; trial < 200; ++trial) {
        const int n = 2 + static_cast<int>(rng.below(60));
        std::vector<MatrixRecord> recs(n);
        double v = rng.uniform();
        for (int s = 0; s < n; ++s) {
            recs[s].step = s * 2;
            v += (rng.uniform() - 0.5) * (s < n / 2 ? 0.05 : 0.004);
            recs[s].attention = {v, rng.uniform() * 0.002};
        }
        std::vector<const MatrixRecord*> p;
        for (const auto& r : recs) p.push_back(&r);
        std::int64_t want = -1;
        for (int s = 0; s < n && want < 0; ++s) {
            if (recs.back().step < recs[s].step + 6) break;
            bool ok = true;
            for (int t = s + 1; t < n; ++t)
                for (std::size_t i = 0; i < 2; ++i) ok = ok && std::abs(recs[t].attention[i] - recs[s].attention[i]) < 0.01;
            if (ok) want = recs[s].step;
        }
        ASSERT_EQ(snap_step(p, 0.01, 6), want) << trial;
    }
}
