#include "snapscope/scansnap_output.hpp"

namespace snapscope {

using nlohmann::json;

void write_trajectory_csv(ByteSink& out, const ScanSnapRun& run) {
    const std::size_t K = run.data().classes().size();
    std::string line = "step,loss,lr_z,lr_y";
    for (std::size_t c = 0; c < K; ++c) line += ",common_mass_" + std::to_string(c) + ",distinct_entropy_" + std::to_string(c);
    line += '\n';
    out.write(line);
    for (const ScalarRecord& r : run.scalars()) {
        line = std::to_string(r.step);
        line += ',' + format_double(r.loss) + ',' + format_double(r.lr_z) + ',' + format_double(r.lr_y);
        for (std::size_t c = 0; c < K; ++c) line += ',' + format_double(r.common_mass[c]) + ',' + format_double(r.distinct_entropy[c]);
        line += '\n';
        out.write(line);
    }
}

void write_final_json(ByteSink& out, ScanSnapRun& run, const RunTiming& t) {
    run.record_now();
    const std::int64_t M = run.vocab_size();
    const ScalarRecord& last = run.scalars().back();
    const ClassMetrics cm = run.class_metrics();
    const auto& cl = run.data().classes();
    const std::vector<std::string>& words = run.data().words();
    JsonWriter w(out);
    // Keys in alphabetical order, as nlohmann's dump writes an object.
    w.begin_object();
    w.key("M").value(M);
    w.key("Y").matrix(run.model().Y.data(), M, M, 1, M);  // column-major: Y(k, l) at k + l M
    w.key("Z").matrix(run.model().Z.data(), M, M, M, 1);
    w.key("classes").begin_array();
    for (std::size_t c = 0; c < cl.size(); ++c) {
        w.begin_object();
        w.key("attention").numbers(cm.attention.data() + c * static_cast<std::size_t>(M), static_cast<std::size_t>(M));
        w.key("common_mass").value(cm.common_mass[c]);
        w.key("common_tokens").numbers(cl[c].common);
        w.key("distinct_entropy").value(cm.distinct_entropy[c]);
        w.key("distinct_tokens").numbers(cl[c].distinct);
        w.key("label").value(cl[c].label);
        if (!words.empty()) w.key("label_word").value(run.data().token_name(cl[c].label));
        w.key("query").value(cl[c].query);
        if (!words.empty()) w.key("query_word").value(run.data().token_name(cl[c].query));
        w.end_object();
    }
    w.end_array();
    if (run.diverged()) w.key("diverged").value(run.divergence_message());
    w.key("elapsed_seconds").value(t.elapsed_seconds);
    w.key("events").begin_array();
    for (const RunEvent& e : run.events())
        w.begin_object().key("name").value(e.name).key("new").value(e.new_value).key("old").value(e.old_value).key("step").value(e.step).end_object();
    w.end_array();
    if (t.interrupted) w.key("interrupted").value(true);
    w.key("loss").value(last.loss);
    w.key("lr_y").value(run.lr_y());
    w.key("lr_z").value(run.lr_z());
    w.key("seed").value(run.config().train.seed);
    w.key("step").value(run.step_index());
    w.key("steps_per_second").value(t.steps_per_second);
    if (!words.empty()) {  // a text: the word of each token id
        w.key("words").begin_array();
        for (const std::string& word : words) w.value(word);
        w.end_array();
    }
    w.end_object();
    w.finish();
}

double run_files_bytes(const ScanSnapRun& run) {
    const double M = run.vocab_size(), K = static_cast<double>(run.data().classes().size());
    return 24.0 * (2 * M * M + K * M) + static_cast<double>(run.scalars().capacity()) * (60 + 48 * K) + 65536;
}

OutputFolder run_folder(const std::string& dir, const ScanSnapRun& run) { return run_output_folder(dir, run_files_bytes(run)); }

void write_run_files(const OutputFolder& folder, ScanSnapRun& run, const RunTiming& t) {
    write_run_file_set(folder, run, [&](ByteSink& o) { write_trajectory_csv(o, run); }, [&](ByteSink& o) { write_final_json(o, run, t); });
}

void write_run_files(const std::string& dir, ScanSnapRun& run, const RunTiming& t) { write_run_files(run_folder(dir, run), run, t); }

}  // namespace snapscope
