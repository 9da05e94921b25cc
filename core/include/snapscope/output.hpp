// Files a run writes: the resolved config, the trajectory CSV and final.json.
// Every file is written to a temporary file next to its target and renamed
// into place, so a reader never sees a half-written file.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "snapscope/scansnap_run.hpp"

namespace snapscope {

class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Writes `content` to `path` atomically (temp file + fsync + rename). Throws IoError.
void write_file_atomic(const std::string& path, const std::string& content);

// Shortest text that reads back as the same double.
std::string format_double(double x);

// One row per recorded step: step, loss, lr_z, lr_y, then per class j
// common_mass_j and distinct_entropy_j.
std::string trajectory_csv(const ScanSnapRun& run);

// step, loss, M, Z, Y (arrays of rows), classes[{query, label, attention, common_mass,
// distinct_entropy}], events, seed; plus timing keys steps_per_second and elapsed_seconds.
nlohmann::json final_json(ScanSnapRun& run, double steps_per_second, double elapsed_seconds);

// JSON text with a fixed layout and a newline at the end; indent -1 is compact.
std::string dump_json(const nlohmann::json& j, int indent = 2);

}  // namespace snapscope

namespace snapscope {

class TpgRun;
struct QueryGraph;

// Writes DIR/config.json, DIR/trajectory.csv and DIR/final.json of a run (each atomically; DIR is created).
// Throws IoError.
void write_run_files(const std::string& dir, ScanSnapRun& run, double steps_per_second, double elapsed_seconds);
void write_run_files(const std::string& dir, TpgRun& run, double steps_per_second, double elapsed_seconds);

// step, loss, lr, corr_svm, corr_fit, fit_R, proj_dist, top_scc_mass.
std::string tpg_trajectory_csv(const TpgRun& run);
// `graphs` as final.json writes them: per query token its edges and its SCCs in priority order.
nlohmann::json tpg_graphs_json(const std::vector<QueryGraph>& graphs);
// step, loss, K, d, W, W_svm, W_fin, embeddings, graphs, samples (tokens, label, attention), metrics, svm_kkt,
// seed, steps_per_second, elapsed_seconds.
nlohmann::json tpg_final_json(TpgRun& run, double steps_per_second, double elapsed_seconds);

}  // namespace snapscope
