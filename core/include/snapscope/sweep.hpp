// Parameter sweeps: the cartesian product of grids over config keys, times seeds, run independently. The core
// part is single-threaded and deterministic; snapscope-cli runs points in parallel, shards and resumes them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/config.hpp"
#include "snapscope/history.hpp"
#include "snapscope/scansnap_run.hpp"

namespace snapscope {

struct SweepAxis {
    std::string key;                      // a config key, e.g. train.lr_z
    std::vector<nlohmann::json> values;   // as JSON values (numbers, strings, booleans)
};

struct SweepPoint {
    int index = 0;                       // position in the full sweep (grid order, seeds innermost)
    std::vector<nlohmann::json> values;  // one per axis
    std::uint64_t seed = 0;
    std::string key() const;             // canonical text of values and seed (identifies the run for resume)
};

struct SweepResult {
    SweepPoint point;
    double loss = 0;              // final loss
    double distinct_entropy = 0;  // mean over classes of the final entropy of c_n on distinct tokens (Fig 6)
    double common_mass = 0;       // mean over classes of the final common-token mass
    std::int64_t snap_step = -1;  // see snap_step(); -1 if the attention never froze
};

// Parses "key=v1,v2,..." (values as JSON, bare words as strings). Throws ConfigError naming the key.
SweepAxis parse_grid_axis(const std::string& text);
// Parses "k1=a,b;k2=c,d" (the sweep.grid key's format).
std::vector<SweepAxis> parse_grid(const std::string& text);

// Every point: the cartesian product of the axes (first axis outermost) times seeds 1..num_seeds.
std::vector<SweepPoint> expand_sweep(const std::vector<SweepAxis>& axes, int num_seeds);

// Runs one point on `base` (the axes' keys and train.seed overridden). Throws like ScanSnapRun.
SweepResult run_sweep_point(const FlatConfig& base, const std::vector<SweepAxis>& axes, const SweepPoint& p, double snap_tol,
                            int snap_window);

// The snap step: the first recorded step s whose attention c_n (all classes, all tokens) stays within `tol` of
// its value at s for the next `window` steps and for the rest of the run (max |c(t) - c(s)| < tol). -1 if none.
std::int64_t snap_step(const std::vector<const MatrixRecord*>& records, double tol, int window);
// The same on bare data: steps[i] and the attention vector attention[i] of each record.
std::int64_t snap_step(const std::vector<std::int64_t>& steps, const std::vector<const std::vector<double>*>& attention, double tol,
                       int window);

// CSV: "index,<axis keys>,seed,loss,distinct_entropy,common_mass,snap_step", rows in index order.
std::string sweep_results_csv(const std::vector<SweepAxis>& axes, const std::vector<SweepResult>& rows);
// Reads a results.csv written by sweep_results_csv (for resume and merge). Throws DataError with the line.
std::vector<SweepResult> read_sweep_results(const std::string& text, const std::string& source, std::vector<std::string>& axis_keys);
// Mean and standard deviation over seeds per grid point.
std::string sweep_summary_csv(const std::vector<SweepAxis>& axes, const std::vector<SweepResult>& rows);

}  // namespace snapscope
