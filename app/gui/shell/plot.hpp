// A small line-plot widget drawn on ImDrawList (ImPlot is not packaged).
// Several series, a legend (click to show or hide, hover to bring a series to the front), linear or log y,
// per-pixel-column min/max decimation (10^6 points draw as fast as the plot is wide), axis ticks whose labels never
// overlap or leave the plot, the unit above the y axis, a hover readout of every series at the hovered x, a step
// cursor, vertical event markers with labels stacked in the margin, and a figure mode (no widgets) for exports.
//
// Every drawing loop is bounded by construction (integer counts, clipped segments, a cap on dash segments), so no
// scale, dash length or data (NaN, Inf, 1e300) can make it run away.
#pragma once

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <imgui.h>

#include "snapscope/ticks.hpp"

namespace snapscope::gui {

struct PlotSeries {
    std::string label;
    ImU32 color = IM_COL32(255, 255, 255, 255);
    std::vector<double> x, y;  // x increasing
    bool dashed = false;
    float thickness = 1.6f;
    bool in_legend = true;
    std::string group;  // legend toggles act on a whole group when set (e.g. "common tokens")
};

struct PlotOptions {
    ImVec2 size{-1, 200};
    bool log_y = false;
    const char* x_label = "step";
    const char* y_label = "";         // the unit, drawn above the y axis
    double cursor_x = NAN;            // draws a vertical line (the step cursor)
    // Vertical dotted lines (e.g. learning-rate changes) with their labels, shared (a session may have 10^5; the
    // plot draws at most one per few pixels, the last of each).
    std::shared_ptr<const std::vector<double>> markers;
    std::shared_ptr<const std::vector<std::string>> marker_labels;
    double mark_x = NAN;              // a step the lab marks (a cyan line labelled mark_label, e.g. the snap)
    const char* mark_label = "";
    bool fixed_y = false;
    double y_min = 0, y_max = 1;
    bool legend = true;
    bool figure = false;              // for exports: no hover, the legend as plain text
    // Where to record the plot's area as "plot.<id>" and each legend entry as "curve.<key>" (may be null).
    std::map<std::string, ImVec4>* record = nullptr;
};

struct PlotResult {
    bool hovered = false;
    double hover_x = NAN;   // data x under the mouse
    bool clicked = false;   // left click inside the plot area
    double clicked_x = NAN;
};

// Remembers which legend entries are hidden, and which one the mouse is on (drawn on top, the others faded).
struct PlotState {
    std::map<std::string, bool> hidden;
    std::string highlight;
};

PlotResult plot_lines(const char* id, const std::vector<PlotSeries>& series, PlotState& state, const PlotOptions& opt);

// (The ticks are core's, shared with the print figures.)
using snapscope::format_tick;
using snapscope::log_ticks;
using snapscope::nice_ticks;

// Per-pixel-column min/max decimation of one series: the polyline to draw, in data coordinates. `x0`, `x1`
// is the visible x range split into `columns` columns.
std::vector<ImVec2> decimate(const std::vector<double>& x, const std::vector<double>& y, double x0, double x1, int columns,
                             bool log_y);

// A polyline (screen coordinates) with the points dropped that lie within `tol` pixels of the line drawn without
// them: every input point is within `tol` of the output polyline (a sleeve fit, one pass). The first and last points
// and non-finite points (which break the line) are kept. Fewer triangles for the rasteriser, the same picture.
std::vector<ImVec2> simplify_polyline(const std::vector<ImVec2>& pts, float tol);

// A polyline cut into pieces [from, to) (consecutive pieces share their end point) at every vertex where it turns by
// more than 120 degrees: each piece is drawn with joins, and a reversal is never joined (ImGui's joins of a sharp
// reversal collapse). A line of fewer than 2 points has no piece.
std::vector<std::pair<std::size_t, std::size_t>> polyline_pieces(const std::vector<ImVec2>& pts);
// The legend of plot_lines: one entry per key (a series' group, else its label), in order, wrapping at `width`
// (`new_row`: the entry starts a row). In a figure, hidden entries (per `state`, may be null) are left out.
struct LegendEntry {
    const PlotSeries* series;
    std::string key;
    bool new_row;
};
std::vector<LegendEntry> legend_layout(const std::vector<PlotSeries>& series, float width, bool figure, const PlotState* state);
int legend_rows(const std::vector<PlotSeries>& series, float width, bool figure);

// The dashes of a polyline (screen coordinates), `on` pixels drawn and `off` pixels skipped, continuing across
// vertices; only what lies inside `clip` (x0, y0, x1, y1) is produced, non-finite points break the line, and at most
// `max_segments` dashes are returned.
std::vector<std::pair<ImVec2, ImVec2>> dash_segments(const std::vector<ImVec2>& pts, float on, float off, ImVec4 clip,
                                                      std::size_t max_segments);

// Places labels of the given widths centred on xs (ascending) in up to `rows` rows so that no two in a row are
// closer than `gap`: returns each label's row, or -1 when it does not fit (show it on hover instead).
std::vector<int> place_labels(const std::vector<float>& xs, const std::vector<float>& widths, float gap, int rows);

}  // namespace snapscope::gui
