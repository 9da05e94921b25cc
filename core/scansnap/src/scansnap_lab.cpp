// The Scan-and-Snap run as a lab (LabRun): its learning-rate groups, metrics, files and registry entry.
#include <cmath>
#include <cstdio>

#include "snapscope/scansnap_output.hpp"
#include "snapscope/scansnap_run.hpp"
#include "snapscope/snap_step.hpp"

namespace snapscope {

std::vector<LrGroup> ScanSnapRun::lr_groups() const { return {{"lr_z", "eta_Z", lr_z_}, {"lr_y", "eta_Y", lr_y_}}; }

void ScanSnapRun::set_lr(const std::string& name, double value) {
    if (name == "lr_z") set_lr_z(value);
    else if (name == "lr_y") set_lr_y(value);
    else throw ConfigError("events", "unknown event '" + name + "' (the Scan-and-Snap lab's learning rates: lr_z, lr_y)");
}

std::vector<std::pair<std::string, double>> ScanSnapRun::scalar_metrics() const {
    std::vector<std::pair<std::string, double>> out;
    if (scalars_.empty()) return out;
    const ScalarRecord& r = scalars_.back();
    for (std::size_t c = 0; c < r.common_mass.size(); ++c) {
        out.emplace_back("common_mass_" + std::to_string(c), r.common_mass[c]);
        out.emplace_back("distinct_entropy_" + std::to_string(c), r.distinct_entropy[c]);
    }
    return out;
}

std::vector<double> ScanSnapRun::sweep_values(const SweepMeasure& sm) const {
    // distinct_entropy, common_mass: means over classes of the last record's values (Fig 6); snap_step: see snap_step().
    if (diverged() || scalars_.empty()) return {NAN, NAN, -1.0};  // the records before a divergence could look frozen
    const ScalarRecord& last = scalars_.back();
    double e = 0, m = 0;
    for (double v : last.distinct_entropy) e += v;
    for (double v : last.common_mass) m += v;
    const double K = static_cast<double>(last.distinct_entropy.size());
    std::vector<const MatrixRecord*> recs;
    for (const MatrixRecord& mr : matrices()) recs.push_back(&mr);
    const std::int64_t snap = snap_step(recs, data().classes().size(), sm.snap_tol, sm.snap_window);
    return {K > 0 ? e / K : 0, K > 0 ? m / K : 0, static_cast<double>(snap)};
}

std::string ScanSnapRun::size_text() const { return "M " + std::to_string(vocab_size()); }

OutputFolder ScanSnapRun::prepare_folder(const std::string& dir) const { return run_folder(dir, *this); }

void ScanSnapRun::write_results(const OutputFolder& folder, const RunTiming& t) { write_run_files(folder, *this, t); }

void ScanSnapRun::print_summary(std::FILE* out) const {
    if (scalars_.empty()) return;
    const ScalarRecord& last = scalars_.back();
    std::fprintf(out, "final loss %.6g; M = %d\n", last.loss, vocab_size());
    for (std::size_t c = 0; c < last.common_mass.size(); ++c)
        if (data().words().empty())
            std::fprintf(out, "class %zu (query %d -> %d): common mass %.4f, distinct entropy %.4f nats\n", c, data().classes()[c].query,
                         data().classes()[c].label, last.common_mass[c], last.distinct_entropy[c]);
        else  // a text: the words
            std::fprintf(out, "class %zu ('%s' -> '%s'): common mass %.4f, distinct entropy %.4f nats\n", c,
                         message_text(data().token_name(data().classes()[c].query)).c_str(),
                         message_text(data().token_name(data().classes()[c].label)).c_str(), last.common_mass[c], last.distinct_entropy[c]);
}

namespace {

std::unique_ptr<LabRun> make_scansnap(const Config& cfg, RunUse use, const nlohmann::json&) {
    switch (use) {
        case RunUse::Cli: return std::make_unique<ScanSnapRun>(cfg, RunHistoryPlan{1.0, 0.0, false});  // writes no matrices
        case RunUse::Sweep: return std::make_unique<ScanSnapRun>(cfg, RunHistoryPlan{0.05, 0.95});
        case RunUse::Window: return std::make_unique<ScanSnapRun>(cfg, RunHistoryPlan{0.2, 0});  // the window keeps frames
    }
    return nullptr;
}

}  // namespace

LabSpec scansnap_lab() {
    LabSpec lab;
    lab.kind = "scan_snap";
    lab.title = "Scan-and-Snap";
    lab.lr_names = {"lr_z", "lr_y"};
    lab.lr_labels = {"eta_Z", "eta_Y"};
    lab.check_session_data = nullptr;
    lab.make = &make_scansnap;
    lab.sweep_columns = {{"distinct_entropy", false, ""}, {"common_mass", false, ""}, {"snap_step", true, "snapped"}};
    lab.companions = {"mean_field"};  // the deterministic T -> infinity model on the same data and rates
    lab.config_keys = scansnap_config_keys();
    lab.check_config = &check_scansnap_config;
    return lab;
}

}  // namespace snapscope
