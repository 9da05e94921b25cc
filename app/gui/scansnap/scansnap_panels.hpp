// The Scan-and-Snap lab's panels (attention heatmaps, curves, the phase diagram) and its entry in the window's lab
// list.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab_panels.hpp"
#include "scansnap/scansnap_window.hpp"
#include "snapscope/sweep.hpp"

namespace snapscope::gui {

class SweepJob;

// The phase-diagram view's settings and its background sweep.
struct PhaseState {
    int x_knob = 1;  // train.lr_y_over_z
    std::string x_values = "1,2,5,10";
    int y_knob = 0;  // train.lr_z
    std::string y_values = "0.5,1,2,3";
    int metric = 0;  // distinct_entropy
    int seeds = 4;
    int mode = 0;    // 0 heatmap, 1 lines
    std::string error;
    std::shared_ptr<SweepJob> job;
    // Which of the job's axes are drawn (indices into its axes; draw_y -1: one axis, a single row) and, per axis,
    // the index of the value an axis that is not drawn is held at (a sweep of three or more axes is shown one slice
    // at a time).
    int draw_x = 0, draw_y = 1;
    std::vector<int> held;
    PlotState lines_plot;
};
// Picks the drawn axes of a new job: the last two axes with more than one value (x the first of them), the others
// held at their first value.
void reset_drawn_axes(PhaseState& ps);

// The lab's view state (ViewState::lab_views["scan_snap"]); a session keeps the selected class and colour ranges.
struct ScanSnapView : LabView {
    int selected_class = 0;
    bool auto_range = true;
    float z_range = 4.0f;  // fixed colour range for Z: [-z_range, z_range]
    float c_max = 0.3f;    // fixed colour range for c_n: [0, c_max]
    bool show_phase = false;
    PhaseState phase;
    // Snap step of the shown run (cached per snapshot). While training runs flat out on a large run (frames x classes
    // x tokens beyond kSnapInlineWork) it is computed by a background task at most every kSnapTaskInterval seconds,
    // so the frame never waits for it; otherwise at once.
    std::uint64_t snap_serial = 0;
    std::int64_t snap = -1;
    std::shared_ptr<Task<std::int64_t>> snap_task;
    std::uint64_t snap_task_serial = 0;
    double snap_task_started = -1e9;
    PlotState mass_plot, entropy_plot, z_plot, c_plot;
    void to_json(nlohmann::json& view) const override;
    void from_json(ViewJsonReader& r) override;
};
ScanSnapView& scansnap_view(ViewState& view);
const ScanSnapView& scansnap_view(const ViewState& view);

// Shows a sweep read from a folder in the phase diagram (LabPanels::show_sweep).
bool show_sweep_in_phase_diagram(ViewState& view, std::shared_ptr<SweepJob> sweep, std::string& why);

void draw_attention(const Snapshot& snap, ViewState& view, HeatmapTextures* textures, const CommandSink& send);
// The token-priority-graph model (model.kind = tpg, preset tpg-text) on the text of a Scan-and-Snap text run
// (`text_run`: the same data.path, text format, vocabulary, window and split), its graph being that of `query_word`.
// Throws ConfigError when the result is not a valid config.
Config priority_graph_config(const Config& text_run, const std::string& query_word);
void draw_curves(const Snapshot& snap, ViewState& view);
// Brings the lab view's snap step up to date with the snapshot (see ScanSnapView::snap_task). `now` in seconds.
constexpr double kSnapInlineWork = 2e6;
constexpr double kSnapTaskInterval = 0.5;
void update_snap_step(const Snapshot& snap, ViewState& view, double now);
// The phase-diagram window (Scan-and-Snap sweeps in the background).
void draw_phase_diagram(const Snapshot& snap, ViewState& view, const CommandSink& send);
// A token's colour by its role (grey common, a hue per class for distinct tokens, ...) and its short name.
ImU32 token_color(const RunInfo& info, int token, float alpha = 1.0f);
std::string token_short(const RunInfo& info, int token);

LabPanels scansnap_panels();

}  // namespace snapscope::gui
