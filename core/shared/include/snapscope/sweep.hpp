// Parameter sweeps: the cartesian product of grids over config keys, times seeds, run independently. The core
// part is single-threaded and deterministic; snapscope-cli runs points in parallel, shards, resumes and merges them.
//
// A sweep is identified by its definition (the resolved base config, the axes, the seeds and the snap-step
// settings). Its output folder holds sweep.json (the definition and the shard), results.csv and summary.csv; a
// resume or a merge proceeds only when the definitions agree, so results of different sweeps are never mixed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/config.hpp"
#include "snapscope/history.hpp"
#include "snapscope/lab.hpp"

namespace snapscope {

struct SweepAxis {
    std::string key;                      // a config key, e.g. train.lr_z
    std::vector<nlohmann::json> values;   // as JSON values (numbers, strings, booleans)
};

struct SweepPoint {
    std::int64_t index = 0;              // position in the full sweep (grid order, seeds innermost)
    std::vector<nlohmann::json> values;  // one per axis
    std::uint64_t seed = 0;
    std::string key() const;             // canonical text of values and seed
};

struct SweepResult {
    SweepPoint point;
    double loss = 0;             // final loss (NaN: the run diverged)
    std::vector<double> values;  // the lab's sweep columns (LabSpec::sweep_columns; see LabRun::sweep_values)
    bool cancelled = false;      // stopped before its last step (see run_sweep_point)
};

// Everything that decides a sweep's runs and results.
struct SweepDefinition {
    FlatConfig base;  // the resolved base config as flat keys, without sweep.* and train.seed
    std::vector<SweepAxis> axes;
    int seeds = 1;
    double snap_tol = kSnapTolerance;
    int snap_window = kSnapWindow;

    // Number of runs: the product of the axes' sizes times seeds. Throws ConfigError when it exceeds 2^62.
    std::int64_t size() const;
    // The run at `index` (0 <= index < size()), decoded without expanding the grid.
    SweepPoint point(std::int64_t index) const;
    // Canonical JSON (the same definition always gives the same text).
    nlohmann::json to_json() const;
    // Throws ConfigError naming `source` and the key.
    static SweepDefinition from_json(const nlohmann::json& j, const std::string& source);
    // A short sentence saying how this definition differs from `other` ("" if it does not).
    std::string difference(const SweepDefinition& other) const;
    // The lab its runs train (model.kind of the base; a sweep has no model.kind axis).
    const LabSpec& lab() const;
    // The value of `column` (a sweep column of lab()) in `r`; NaN if the run has none (an integer column's -1).
    double value(const SweepResult& r, const std::string& column) const;
};

// Builds a definition from a base config (whose sweep.grid and sweep.seeds give the default axes and seeds), extra
// "--grid key=v1,v2" axes (replacing the base's axis of the same key) and a seed count (0: sweep.seeds). Every
// axis value is checked against the schema. Throws ConfigError.
SweepDefinition make_sweep_definition(const FlatConfig& base, const std::vector<std::string>& grids, int seeds, double snap_tol,
                                      int snap_window);

// Parses "key=v1,v2,..." (values as JSON, bare words as strings; a comma inside a "quoted string" is part of the
// value). Throws ConfigError naming the key.
SweepAxis parse_grid_axis(const std::string& text);
// Parses "k1=a,b;k2=c,d" (the sweep.grid key's format).
std::vector<SweepAxis> parse_grid(const std::string& text);
// The axes as sweep.grid text that parse_grid reads back to the same keys and values (each value as JSON).
std::string grid_text(const std::vector<SweepAxis>& axes);
// The sweep as one config (what config.json of a sweep's folder holds): the base, each axis's key at its first value,
// sweep.grid naming the axes and sweep.seeds the seeds. `snapscope-cli sweep --config` of it defines this very sweep
// (with the same --snap-tol and --snap-window, which are not config keys).
FlatConfig sweep_definition_config(const SweepDefinition& def);

// Runs one point through the lab's LabRun. Throws like make_lab_run. `cancelled`, when given, is asked every few steps; when it says yes the
// run stops and the result is marked `cancelled` (not a result of the sweep). The sweep's memory limit `memory_mb`
// (its limits.memory_mb, which is not part of the definition; 0 = three quarters of RAM) is shared by the `parallel`
// runs: each is checked against memory_mb / parallel, and a refusal says so.
SweepResult run_sweep_point(const SweepDefinition& def, const SweepPoint& p, const std::function<bool()>& cancelled = nullptr,
                            int parallel = 1, double memory_mb = 0);

// CSV (RFC 4180: a field with a comma, a quote or a line break is quoted):
// "index,<axis keys>,seed,loss,<the lab's sweep columns>", rows in index order (e.g.
// ...,loss,distinct_entropy,common_mass,snap_step).
std::string sweep_results_csv(const SweepDefinition& def, const std::vector<SweepResult>& rows);
std::string sweep_results_header(const SweepDefinition& def);
// Reads a results.csv of `def`: the header must be def's, every row a run of def (index in range, its values
// those of that index). Throws DataError naming the line.
std::vector<SweepResult> read_sweep_results(const std::string& text, const std::string& source, const SweepDefinition& def);
// Per grid point: runs, loss and each sweep column's mean and standard deviation over seeds, the columns' counts
// (see SweepColumn), diverged.
std::string sweep_summary_csv(const SweepDefinition& def, const std::vector<SweepResult>& rows);

// One CSV record split into fields (quotes removed); `pos` advances past it. False at the end of the text.
// Throws DataError on an unterminated quote.
bool read_csv_record(const std::string& text, std::size_t& pos, std::vector<std::string>& fields, const std::string& source,
                     std::size_t& line);
std::string csv_field(const std::string& s);

// The runs of shard I/N (1-based I) of a sweep of `total` runs: indices I-1, I-1+N, ...
std::int64_t shard_size(std::int64_t total, int index, int count);

// The config of one grid point of a sweep (its axes' `values`, in order) for a single run: the base with those
// values, seed 1, no sweep.grid.
FlatConfig grid_point_config(const FlatConfig& base, const std::vector<SweepAxis>& axes, const std::vector<nlohmann::json>& values);

// sweep.json: {"format": "snapscope-sweep", "version": 1, "definition": {...}, "shard": [I, N]}.
struct SweepManifest {
    SweepDefinition def;
    int shard_index = 1, shard_count = 1;
};
std::string sweep_manifest_text(const SweepManifest& m);
// Throws ConfigError naming the file and key.
SweepManifest read_sweep_manifest(const std::string& path);

}  // namespace snapscope
