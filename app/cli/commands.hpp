#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace snapscope::cli {

struct RunOptions {
    std::string preset;
    std::string config_file;
    std::vector<std::string> sets;
    std::optional<std::int64_t> steps;
    std::optional<std::uint64_t> seed;
    std::string out_dir;
    bool quiet = false;
};

struct SweepOptions {
    std::string preset, config_file, out_dir;
    std::vector<std::string> sets, grids;
    int seeds = 0, jobs = 1, shard_index = 1, shard_count = 1, snap_window = 10;
    double snap_tol = 0.01;
    bool quiet = false;
};

// Each returns the process exit status; errors are printed as one line.
int cmd_sweep(const SweepOptions& opt);
int cmd_merge(const std::vector<std::string>& dirs, const std::string& out_dir);
int cmd_run(const RunOptions& opt);
int cmd_presets();
int cmd_keys();
int cmd_graph(const std::string& path, int vocab_size);
int cmd_bench(const std::vector<std::string>& presets, std::int64_t steps);

}  // namespace snapscope::cli
