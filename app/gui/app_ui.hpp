// The whole window's UI, drawn from one Snapshot. Panels read the snapshot and
// the view state and send Commands; they never touch the run. Everything here
// is plain ImGui (no GL): tests drive it in a windowless ImGui context.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <imgui.h>

#include "commands.hpp"
#include "plot.hpp"
#include "tasks.hpp"
#include "snapshot.hpp"
#include "snapscope/sweep.hpp"
#include "textures.hpp"

namespace snapscope::gui {

using CommandSink = std::function<void(Command)>;

// Panels by position: the left column, the top (Attention, or the Graph in the tpg lab) and the bottom (Curves).
enum class Panel { Controls = 0, Attention = 1, Curves = 2, Count = 3 };
const char* panel_name(Panel p);

// Things the UI asks the host (main.cpp) to do: they need GL or the file system.
struct HostRequests {
    bool screenshot = false;          // whole window
    int panel_export = -1;            // Panel index to export
    int export_scale = 1;             // 1, 2 or 4
    bool export_csv = false;          // trajectory CSV + final JSON of the live run
    bool save_session = false;
    bool load_session = false;
    std::string path;                 // chosen file or folder
    bool quit = false;
};

// A slider being edited: while it is dragged or typed into, `value` is the pending value (shown, not applied).
struct SliderEdit {
    double value = 1;
    bool active = false;
};

// What the paper predicts for a training set: its graphs, W_svm and W_fin (computed in the background).
struct TpgAnalysis {
    std::vector<QueryGraph> graphs;
    SvmResult svm;
    FinResult fin;
};

// The training-set editor's working copy (token-priority-graph lab) and what the paper predicts for it. Every edit
// starts the analysis in the background (a newer edit cancels an older one); the last finished analysis is shown
// meanwhile, so typing never waits for the QP.
struct TpgEdit {
    TpgDataset data;
    std::vector<QueryGraph> graphs;  // of `data` once the analysis is in (see analysed)
    SvmResult svm;
    FinResult fin;
    bool analysed = false;           // graphs/svm/fin describe the current `data`
    std::shared_ptr<Task<TpgAnalysis>> task;
    std::string error;  // why the edited set cannot be used, if it cannot
    bool dirty = false; // differs from the running set
    std::uint64_t run_id = 0;
};

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
    PlotState lines_plot;
};

struct ViewState {
    // Step cursor: follow the newest step, or show a recorded past step.
    bool live = true;
    std::int64_t cursor_step = 0;
    // Hovering a curve previews that step in every view (PAIR-style scrubbing); a click locks it.
    std::int64_t preview_step = -1, next_preview_step = -1;
    int selected_class = 0;
    bool auto_range = true;
    float z_range = 4.0f;        // fixed colour range for Z: [-z_range, z_range]
    float c_max = 0.3f;          // fixed colour range for c_n: [0, c_max]
    bool log_loss = true;
    bool large_font = false;
    bool show_help = false;
    int export_scale = 1;
    std::string export_dir = "snapscope-exports";
    std::string session_path = "snapscope-exports/session.json";
    std::string status;          // last host message ("wrote ...")
    bool status_error = false;
    double status_time = -1;     // ImGui time it was said (-1: not yet shown)
    // The status bar: when it first showed the worker's current message, and the message the user dismissed.
    std::string seen_message;
    double seen_message_time = 0;
    std::string dismissed;
    void say(std::string text, bool error);
    // Exports: a panel drawn as a figure (no title bar, no scrollbar, no widgets), and each panel's content rectangle
    // (x, y, w, h) in the frame that drew it.
    bool figure = false;
    ImVec4 panel_content[3];
    // Restart settings being edited (applied with "Apply and restart").
    std::shared_ptr<Config> pending;
    std::uint64_t pending_run_id = 0;
    int preset_index = 0;
    std::uint64_t seed_input = 0;
    SliderEdit edit_lr_z, edit_lr_y, edit_ratio, edit_speed;
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
    // Token-priority-graph lab.
    int tpg_query_index = 0;       // which query's graph is shown
    std::uint64_t tpg_run_id = 0;
    int tpg_sample = 0;            // the sample whose attention fills the graph's nodes
    bool tpg_condensed = false;    // draw the condensation DAG
    int tpg_top_n = 200;           // node limit for large graphs (highest degree first)
    int tpg_focus = -1;            // show only this token's SCC and its neighbours (-1: all)
    float tpg_zoom = 1.0f;
    ImVec2 tpg_pan{0, 0};
    std::string tpg_probe = "";
    std::shared_ptr<TpgEdit> tpg_edit;
    PlotState tpg_corr_plot, tpg_proj_plot, tpg_mass_plot;
    // A pinned run drawn faded under the live one.
    SnapshotPtr pinned;
    PlotState loss_plot, mass_plot, entropy_plot, z_plot, c_plot;
    ImVec2 panel_pos[3], panel_size[3];
    // Screen rectangles of named widgets from the last frame (for tests and tours).
    std::map<std::string, ImVec4> widget_rects;
    nlohmann::json to_json() const;
    // Reads the settings a session file holds; a field of the wrong type or out of range is ignored, and a warning
    // naming `source` and the key is returned for it.
    std::vector<std::string> from_json(const nlohmann::json& j, const std::string& source);
};

// Draws every panel for this frame. `textures` may be null (windowless tests).
void draw_app(const Snapshot& snap, ViewState& view, const CommandSink& send, HeatmapTextures* textures, HostRequests& host);

// Brings view.snap up to date with the snapshot (see ViewState::snap_task). `now` in seconds.
constexpr double kSnapInlineWork = 2e6;
constexpr double kSnapTaskInterval = 0.5;
void update_snap_step(const Snapshot& snap, ViewState& view, double now);

// Panels (one file each).
void draw_controls(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host);
void draw_attention(const Snapshot& snap, ViewState& view, HeatmapTextures* textures);
void draw_curves(const Snapshot& snap, ViewState& view);
// The token-priority-graph lab's panels.
void draw_tpg_graph(const Snapshot& snap, ViewState& view);
void draw_tpg_samples(const Snapshot& snap, ViewState& view, const CommandSink& send);
void draw_tpg_curves(const Snapshot& snap, ViewState& view);
// The phase-diagram window (Scan-and-Snap sweeps in the background).
void draw_phase_diagram(const Snapshot& snap, ViewState& view, const CommandSink& send);
// The config a phase-diagram cell opens: the sweep's base with the cell's values and seed 1.
FlatConfig phase_cell_config(const FlatConfig& base, const std::vector<SweepAxis>& axes, const std::vector<nlohmann::json>& values);
// Checks the edited set and starts its analysis in the background (after an edit).
void tpg_edit_refresh(TpgEdit& e, const TpgInfo& info);
// Takes a finished analysis (called every frame); true when one arrived.
bool tpg_edit_poll(TpgEdit& e);

// The status bar at the bottom of the window: the latest message (worker or host), an info message for 10 s, an
// error until dismissed; its height is fixed, so messages never move the controls.
void draw_status_bar(const Snapshot& snap, ViewState& view, ImVec2 pos, ImVec2 size);
float status_bar_height();

// Shared helpers.
const Frame& frame_at(const Snapshot& snap, const ViewState& view);  // the frame the cursor selects
std::size_t frame_index_at(const Snapshot& snap, const ViewState& view);  // and its index in snap.frames
// A plot's hover previews the nearest recorded step; its click locks the step cursor there.
void apply_plot_cursor(const PlotResult& r, const Snapshot& snap, ViewState& view);
ImU32 token_color(const RunInfo& info, int token, float alpha = 1.0f);
std::string token_short(const RunInfo& info, int token);

}  // namespace snapscope::gui
