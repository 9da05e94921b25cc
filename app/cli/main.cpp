// snapscope-cli: run snapscope's models without a display.
#include <charconv>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <memory>
#include <new>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "lab_commands.hpp"
#include "snapscope/input.hpp"
#include "snapscope/parallel.hpp"
#include "thread_runner.hpp"

namespace {
int run_cli(int argc, char** argv);
}

int main(int argc, char** argv) {
    // A closed pipe (snapscope-cli presets | head -1) is a write error the command reports, not a silent death by
    // SIGPIPE (status 141) halfway through writing.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run_cli(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "snapscope-cli: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "snapscope-cli: error: %s\n", snapscope::message_text(e.what()).c_str());
        return 1;
    }
}

namespace snapscope::cli {

namespace {
std::string cut(const std::string& t) { return t.size() > 40 ? t.substr(0, 40) + "..." : t; }
}  // namespace

// An integer from lo to hi, written as digits (CLI11's Range printed DBL_MAX and called 'abc' out of range).
CLI::Validator integer_in(long long lo, long long hi) {
    return CLI::Validator(
        [lo, hi](std::string& t) -> std::string {
            long long v = 0;
            const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
            const std::string range = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
            if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return "expected " + range + ", got '" + cut(t) + "'";
            if (v < lo || v > hi) return "expected " + range + ", got " + t;
            return std::string();
        },
        "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

}  // namespace snapscope::cli

namespace {

using snapscope::cli::cut;
using snapscope::cli::integer_in;

// A finite number above `lo` (strictly) and at most `hi`.
CLI::Validator number_in(double lo, double hi, const std::string& example) {
    return CLI::Validator(
        [lo, hi, example](std::string& t) -> std::string {
            char* end = nullptr;
            const double v = t.empty() ? NAN : std::strtod(t.c_str(), &end);
            char range[96];
            std::snprintf(range, sizeof range, "a number above %g and at most %g", lo, hi);
            if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v)) return "expected " + std::string(range) + " (e.g. " + example + "), got '" + cut(t) + "'";
            if (!(v > lo) || v > hi) return "expected " + std::string(range) + " (e.g. " + example + "), got " + t;
            return std::string();
        },
        "NUMBER");
}

// The help went to standard output: if it could not be written (a full disk, a closed pipe), say so and fail.
int help_written(int status) {
    std::cout.flush();
    if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::fprintf(stderr, "snapscope-cli: error: cannot write the help to standard output\n");
        return 1;
    }
    return status;
}

int run_cli(int argc, char** argv) {
    using namespace snapscope::cli;
    CLI::App app{"snapscope-cli: train snapscope's models headless and write their trajectories"};
    app.require_subcommand(1);

    RunOptions run;
    auto* r = app.add_subcommand("run", "Train one run and write config.json, trajectory.csv and final.json to --out");
    auto* src = r->add_option("--preset", run.preset, "Start from a built-in preset (see 'presets'; default fig4)");
    auto* cfg_opt = r->add_option("--config", run.config_file, "Start from a config file (JSON)")->excludes(src);
    auto* set_opt = r->add_option("--set", run.sets, "Override a key: --set train.lr_z=0.5 (repeatable; see 'keys')");
    r->add_option("--session", run.session_file,
                  "Replay a session saved in the window (config, seed and learning-rate changes) to its step, or to --steps")
        ->excludes(src)
        ->excludes(cfg_opt)
        ->excludes(set_opt);
    r->add_option("--steps", run.steps, "Number of steps (overrides train.steps)")->check(integer_in(0, 1000000000000000LL));
    std::string seed_text;
    auto* seed_opt = r->add_option("--seed", seed_text, "Random seed, 0 to 18446744073709551615 (overrides train.seed)")->excludes("--session");
    r->add_option("--out", run.out_dir, "Output folder (created if missing)")->required();
    r->add_flag("-q,--quiet", run.quiet, "No progress line and no summary");
    r->add_flag("--progress", run.progress, "Show the loading bar and the step line even when stderr is not a terminal (a log file)");
    int threads = 0;
    r->add_option("--threads", threads, "Threads a step may use where the lab splits its work (the transformer lab; default: every core)")
        ->check(integer_in(1, 256));

    app.add_subcommand("presets", "List the built-in presets");
    app.add_subcommand("keys", "List every config key with its default and meaning");
    // The labs' own commands.
    const std::vector<std::unique_ptr<LabCommand>> lab_cmds = lab_commands();
    for (const auto& lc : lab_cmds) lc->declare(*app.add_subcommand(lc->name(), lc->help()));

    SweepOptions sw;
    std::string shard = "1/1";
    auto* sp = app.add_subcommand("sweep", "Run a grid of configs times seeds, in parallel; resumable and shardable");
    auto* sp_src = sp->add_option("--preset", sw.preset, "Base preset (default fig6-sweep)");
    sp->add_option("--config", sw.config_file, "Base config file")->excludes(sp_src);
    sp->add_option("--set", sw.sets, "Override a key of the base: --set train.steps=200");
    sp->add_option("--grid", sw.grids, "An axis: --grid train.lr_z=0.5,1,2 (repeatable; replaces the base's axis of that key)");
    sp->add_option("--seeds", sw.seeds, "Seeds 1..N per grid point (default: sweep.seeds)")->check(integer_in(1, 100000));
    sp->add_option("--jobs", sw.jobs, "Runs in parallel")->check(integer_in(1, 256));
    sp->add_option("--shard", shard, "I/N: run only the I-th of N disjoint parts (Slurm arrays, GNU parallel)");
    sp->add_option("--snap-tol", sw.snap_tol, "Snap detection: later attention movement allowed, relative to the distance moved so far (default 0.05)")->check(number_in(0, 1, "0.05"));
    sp->add_option("--snap-window", sw.snap_window, "Snap detection: steps the attention must stay within the tolerance (default 10)")
        ->check(integer_in(1, 1000000));
    sp->add_option("--out", sw.out_dir, "Output folder: results.csv, summary.csv, config.json (with --emit: the folder of the shards' part-I folders, logs and merged)")->required();
    sp->add_flag("-q,--quiet", sw.quiet, "No progress bar and no summary");
    auto* def_opt = sp->add_option("--definition", sw.definition_file,
                                   "The sweep of a shard's sweep.json (to run a missing shard: merge prints the command), instead of --preset, --set, --grid, ...");
    for (const char* o : {"--preset", "--config", "--set", "--grid", "--seeds", "--snap-tol", "--snap-window"}) def_opt->excludes(o);
    auto* emit_opt = sp->add_option("--emit", sw.emit, "slurm or parallel: write a job script that runs the sweep in --shards shards and merges it, instead of running")
                         ->check(CLI::IsMember({"slurm", "parallel"}));
    auto* shards_opt = sp->add_option("--shards", sw.shards, "With --emit: the number of shards (Slurm array tasks, parallel commands)")
                           ->check(integer_in(1, 1000000))
                           ->needs(emit_opt);
    emit_opt->needs(shards_opt)->excludes("--shard");
    sp->add_option("--script", sw.script, "With --emit: write the script to this file (default: standard output)")->needs(emit_opt);
    MergeOptions mo;
    auto* mg = app.add_subcommand("merge", "Join the results of sweep shards, checking that every run is there (or report progress: --status)");
    mg->add_option("dirs", mo.dirs, "Sweep output folders (every shard's)")->required();
    mg->add_option("--out", mo.out_dir, "Output folder of the merged sweep");
    mg->add_flag("--allow-partial", mo.allow_partial, "Write the merge even when runs of the sweep are missing (they are listed)");
    mg->add_flag("--status", mo.status, "Report the runs done per shard and overall, write nothing, exit 0 (folders not started yet are listed)");

    std::vector<std::string> bench_presets{"fig4", "large"};
    std::int64_t bench_steps = 0;
    auto* b = app.add_subcommand("bench", "Measure training steps per second on presets");
    b->add_option("--preset", bench_presets, "Presets to measure (default: fig4 large)");
    b->add_option("--steps", bench_steps, "Steps per preset (default or 0: about 3 seconds of work each)")->check(integer_in(0, 1000000000000LL));
    std::vector<std::string> bench_sets;
    b->add_option("--set", bench_sets, "Override a config key of every preset measured: key=value (repeatable)");
    b->add_option("--threads", threads, "Threads a step may use where the lab splits its work (default 1, as the comparisons use)")
        ->check(integer_in(1, 256));

    if (argc > 1 && argv[1][0] != '-') {
        const std::string first = argv[1];
        bool known = false;
        for (const auto* sub : app.get_subcommands({})) known = known || sub->get_name() == first;
        if (!known) {
            std::string names;
            const auto subs = app.get_subcommands({});
            for (std::size_t i = 0; i < subs.size(); ++i)
                names += (i == 0 ? "" : i + 1 == subs.size() ? " and " : ", ") + subs[i]->get_name();
            std::fprintf(stderr, "snapscope-cli: error: unknown command '%s'; the commands are %s (usage: snapscope-cli --help)\n",
                         snapscope::message_text(cut(first)).c_str(), names.c_str());
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return help_written(app.exit(e));
    } catch (const CLI::CallForAllHelp& e) {
        return help_written(app.exit(e));
    } catch (const CLI::ParseError& e) {
        // One line: CLI11's message, with its own line breaks folded, and where to read the usage.
        std::string msg = e.what();
        for (char& c : msg)
            if (c == '\n' || c == '\r') c = ' ';
        while (!msg.empty() && msg.back() == ' ') msg.pop_back();
        std::string where = "snapscope-cli --help";
        for (const auto* sub : app.get_subcommands())
            if (sub->parsed()) where = "snapscope-cli " + sub->get_name() + " --help";
        if (msg.size() > 600) msg = msg.substr(0, 600) + "...";
        std::fprintf(stderr, "snapscope-cli: error: %s (usage: %s)\n", snapscope::message_text(msg, 700).c_str(), where.c_str());
        return 2;
    }
    // A step's work split across threads (the transformer lab's half-batches): every core for run, one for bench
    // (comparisons are made thread for thread); sweeps run their jobs in parallel instead.
    std::unique_ptr<snapscope::cli::ThreadRunner> runner;
    if (app.got_subcommand("run") || app.got_subcommand("bench")) {
        const int n = threads > 0 ? threads : app.got_subcommand("run") ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : 1;
        if (n > 1) {
            runner = std::make_unique<snapscope::cli::ThreadRunner>(n);
            snapscope::set_parallel_runner(runner.get());
        }
    }
    if (app.got_subcommand("run")) {
        if (seed_opt->count() > 0) {  // (an empty value is an error, not "no seed")
            try {
                run.seed = parse_seed(seed_text, "--seed");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "snapscope-cli: error: %s\n", snapscope::message_text(e.what()).c_str());
                return 2;
            }
        }
        return cmd_run(run);
    }
    if (app.got_subcommand("presets")) return cmd_presets();
    if (app.got_subcommand("keys")) return cmd_keys();
    for (const auto& lc : lab_cmds)
        if (app.got_subcommand(lc->name())) return lc->run();
    if (app.got_subcommand("sweep")) {
        const auto slash = shard.find('/');
        auto whole = [](const std::string& t, int& v) {
            const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
            return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size();
        };
        if (slash == std::string::npos || !whole(shard.substr(0, slash), sw.shard_index) || !whole(shard.substr(slash + 1), sw.shard_count) ||
            sw.shard_count < 1 || sw.shard_count > 1000000 || sw.shard_index < 1 || sw.shard_index > sw.shard_count) {
            std::fprintf(stderr, "snapscope-cli: error: --shard '%s': expected I/N with 1 <= I <= N <= 1000000, e.g. 1/4\n", snapscope::message_text(cut(shard)).c_str());
            return 2;
        }
        if (!std::isfinite(sw.snap_tol) || !(sw.snap_tol > 0)) {
            std::fprintf(stderr, "snapscope-cli: error: --snap-tol: expected a positive number, got %g\n", sw.snap_tol);
            return 2;
        }
        // The words that define the sweep, as given, for a job script to repeat (paths made absolute: its tasks may
        // start elsewhere).
        auto given = [&](const char* name) { return sp->get_option(name)->count() > 0; };
        auto text_of = [&](const char* name) { return sp->get_option(name)->results().back(); };
        auto absolute = [](const std::string& p) { return std::filesystem::absolute(p).lexically_normal().string(); };
        if (given("--definition")) sw.args = {"--definition", absolute(sw.definition_file)};
        if (given("--preset")) sw.args.insert(sw.args.end(), {"--preset", sw.preset});
        if (given("--config")) sw.args.insert(sw.args.end(), {"--config", absolute(sw.config_file)});
        for (const std::string& v : sw.sets) sw.args.insert(sw.args.end(), {"--set", v});
        for (const std::string& v : sw.grids) sw.args.insert(sw.args.end(), {"--grid", v});
        for (const char* o : {"--seeds", "--snap-tol", "--snap-window"})
            if (given(o)) sw.args.insert(sw.args.end(), {o, text_of(o)});
        return cmd_sweep(sw);
    }
    if (app.got_subcommand("merge")) return cmd_merge(mo);
    if (app.got_subcommand("bench")) return cmd_bench(bench_presets, bench_steps, bench_sets);
    return 2;
}

}  // namespace
