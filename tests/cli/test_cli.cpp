// End-to-end checks of snapscope-cli: outputs, reproducibility from config.json, errors.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snapscope/scansnap_output.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Result {
    int status;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result cli(const std::string& args) {
    // One folder per test: ctest runs tests in parallel processes.
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path dir = fs::path(::testing::TempDir()) / (std::string("snapscope_cli_io_") + info->name());
    fs::create_directories(dir);
    const std::string cmd = std::string(SNAPSCOPE_CLI) + " " + args + " >" + (dir / "out").string() + " 2>" + (dir / "err").string();
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(dir / "out"), slurp(dir / "err")};
}

fs::path fresh_dir(const std::string& name) {
    const fs::path d = fs::path(::testing::TempDir()) / name;
    fs::remove_all(d);
    return d;
}

std::string without_timing(const std::string& final_text) {
    json j = json::parse(final_text);
    EXPECT_TRUE(j.contains("steps_per_second"));
    j.erase("steps_per_second");
    j.erase("elapsed_seconds");
    return j.dump();
}

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(Cli, Fig4RunWritesOutputsAndItsConfigReproducesIt) {
    const fs::path a = fresh_dir("cli_a"), b = fresh_dir("cli_b");
    Result r = cli("run --preset fig4 --out " + a.string());
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* f : {"config.json", "trajectory.csv", "final.json"}) EXPECT_TRUE(fs::exists(a / f)) << f;
    const std::string csv = slurp(a / "trajectory.csv");
    EXPECT_EQ(csv.substr(0, csv.find('\n')),
              "step,loss,lr_z,lr_y,common_mass_0,distinct_entropy_0,common_mass_1,distinct_entropy_1");
    EXPECT_EQ(count_lines(csv), 102);  // header + steps 0..100
    const json fin = json::parse(slurp(a / "final.json"));
    EXPECT_EQ(fin["step"], 100);
    EXPECT_EQ(fin["M"], 34);
    EXPECT_EQ(fin["Z"].size(), 34u);
    EXPECT_EQ(fin["Y"][0].size(), 34u);
    ASSERT_EQ(fin["classes"].size(), 2u);
    EXPECT_EQ(fin["classes"][0]["query"], 30);
    EXPECT_EQ(fin["classes"][0]["label"], 32);
    EXPECT_EQ(fin["classes"][0]["attention"].size(), 34u);
    EXPECT_GT(fin["steps_per_second"].get<double>(), 0.0);
    EXPECT_LT(fin["loss"].get<double>(), 1e-3);

    r = cli("run --config " + (a / "config.json").string() + " --out " + b.string() + " --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(slurp(a / "config.json"), slurp(b / "config.json"));
    EXPECT_EQ(slurp(a / "trajectory.csv"), slurp(b / "trajectory.csv"));
    EXPECT_EQ(without_timing(slurp(a / "final.json")), without_timing(slurp(b / "final.json")));
    // No temporary files are left behind.
    for (const auto& e : fs::directory_iterator(b)) EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(Cli, OverridesStepsSeedAndKeys) {
    const fs::path a = fresh_dir("cli_c");
    Result r = cli("run --preset fig6 --steps 7 --seed 5 --set train.lr_y_over_z=10 --set data.seq_len=32 -q --out " + a.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const json cfg = json::parse(slurp(a / "config.json"));
    EXPECT_EQ(cfg["train.steps"], 7);
    EXPECT_EQ(cfg["train.seed"], 5);
    EXPECT_EQ(cfg["data.seq_len"], 32);
    EXPECT_DOUBLE_EQ(cfg["train.lr_y"].get<double>(), 5.0);
    EXPECT_EQ(count_lines(slurp(a / "trajectory.csv")), 1 + 8);
}

TEST(Cli, BadInputGivesOneLineErrorAndNonZeroStatus) {
    const fs::path d = fresh_dir("cli_bad");
    fs::create_directories(d);
    std::ofstream(d / "bad.jsonl") << "{\"tokens\": [0, 1, 2], \"label\": 3}\n{\"tokens\": [0, 1, 2], \"label\": }\n";
    std::ofstream(d / "bad.json") << "{\"train\": {\"lr_z\": -2}}";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"run --preset nope --out " + (d / "o").string(), "unknown preset 'nope'"},
        {"run --preset fig4 --set train.bogus=1 --out " + (d / "o").string(), "train.bogus"},
        {"run --preset fig4 --set train.batch=0 --out " + (d / "o").string(), "train.batch"},
        {"run --config " + (d / "bad.json").string() + " --out " + (d / "o").string(), "train.lr_z"},
        {"run --config " + (d / "missing.json").string() + " --out " + (d / "o").string(), "cannot open"},
        {"run --preset fig4 --set data.kind=file --set data.path=" + (d / "bad.jsonl").string() + " --out " + (d / "o").string(),
         "bad.jsonl:2:"},
        {"run --preset fig4", "--out"},
        {"run --preset fig4 --steps -3 --out " + (d / "o").string(), "steps"},
    };
    for (const auto& [args, needle] : cases) {
        const Result r = cli(args);
        EXPECT_NE(r.status, 0) << args;
        EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
        EXPECT_NE(r.err.find("error"), std::string::npos) << args << "\n" << r.err;
    }
    const Result diverge = cli("run --preset fig4 --set train.lr_y=1e308 --set train.lr_z=1e308 -q --out " + (d / "div").string());
    EXPECT_NE(diverge.status, 0);
    EXPECT_NE(diverge.err.find("diverged at step"), std::string::npos) << diverge.err;
    EXPECT_TRUE(fs::exists(d / "div" / "trajectory.csv"));
}

TEST(Cli, PresetsAndKeysAreListed) {
    Result r = cli("presets");
    ASSERT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("fig4"), std::string::npos);
    EXPECT_NE(r.out.find("fig6"), std::string::npos);
    r = cli("keys");
    ASSERT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("train.lr_y_over_z"), std::string::npos);
    EXPECT_NE(r.out.find("data.num_common_per_last"), std::string::npos);
}

TEST(AtomicWrite, ReplacesWholeFilesAndFailsCleanly) {
    const fs::path d = fresh_dir("atomic");
    fs::create_directories(d);
    snapscope::write_file_atomic((d / "f.txt").string(), "first");
    snapscope::write_file_atomic((d / "f.txt").string(), "second");
    EXPECT_EQ(slurp(d / "f.txt"), "second");
    EXPECT_THROW(snapscope::write_file_atomic((d / "no" / "such" / "dir.txt").string(), "x"), snapscope::IoError);
    int files = 0;
    for (const auto& e : fs::directory_iterator(d)) { (void)e; ++files; }
    EXPECT_EQ(files, 1);
}

TEST(Cli, TpgRunWritesGraphsSvmAndSamples) {
    const fs::path a = fresh_dir("cli_tpg_a"), b = fresh_dir("cli_tpg_b");
    Result r = cli("run --preset tpg-cyclic --steps 300 --out " + a.string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("corr(W, W_svm)"), std::string::npos);
    const std::string csv = slurp(a / "trajectory.csv");
    EXPECT_EQ(csv.substr(0, csv.find('\n')), "step,loss,lr,corr_svm,corr_fit,fit_R,proj_dist,top_scc_mass,proj_dist_tau,proj_corr,max_scc_mass");
    EXPECT_EQ(count_lines(csv), 302);
    // Numbers, not only structure: the loss falls and W turns towards W_svm (a sign flip in an update fails here).
    {
        std::istringstream rows(csv);
        std::string header, first, line, last;
        std::getline(rows, header);
        std::getline(rows, first);
        while (std::getline(rows, line)) last = line;
        auto field = [](const std::string& row, int k) {
            std::istringstream cells(row);
            std::string cell;
            for (int i = 0; i <= k; ++i) std::getline(cells, cell, ',');
            return std::stod(cell);
        };
        EXPECT_LT(field(last, 1), 0.8 * field(first, 1));   // loss
        EXPECT_GT(field(last, 3), field(first, 3) + 0.2);   // corr_svm
        EXPECT_GT(field(last, 10), field(first, 10));       // max_scc_mass
    }
    const json fin = json::parse(slurp(a / "final.json"));
    for (const char* k : {"W", "W_svm", "W_fin", "embeddings", "graphs", "samples", "metrics"}) EXPECT_TRUE(fin.contains(k)) << k;
    EXPECT_EQ(fin["K"], 6);
    EXPECT_EQ(fin["W"].size(), 8u);
    EXPECT_EQ(fin["embeddings"].size(), 6u);
    EXPECT_EQ(fin["samples"].size(), 6u);
    EXPECT_EQ(fin["samples"][0]["attention"].size(), 4u);
    bool cyclic = false;
    for (const auto& g : fin["graphs"])
        for (const auto& scc : g["sccs"]) cyclic = cyclic || scc.size() > 1;
    EXPECT_TRUE(cyclic);
    EXPECT_TRUE(fin["svm_kkt"]["converged"].get<bool>());
    r = cli("run --config " + (a / "config.json").string() + " -q --out " + b.string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(without_timing(slurp(a / "final.json")), without_timing(slurp(b / "final.json")));
}

TEST(Cli, AFileDatasetThroughATpgPresetTakesItsSizesFromTheFile) {
    // Issue 10, point 10: the preset's K = 6 and d = 8 describe the generator's data, not the file's.
    const fs::path d = fresh_dir("cli_tpg_file");
    fs::create_directories(d);
    std::ofstream(d / "k13.jsonl") << "{\"tokens\": [0, 11, 12], \"label\": 0}\n{\"tokens\": [11, 0, 12], \"label\": 11}\n";
    Result r = cli("run --preset tpg-cyclic --set data.kind=file --set data.path=" + (d / "k13.jsonl").string() + " --steps 20 -q --out " +
                   (d / "a").string());
    ASSERT_EQ(r.status, 0) << r.err;
    json fin = json::parse(slurp(d / "a" / "final.json"));
    EXPECT_EQ(fin["K"], 13);
    EXPECT_EQ(fin["d"], 13);
    r = cli("run --preset tpg-cyclic --set data.kind=file --set data.path=" + (d / "k13.jsonl").string() + " --set model.dim=16 --steps 20 -q --out " +
            (d / "b").string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(json::parse(slurp(d / "b" / "final.json"))["d"], 16);  // what the user sets wins
}

TEST(Cli, GraphCommandPrintsSccsAndSvmWithoutTraining) {
    const fs::path d = fresh_dir("cli_graph");
    fs::create_directories(d);
    std::ofstream(d / "chain.jsonl") << "{\"tokens\": [0, 1, 3], \"label\": 0}\n{\"tokens\": [1, 2, 3], \"label\": 1}\n"
                                        "{\"tokens\": [2, 3], \"label\": 2}\n";
    const Result r = cli("graph --data " + (d / "chain.jsonl").string());
    ASSERT_EQ(r.status, 0) << r.err;
    const json j = json::parse(r.out);
    ASSERT_EQ(j["graphs"].size(), 1u);
    EXPECT_EQ(j["graphs"][0]["query"], 3);
    EXPECT_EQ(j["graphs"][0]["sccs"], json::parse("[[0], [1], [2], [3]]"));
    const double want[4] = {1.5, 0.5, -0.5, -1.5};
    for (int t = 0; t < 4; ++t) EXPECT_NEAR(j["W_svm"][t][3].get<double>(), want[t], 1e-9);
    const Result bad = cli("graph --data " + (d / "missing.jsonl").string());
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.err.find("missing.jsonl"), std::string::npos);
}

TEST(Cli, ATokenPriorityGraphSweepRecordsTheLabsOwnMeasures) {
    // Issue 11: the sweep engine runs any lab through its LabRun. A grid over the tpg learning rate writes the tpg
    // lab's measures, and each row is the final record of the same run made alone with `run` (bit for bit); shards
    // merge to the same file.
    const fs::path sw = fresh_dir("tpg_sweep"), s1 = fresh_dir("tpg_s1"), s2 = fresh_dir("tpg_s2"), merged = fresh_dir("tpg_merged");
    const std::string grid = " --grid train.lr=0.01,0.05 --seeds 2 --set train.steps=60 -q";
    const Result r = cli("sweep --preset tpg-cyclic --jobs 2" + grid + " --out " + sw.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string rows = slurp(sw / "results.csv");
    ASSERT_EQ(count_lines(rows), 1 + 2 * 2) << rows;
    EXPECT_EQ(rows.substr(0, rows.find('\n')),
              "index,train.lr,seed,loss,corr_svm,corr_fit,fit_R,proj_dist,top_scc_mass,proj_dist_tau,proj_corr,max_scc_mass");
    const std::string summary = slurp(sw / "summary.csv");
    EXPECT_EQ(summary.substr(0, summary.find('\n')),
              "train.lr,runs,loss_mean,loss_sd,corr_svm_mean,corr_svm_sd,corr_fit_mean,corr_fit_sd,fit_R_mean,fit_R_sd,proj_dist_mean,"
              "proj_dist_sd,top_scc_mass_mean,top_scc_mass_sd,proj_dist_tau_mean,proj_dist_tau_sd,proj_corr_mean,proj_corr_sd,"
              "max_scc_mass_mean,max_scc_mass_sd,diverged");
    auto split = [](const std::string& line) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
        return f;
    };
    std::stringstream lines(rows);
    std::string line;
    std::getline(lines, line);
    int checked = 0;
    while (std::getline(lines, line)) {
        const std::vector<std::string> f = split(line);  // index, lr, seed, loss, 8 measures
        ASSERT_EQ(f.size(), 12u) << line;
        const fs::path one = fresh_dir("tpg_one_" + f[0]);
        const Result alone = cli("run --preset tpg-cyclic --set train.lr=" + f[1] + " --seed " + f[2] + " --steps 60 -q --out " + one.string());
        ASSERT_EQ(alone.status, 0) << alone.err;
        const std::string traj = slurp(one / "trajectory.csv");
        const std::string last = traj.substr(traj.rfind('\n', traj.size() - 2) + 1);
        const std::vector<std::string> t = split(last.substr(0, last.size() - 1));  // step, loss, lr, 8 measures
        ASSERT_EQ(t.size(), 11u) << last;
        EXPECT_EQ(t[0], "60");
        EXPECT_EQ(std::stod(f[3]), std::stod(t[1])) << "loss of row " << f[0];
        for (int m = 0; m < 8; ++m) EXPECT_EQ(std::stod(f[4 + m]), std::stod(t[3 + m])) << "measure " << m << " of row " << f[0];
        EXPECT_GT(std::stod(f[4]), 0.0) << "corr_svm is a number";
        ++checked;
    }
    EXPECT_EQ(checked, 4);
    // Different rates give different runs.
    EXPECT_NE(split(rows.substr(rows.find('\n') + 1))[3], split(rows.substr(rows.rfind('\n', rows.size() - 2) + 1))[3]);
    ASSERT_EQ(cli("sweep --preset tpg-cyclic --shard 1/2" + grid + " --out " + s1.string()).status, 0);
    ASSERT_EQ(cli("sweep --preset tpg-cyclic --shard 2/2" + grid + " --out " + s2.string()).status, 0);
    const Result m = cli("merge " + s1.string() + " " + s2.string() + " --out " + merged.string());
    ASSERT_EQ(m.status, 0) << m.err;
    EXPECT_EQ(slurp(merged / "results.csv"), rows);
    EXPECT_EQ(slurp(merged / "summary.csv"), summary);
}

TEST(Cli, SweepShardsMergeToTheSameRowsAndResume) {
    const fs::path full = fresh_dir("sw_full"), s1 = fresh_dir("sw_s1"), s2 = fresh_dir("sw_s2"), merged = fresh_dir("sw_merged");
    const std::string grid = " --grid train.lr_z=0.5,2 --grid train.lr_y_over_z=1,5 --grid data.num_last=1 --seeds 3 --set train.steps=30 -q";
    ASSERT_EQ(cli("sweep --preset fig6-sweep --jobs 2" + grid + " --out " + full.string()).status, 0);
    ASSERT_EQ(cli("sweep --preset fig6-sweep --shard 1/2" + grid + " --out " + s1.string()).status, 0);
    ASSERT_EQ(cli("sweep --preset fig6-sweep --shard 2/2 --jobs 2" + grid + " --out " + s2.string()).status, 0);
    const Result m = cli("merge " + s1.string() + " " + s2.string() + " --out " + merged.string());
    ASSERT_EQ(m.status, 0) << m.err;
    const std::string rows = slurp(full / "results.csv");
    EXPECT_EQ(count_lines(rows), 1 + 2 * 2 * 3);
    EXPECT_EQ(rows.substr(0, rows.find('\n')),
              "index,data.num_last,train.lr_z,train.lr_y_over_z,seed,loss,distinct_entropy,common_mass,snap_step");
    EXPECT_EQ(slurp(merged / "results.csv"), rows);
    EXPECT_EQ(slurp(merged / "summary.csv"), slurp(full / "summary.csv"));
    EXPECT_EQ(count_lines(slurp(full / "summary.csv")), 1 + 4);
    // Resume: drop the last rows, rerun: only the missing runs are done and the file is complete again.
    const std::string partial = rows.substr(0, rows.find('\n', rows.find('\n', rows.find('\n') + 1) + 1) + 1);  // header + 2 rows
    std::ofstream(full / "results.csv") << partial;
    const Result again = cli("sweep --preset fig6-sweep" + grid.substr(0, grid.size() - 3) + " --out " + full.string());
    ASSERT_EQ(again.status, 0) << again.err;
    EXPECT_NE(again.out.find("10 runs (2 were already done)"), std::string::npos) << again.out;
    EXPECT_EQ(slurp(full / "results.csv"), rows);
    // Bad input.
    EXPECT_NE(cli("sweep --grid train.nope=1,2 --out " + full.string()).status, 0);
    EXPECT_NE(cli("sweep --grid train.lr_z=-1,2 --out " + full.string()).status, 0);
    EXPECT_NE(cli("sweep --shard 3/2 --out " + full.string()).status, 0);
}
