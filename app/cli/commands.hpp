#pragma once

#include <csignal>
#include <new>
#include <stdexcept>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapscope/sweep.hpp"

namespace snapscope::cli {

struct RunOptions {
    std::string preset;
    std::string config_file;
    std::string session_file;  // replay a GUI session (its config, seed and learning-rate changes) to its step
    std::vector<std::string> sets;
    std::optional<std::int64_t> steps;
    std::optional<std::uint64_t> seed;  // --seed, when given
    std::string out_dir;
    bool quiet = false;
    bool progress = false;  // --progress: the loading bar and the step line even when stderr is not a terminal
};

struct SweepOptions {
    std::string preset, config_file, out_dir;
    std::vector<std::string> sets, grids;
    int seeds = 0, jobs = 1, shard_index = 1, shard_count = 1, snap_window = kSnapWindow;
    double snap_tol = kSnapTolerance;
    bool quiet = false;
    // --definition FILE: the sweep of a shard's sweep.json (instead of --preset/--config/--set/--grid/...).
    std::string definition_file;
    // --emit slurm|parallel with --shards N [--script FILE]: write the job script instead of running.
    std::string emit, script;
    int shards = 0;
    // The words that define the sweep as given (--preset/--config/--definition, --set, --grid, --seeds, --snap-tol,
    // --snap-window; paths made absolute), which a job script repeats.
    std::vector<std::string> args;
};

struct MergeOptions {
    std::vector<std::string> dirs;
    std::string out_dir;
    bool allow_partial = false;
    bool status = false;  // report the parts' progress, write nothing
};

// SIGINT and SIGTERM ask a run or a sweep to stop at the current step and write what it has; a second signal ends
// the process at once. g_stop_signal holds the first signal's number (0 while none came).
extern volatile std::sig_atomic_t g_stop_signal;
void install_stop_handlers();
// The exit status after a stop: 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
int stopped_status();

// "snapscope-cli: error: MSG" on stderr; returns 1.
int error(const std::string& msg);
// Parses a seed: a decimal integer in [0, 2^64 - 1]. Throws std::invalid_argument with a message.
std::uint64_t parse_seed(const std::string& text, const std::string& option);

// Runs `body`, turning every failure into one error line and status 1 (out of memory included).
template <class F>
int guarded(F body) {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return error("out of memory: an allocation failed although the run's size estimate fitted limits.memory_mb; either other "
                     "programs hold that memory (close them, or lower limits.memory_mb so runs this size are refused up front) or the "
                     "estimate missed a part (please report it with the command); make the run smaller to continue");
    } catch (const std::exception& e) {
        return error(e.what());
    }
}

// The config a run's options describe (--preset or --config, then --set, --steps, --seed), as `run` builds it; for a
// lab's own commands too. Throws ConfigError.
Config build_run_config(const RunOptions& opt);

// Each returns the process exit status; errors are printed as one line.
int cmd_sweep(const SweepOptions& opt);
int cmd_merge(const MergeOptions& opt);
// sweep --emit: writes the job script for `def` (see emit_cmd.cpp).
int emit_sweep_script(const SweepOptions& opt, const SweepDefinition& def, const Config& base);
// One word for sh: as it is when it is plain, else in single quotes.
std::string sh_quote(const std::string& s);
// The absolute path of this snapscope-cli.
std::string this_program();
int cmd_run(const RunOptions& opt);
int cmd_presets();
int cmd_keys();
int cmd_bench(const std::vector<std::string>& presets, std::int64_t steps, const std::vector<std::string>& sets = {});

}  // namespace snapscope::cli
