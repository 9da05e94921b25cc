// The whole window's UI, drawn from one Snapshot. Panels read the snapshot and
// the view state and send Commands; they never touch the run. Everything here
// is plain ImGui (no GL): tests drive it in a windowless ImGui context.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <imgui.h>

#include "commands.hpp"
#include "plot.hpp"
#include "tasks.hpp"
#include "snapshot.hpp"
#include "snapscope/sweep.hpp"
#include "snapscope/figure.hpp"
#include "snapscope/raster.hpp"
#include "snapscope/tours.hpp"
#include "textures.hpp"

namespace snapscope::gui {

using CommandSink = std::function<void(Command)>;

// Panels by position: the left column, the top and the bottom (the lab decides what they show).
enum class Panel { Controls = 0, Attention = 1, Curves = 2, Count = 3 };
const char* panel_name(Panel p);

// Things the UI asks the host (main.cpp) to do: they need GL or the file system.
struct HostRequests {
    bool screenshot = false;          // whole window
    int panel_export = -1;            // Panel index to export
    int export_scale = 1;             // 1, 2 or 4
    bool export_csv = false;          // trajectory CSV + final JSON of the live run
    bool movie = false;               // a movie of the live run's recorded steps (ViewState::movie says how)
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

// Reads a session's view settings: each field checked for its type and range; a wrong one is ignored (the current
// value stays) with a warning naming the source and the key. Nothing here throws.
class ViewJsonReader {
public:
    ViewJsonReader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}
    bool has(const char* key) const { return j_.is_object() && j_.contains(key); }
    const nlohmann::json& at(const char* key) const { return j_[key]; }
    void warn(const char* key, const std::string& expected);
    void boolean(const char* key, bool& out);
    void number(const char* key, float& out, double lo, double hi);
    template <class T>
    void integer(const char* key, T& out, long long lo, long long hi) {
        if (!has(key)) return;
        if (const auto v = read_integer(at(key), lo, hi)) out = static_cast<T>(*v);
        else warn(key, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    std::vector<std::string> warnings;

private:
    static std::optional<long long> read_integer(const nlohmann::json& v, long long lo, long long hi);
    const nlohmann::json& j_;
    std::string source_;
};

// A lab's own view state (its selection, colour ranges, plots, background work), made on first use by its panels and
// kept in ViewState::lab_views. What a session keeps of it is written into, and read from, the session's "view".
struct LabView {
    virtual ~LabView() = default;
    virtual void to_json(nlohmann::json& view) const { (void)view; }
    virtual void from_json(ViewJsonReader& r) { (void)r; }
};

// The Open data window's state (shell/open_data.cpp).
struct OpenDataDialog {
    bool open = false;
    std::string dir;     // the folder listed
    std::string typed;   // the path field
    std::string error;   // why the folder cannot be listed
    struct Entry {
        std::string name;
        bool folder = false;
        bool sweep = false;  // a sweep folder (holds sweep.json)
        std::uintmax_t bytes = 0;
    };
    std::vector<Entry> entries;  // of `dir`, folders first, each group by name
    std::string listed;          // the folder `entries` belong to
    std::string note;            // e.g. how many entries were left off
};

// The guided tour being taken (shell/tour_panel.cpp).
struct TourView {
    std::shared_ptr<const Tour> tour;   // null: no tour
    std::shared_ptr<const Tour> start;  // a tour to start at the next frame (--tour, the chooser)
    int step = 0;
    bool chooser = false;               // the list of tours is open
    bool show_answer = false;
    std::vector<std::string> missing;   // this frame's highlights that are not on screen
    ImVec2 panel_size{0, 0};            // the tour panel's size in the last frame (to place it clear of highlights)
    ImVec4 panel_rect{0, 0, 0, 0};      // and where it was drawn (x0, y0, x1, y1)
};

// The movie export's settings and, while one is written, its progress (the host fills it in).
struct MovieView {
    int every = 0;      // one frame per this many steps (0: every recorded step)
    int format = 0;     // 0 MP4, 1 GIF, 2 PNG frames in a folder
    int panel = -1;     // -1: the window; else a Panel as a figure
    bool active = false;
    std::size_t done = 0, total = 0;
    std::string path;
    bool cancel = false;  // Cancel pressed
};

struct ViewState {
    // Step cursor: follow the newest step, or show a recorded past step.
    bool live = true;
    std::int64_t cursor_step = 0;
    // Hovering a curve previews that step in every view (PAIR-style scrubbing); a click locks it.
    std::int64_t preview_step = -1, next_preview_step = -1;
    bool log_loss = true;
    bool large_font = false;          // presenter mode (F11): large text, mouse highlight, advanced controls hidden
    float font_scale = 1.6f;          // presenter text size over the normal 15 px (1.5 to 2.5)
    bool show_all_controls = false;   // presenter mode: show the advanced controls anyway
    bool still = false;               // drawing a picture (--screenshot, --movie): no animation
    int theme = 0;                    // Theme (theme.hpp): 0 auto (light in presenter mode), 1 dark, 2 light
    bool show_help = false;
    // The layout the user dragged (remembered between runs, not kept in sessions): the Controls panel's width and the
    // top panels' height as fractions of the window (0: the default, see kDefaultTopFraction).
    float controls_fraction = 0, top_fraction = 0;
    int export_scale = 1;
    int print_width = 1200, print_height = 800;  // print figures: size in pixels at scale 1
    std::string export_dir = "snapscope-exports";
    std::string session_path = "snapscope-exports/session.json";
    OpenDataDialog open_data;
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
    std::map<std::string, SliderEdit> edit_lr;  // by learning-rate group
    SliderEdit edit_ratio, edit_speed;
    // Each lab's own view state, made on first use by its panels (lab_view<T>(kind)).
    std::map<std::string, std::shared_ptr<LabView>> lab_views;
    template <class T>
    T& lab_view(const std::string& kind) {
        std::shared_ptr<LabView>& p = lab_views[kind];
        if (!p) p = std::make_shared<T>();
        return static_cast<T&>(*p);
    }
    // A pinned run drawn faded under the live one.
    SnapshotPtr pinned;
    PlotState loss_plot;
    ImVec2 panel_pos[3], panel_size[3];
    // Screen rectangles (x0, y0, x1, y1) of named widgets, recorded as this frame draws them (for tests and tours), and
    // the rows and columns of the grid widgets among them (heatmaps: a tour highlights one cell, row or column).
    std::map<std::string, ImVec4> widget_rects;
    std::map<std::string, std::pair<int, int>> widget_grids;
    TourView tour;
    MovieView movie;
    // The settings a session keeps: the shell's and each lab view's (one flat object).
    nlohmann::json to_json() const;
    // Reads the settings a session file holds (every lab's view is made and reads its own); a field of the wrong type
    // or out of range is ignored, and a warning naming `source` and the key is returned for it.
    std::vector<std::string> from_json(const nlohmann::json& j, const std::string& source);
};

// A run being built shows its loading window (progress, Cancel) once it has taken this long, in seconds.
constexpr double kLoadWindowDelay = 0.25;

// Draws every panel for this frame. `textures` may be null (windowless tests).
void draw_app(const Snapshot& snap, ViewState& view, const CommandSink& send, HeatmapTextures* textures, HostRequests& host);

// The Controls panel (shell/controls.cpp): run, speed, the lab's learning rates and companions, the step cursor,
// the lab's settings, export.
void draw_controls(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host);

// The status bar at the bottom of the window: the latest message (worker or host), an info message for 10 s, an
// error until dismissed; its height is fixed, so messages never move the controls.
void draw_status_bar(const Snapshot& snap, ViewState& view, ImVec2 pos, ImVec2 size);
float status_bar_height();

// Shared helpers.
const Frame& frame_at(const Snapshot& snap, const ViewState& view);  // the frame the cursor selects
std::size_t frame_index_at(const Snapshot& snap, const ViewState& view);  // and its index in snap.frames
// The step the next frame shows: the live run's step, the recorded step a hover over a plot previews, or the one the
// step cursor is on (what a window or panel PNG pictures, so its file is named by it).
std::int64_t shown_step(const Snapshot& snap, const ViewState& view);
// A plot's hover previews the nearest recorded step; its click locks the step cursor there.
void apply_plot_cursor(const PlotResult& r, const Snapshot& snap, ViewState& view);
// Right-click on the last item (a heatmap): a menu that prints it as a print figure (`build` makes it, only then).
void heatmap_print_menu(ViewState& view, const std::string& id, std::int64_t step, const std::function<snapscope::HeatmapFigures()>& build);
// Right-click on the last item (a plot, or a group holding it): a menu that prints the series as shown (those hidden
// in the legend left out), with the plot's axis titles, as figure-<id>-...; draw_plot has it already.
void plot_print_menu(ViewState& view, const std::string& id, const std::string& title, const std::vector<PlotSeries>& series, const PlotState& state,
                     const PlotOptions& opt, std::int64_t step);
// Writes a print figure and its data (core's figure.hpp) into the export folder as figure-<name>-step<N>-<time>.png
// and .csv, at the view's print size and export scale; says what it wrote (or why not) in the status bar.
void print_figure(ViewState& view, const std::string& name, std::int64_t step, const std::function<snapscope::RgbaImage(int, int, int)>& render,
                  const std::string& csv);
// Records the item just drawn as widget `name` (ViewState::widget_rects).
void record_item(ViewState& view, const std::string& name);
// Records a grid widget (a heatmap of `rows` x `cols` cells covering [a, b]).
void record_grid(ViewState& view, const std::string& name, ImVec2 a, ImVec2 b, int rows, int cols);
// The tooltip of the item just drawn, shown while it is hovered (every panel's controls use it).
void tip(const char* text);

// The window colour every frame is cleared with. Tiled windows (the panels and the status bar, which cover the whole
// frame side by side) draw no background of their own: on a software renderer (llvmpipe, Xvfb) filling the frame a
// second time costs about as much as everything else drawn in it.
ImVec4 frame_clear_colour();

// Begin() for a tiled window at a fixed place: no background (see frame_clear_colour) and never brought in front of a
// floating window (which draws its own). Call ImGui::End() after, whatever it returns.
bool begin_tiled(const char* title, ImVec2 pos, ImVec2 size, ImGuiWindowFlags flags);

// A plot with the shell's cursor, snap mark and learning-rate markers (the events' labels from the lab).
void draw_plot(const char* id, const char* title, const std::vector<PlotSeries>& series, PlotState& state, PlotOptions opt,
               const Snapshot& snap, ViewState& view, ImVec2 size);
// A series of a value of each frame.
template <class Get>
PlotSeries series_of(const std::vector<FramePtr>& frames, std::string label, ImU32 color, Get get) {
    PlotSeries s;
    s.label = std::move(label);
    s.color = color;
    s.x.reserve(frames.size());
    s.y.reserve(frames.size());
    for (const FramePtr& f : frames) {
        s.x.push_back(static_cast<double>(f->step));
        s.y.push_back(get(*f));
    }
    return s;
}

}  // namespace snapscope::gui
