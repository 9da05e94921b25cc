// Print figures: what a line figure and a heatmap figure draw (light theme, axes, ticks, legend, colour bar) and the
// CSV beside them holds the plotted values.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "snapscope/figure.hpp"
#include "snapscope/files.hpp"

using namespace snapscope;

namespace {
int count(const RgbaImage& img, int x0, int y0, int x1, int y1, bool (*pred)(Rgba)) {
    int n = 0;
    for (int y = std::max(0, y0); y < std::min(img.height(), y1); ++y)
        for (int x = std::max(0, x0); x < std::min(img.width(), x1); ++x) n += pred(img.at(x, y));
    return n;
}
bool dark(Rgba c) { return c.r < 90 && c.g < 90 && c.b < 90; }
bool reddish(Rgba c) { return c.r > 130 && c.g < 80 && c.b < 80; }
bool bluish(Rgba c) { return c.b > 120 && c.r < 80; }
bool white(Rgba c) { return c.r == 255 && c.g == 255 && c.b == 255; }
}  // namespace

TEST(Figure, ALineFigureIsPrintedOnWhiteWithTitlesTicksLegendAndItsData) {
    LineFigure f;
    f.title = "Loss";
    f.y_label = "loss (nats)";
    f.log_y = true;
    FigureSeries a{"class 0", Rgba{200, 30, 30, 255}, {}, {}};
    FigureSeries b{"class 1", Rgba{30, 60, 200, 255}, {}, {}, true};
    for (int i = 0; i <= 100; ++i) {
        a.x.push_back(i);
        a.y.push_back(std::exp(-0.05 * i));
        if (i % 2 == 0) {
            b.x.push_back(i);
            b.y.push_back(0.5 * std::exp(-0.03 * i));
        }
    }
    f.series = {a, b};
    f.marks = {{37, "snap"}};
    const RgbaImage img = render_line_figure(f, 600, 400, 2);
    ASSERT_EQ(img.width(), 1200);
    ASSERT_EQ(img.height(), 800);
    // A light theme: mostly white; both curves drawn in their colours; text (dark) in the title band and at the
    // left (y ticks and the vertical axis title) and bottom (x ticks, "step").
    EXPECT_GT(count(img, 0, 0, 1200, 800, white), 1200 * 800 / 2);
    EXPECT_GT(count(img, 0, 0, 1200, 800, reddish), 800);
    EXPECT_GT(count(img, 0, 0, 1200, 800, bluish), 300);
    EXPECT_GT(count(img, 0, 0, 1200, 50, dark), 100);     // the title
    EXPECT_GT(count(img, 0, 150, 70, 700, dark), 100);    // the y axis title and tick labels
    EXPECT_GT(count(img, 300, 740, 900, 800, dark), 50);  // "step" and the x tick labels
    // The CSV has the x column and a column per series, a blank where class 1 has no point.
    const std::string csv = line_figure_csv(f);
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "step,class 0,class 1");
    std::getline(in, line);
    EXPECT_EQ(line, "0,1,0.5");
    std::getline(in, line);
    EXPECT_EQ(line.substr(0, 2), "1,");
    EXPECT_EQ(line.back(), ',');  // (class 1 has no value at step 1)
    int rows = 0;
    while (std::getline(in, line)) ++rows;
    EXPECT_EQ(rows, 99);
    // Labels with commas are quoted; a figure too small or too large is refused.
    f.series[0].label = "a, \"b\"";
    EXPECT_EQ(line_figure_csv(f).substr(0, 23), "step,\"a, \"\"b\"\"\",class 1");
    EXPECT_THROW(render_line_figure(f, 100, 400, 1), std::invalid_argument);
    EXPECT_THROW(render_line_figure(f, 8000, 8000, 4), std::invalid_argument);
    EXPECT_THROW(render_line_figure(f, 600, 400, 5), std::invalid_argument);
    // Nothing to plot, or only NaN: still a figure (empty axes), no crash.
    LineFigure e;
    e.series = {FigureSeries{"nan", Rgba{0, 0, 0, 255}, {0, 1}, {NAN, INFINITY}}};
    EXPECT_EQ(render_line_figure(e, 300, 200, 1).width(), 300);
}

TEST(Figure, HeatmapPanelsShareOneColourBarAndTheirCsvHasEveryCell) {
    HeatmapFigures f;
    f.title = "c_n over training";
    f.x_label = "token";
    f.y_label = "step";
    f.value_label = "c_n";
    f.vmin = 0;
    f.vmax = 1;
    for (int k = 0; k < 2; ++k) {
        HeatmapFigure p;
        p.title = "class " + std::to_string(k);
        p.rows = 4;
        p.cols = 5;
        for (int r = 0; r < 4; ++r) {
            p.row_labels.push_back(std::to_string(r * 10));
            for (int c = 0; c < 5; ++c) p.data.push_back(k == 0 ? c / 4.0 : 1 - c / 4.0);
        }
        for (int c = 0; c < 5; ++c) p.col_labels.push_back(std::to_string(c));
        f.panels.push_back(p);
    }
    const RgbaImage img = render_heatmap_figures(f, 800, 400, 1);
    // Viridis: the low end (dark purple) and the high end (yellow) both appear, in both panels.
    auto purple = [](Rgba c) { return c.r < 90 && c.g < 30 && c.b > 60; };
    auto yellow = [](Rgba c) { return c.r > 200 && c.g > 200 && c.b < 80; };
    EXPECT_GT(count(img, 0, 0, 400, 400, +purple), 500);
    EXPECT_GT(count(img, 0, 0, 400, 400, +yellow), 500);
    EXPECT_GT(count(img, 400, 0, 700, 400, +purple), 500);
    EXPECT_GT(count(img, 700, 0, 800, 400, +yellow), 20);  // the colour bar's top
    const std::string csv = heatmap_figures_csv(f);
    EXPECT_NE(csv.find("class 0 (step \\ token),0,1,2,3,4\n0,0,0.25,0.5,0.75,1\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("class 1 (step \\ token),0,1,2,3,4\n0,1,0.75,0.5,0.25,0\n"), std::string::npos) << csv;
    HeatmapFigures bad = f;
    bad.panels[0].data.pop_back();
    EXPECT_THROW(render_heatmap_figures(bad, 800, 400, 1), std::invalid_argument);
}

TEST(Figure, AFigureAndItsDataAreWrittenSideBySide) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-fig-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    LineFigure f;
    f.series = {FigureSeries{"loss", print_colour(240, 240, 240), {0, 1, 2}, {3, 2, 1}}};
    write_figure((d / "sub" / "figure-loss").string(), render_line_figure(f, 300, 200, 1), line_figure_csv(f));
    EXPECT_TRUE(std::filesystem::exists(d / "sub" / "figure-loss.png"));
    std::ifstream csv(d / "sub" / "figure-loss.csv");
    std::string all((std::istreambuf_iterator<char>(csv)), std::istreambuf_iterator<char>());
    EXPECT_EQ(all, "step,loss\n0,3\n1,2\n2,1\n");
    // The window's near-white loss curve prints dark; a bright orange keeps its hue, darker.
    const Rgba w = print_colour(240, 240, 240);
    EXPECT_LT(w.r, 100);
    const Rgba o = print_colour(255, 140, 40);
    EXPECT_LE(o.r, 170);
    EXPECT_GT(o.r, o.g);
    EXPECT_GT(o.g, o.b);
    std::filesystem::remove_all(d);
}
