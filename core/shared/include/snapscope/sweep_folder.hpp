// A sweep's output folder read back whole (sweep.json and results.csv, as snapscope-cli sweep or merge wrote them,
// on this machine or a cluster's): for views that draw a finished (or partial) sweep, e.g. the phase diagram.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapscope/sweep.hpp"

namespace snapscope {

struct SweepFolder {
    std::string dir;          // the folder
    SweepManifest manifest;   // its sweep.json
    std::vector<SweepResult> results;  // its results.csv (none when it has none yet), in index order
    std::int64_t expected = 0;         // the runs its shard defines (all of the sweep's for a merge or a whole sweep)
    // "640 of 640 runs" or "12 of 640 runs (partial: ...)"
    std::string describe() const;
};

// The config of the sweep's first grid point (every axis's first value), seed 1: a run to show beside it.
FlatConfig first_grid_point(const SweepDefinition& def);

// True when `path` is a sweep folder, or a sweep.json / results.csv / summary.csv inside one.
bool is_sweep_folder(const std::string& path);

// Reads the sweep folder `path` (or the folder of a sweep.json / results.csv / summary.csv given instead).
// `max_runs`: the most runs the caller keeps; `max_bytes`: the most bytes results.csv may have (its rows are held in
// memory). Throws ConfigError or DataError (or InputError) naming the file and the key or line.
SweepFolder read_sweep_folder(const std::string& path, std::int64_t max_runs, std::uint64_t max_bytes);

}  // namespace snapscope
