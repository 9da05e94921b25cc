// Files a Scan-and-Snap run writes: the resolved config, the trajectory CSV and final.json. The three are written as a set
// (see FileSet in files.hpp): into a staging folder, then moved into the output folder together, so a folder never
// mixes two runs' files. Large matrices are streamed to the file, never built as one JSON document in memory.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "snapscope/files.hpp"
#include "snapscope/scansnap_run.hpp"

namespace snapscope {

// One row per recorded step: step, loss, lr_z, lr_y, then per class j common_mass_j and distinct_entropy_j.
void write_trajectory_csv(ByteSink& out, const ScanSnapRun& run);
// step, loss, M, Z, Y (arrays of rows), classes[{query, label, attention, common_mass, distinct_entropy,
// distinct_tokens, common_tokens}], events, seed, lr_z, lr_y; timing keys steps_per_second and elapsed_seconds;
// diverged (a message) and interrupted when they apply.
void write_final_json(ByteSink& out, ScanSnapRun& run, const RunTiming& t);
// About how many bytes the three files of this run take.
double run_files_bytes(const ScanSnapRun& run);

// Writes DIR/config.json, DIR/trajectory.csv and DIR/final.json of a run as a set (DIR is created; the disk space
// is checked first; stale temporary files of dead processes are removed). Throws IoError.
void write_run_files(const std::string& dir, ScanSnapRun& run, const RunTiming& t);
// The same into a folder already made ready (see run_folder).
void write_run_files(const OutputFolder& folder, ScanSnapRun& run, const RunTiming& t);
// A run's output folder, ready for the three files of `run` (their size checked against the disk).
OutputFolder run_folder(const std::string& dir, const ScanSnapRun& run);

}  // namespace snapscope
