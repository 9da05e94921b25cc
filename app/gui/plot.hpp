// A small line-plot widget drawn on ImDrawList (ImPlot is not packaged).
// Several series, legend with show/hide, linear or log y, per-pixel-column
// min/max decimation (10^6 points draw as fast as the plot is wide), axis
// ticks with numbers, a hover readout of every series at the hovered x, a step
// cursor, and vertical event markers.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <imgui.h>

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
    const char* y_label = "";
    double cursor_x = NAN;            // draws a vertical line (the step cursor)
    std::vector<double> markers;      // vertical dotted lines (e.g. learning-rate changes)
    std::vector<std::string> marker_labels;
    double snap_x = NAN;              // the snap step, drawn as a cyan line
    bool fixed_y = false;
    double y_min = 0, y_max = 1;
    bool legend = true;
};

struct PlotResult {
    bool hovered = false;
    double hover_x = NAN;   // data x under the mouse
    bool clicked = false;   // left click inside the plot area
    double clicked_x = NAN;
};

// Remembers which legend entries are hidden.
struct PlotState {
    std::map<std::string, bool> hidden;
};

PlotResult plot_lines(const char* id, const std::vector<PlotSeries>& series, PlotState& state, const PlotOptions& opt);

// "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
std::vector<double> nice_ticks(double lo, double hi, int target_count);
std::string format_tick(double v);

// Per-pixel-column min/max decimation of one series: the polyline to draw, in data coordinates. `x0`, `x1`
// is the visible x range split into `columns` columns.
std::vector<ImVec2> decimate(const std::vector<double>& x, const std::vector<double>& y, double x0, double x1, int columns,
                             bool log_y);

}  // namespace snapscope::gui
