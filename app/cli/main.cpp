// snapscope-cli: run snapscope's models without a display.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <new>
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {
int run_cli(int argc, char** argv);
}

int main(int argc, char** argv) {
    try {
        return run_cli(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "snapscope-cli: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "snapscope-cli: error: %s\n", e.what());
        return 1;
    }
}

namespace {

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
    r->add_option("--steps", run.steps, "Number of steps (overrides train.steps)")->check(CLI::Range(0LL, 1000000000000000LL));
    r->add_option("--seed", run.seed, "Random seed, 0 to 18446744073709551615 (overrides train.seed)")->excludes("--session");
    r->add_option("--out", run.out_dir, "Output folder (created if missing)")->required();
    r->add_flag("-q,--quiet", run.quiet, "No progress line and no summary");

    app.add_subcommand("presets", "List the built-in presets");
    app.add_subcommand("keys", "List every config key with its default and meaning");
    std::string graph_data;
    int graph_vocab = 0;
    auto* g = app.add_subcommand("graph", "Print the token-priority graphs, their SCCs and W_svm (onehot) of a JSON Lines dataset");
    g->add_option("--data", graph_data, "JSON Lines file: {\"tokens\": [...], \"label\": n} per line")->required();
    g->add_option("--vocab-size", graph_vocab, "K (default: largest id + 1)")->check(CLI::NonNegativeNumber);

    SweepOptions sw;
    std::string shard = "1/1";
    auto* sp = app.add_subcommand("sweep", "Run a grid of configs times seeds, in parallel; resumable and shardable");
    auto* sp_src = sp->add_option("--preset", sw.preset, "Base preset (default fig6-sweep)");
    sp->add_option("--config", sw.config_file, "Base config file")->excludes(sp_src);
    sp->add_option("--set", sw.sets, "Override a key of the base: --set train.steps=200");
    sp->add_option("--grid", sw.grids, "An axis: --grid train.lr_z=0.5,1,2 (repeatable; replaces the base's axis of that key)");
    sp->add_option("--seeds", sw.seeds, "Seeds 1..N per grid point (default: sweep.seeds)")->check(CLI::Range(1, 100000));
    sp->add_option("--jobs", sw.jobs, "Runs in parallel")->check(CLI::Range(1, 256));
    sp->add_option("--shard", shard, "I/N: run only the I-th of N disjoint parts (Slurm arrays, GNU parallel)");
    sp->add_option("--snap-tol", sw.snap_tol, "Snap detection: later attention movement allowed, relative to the distance moved so far (default 0.05)")->check(CLI::PositiveNumber);
    sp->add_option("--snap-window", sw.snap_window, "Snap detection: steps the attention must stay within the tolerance (default 10)")
        ->check(CLI::Range(1, 1000000));
    sp->add_option("--out", sw.out_dir, "Output folder: results.csv, summary.csv, config.json")->required();
    sp->add_flag("-q,--quiet", sw.quiet, "No progress bar and no summary");
    std::vector<std::string> merge_dirs;
    std::string merge_out;
    auto* mg = app.add_subcommand("merge", "Join the results of sweep shards");
    mg->add_option("dirs", merge_dirs, "Sweep output folders")->required();
    mg->add_option("--out", merge_out, "Output folder")->required();
    bool allow_partial = false;
    mg->add_flag("--allow-partial", allow_partial, "Write the merge even when runs of the sweep are missing (they are listed)");

    std::vector<std::string> bench_presets{"fig4", "large"};
    std::int64_t bench_steps = 0;
    auto* b = app.add_subcommand("bench", "Measure training steps per second on presets");
    b->add_option("--preset", bench_presets, "Presets to measure (default: fig4 large)");
    b->add_option("--steps", bench_steps, "Steps per preset (default: about 3 seconds of work each)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "snapscope-cli: error: %s\n", e.what());
        std::fprintf(stderr, "Run 'snapscope-cli --help' (or 'snapscope-cli run --help') for usage.\n");
        return 2;
    }
    if (app.got_subcommand("run")) {
        if (!run.seed.empty()) {
            try {
                parse_seed(run.seed, "--seed");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "snapscope-cli: error: %s\n", e.what());
                return 2;
            }
        }
        return cmd_run(run);
    }
    if (app.got_subcommand("presets")) return cmd_presets();
    if (app.got_subcommand("keys")) return cmd_keys();
    if (app.got_subcommand("graph")) return cmd_graph(graph_data, graph_vocab);
    if (app.got_subcommand("sweep")) {
        const auto slash = shard.find('/');
        auto whole = [](const std::string& t, int& v) {
            const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
            return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size();
        };
        if (slash == std::string::npos || !whole(shard.substr(0, slash), sw.shard_index) || !whole(shard.substr(slash + 1), sw.shard_count) ||
            sw.shard_count < 1 || sw.shard_count > 1000000 || sw.shard_index < 1 || sw.shard_index > sw.shard_count) {
            std::fprintf(stderr, "snapscope-cli: error: --shard '%s': expected I/N with 1 <= I <= N <= 1000000, e.g. 1/4\n", shard.c_str());
            return 2;
        }
        if (!std::isfinite(sw.snap_tol) || !(sw.snap_tol > 0)) {
            std::fprintf(stderr, "snapscope-cli: error: --snap-tol: expected a positive number, got %g\n", sw.snap_tol);
            return 2;
        }
        return cmd_sweep(sw);
    }
    if (app.got_subcommand("merge")) return cmd_merge(merge_dirs, merge_out, allow_partial);
    if (app.got_subcommand("bench")) return cmd_bench(bench_presets, bench_steps);
    return 2;
}

}  // namespace
