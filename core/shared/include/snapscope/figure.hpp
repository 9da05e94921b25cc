// Print figures: a plot or a heatmap drawn for a paper or a slide, in a light print theme (white background, dark
// text, axis titles with units, tick labels, a legend, a colour bar), at a chosen size and scale, with its data as CSV
// beside it: NAME.png and NAME.csv, both written atomically. No GPU: drawn with raster.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "snapscope/colormap.hpp"
#include "snapscope/raster.hpp"

namespace snapscope {

struct FigureSeries {
    std::string label;
    Rgba colour;  // as printed (choose it for a white background: print_colour does)
    std::vector<double> x, y;
    bool dashed = false;
};

struct LineFigure {
    std::string title;
    std::string x_label = "step";
    std::string y_label;  // with its unit, e.g. "loss (nats)"
    bool log_y = false;
    std::vector<FigureSeries> series;
    std::vector<std::pair<double, std::string>> marks;  // vertical lines at x (e.g. the snap step) with a label
};

struct HeatmapFigure {
    std::string title;
    int rows = 0, cols = 0;
    std::vector<double> data;  // row-major, rows x cols
    std::vector<std::string> row_labels, col_labels;  // one per row / column (ticks are thinned to fit), or empty
};

struct HeatmapFigures {
    std::string title;  // over all panels
    std::string x_label, y_label, value_label;  // axis titles, and the colour bar's
    Colormap map = Colormap::Viridis;
    double vmin = 0, vmax = 1;
    std::vector<HeatmapFigure> panels;  // side by side, one colour bar
};

// Pixel size = width x height times `scale` (1 to 4); text is 13 px times scale. Throws std::invalid_argument for a
// size out of 200..8000 px a side.
RgbaImage render_line_figure(const LineFigure& f, int width, int height, int scale);
RgbaImage render_heatmap_figures(const HeatmapFigures& f, int width, int height, int scale);

// The data as CSV: a line figure's x column and one column per series (empty where a series has no value at that x);
// a heatmap's rows with their labels, one block per panel.
std::string line_figure_csv(const LineFigure& f);
std::string heatmap_figures_csv(const HeatmapFigures& f);

// A colour from the dark window turned into one that prints on white: greys and near-white become dark, bright
// colours darker, hue kept.
Rgba print_colour(std::uint8_t r, std::uint8_t g, std::uint8_t b);

// Writes STEM.png and STEM.csv (each atomically; the folder made). Throws IoError.
void write_figure(const std::string& stem, const RgbaImage& img, const std::string& csv);

}  // namespace snapscope
