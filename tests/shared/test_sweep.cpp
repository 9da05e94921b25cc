#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "snapscope/snap_step.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/sweep.hpp"
#include "snapscope/sweep_folder.hpp"
#include "test_util.hpp"

using namespace snapscope;

namespace {
SweepDefinition definition(const std::vector<SweepAxis>& axes, int seeds) {
    SweepDefinition d;
    d.axes = axes;
    d.seeds = seeds;
    d.base["model.kind"] = "scan_snap";
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

TEST(Sweep, SnapStepIsWhereTheAttentionStopsMovingRelativeToHowFarItMoved) {
    // One class, two tokens: the attention moves 0.1 per step for 15 steps (1.5 in all), then creeps.
    std::vector<MatrixRecord> recs;
    for (int s = 0; s <= 40; ++s) {
        MatrixRecord r;
        r.step = s;
        const double v = s < 15 ? 0.02 * s : 0.3 + 0.0005 * (s - 15);
        r.attention = {v, 1 - v};
        recs.push_back(r);
    }
    std::vector<const MatrixRecord*> p;
    for (const auto& r : recs) p.push_back(&r);
    // At step 15 it has moved TV 0.3; it moves 0.0125 more: 4% of it, within 5%.
    EXPECT_EQ(snap_step(p, 1, 0.05, 10), 15);
    EXPECT_EQ(snap_step(p, 1, 0.05, 30), -1);  // not enough steps after step 15 to tell
    EXPECT_GT(snap_step(p, 1, 0.01, 5), 15);   // at 1% the creep is still movement
    // The same run scaled down 100x (a vocabulary 100 times wider) snaps at the same step: the definition is
    // scale-free. An absolute tolerance of 0.01 would have called it frozen from step 0.
    for (auto& r : recs) r.attention = {r.attention[0] / 100, r.attention[1] / 100};
    EXPECT_EQ(snap_step(p, 1, 0.05, 10), 15);
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
        ent[p.values[z] == 0.5 ? 0 : 1] += def.value(r, "distinct_entropy") / 4;
        EXPECT_GE(def.value(r, "snap_step"), 0);
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
        r.values = {1.5, 0.4, p.index == 3 ? -1.0 : 20.0};  // distinct_entropy, common_mass, snap_step
        rows.push_back(r);
    }
    const SweepDefinition def = definition(axes, 2);
    const std::string csv = sweep_results_csv(def, rows);
    EXPECT_EQ(csv.substr(0, csv.find('\n')), "index,train.lr_z,seed,loss,distinct_entropy,common_mass,snap_step");
    EXPECT_NE(csv.find("\n3,1,2,0.75,1.5,0.4,-1\n"), std::string::npos) << csv;
    const auto back = read_sweep_results(csv, "r.csv", def);
    EXPECT_EQ(sweep_results_csv(def, back), csv);
    EXPECT_THROW(read_sweep_results("index,seed\n", "bad.csv", def), DataError);
    EXPECT_THROW(read_sweep_results(csv + "3,1,2,x,1,1,1\n", "bad.csv", def), DataError);
}

TEST(Sweep, SnapStepMatchesTheDefinitionOnNoisyData) {
    // Brute force (the definition, O(n^2)) against the one-pass version on random walks that settle, two classes.
    Rng rng(8);
    for (int trial = 0; trial < 200; ++trial) {
        const int n = 2 + static_cast<int>(rng.below(60));
        std::vector<MatrixRecord> recs(n);
        double v = rng.uniform(), w = rng.uniform();
        for (int s = 0; s < n; ++s) {
            recs[s].step = s * 2;
            v += (rng.uniform() - 0.5) * (s < n / 2 ? 0.05 : 0.002);
            w += (rng.uniform() - 0.5) * (s < n / 3 ? 0.05 : 0.001);
            recs[s].attention = {v, 1 - v, w, rng.uniform() * 0.001, 1 - w};
        }
        // Classes of 2 and 3 tokens do not divide 5 evenly: use rows of equal length instead.
        for (auto& r : recs) r.attention.push_back(0.0);
        std::vector<const MatrixRecord*> p;
        for (const auto& r : recs) p.push_back(&r);
        const double tol = 0.05;
        std::int64_t want = -1;
        for (int s = 0; s < n && want < 0; ++s) {
            if (recs.back().step < recs[s].step + 6) break;
            bool ok = true;
            for (int cls = 0; cls < 2 && ok; ++cls) {
                double env = 0, moved = 0;
                for (int l = cls * 3; l < cls * 3 + 3; ++l) {
                    double m = 0;
                    for (int t = s; t < n; ++t) m = std::max(m, std::abs(recs[t].attention[l] - recs[s].attention[l]));
                    env += m;
                    moved += std::abs(recs[s].attention[l] - recs[0].attention[l]);
                }
                ok = env <= tol * moved;
            }
            if (ok) want = recs[s].step;
        }
        ASSERT_EQ(snap_step(p, 2, tol, 6), want) << trial;
    }
}

TEST(Sweep, SnapStepOfAWideVocabularyIsNotStepZero) {
    // Issue 10, point 8: with 560 distinct tokens per class (M = 1134) every c_n is tiny, so an absolute 0.01 said
    // "snapped at step 0" while every curve still moved.
    const SweepDefinition def =
        make_sweep_definition(preset_config("fig4"), {"data.num_unique_per_next=560", "train.lr_z=2"}, 1, kSnapTolerance, kSnapWindow);
    const SweepResult r = run_sweep_point(def, def.point(0));
    EXPECT_GT(def.value(r, "snap_step"), 10);
    EXPECT_LT(def.value(r, "snap_step"), 100);
}

// A sweep folder written as snapscope-cli sweep writes it (sweep.json, results.csv), read back for a view.
TEST(SweepFolder, ReadsAWholeSweepAShardAndSaysWhatIsWrongWithABadOne) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("snapscope-sweepfolder-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const SweepDefinition def = make_sweep_definition(preset_config("fig4"), {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2"}, 2, kSnapTolerance, kSnapWindow);
    ASSERT_EQ(def.size(), 8);
    std::vector<SweepResult> rows;
    for (std::int64_t i = 0; i < def.size(); ++i) {
        SweepResult r;
        r.point = def.point(i);
        r.loss = 0.1 * static_cast<double>(i);
        r.values = {1.5 + 0.01 * static_cast<double>(i), 0.4, 20.0};
        rows.push_back(r);
    }
    auto write = [&](const fs::path& d, int shard, int shards, const std::vector<SweepResult>& rs) {
        fs::create_directories(d);
        SweepManifest m;
        m.def = def;
        m.shard_index = shard;
        m.shard_count = shards;
        std::ofstream(d / "sweep.json") << sweep_manifest_text(m);
        std::ofstream(d / "results.csv") << sweep_results_csv(def, rs);
    };
    // Whole, given as the folder or as a file in it; rows come back in index order with their values.
    std::vector<SweepResult> shuffled(rows.rbegin(), rows.rend());
    write(dir / "all", 1, 1, shuffled);
    for (const std::string& p : {(dir / "all").string(), (dir / "all" / "summary.csv").string(), (dir / "all" / "sweep.json").string()}) {
        if (p.find("summary") != std::string::npos) std::ofstream(dir / "all" / "summary.csv") << "x\n";
        EXPECT_TRUE(is_sweep_folder(p)) << p;
        const SweepFolder f = read_sweep_folder(p, 1000, 1 << 20);
        ASSERT_EQ(f.results.size(), 8u);
        EXPECT_EQ(f.expected, 8);
        EXPECT_EQ(f.results[5].point.index, 5);
        EXPECT_DOUBLE_EQ(f.results[5].values[0], 1.55);
        EXPECT_EQ(f.describe(), "8 of 8 runs");
        EXPECT_EQ(f.dir, (dir / "all").string());
    }
    // A partial sweep says how many are missing; a shard counts against its own runs.
    write(dir / "partial", 1, 1, {rows[0], rows[3]});
    EXPECT_EQ(read_sweep_folder((dir / "partial").string(), 1000, 1 << 20).describe(), "2 of 8 runs (partial: 6 not run yet or missing)");
    write(dir / "shard", 2, 3, {rows[1], rows[4]});
    const SweepFolder s = read_sweep_folder((dir / "shard").string(), 1000, 1 << 20);
    EXPECT_EQ(s.expected, 3);  // runs 1, 4, 7
    EXPECT_EQ(s.describe(), "2 of 3 runs (shard 2/3 of a sweep of 8 runs)");
    // A folder with sweep.json and no results yet (a shard that has not started) holds no runs.
    fs::remove(dir / "shard" / "results.csv");
    EXPECT_TRUE(read_sweep_folder((dir / "shard").string(), 1000, 1 << 20).results.empty());
    // Wrong: a run of another shard, a run twice, a malformed row, a missing folder, no sweep.json, too many runs,
    // a results.csv larger than allowed.
    auto message = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    write(dir / "othershard", 2, 3, {rows[2]});
    EXPECT_NE(message([&] { read_sweep_folder((dir / "othershard").string(), 1000, 1 << 20); }).find("run 2 is not in shard 2/3"), std::string::npos);
    write(dir / "twice", 1, 1, {rows[2], rows[2]});
    EXPECT_NE(message([&] { read_sweep_folder((dir / "twice").string(), 1000, 1 << 20); }).find("run 2"), std::string::npos);
    write(dir / "bad", 1, 1, rows);
    std::ofstream(dir / "bad" / "results.csv", std::ios::app) << "3,1,x\n";
    EXPECT_NE(message([&] { read_sweep_folder((dir / "bad").string(), 1000, 1 << 20); }).find("results.csv"), std::string::npos);
    EXPECT_NE(message([&] { read_sweep_folder((dir / "nowhere").string(), 1000, 1 << 20); }).find("no such folder"), std::string::npos);
    fs::create_directories(dir / "empty");
    EXPECT_FALSE(is_sweep_folder((dir / "empty").string()));
    EXPECT_NE(message([&] { read_sweep_folder((dir / "empty").string(), 1000, 1 << 20); }).find("no sweep.json"), std::string::npos);
    EXPECT_NE(message([&] { read_sweep_folder((dir / "all").string(), 7, 1 << 20); }).find("8 runs, more than the 7"), std::string::npos);
    EXPECT_NE(message([&] { read_sweep_folder((dir / "all").string(), 1000, 100); }).find("results.csv"), std::string::npos);
    fs::remove_all(dir);
}

TEST(Sweep, GridTextReadsBackToTheSameAxesAndTheConfigToTheSameDefinition) {
    // Values that need care: a double that prints long, a tiny one, an integer beside doubles, strings with the
    // separators (comma, semicolon, equals), a quote, a backslash and a leading space.
    std::vector<SweepAxis> axes(3);
    axes[0].key = "train.lr_z";
    axes[0].values = {0.1 + 0.2, 1e-300, 2, 0.5};
    axes[1].key = "description";
    axes[1].values = {"a,b;c=d", "say \"hi\"\\", " x"};
    axes[2].key = "data.num_last";
    axes[2].values = {1, 3};
    const std::vector<SweepAxis> back = parse_grid(grid_text(axes));
    ASSERT_EQ(back.size(), axes.size()) << grid_text(axes);
    for (std::size_t a = 0; a < axes.size(); ++a) {
        EXPECT_EQ(back[a].key, axes[a].key);
        ASSERT_EQ(back[a].values.size(), axes[a].values.size()) << grid_text(axes);
        for (std::size_t i = 0; i < axes[a].values.size(); ++i) {
            EXPECT_EQ(back[a].values[i], axes[a].values[i]) << grid_text(axes);
            EXPECT_EQ(back[a].values[i].is_string(), axes[a].values[i].is_string()) << back[a].values[i].dump();
            EXPECT_EQ(back[a].values[i].is_number_integer(), axes[a].values[i].is_number_integer()) << back[a].values[i].dump();
        }
    }
    // A definition made from a preset with extra axes and seeds, turned into a config and back, is the same sweep.
    const std::vector<std::string> grids = {"train.lr_z=0.30000000000000004,1e-3,2", "description=\"a,b;c\",plain", "data.num_last=1,3"};
    const SweepDefinition def = make_sweep_definition(preset_config("fig6-sweep"), grids, 3, 0.07, 12);
    const FlatConfig cfg = sweep_definition_config(def);
    const SweepDefinition again = make_sweep_definition(cfg, {}, 0, 0.07, 12);
    EXPECT_EQ(def.difference(again), "");
    EXPECT_EQ(def.to_json().dump(), again.to_json().dump());
    EXPECT_EQ(again.seeds, 3);
    // The config itself is a valid config of the first grid point.
    const Config c = resolve_config(cfg, "test");
    EXPECT_EQ(c.sweep_seeds, 3);
    ASSERT_EQ(def.axes[1].key, "train.lr_z");  // (the preset's axes first, --grid replacing its lr_z in place)
    EXPECT_EQ(cfg.at("train.lr_z"), def.axes[1].values[0]);
    EXPECT_EQ(cfg.at("data.num_last"), def.axes[0].values[0]);
}
