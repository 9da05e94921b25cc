// The review of the reliability pass (issue 9): cases a reviewer found after the first fixes, end to end through
// snapscope-cli. Each failed on the build before its fix (SNAPSCOPE_CLI_UNDER_TEST=/path/to/old/snapscope-cli shows
// it).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "proc_util.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace snapscope::test;

// ---- The tpg analyses are bounded in memory and in time -----------------------------------------------------------

TEST(Issue9Review, TpgAnalysisOfLongSequencesStaysSmall) {
    // Six samples of 20000 tokens over K = 6: the W_fin analysis built a dense (positions x positions) Hessian per
    // sample (3.2 GB each; 1.4 GB peak here, and a sequence of 10^5 tokens could not run). It now keeps each token
    // once with its count.
    const fs::path d = test_dir("long");
    const ProcResult r = run_cli("run --preset tpg-cyclic --set data.seq_len=20000 --steps 3 -q --out " + (d / "o").string());
    ASSERT_EQ(r.status, 0) << r.err;
    if (!kSanitized) {
        EXPECT_LT(r.peak_kb, 100 * 1024) << "peak RSS " << r.peak_kb << " kB";
    }
    const json fin = json::parse(slurp_file(d / "o" / "final.json"));
    EXPECT_EQ(fin["K"], 6);
}

TEST(Issue9Review, GraphSvmEndsOnItsWorkBudgetAndSaysSo) {
    // A chain of 30000 tokens seen with one query: coordinate descent on its QP needs millions of sweeps. It ran for
    // minutes; now it stops on a work budget of a few seconds and reports W_svm as approximate.
    const fs::path d = test_dir("chain");
    {
        std::ofstream f(d / "chain.jsonl");
        const int n = 30000;
        for (int i = 0; i + 1 < n; ++i) f << "{\"tokens\": [" << i << ", " << i + 1 << ", " << n << "], \"label\": " << i << "}\n";
    }
    // (The budget counts work, not seconds: about 4 s here in a release build. The limit below only stops a hang; it
    // allows for a sanitizer build on a loaded machine, which took over a minute.)
    const int limit = kSanitized ? 280 : 180;  // (ctest stops a test at 300 s)
    const ProcResult r = run_cli("graph --data " + (d / "chain.jsonl").string(), limit);
    ASSERT_FALSE(r.timed_out) << "graph ran for more than " << limit << " s";
    ASSERT_EQ(r.status, 0) << r.err;
    const json g = json::parse(r.out);
    EXPECT_EQ(g["svm_converged"], false);
    EXPECT_NE(g.value("svm_note", std::string()).find("approximate"), std::string::npos) << g.value("svm_note", std::string());
    EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
}

// ---- Parallel sweeps share the memory limit --------------------------------------------------------------------------

TEST(Issue9Review, SweepJobsShareTheMemoryLimit) {
    // Each run of M = 2000 needs about 430 MB by its estimate. Under limits.memory_mb = 450 one job fits; two in
    // parallel would need twice that, and the sweep ignored both the limit and --jobs.
    const fs::path d = test_dir("jobs");
    const std::string base = "sweep --preset fig4 --set data.num_unique_per_next=993 --set train.batch=4 --set data.seq_len=8 --set train.steps=2 "
                             "--set sweep.grid= --grid train.lr_z=1 --seeds 2 --set limits.memory_mb=450 -q ";
    ProcResult r = run_cli(base + "--jobs 2 --out " + (d / "two").string());
    expect_clear_error(r, "jobs", "two jobs");
    EXPECT_NE(r.err.find("225 MB each"), std::string::npos) << r.err;
    r = run_cli(base + "--jobs 1 --out " + (d / "one").string());
    EXPECT_EQ(r.status, 0) << r.err;
    // The limit itself is honoured by a sweep's runs (it is not part of the sweep's definition, but it applies).
    r = run_cli(base + "--jobs 1 --set limits.memory_mb=100 --out " + (d / "small").string());
    expect_clear_error(r, "limits.memory_mb", "limit");
}

// ---- A run's folder and a sweep's are kept apart ---------------------------------------------------------------------

TEST(Issue9Review, RunSweepAndMergeFoldersAreNotMixed) {
    const fs::path d = test_dir("mix");
    const std::string sweep = "sweep --preset fig4 --set sweep.grid= --grid train.lr_z=1 --seeds 2 --set train.steps=5 -q ";
    ASSERT_EQ(run_cli(sweep + "--out " + (d / "s").string()).status, 0);
    const std::string results = slurp_file(d / "s" / "results.csv");
    // A run into the sweep's folder: refused, the sweep's files untouched.
    ProcResult r = run_cli("run --preset fig4 --steps 3 -q --out " + (d / "s").string());
    expect_clear_error(r, "sweep", "run into a sweep folder");
    EXPECT_FALSE(fs::exists(d / "s" / "final.json"));
    EXPECT_EQ(slurp_file(d / "s" / "results.csv"), results);
    // A sweep into a run's folder: refused, the run's files untouched.
    ASSERT_EQ(run_cli("run --preset fig4 --steps 3 -q --out " + (d / "r").string()).status, 0);
    const std::string config = slurp_file(d / "r" / "config.json");
    r = run_cli(sweep + "--out " + (d / "r").string());
    expect_clear_error(r, "run's files", "sweep into a run folder");
    EXPECT_FALSE(fs::exists(d / "r" / "sweep.json"));
    EXPECT_EQ(slurp_file(d / "r" / "config.json"), config);
    // Merge: into a run's folder, into a shard, into another sweep, from a folder that does not exist: refused.
    ASSERT_EQ(run_cli(sweep + "--shard 1/2 --out " + (d / "a").string()).status, 0);
    ASSERT_EQ(run_cli(sweep + "--shard 2/2 --out " + (d / "b").string()).status, 0);
    const std::string ab = (d / "a").string() + " " + (d / "b").string();
    expect_clear_error(run_cli("merge " + ab + " --out " + (d / "r").string()), "run's files", "merge into a run folder");
    expect_clear_error(run_cli("merge " + ab + " --out " + (d / "a").string()), "merged", "merge into a shard");
    ASSERT_EQ(run_cli("sweep --preset fig4 --set sweep.grid= --grid train.lr_z=2 --seeds 1 --set train.steps=5 -q --out " + (d / "other").string()).status, 0);
    expect_clear_error(run_cli("merge " + ab + " --out " + (d / "other").string()), "another sweep", "merge into another sweep");
    expect_clear_error(run_cli("merge " + ab + " " + (d / "nothing").string() + " --out " + (d / "m").string()), "no such folder", "missing");
    // A good merge writes the base config beside the results, and may be repeated over itself.
    r = run_cli("merge " + ab + " --out " + (d / "m").string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(d / "m" / "config.json"));
    EXPECT_EQ(json::parse(slurp_file(d / "m" / "config.json"))["train.steps"], 5);
    EXPECT_EQ(run_cli("merge " + ab + " --out " + (d / "m").string()).status, 0);
}

TEST(Issue9Review, AFolderLockNamesWhatTheOtherProcessWrites) {
    // A long sweep holds its folder; a run into it is refused with the holder's pid and what it is writing.
    const fs::path d = test_dir("lock");
    const std::string out = (d / "s").string();
    ProcResult second;
    const ProcResult first = run_process(
        cli() + " sweep --preset fig4 --set sweep.grid= --grid train.lr_z=1 --seeds 1 --set train.steps=100000000 -q --out " + out, 120, 0, "",
        [&](pid_t pid) {
            // Wait until the sweep holds the lock (its lock file names it), then try to write there.
            const fs::path lock = d / "s" / ".snapscope.lock";
            for (int i = 0; i < 600 && slurp_file(lock).find("writing") == std::string::npos; ++i) ::usleep(50000);
            second = run_cli("run --preset fig4 --steps 3 -q --out " + out);
            ::kill(pid, SIGINT);
        });
    EXPECT_FALSE(first.timed_out);
    expect_clear_error(second, "writing a sweep", "second writer");
    EXPECT_NE(second.err.find("pid "), std::string::npos) << second.err;
}

// ---- Numbers on the command line --------------------------------------------------------------------------------

TEST(Issue9Review, IntegerKeysAreExactOrRefused) {
    const fs::path d = test_dir("ints");
    auto seed_of = [&](const std::string& v) {
        const ProcResult r = run_cli("run --preset fig4 --steps 1 -q --set train.seed=" + v + " --out " + (d / "o").string());
        if (r.status != 0) return "error: " + r.err;
        return json::parse(slurp_file(d / "o" / "config.json"))["train.seed"].dump();
    };
    // 2^64 was silently clamped to 2^64 - 1, 1e19 and 2^53 + 1 (as a float) silently rounded.
    EXPECT_NE(seed_of("18446744073709551616").find("too large"), std::string::npos);
    EXPECT_NE(seed_of("1e19").find("written as digits"), std::string::npos);
    EXPECT_NE(seed_of("9007199254740993.0").find("written as digits"), std::string::npos);
    EXPECT_EQ(seed_of("18446744073709551615"), "18446744073709551615");
    // Numbers as people write them are numbers (they were "not a usable number (too large for a double?)").
    EXPECT_EQ(seed_of("+7"), "7");
    EXPECT_EQ(seed_of("00012"), "12");
    const ProcResult r = run_cli("run --preset fig4 --steps 1 -q --set train.lr_z=.5 --out " + (d / "o").string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(json::parse(slurp_file(d / "o" / "config.json"))["train.lr_z"], 0.5);
    expect_clear_error(run_cli("run --preset fig4 --steps 1 -q --set train.lr_z=1e999 --out " + (d / "o").string()), "range of a double", "1e999");
    // A sweep axis reads values the same way.
    ASSERT_EQ(run_cli("sweep --preset fig4 --set sweep.grid= --grid train.lr_z=.5,+1 --seeds 1 --set train.steps=3 -q --out " + (d / "s").string()).status, 0);
    const json axes = json::parse(slurp_file(d / "s" / "sweep.json"))["definition"]["axes"];
    ASSERT_EQ(axes.size(), 1u);
    EXPECT_EQ(axes[0]["key"], "train.lr_z");
    EXPECT_EQ(axes[0]["values"], json::parse("[0.5, 1]"));
}

TEST(Issue9Review, AClosedPipeOrAFullDiskIsAnErrorNotASignal) {
    const fs::path d = test_dir("pipe");
    {
        std::ofstream f(d / "big.jsonl");
        for (int i = 0; i < 3000; ++i) f << "{\"tokens\": [" << i << ", " << i + 1 << ", 5000], \"label\": " << i << "}\n";
    }
    // The reader of the output goes away after one byte: the command used to die of SIGPIPE (status 141).
    ProcResult r = run_process("bash -c '" + cli() + " graph --data " + (d / "big.jsonl").string() + " | head -c 1 >/dev/null; exit ${PIPESTATUS[0]}'", 120);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("standard output"), std::string::npos) << r.err;
    // The help on a full disk was reported as success.
    r = run_process(cli() + " --help", 60, 0, "/dev/full");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("cannot write the help"), std::string::npos) << r.err;
}

// ---- Messages ---------------------------------------------------------------------------------------------------------

TEST(Issue9Review, MessagesAreOneShortPrintableLineNamingTheRightThing) {
    const fs::path d = test_dir("msg");
    auto one_line = [](const ProcResult& r, const std::string& what) {
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << "\n" << r.err;
        EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << what << ": a raw escape byte reached the terminal";
        EXPECT_LT(r.err.size(), 1200u) << what;
    };
    ProcResult r = run_cli("run --preset " + std::string(5000, 'x') + " --out " + (d / "o").string());
    expect_clear_error(r, "unknown preset", "long preset");
    one_line(r, "long preset");
    r = run_process("bash -c \"" + cli() + " run --preset $'a\\x1b[2Jb' --out " + (d / "o").string() + "\"", 60);
    expect_clear_error(r, "\\x1B[2J", "escape in a preset name");
    one_line(r, "escape");
    // CLI11's ranges printed DBL_MAX in full and added a second line.
    r = run_cli("sweep --preset fig4 --snap-tol -1 --out " + (d / "s").string());
    expect_clear_error(r, "--snap-tol", "snap-tol");
    EXPECT_EQ(r.err.find("17976931348623157"), std::string::npos) << r.err;
    one_line(r, "snap-tol");
    r = run_cli("graph --data x.jsonl --vocab-size -1");
    expect_clear_error(r, "--vocab-size", "vocab-size");
    one_line(r, "vocab-size");
    r = run_cli("frobnicate");
    expect_clear_error(r, "unknown command 'frobnicate'", "unknown command");
    // The graph command names its own options, not config keys.
    write_file(d / "t.jsonl", "{\"tokens\": [1, 30, 3], \"label\": 1}\n");
    expect_clear_error(run_cli("graph --data " + (d / "t.jsonl").string() + " --vocab-size 5"), "--vocab-size = 5", "graph vocab");
    // A token written as 2e0 is not "beyond the largest supported token id".
    write_file(d / "f.jsonl", "{\"tokens\": [1, 2e0, 3], \"label\": 1}\n");
    expect_clear_error(run_cli("graph --data " + (d / "f.jsonl").string()), "written as integers", "2e0");
    // Weights that overflow a class's total were "multinomial table: all probabilities are zero".
    expect_clear_error(run_cli("run --preset fig4 --set data.unique_min=1e308 --set data.unique_max=1e308 --steps 2 -q --out " + (d / "o").string()),
                       "data.unique_max", "weights");
    // A vocabulary made huge by num_next_per_last names that key, not num_unique_per_next.
    r = run_cli("run --preset fig4 --set data.num_next_per_last=100000 --steps 2 -q --out " + (d / "o").string());
    expect_clear_error(r, "lower data.num_next_per_last", "classes");
    // A folder the mode bits call writable but no file can be created in.
    if (fs::exists("/sys/kernel") && ::geteuid() == 0) {
        expect_clear_error(run_cli("run --preset fig4 --steps 2 -q --out /sys/kernel"), "/sys/kernel: cannot create files", "/sys");
    }
}

// ---- Sweep semantics ----------------------------------------------------------------------------------------------------

TEST(Issue9Review, DivergedRunsAreNotCountedAsSnapped) {
    const fs::path d = test_dir("div");
    const ProcResult r = run_cli("sweep --preset fig4 --set sweep.grid= --grid train.lr_z=1,1e200 --seeds 2 --set train.steps=50 -q --out " + (d / "s").string());
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string summary = slurp_file(d / "s" / "summary.csv");
    EXPECT_NE(summary.find(",snapped,diverged\n"), std::string::npos) << summary;
    // The diverged point: two runs, no means, none snapped, two diverged (it read entropy 0, mass 0.5, snapped 1).
    EXPECT_NE(summary.find("\n1e+200,2,nan,nan,nan,nan,nan,nan,nan,nan,0,2\n"), std::string::npos) << summary;
    EXPECT_NE(summary.find("\n1,2,"), std::string::npos) << summary;
    const std::string results = slurp_file(d / "s" / "results.csv");
    EXPECT_NE(results.find(",1e+200,1,nan,nan,nan,-1\n"), std::string::npos) << results;
}

TEST(Issue9Review, SweepsAndOptionsRefuseWhatTheyCannotDo) {
    const fs::path d = test_dir("refuse");
    // A sweep across labs would mix two labs' columns in one results.csv: refused before anything runs. (A tpg sweep
    // was refused here until the lab interface; it runs now: Cli.ATokenPriorityGraphSweepRecordsTheLabsOwnMeasures.)
    expect_clear_error(run_cli("sweep --preset fig4 --grid model.kind=scan_snap,tpg -q --out " + (d / "a").string()), "model.kind",
                       "sweep across labs");
    EXPECT_FALSE(fs::exists(d / "a" / "sweep.json"));
    expect_clear_error(run_cli("sweep --preset fig4 --grid train.lr_z=1,1.0,2 -q --out " + (d / "b").string()), "given twice", "duplicate");
    // An empty --seed was taken as no seed; a negative bench --steps as the default.
    expect_clear_error(run_cli("run --preset fig4 --seed '' --steps 2 -q --out " + (d / "c").string()), "--seed", "empty seed");
    EXPECT_FALSE(fs::exists(d / "c" / "final.json"));
    expect_clear_error(run_cli("bench --steps -1"), "--steps", "bench steps");
}
