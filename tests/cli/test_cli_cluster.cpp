// Issue 15, sweeps beyond one machine, through snapscope-cli: `sweep --emit slurm|parallel` writes a job script
// (checked here as text, with bash -n, and by running its array task and its merge command without Slurm), and
// `merge` proves completeness (a wholly missing shard is named with the command that reruns it; --status reports
// progress while a job runs). The real cluster runs are tests/cluster/*.sh.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "proc_util.hpp"

namespace fs = std::filesystem;
using namespace snapscope::test;

namespace {

// Six tiny runs (fig6-sweep's lab, 5 steps), with a grid value that needs quoting in sh (a comma and a quote).
const std::string kSweep =
    " --preset fig6-sweep --grid data.num_last=1 --grid train.lr_z=1,2 --grid train.lr_y_over_z=1 --seeds 3 --set train.steps=5"
    " --grid 'description=\"it'\\''s, quoted\"'";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t p = 0;
    while (p < text.size()) {
        const std::size_t e = text.find('\n', p);
        out.push_back(text.substr(p, e == std::string::npos ? std::string::npos : e - p));
        if (e == std::string::npos) break;
        p = e + 1;
    }
    return out;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// The script's "merge and check" command: the comment line after "# Merge and check", without its "# ".
std::string merge_command(const std::string& script) {
    const std::vector<std::string> ls = lines_of(script);
    for (std::size_t i = 0; i + 1 < ls.size(); ++i)
        if (ls[i].rfind("# Merge and check", 0) == 0) return ls[i + 1].substr(std::min<std::size_t>(2, ls[i + 1].size()));
    return "";
}

int bash_syntax(const fs::path& script) { return run_process("bash -n '" + script.string() + "'").status; }

}  // namespace

TEST(Issue15Emit, SlurmScriptHasTheArrayResourcesLogsAndDependentMerge) {
    const fs::path d = test_dir("slurm");
    const fs::path out = d / "sw", script = d / "job.sh";
    const ProcResult r = run_cli("sweep" + kSweep + " --jobs 2 --emit slurm --shards 3 --out " + out.string() + " --script " + script.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string s = slurp_file(script);
    EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u) << s.substr(0, 200);
    EXPECT_EQ(bash_syntax(script), 0) << s;
    EXPECT_TRUE(contains(s, "\n#SBATCH --array=1-3\n")) << s;
    EXPECT_TRUE(contains(s, "\n#SBATCH --cpus-per-task=2\n")) << s;
    EXPECT_TRUE(contains(s, "\n#SBATCH --time=")) << s;
    EXPECT_TRUE(contains(s, "\n#SBATCH --mem=")) << s;
    EXPECT_TRUE(contains(s, "--dependency=afterany:")) << s;
    EXPECT_TRUE(contains(s, "shard-%a.out")) << s;
    EXPECT_TRUE(contains(s, "shard-%a.err")) << s;
    EXPECT_TRUE(contains(s, "PARTITION=")) << s;
    EXPECT_TRUE(contains(s, "ACCOUNT=")) << s;
    // The sweep's own arguments, quoted for sh, and the absolute path of the tool.
    EXPECT_TRUE(contains(s, fs::canonical(cli()).string() + " sweep")) << s;
    EXPECT_TRUE(contains(s, "--preset fig6-sweep")) << s;
    EXPECT_TRUE(contains(s, "--set train.steps=5")) << s;
    EXPECT_TRUE(contains(s, "--grid train.lr_z=1,2")) << s;
    EXPECT_TRUE(contains(s, "--seeds 3")) << s;
    EXPECT_TRUE(contains(s, "--jobs 2")) << s;
    EXPECT_TRUE(contains(s, "--grid 'description=\"it'\\''s, quoted\"'")) << s;
    // The estimate is said, and how it was made.
    EXPECT_TRUE(contains(s, "timing run")) << s;
    EXPECT_TRUE(contains(s, "memory estimate")) << s;
    // Nothing was run, the script was written whole (no temporary file left beside it).
    EXPECT_FALSE(fs::exists(out / "part-1"));
    for (const auto& e : fs::directory_iterator(d)) EXPECT_TRUE(e.path() == script || e.path().filename() == "sw") << e.path();
    // The merge command names every part (a wholly missing one is then named by merge, not skipped by a glob).
    const std::string merge = merge_command(s);
    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(contains(merge, (out / ("part-" + std::to_string(i))).string())) << merge;
    EXPECT_TRUE(contains(merge, "--out " + (out / "merged").string())) << merge;
    // Its array task runs its shard (as Slurm would run it), and the merge then equals one machine's sweep.
    for (int i = 1; i <= 3; ++i) {
        const ProcResult t = run_process("env SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " SLURM_JOB_ID=1 bash '" + script.string() + "'", 300);
        ASSERT_EQ(t.status, 0) << t.err;
    }
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --out " + (d / "one").string()).status, 0);
    const ProcResult m = run_process(merge, 120);
    ASSERT_EQ(m.status, 0) << m.err;
    EXPECT_EQ(slurp_file(out / "merged" / "results.csv"), slurp_file(d / "one" / "results.csv"));
    // To standard output without --script.
    const ProcResult so = run_cli("sweep" + kSweep + " --emit slurm --shards 2 --out " + out.string());
    ASSERT_EQ(so.status, 0) << so.err;
    EXPECT_TRUE(contains(so.out, "\n#SBATCH --array=1-2\n")) << so.out;
    EXPECT_TRUE(contains(so.out, "\n#SBATCH --cpus-per-task=1\n")) << so.out;
}

TEST(Issue15Emit, ParallelScriptHasOneCommandPerShardWithJoblogAndResume) {
    const fs::path d = test_dir("parallel");
    const fs::path out = d / "sw", script = d / "par.sh";
    const ProcResult r = run_cli("sweep" + kSweep + " --emit parallel --shards 4 --out " + out.string() + " --script " + script.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string s = slurp_file(script);
    EXPECT_EQ(bash_syntax(script), 0) << s;
    EXPECT_TRUE(contains(s, "--joblog")) << s;
    EXPECT_TRUE(contains(s, "--resume-failed")) << s;
    int commands = 0;
    for (const std::string& l : lines_of(s))
        if (l.rfind(fs::canonical(cli()).string() + " sweep", 0) == 0) {
            ++commands;
            EXPECT_TRUE(contains(l, "--shard " + std::to_string(commands) + "/4")) << l;
            EXPECT_TRUE(contains(l, "--out " + (out / ("part-" + std::to_string(commands))).string())) << l;
            EXPECT_TRUE(contains(l, "--grid 'description=\"it'\\''s, quoted\"'")) << l;
        }
    EXPECT_EQ(commands, 4) << s;
    EXPECT_FALSE(merge_command(s).empty()) << s;
}

TEST(Issue15Emit, EveryLabsSweepGetsItsEstimates) {
    // The memory estimate is read through each lab's own limit check; a text corpus's reader refuses a tiny limit
    // with its own error (fig7 failed so before the probe took any refusal below a limit the run fits in).
    const fs::path d = test_dir("labs");
    for (const char* preset : {"fig6-sweep", "tpg-cyclic", "symmetry-first", "fig7"}) {
        const ProcResult r = run_cli(std::string("sweep --preset ") + preset + " --seeds 2 --set train.steps=3 --emit slurm --shards 2 --out " +
                                     (d / "sw").string() + " --script " + (d / (std::string(preset) + ".sh")).string());
        ASSERT_EQ(r.status, 0) << preset << ": " << r.err;
        const std::string s = slurp_file(d / (std::string(preset) + ".sh"));
        EXPECT_TRUE(contains(s, "\n#SBATCH --mem=")) << preset;
        EXPECT_TRUE(contains(s, "memory estimate")) << preset;
        EXPECT_TRUE(contains(s, "trained in full (3 steps)")) << preset << "\n" << s.substr(0, 3000);
    }
}

TEST(Issue15Emit, BadEmitOptionsAreClearErrors) {
    const fs::path d = test_dir("bad");
    const std::string o = " --out " + (d / "sw").string();
    expect_clear_error(run_cli("sweep" + kSweep + " --emit slurm" + o), "--shards", "emit without shards");
    expect_clear_error(run_cli("sweep" + kSweep + " --shards 2" + o), "--emit", "shards without emit");
    expect_clear_error(run_cli("sweep" + kSweep + " --emit pbs --shards 2" + o), "--emit", "unknown scheduler");
    expect_clear_error(run_cli("sweep" + kSweep + " --emit slurm --shards 2 --shard 1/2" + o), "--shard", "emit and shard");
    expect_clear_error(run_cli("sweep" + kSweep + " --emit slurm --shards 7" + o), "--shards", "more shards than runs");
    expect_clear_error(run_cli("sweep" + kSweep + " --script " + (d / "x.sh").string() + o), "--emit", "script without emit");
    expect_clear_error(run_cli("sweep" + kSweep + " --emit slurm --shards 2 --script " + (d / "no" / "x.sh").string() + o), "x.sh",
                       "script in a missing folder");
    EXPECT_FALSE(fs::exists(d / "sw"));
}

TEST(Issue15Merge, AWhollyMissingShardIsNamedWithTheCommandThatRerunsIt) {
    const fs::path d = test_dir("missing");
    auto part = [&](int i) { return (d / ("part-" + std::to_string(i))).string(); };
    for (int i : {1, 2, 4})
        ASSERT_EQ(run_cli("sweep" + kSweep + " -q --shard " + std::to_string(i) + "/4 --out " + part(i)).status, 0);
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --out " + (d / "one").string()).status, 0);
    // Parts 1, 2 and 4 given: shard 3 (runs 2) is named, with the command that runs it into the folder the others suggest.
    ProcResult m = run_cli("merge " + part(1) + " " + part(2) + " " + part(4) + " --out " + (d / "m").string());
    EXPECT_EQ(m.status, 1) << m.err;
    EXPECT_TRUE(contains(m.err, "shard 3/4")) << m.err;
    EXPECT_TRUE(contains(m.err, "missing: 2")) << m.err;
    const std::string rerun = "sweep --definition " + part(1) + "/sweep.json --shard 3/4 --out " + part(3);
    EXPECT_TRUE(contains(m.err, rerun)) << m.err;
    // (sweep.json does not record --jobs: the advice says how to run the shard's runs side by side again.)
    EXPECT_TRUE(contains(m.err, "add --jobs N")) << m.err;
    EXPECT_FALSE(fs::exists(d / "m" / "results.csv"));
    // All four given, the third folder absent: the same, and the folder is named.
    m = run_cli("merge " + part(1) + " " + part(2) + " " + part(3) + " " + part(4) + " --out " + (d / "m").string());
    EXPECT_EQ(m.status, 1) << m.err;
    EXPECT_TRUE(contains(m.err, part(3) + ": no such folder")) << m.err;
    EXPECT_TRUE(contains(m.err, rerun)) << m.err;
    EXPECT_FALSE(fs::exists(d / "m" / "results.csv"));
    // The printed command completes the sweep, and the merge is then one machine's sweep byte for byte.
    const ProcResult again = run_process(cli() + " " + m.err.substr(m.err.find(rerun), rerun.size()) + " -q");
    ASSERT_EQ(again.status, 0) << again.err;
    m = run_cli("merge " + part(1) + " " + part(2) + " " + part(3) + " " + part(4) + " --out " + (d / "m").string());
    ASSERT_EQ(m.status, 0) << m.err;
    EXPECT_EQ(slurp_file(d / "m" / "results.csv"), slurp_file(d / "one" / "results.csv"));
    EXPECT_EQ(slurp_file(d / "m" / "summary.csv"), slurp_file(d / "one" / "summary.csv"));
    // --definition takes a sweep.json only, and nothing that would change the sweep.
    expect_clear_error(run_cli("sweep --definition " + part(1) + "/sweep.json --set train.steps=6 --shard 3/4 --out " + (d / "x").string()),
                       "--definition", "definition with --set");
    expect_clear_error(run_cli("sweep --definition " + (d / "none.json").string() + " --out " + (d / "x").string()), "none.json",
                       "missing definition");
}

TEST(Issue15Merge, StatusReportsProgressWithoutWritingAndToleratesShardsNotStarted) {
    const fs::path d = test_dir("status");
    auto part = [&](int i) { return (d / ("part-" + std::to_string(i))).string(); };
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --shard 1/3 --out " + part(1)).status, 0);
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --shard 3/3 --out " + part(3)).status, 0);
    // Part 3 half done (one of its two rows), part 2 not started (no folder); then an empty folder (a task just begun).
    const std::string rows = slurp_file(fs::path(part(3)) / "results.csv");
    write_file(fs::path(part(3)) / "results.csv", rows.substr(0, rows.rfind('\n', rows.size() - 2) + 1));
    ProcResult s = run_cli("merge --status " + part(1) + " " + part(2) + " " + part(3));
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_TRUE(contains(s.out, part(1) + " (shard 1/3): 2 of 2 runs")) << s.out;
    EXPECT_TRUE(contains(s.out, part(2) + ": not started")) << s.out;
    EXPECT_TRUE(contains(s.out, part(3) + " (shard 3/3): 1 of 2 runs")) << s.out;
    EXPECT_TRUE(contains(s.out, "3 of 6 runs")) << s.out;
    EXPECT_TRUE(contains(s.out, "shard 2/3")) << s.out;  // named as not started
    fs::create_directories(part(2));
    s = run_cli("merge --status " + part(1) + " " + part(2) + " " + part(3));
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_TRUE(contains(s.out, part(2) + ": not started")) << s.out;
    // A task that has begun but finished no run yet: its sweep.json without a results.csv.
    fs::remove(fs::path(part(3)) / "results.csv");
    s = run_cli("merge --status " + part(1) + " " + part(2) + " " + part(3));
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_TRUE(contains(s.out, part(3) + " (shard 3/3): 0 of 2 runs")) << s.out;
    EXPECT_TRUE(contains(s.out, "2 of 6 runs")) << s.out;
    // Nothing at all yet (the job is queued): still a report, status 0.
    s = run_cli("merge --status " + (d / "q1").string() + " " + (d / "q2").string());
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_TRUE(contains(s.out, "not started")) << s.out;
    // Nothing written anywhere: the part folders hold what they held.
    EXPECT_FALSE(fs::exists(d / "q1"));
    EXPECT_EQ(std::distance(fs::directory_iterator(part(2)), fs::directory_iterator()), 0);
    // --status writes nothing, so it takes no --out; without --status --out is needed.
    expect_clear_error(run_cli("merge --status " + part(1) + " --out " + (d / "m").string()), "--out", "status with out");
    expect_clear_error(run_cli("merge " + part(1)), "--out", "merge without out");
    // Parts of two sweeps are an error even in a status report.
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --set train.steps=6 --shard 2/3 --out " + (d / "other").string()).status, 0);
    expect_clear_error(run_cli("merge --status " + part(1) + " " + (d / "other").string()), "another sweep", "status of two sweeps");
}

TEST(Issue15Merge, ConfigJsonOfASweepAndOfItsMergeIsTheSweepAgain) {
    // config.json of a sweep's folder (and of a merge) holds the sweep itself: its grid (the --grid axes too, a
    // quoted string with a comma among them) and its seeds, so `sweep --config` of it runs the very same sweep.
    const fs::path d = test_dir("config");
    const std::string a = (d / "a").string();
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --shard 1/2 --out " + a + "-1").status, 0);
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --shard 2/2 --out " + a + "-2").status, 0);
    ASSERT_EQ(run_cli("sweep" + kSweep + " -q --out " + a).status, 0);
    const ProcResult m = run_cli("merge " + a + "-1 " + a + "-2 --out " + (d / "m").string());
    ASSERT_EQ(m.status, 0) << m.err;
    for (const fs::path& from : {fs::path(a), d / "m", fs::path(a + "-1")}) {
        const fs::path again = d / ("again-" + from.filename().string());
        const ProcResult r = run_cli("sweep -q --config " + (from / "config.json").string() + " --out " + again.string());
        ASSERT_EQ(r.status, 0) << from << ": " << r.err;
        // The same definition (sweep.json holds it; the shard is 1/1 here as in `a`) and the same results.
        EXPECT_EQ(slurp_file(again / "sweep.json"), slurp_file(fs::path(a) / "sweep.json")) << from;
        EXPECT_EQ(slurp_file(again / "results.csv"), slurp_file(fs::path(a) / "results.csv")) << from;
    }
}
