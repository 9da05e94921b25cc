#include "snapscope/lab.hpp"
#include "snapscope/input.hpp"

#include "snapscope/scansnap_run.hpp"
#include "snapscope/tpg_run.hpp"
#include "snapscope/transformer_run.hpp"

namespace snapscope {

const std::vector<LabSpec>& lab_registry() {
    // One line per lab.
    static const std::vector<LabSpec> labs = {
        scansnap_lab(),
        tpg_lab(),
        transformer_lab(),
    };
    return labs;
}

const std::string& default_lab_kind() { return lab_registry().front().kind; }

const LabSpec& lab_of_kind(const std::string& kind) {
    for (const LabSpec& lab : lab_registry())
        if (lab.kind == kind) return lab;
    std::string kinds;
    for (const LabSpec& lab : lab_registry()) kinds += (kinds.empty() ? "" : ", ") + lab.kind;
    throw ConfigError("model.kind", "key 'model.kind': no lab is called '" + brief_text(kind) + "' (labs: " + kinds + ")");
}

const LabSpec& lab_for(const Config& cfg) { return lab_of_kind(cfg.model.kind); }

const std::string& lr_label(const LabSpec& lab, const std::string& name) {
    for (std::size_t g = 0; g < lab.lr_names.size() && g < lab.lr_labels.size(); ++g)
        if (lab.lr_names[g] == name) return lab.lr_labels[g];
    return name;
}

std::unique_ptr<LabRun> make_lab_run(const Config& cfg, RunUse use, const nlohmann::json& session_data) {
    return lab_for(cfg).make(cfg, use, session_data);
}

OutputFolder run_output_folder(const std::string& dir, double bytes) {
    return OutputFolder(dir, FolderUse::Run, "a run's files", bytes, "the run's files (config.json, trajectory.csv, final.json)");
}

void write_run_file_set(const OutputFolder& folder, LabRun& run, const std::function<void(ByteSink&)>& trajectory,
                        const std::function<void(ByteSink&)>& final_json, const std::function<void(FileSet&)>& extra) {
    run.record_now();
    FileSet set(folder.dir());
    set.open("config.json").write(dump_json(config_to_json(run.config())));
    trajectory(set.open("trajectory.csv"));
    if (extra) extra(set);
    final_json(set.open("final.json"));
    set.commit();
}

void apply_event(LabRun& run, const RunEvent& e) { run.set_lr(e.name, e.new_value); }

void apply_due_events(LabRun& run, const std::vector<RunEvent>& events, std::size_t& next) {
    while (next < events.size() && events[next].step <= run.step_index()) apply_event(run, events[next++]);
}

}  // namespace snapscope
