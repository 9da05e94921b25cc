#include "snapscope/tpg_output.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

void matrix_rows(JsonWriter& w, const Eigen::MatrixXd& m) { w.matrix(m.data(), m.rows(), m.cols(), 1, m.rows()); }

}  // namespace

void write_tpg_trajectory_csv(ByteSink& out, const TpgRun& run) {
    out.write("step,loss,lr,corr_svm,corr_fit,fit_R,proj_dist,top_scc_mass,proj_dist_tau,proj_corr,max_scc_mass\n");
    std::string line;
    for (const TpgRecord& r : run.history()) {
        line = std::to_string(r.step);
        const TpgMetrics& m = r.metrics;
        for (double v : {r.loss, r.lr, m.corr_svm, m.corr_fit, m.fit_R, m.proj_dist, m.top_scc_mass, m.proj_dist_tau, m.proj_corr, m.max_scc_mass})
            line += ',' + format_double(v);
        line += '\n';
        out.write(line);
    }
}

void write_tpg_graphs(JsonWriter& w, const std::vector<QueryGraph>& graphs) {
    w.begin_array();
    for (const QueryGraph& g : graphs) {
        w.begin_object();
        w.key("edges").begin_array();
        for (const auto& [from, to] : g.edges) w.begin_array().value(from).value(to).end_array();
        w.end_array();
        w.key("query").value(g.query);
        w.key("sccs").begin_array();
        for (int c : g.scc.order) w.numbers(g.scc.members[c]);
        w.end_array();
        w.end_object();
    }
    w.end_array();
}

void write_tpg_final_json(ByteSink& out, TpgRun& run, const RunTiming& t) {
    run.record_now();
    const TpgRecord& last = run.history().back();
    JsonWriter w(out);
    w.begin_object();
    w.key("K").value(run.data().K);
    w.key("W");
    matrix_rows(w, run.model().W);
    w.key("W_fin");
    matrix_rows(w, run.fin().W_fin);
    w.key("W_svm");
    matrix_rows(w, run.svm().W);
    w.key("d").value(run.model().d());
    if (run.diverged()) w.key("diverged").value(run.divergence_message());
    w.key("elapsed_seconds").value(t.elapsed_seconds);
    w.key("embeddings");
    matrix_rows(w, run.model().E());
    w.key("graphs");
    write_tpg_graphs(w, run.graphs());
    if (t.interrupted) w.key("interrupted").value(true);
    w.key("loss").value(last.loss);
    const TpgMetrics& m = last.metrics;
    w.key("metrics").value(json{{"corr_fit", m.corr_fit},
                                {"corr_svm", m.corr_svm},
                                {"fit_R", m.fit_R},
                                {"max_scc_mass", m.max_scc_mass},
                                {"proj_corr", m.proj_corr},
                                {"proj_dist", m.proj_dist},
                                {"proj_dist_tau", m.proj_dist_tau},
                                {"top_scc_mass", m.top_scc_mass}});
    w.key("samples").begin_array();
    for (const TpgSample& s : run.data().samples) {
        w.begin_object();
        w.key("attention").numbers(run.model().attention(s.tokens));
        w.key("label").value(s.label);
        w.key("tokens").numbers(s.tokens);
        w.end_object();
    }
    w.end_array();
    w.key("seed").value(run.config().train.seed);
    w.key("step").value(run.step_index());
    w.key("steps_per_second").value(t.steps_per_second);
    const SvmResult& svm = run.svm();
    w.key("svm_kkt").value(json{{"complementarity", svm.complementarity},
                                {"converged", svm.converged},
                                {"min_multiplier", svm.min_multiplier},
                                {"primal_violation", svm.primal_violation},
                                {"stationarity", svm.stationarity}});
    if (!run.data().words.empty()) {  // a text's windows: token id -> word
        w.key("words").begin_array();
        for (const std::string& word : run.data().words) w.value(word);
        w.end_array();
    }
    w.end_object();
    w.finish();
}

double run_files_bytes(const TpgRun& run) {
    const double d = run.model().d(), K = run.data().K;
    double tokens = 0, edges = 0;
    for (const TpgSample& s : run.data().samples) tokens += static_cast<double>(s.tokens.size());
    for (const QueryGraph& g : run.graphs()) edges += static_cast<double>(g.edges.size());
    double word_bytes = 0;
    for (const std::string& word : run.data().words) word_bytes += 6.0 * static_cast<double>(word.size()) + 4;  // \uXXXX at worst
    return 24.0 * (3 * d * d + K * d) + word_bytes + 36 * tokens + 24 * edges + static_cast<double>(run.history().capacity()) * 200 + 65536;
}

OutputFolder run_folder(const std::string& dir, const TpgRun& run) { return run_output_folder(dir, run_files_bytes(run)); }

void write_run_files(const OutputFolder& folder, TpgRun& run, const RunTiming& t) {
    write_run_file_set(folder, run, [&](ByteSink& o) { write_tpg_trajectory_csv(o, run); },
                       [&](ByteSink& o) { write_tpg_final_json(o, run, t); });
}

void write_run_files(const std::string& dir, TpgRun& run, const RunTiming& t) { write_run_files(run_folder(dir, run), run, t); }

}  // namespace snapscope
