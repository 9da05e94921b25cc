// Files a token-priority-graph run writes: config.json, trajectory.csv and final.json, as a set.
#pragma once

#include <string>
#include <vector>

#include "snapscope/files.hpp"
#include "snapscope/lab.hpp"

namespace snapscope {

class TpgRun;
struct QueryGraph;

// Writes DIR/config.json, DIR/trajectory.csv and DIR/final.json of a run as a set (as the Scan-and-Snap writer does).
void write_run_files(const std::string& dir, TpgRun& run, const RunTiming& t);
void write_run_files(const OutputFolder& folder, TpgRun& run, const RunTiming& t);
OutputFolder run_folder(const std::string& dir, const TpgRun& run);

// step, loss, lr, corr_svm, corr_fit, fit_R, proj_dist, top_scc_mass, proj_dist_tau, proj_corr, max_scc_mass.
void write_tpg_trajectory_csv(ByteSink& out, const TpgRun& run);
// `graphs` as final.json writes them: per query token its edges and its SCCs in priority order, highest first.
void write_tpg_graphs(JsonWriter& w, const std::vector<QueryGraph>& graphs);
// step, loss, K, d, W, W_svm, W_fin, embeddings, graphs, samples (tokens, label, attention), metrics, svm_kkt,
// seed, steps_per_second, elapsed_seconds.
void write_tpg_final_json(ByteSink& out, TpgRun& run, const RunTiming& t);
double run_files_bytes(const TpgRun& run);

}  // namespace snapscope
