#include <filesystem>
#include <set>

#include "snapscope/output.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

json matrix_rows(const Eigen::MatrixXd& m) {
    json a = json::array();
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        json row = json::array();
        for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
        a.push_back(std::move(row));
    }
    return a;
}

}  // namespace

std::string tpg_trajectory_csv(const TpgRun& run) {
    std::string out = "step,loss,lr,corr_svm,corr_fit,fit_R,proj_dist,top_scc_mass\n";
    for (const TpgRecord& r : run.history()) {
        out += std::to_string(r.step);
        for (double v : {r.loss, r.lr, r.metrics.corr_svm, r.metrics.corr_fit, r.metrics.fit_R, r.metrics.proj_dist, r.metrics.top_scc_mass})
            out += ',' + format_double(v);
        out += '\n';
    }
    return out;
}

json tpg_graphs_json(const std::vector<QueryGraph>& graphs) {
    json out = json::array();
    for (const QueryGraph& g : graphs) {
        json e = json::array();
        std::set<std::pair<int, int>> seen;
        for (const auto& ed : g.graph.edges)
            if (seen.insert(ed).second) e.push_back({ed.first, ed.second});
        json sccs = json::array();
        for (int c : g.scc.order) {
            std::vector<int> members;
            for (int t : g.scc.members[c])
                if (g.constrained[t]) members.push_back(t);
            if (!members.empty()) sccs.push_back(members);
        }
        out.push_back({{"query", g.query}, {"edges", e}, {"sccs", sccs}});
    }
    return out;
}

json tpg_final_json(TpgRun& run, double steps_per_second, double elapsed_seconds) {
    run.record_now();
    const TpgRecord& last = run.history().back();
    json j;
    j["step"] = run.step_index();
    j["loss"] = last.loss;
    j["K"] = run.data().K;
    j["d"] = run.model().d();
    j["seed"] = run.config().train.seed;
    j["W"] = matrix_rows(run.model().W);
    j["W_svm"] = matrix_rows(run.svm().W);
    j["W_fin"] = matrix_rows(run.fin().W_fin);
    j["embeddings"] = matrix_rows(run.model().E());
    j["graphs"] = tpg_graphs_json(run.graphs());
    json samples = json::array();
    for (const TpgSample& s : run.data().samples)
        samples.push_back({{"tokens", s.tokens}, {"label", s.label}, {"attention", run.model().attention(s.tokens)}});
    j["samples"] = std::move(samples);
    const TpgMetrics& m = last.metrics;
    j["metrics"] = {{"corr_svm", m.corr_svm},   {"corr_fit", m.corr_fit},         {"fit_R", m.fit_R},
                    {"proj_dist", m.proj_dist}, {"top_scc_mass", m.top_scc_mass}};
    const SvmResult& svm = run.svm();
    j["svm_kkt"] = {{"converged", svm.converged},
                    {"primal_violation", svm.primal_violation},
                    {"complementarity", svm.complementarity},
                    {"stationarity", svm.stationarity},
                    {"min_multiplier", svm.min_multiplier}};
    if (run.diverged()) j["diverged"] = run.divergence_message();
    j["steps_per_second"] = steps_per_second;
    j["elapsed_seconds"] = elapsed_seconds;
    return j;
}

namespace {

template <class Run, class Csv, class Final>
void write_files(const std::string& dir, Run& run, Csv csv, Final fin) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IoError(dir + ": cannot create the output folder: " + ec.message());
    const fs::path out(dir);
    write_file_atomic((out / "config.json").string(), dump_json(config_to_json(run.config())));
    write_file_atomic((out / "trajectory.csv").string(), csv(run));
    write_file_atomic((out / "final.json").string(), dump_json(fin(run), -1));
}

}  // namespace

void write_run_files(const std::string& dir, ScanSnapRun& run, double sps, double elapsed) {
    write_files(dir, run, [](ScanSnapRun& r) { return trajectory_csv(r); }, [&](ScanSnapRun& r) { return final_json(r, sps, elapsed); });
}

void write_run_files(const std::string& dir, TpgRun& run, double sps, double elapsed) {
    write_files(dir, run, [](TpgRun& r) { return tpg_trajectory_csv(r); }, [&](TpgRun& r) { return tpg_final_json(r, sps, elapsed); });
}

}  // namespace snapscope
