// Rendering tests; they need a display (ctest runs them under xvfb-run -a).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <glad/gl.h>

#include "colormap.hpp"
#include "host.hpp"
#include "png.hpp"
#include "worker.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/session.hpp"
#include "snapscope/sweep.hpp"
#include "scansnap/scansnap_window.hpp"
#include "transformer/transformer_panels.hpp"

using namespace snapscope;
using namespace snapscope::gui;

namespace {

Host& host() {
    static Host h(1280, 800, false);
    return h;
}

// The snapshot of a preset's run after `steps` steps (the worker gone: the snapshot keeps what it shows).
SnapshotPtr trained(const std::string& preset, int steps) {
    FlatConfig f = preset_config(preset);
    apply_assignment(f, "train.steps=" + std::to_string(steps));
    Worker worker(resolve_config(f, preset));
    worker.post(Command::step(steps));
    worker.sync();
    return worker.snapshot();
}

void expect_colour(const unsigned char* px, std::array<float, 3> want, const std::string& where) {
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(px[k], want[k] * 255, 2.5) << where << " channel " << k;
}

}  // namespace

TEST(GlRender, HeatmapCellsHaveTheColourMapsColours) {
    for (int rows : {2, 3, 37, 101, 400}) {
        const int cols = 34;
        std::vector<float> data(static_cast<std::size_t>(rows) * cols);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) data[static_cast<std::size_t>(r) * cols + c] = std::sin(0.37f * r + 0.11f * c);
        for (Colormap map : {Colormap::Viridis, Colormap::Diverging}) {
            ASSERT_TRUE(host().textures().upload("t", rows, cols, data.data(), map, -1.f, 1.f));
            const auto px = host().textures().render("t", rows, cols);
            ASSERT_EQ(px.size(), static_cast<std::size_t>(rows) * cols * 4);
            for (int r = 0; r < rows; r += std::max(1, rows / 7))
                for (int c = 0; c < cols; c += 5)
                    expect_colour(&px[(static_cast<std::size_t>(r) * cols + c) * 4],
                                  colormap_rgb(map, data[static_cast<std::size_t>(r) * cols + c], -1.f, 1.f),
                                  "rows " + std::to_string(rows) + " cell " + std::to_string(r) + "," + std::to_string(c));
        }
    }
}

// An image larger than its on-screen box is coloured at the box's size (issue 10: colouring a 3000 x 1130 Fig 4
// image every frame was most of the software rasteriser's work): each pixel has the colour of the cell at its centre.
TEST(GlRender, AHeatmapLargerThanItsBoxIsColouredAtTheBoxSize) {
    const int rows = 3001, cols = 1130, out_rows = 417, out_cols = 600;
    std::vector<float> data(static_cast<std::size_t>(rows) * cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) data[static_cast<std::size_t>(r) * cols + c] = std::sin(0.013f * r + 0.007f * c * (1 + r % 3));
    ASSERT_TRUE(host().textures().upload("big", rows, cols, data.data(), Colormap::Viridis, -1.f, 1.f));
    const auto px = host().textures().render("big", out_rows, out_cols);
    ASSERT_EQ(px.size(), static_cast<std::size_t>(out_rows) * out_cols * 4);
    for (int r = 0; r < out_rows; r += 13)
        for (int c = 0; c < out_cols; c += 17) {
            const int dr = static_cast<int>((r + 0.5) * rows / out_rows), dc = static_cast<int>((c + 0.5) * cols / out_cols);
            expect_colour(&px[(static_cast<std::size_t>(r) * out_cols + c) * 4],
                          colormap_rgb(Colormap::Viridis, data[static_cast<std::size_t>(dr) * cols + dc], -1.f, 1.f),
                          "pixel " + std::to_string(r) + "," + std::to_string(c));
        }
    // An image larger than a texture may be is refused (the panel then draws a placeholder), not drawn wrongly.
    GLint most = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &most);
    EXPECT_FALSE(host().textures().upload("huge", 1, most + 1, data.data(), Colormap::Viridis, -1.f, 1.f));
}

TEST(GlRender, AppFrameDrawsTheFig4ImageFromTheHistory) {
    Worker worker(resolve_config(preset_config("fig4"), "fig4"));
    worker.post(Command::step(100));
    worker.sync();
    const SnapshotPtr snap = worker.snapshot();
    ASSERT_EQ(snap->step, 100);
    ViewState view;
    HostRequests req;
    for (int k = 0; k < 2; ++k) host().frame(*snap, view, [](Command) {}, req);
    // The data the frame uploaded, one pixel per cell.
    int rows = 101, cols = 34;
    const auto px = host().textures().render("fig4", rows, cols);
    ASSERT_EQ(px.size(), static_cast<std::size_t>(rows) * cols * 4);
    // One colour range for the Fig 4 image and the c_n map beside it: the largest value either shows.
    float vmax = 0;
    for (const auto& f : snap->frames)
        for (int t = 0; t < 34; ++t) vmax = std::max(vmax, static_cast<float>(scansnap_frame(*f).attention[t]));
    for (double v : scansnap_frame(*snap->frames.back()).attention) vmax = std::max(vmax, static_cast<float>(v));
    // The window itself, rendered again offscreen at 1x and 2x (the draw list's callback runs the same shader where the
    // image is on screen): the pixel at each cell's centre has that cell's colour.
    const ImVec4 box = host().textures().last_box("fig4");
    ASSERT_GT(box.z - box.x, 34.f);
    ASSERT_GT(box.w - box.y, 101.f);
    for (int scale : {1, 2}) {
        const Image shot = host().render_offscreen(scale);
        ASSERT_EQ(shot.width, 1280 * scale);
        for (int r : {0, 10, 50, 100})
            for (int c : {0, 5, 12, 19, 25, 33}) {
                const int x = static_cast<int>(scale * (box.x + (c + 0.5f) * (box.z - box.x) / cols));
                const int y = static_cast<int>(scale * (box.y + (r + 0.5f) * (box.w - box.y) / rows));
                const float v = static_cast<float>(scansnap_frame(*snap->frames[r]).attention[c]);
                expect_colour(&shot.rgba[(static_cast<std::size_t>(y) * shot.width + x) * 4], colormap_rgb(Colormap::Viridis, v, 0, vmax),
                              "window at " + std::to_string(scale) + "x, fig4 cell " + std::to_string(r) + "," + std::to_string(c));
            }
    }
    const auto cpx = host().textures().render("c", 2, 34);
    ASSERT_EQ(cpx.size(), 2u * 34 * 4);
    for (int c : {0, 12, 25}) {
        const float v = static_cast<float>(scansnap_frame(*snap->frames.back()).attention[34 + c]);
        expect_colour(&cpx[(34 + static_cast<std::size_t>(c)) * 4], colormap_rgb(Colormap::Viridis, v, 0, vmax), "c_n cell 1," + std::to_string(c));
    }
    for (int r : {0, 10, 50, 100})
        for (int c : {0, 5, 12, 19, 25, 33}) {
            const float v = static_cast<float>(scansnap_frame(*snap->frames[r]).attention[c]);
            expect_colour(&px[(static_cast<std::size_t>(r) * cols + c) * 4], colormap_rgb(Colormap::Viridis, v, 0, vmax),
                          "fig4 cell " + std::to_string(r) + "," + std::to_string(c));
        }
    // The Z heatmap (queries x keys, diverging map, range +-max|Z|): the paper's signs are visible as colours.
    const auto zpx = host().textures().render("z", 2, 34);
    ASSERT_EQ(zpx.size(), 2u * 34 * 4);
    const auto& z = scansnap_frame(*snap->frames.back()).zrows;
    float zmax = 0;
    for (double v : z) zmax = std::max(zmax, static_cast<float>(std::abs(v)));
    for (int q = 0; q < 2; ++q)
        for (int c = 0; c < 34; c += 3)
            expect_colour(&zpx[(static_cast<std::size_t>(q) * 34 + c) * 4],
                          colormap_rgb(Colormap::Diverging, static_cast<float>(z[q * 34 + c]), -zmax, zmax),
                          "Z cell " + std::to_string(q) + "," + std::to_string(c));
    // Common logits are negative (blue: more blue than red); the most frequent distinct token of class 0 is red.
    const unsigned char* common = &zpx[(0 * 34 + 3) * 4];
    const unsigned char* distinct = &zpx[(0 * 34 + 19) * 4];
    EXPECT_GT(common[2], common[0]);
    EXPECT_GT(distinct[0], distinct[2]);
}

TEST(GlRender, OffscreenExportAtScaleAndPngRoundTrip) {
    Worker worker(resolve_config(preset_config("fig4"), "fig4"));
    worker.post(Command::step(30));
    worker.sync();
    ViewState view;
    HostRequests req;
    host().frame(*worker.snapshot(), view, [](Command) {}, req);
    const Image one = host().render_offscreen(1);
    const Image two = host().render_offscreen(2);
    ASSERT_EQ(one.width, 1280);
    ASSERT_EQ(one.height, 800);
    ASSERT_EQ(two.width, 2560);
    ASSERT_EQ(two.height, 1600);
    // A panel crop at 2x has twice the panel's size.
    const int p = static_cast<int>(Panel::Attention);
    const Image panel = two.crop(static_cast<int>(view.panel_pos[p].x * 2), static_cast<int>(view.panel_pos[p].y * 2),
                                 static_cast<int>(view.panel_size[p].x * 2), static_cast<int>(view.panel_size[p].y * 2));
    EXPECT_EQ(panel.width, static_cast<int>(view.panel_size[p].x * 2));
    // PNG round trip is lossless.
    const std::string path = ::testing::TempDir() + "/snapscope_roundtrip.png";
    write_png(path, panel.width, panel.height, panel.rgba);
    int w = 0, h = 0;
    std::vector<unsigned char> back;
    ASSERT_TRUE(read_png(path, w, h, back));
    EXPECT_EQ(w, panel.width);
    EXPECT_EQ(h, panel.height);
    EXPECT_TRUE(back == panel.rgba);
}

TEST(GlRender, ScreenshotCommandShowsHeatmapsCurvesAndControls) {
    const std::string path = ::testing::TempDir() + "/snapscope_shot.png";
    std::remove(path.c_str());
    const std::string cmd = std::string(SNAPSCOPE_GUI) + " --preset fig4 --steps 100 --screenshot " + path + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    int w = 0, h = 0;
    std::vector<unsigned char> px;
    ASSERT_TRUE(read_png(path, w, h, px));
    ASSERT_EQ(w, 1280);
    ASSERT_EQ(h, 800);
    // Count pixels by colour family: the viridis heatmaps (purple/green/yellow), the diverging Z map (blue and
    // red), the orange distinct-token curves, and the controls' blue buttons.
    auto at = [&](int x, int y) { return &px[(static_cast<std::size_t>(y) * w + x) * 4]; };
    int purple = 0, yellow = 0, red = 0, orange = 0, button = 0, orange_in_curves = 0, button_in_controls = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const unsigned char* p = at(x, y);
            const int r = p[0], g = p[1], b = p[2];
            if (r > 55 && r < 80 && g < 20 && b > 70 && b < 95) ++purple;          // viridis low end
            if (r > 230 && g > 210 && b < 60) ++yellow;                           // viridis high end
            if (r > 160 && g < 40 && b < 60) ++red;                               // diverging high end
            if (r > 230 && g > 120 && g < 160 && b < 70) {                      // distinct-token curves
                ++orange;
                if (x > 330 && y > 430) ++orange_in_curves;
            }
            if (std::abs(r - 51) < 6 && std::abs(g - 82) < 6 && std::abs(b - 122) < 8) {  // buttons
                ++button;
                if (x < 320) ++button_in_controls;
            }
        }
    EXPECT_GT(purple, 2000);
    EXPECT_GT(yellow, 100);
    EXPECT_GT(red, 100);
    EXPECT_GT(orange, 200);
    EXPECT_GT(button, 2000);
    // The controls sit on the left, the curves at the bottom right.
    EXPECT_GT(button_in_controls, 2000);
    EXPECT_GT(orange_in_curves, 200);
}

TEST(GuiCommandLine, NoDisplayGivesAClearMessage) {
    const std::string out = ::testing::TempDir() + "/snapscope_nodisplay.txt";
    const std::string cmd = "env -u DISPLAY -u WAYLAND_DISPLAY " + std::string(SNAPSCOPE_GUI) + " --preset fig4 2> " + out;
    const int rc = std::system(cmd.c_str());
    EXPECT_NE(rc, 0);
    FILE* f = std::fopen(out.c_str(), "r");
    ASSERT_TRUE(f);
    char buf[1024] = {0};
    std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    EXPECT_NE(std::string(buf).find("snapscope-cli"), std::string::npos) << buf;
    EXPECT_NE(std::string(buf).find("no display"), std::string::npos) << buf;
}

TEST(GlRender, ScaledExportLaysOutAtTwiceTheSize) {
    Worker worker(resolve_config(preset_config("fig4"), "fig4"));
    worker.post(Command::step(20));
    worker.sync();
    ViewState view;
    HostRequests req;
    host().frame(*worker.snapshot(), view, [](Command) {}, req);
    ImVec4 panels[3];
    const Image two = host().render_scaled(2, *worker.snapshot(), view, panels);
    ASSERT_EQ(two.width, 2560);
    ASSERT_EQ(two.height, 1600);
    const int a = static_cast<int>(Panel::Attention);
    EXPECT_NEAR(panels[a].x, view.panel_pos[a].x * 2, 2.0f);
    EXPECT_NEAR(panels[a].z, view.panel_size[a].x * 2, 4.0f);
    // The normal frame afterwards is back at 1x.
    host().frame(*worker.snapshot(), view, [](Command) {}, req);
    EXPECT_EQ(host().render_offscreen(1).width, 1280);
    EXPECT_NEAR(view.panel_pos[a].x, panels[a].x / 2, 2.0f);
}

TEST(GuiCommandLine, AutosaveAndRestore) {
    const std::string as = ::testing::TempDir() + "/snapscope_autosave.json";
    std::remove(as.c_str());
    std::string cmd = std::string(SNAPSCOPE_GUI) + " --preset fig6 --speed 500 --seconds 1.5 --autosave " + as + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    const Session s = load_session_file(as);  // written atomically on exit, readable as a session
    EXPECT_EQ(s.config.train.seed, 1u);
    EXPECT_GT(s.step, 0);
    const std::string shot = ::testing::TempDir() + "/snapscope_restored.png";
    cmd = std::string(SNAPSCOPE_GUI) + " --restore --autosave " + as + " --screenshot " + shot + " > " + ::testing::TempDir() + "/restore.txt";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    FILE* f = std::fopen((::testing::TempDir() + "/restore.txt").c_str(), "r");
    ASSERT_TRUE(f);
    char buf[256] = {0};
    std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    EXPECT_NE(std::string(buf).find("at step " + std::to_string(s.step)), std::string::npos) << buf;
    cmd = std::string(SNAPSCOPE_GUI) + " --restore --autosave " + ::testing::TempDir() + "/no_such_autosave.json 2>/dev/null";
    EXPECT_NE(std::system(cmd.c_str()), 0);
}

TEST(GlRender, PanelExportIsTheContentOnly) {
    // Issue 10, point 6: a panel PNG at 2x held the title bar, the widgets and a scrollbar.
    Worker worker(resolve_config(preset_config("fig4"), "fig4"));
    worker.post(Command::step(60));
    worker.sync();
    ViewState view;
    HostRequests req;
    host().frame(*worker.snapshot(), view, [](Command) {}, req);
    auto count = [](const Image& img, int r, int g, int b, int tol) {
        int n = 0;
        for (std::size_t i = 0; i + 3 < img.rgba.size(); i += 4)
            if (std::abs(img.rgba[i] - r) <= tol && std::abs(img.rgba[i + 1] - g) <= tol && std::abs(img.rgba[i + 2] - b) <= tol) ++n;
        return n;
    };
    ImVec4 panels[3];
    const Image window = host().render_scaled(2, *worker.snapshot(), view, panels);
    const int c = static_cast<int>(Panel::Curves);
    const Image with_chrome = window.crop(static_cast<int>(panels[c].x), static_cast<int>(panels[c].y), static_cast<int>(panels[c].z),
                                          static_cast<int>(panels[c].w));
    const Image all = host().render_scaled(2, *worker.snapshot(), view, panels, true);
    const Image fig = all.crop(static_cast<int>(panels[c].x), static_cast<int>(panels[c].y), static_cast<int>(panels[c].z),
                               static_cast<int>(panels[c].w));
    ASSERT_GT(fig.width, 1000);
    // Title bar (0.13, 0.15, 0.19) and button (0.20, 0.32, 0.48) colours: in the window's panel, not in the figure.
    EXPECT_GT(count(with_chrome, 33, 38, 48, 2), 2000);
    EXPECT_GT(count(with_chrome, 51, 82, 122, 3), 200);
    EXPECT_LT(count(fig, 33, 38, 48, 2), 50);
    EXPECT_LT(count(fig, 51, 82, 122, 3), 50);
    // The curves are there: the loss curve's white and the classes' orange.
    EXPECT_GT(count(fig, 240, 240, 240, 6), 200);
    EXPECT_GT(count(fig, 255, 140, 40, 12), 200);
}

// Issue 12: the symmetry lab's maps are drawn by the shader where they are on screen: the window's pixel at each cell
// centre of the first attention map and of the hidden-state cosine map has the colour of the probe's value there.
TEST(GlRender, TheSymmetryLabDrawsItsAttentionAndCosineMaps) {
    Worker worker(resolve_config(preset_config("symmetry-addition"), "symmetry-addition"));
    worker.post(Command::step(100));
    worker.sync();
    const SnapshotPtr snap = worker.snapshot();
    ViewState view;
    HostRequests req;
    for (int k = 0; k < 3; ++k) host().frame(*snap, view, [](Command) {}, req);
    const ProbeResult& r = transformer_view(view).probe;
    ASSERT_TRUE(r.error.empty()) << r.error;
    const int n = r.n, m = (r.layers + 1) * n;
    ASSERT_GT(n, 2);
    const Image shot = host().render_offscreen(1);
    auto check = [&](const std::string& key, int cells, const std::vector<double>& values, Colormap map, float lo, float hi) {
        const ImVec4 box = host().textures().last_box(key);
        ASSERT_GT(box.z - box.x, static_cast<float>(cells)) << key;
        for (int i = 0; i < cells; i += std::max(1, cells / 5))
            for (int j = 0; j < cells; j += std::max(1, cells / 5)) {
                const int x = static_cast<int>(box.x + (j + 0.5f) * (box.z - box.x) / cells);
                const int y = static_cast<int>(box.y + (i + 0.5f) * (box.w - box.y) / cells);
                expect_colour(&shot.rgba[(static_cast<std::size_t>(y) * shot.width + x) * 4],
                              colormap_rgb(map, static_cast<float>(values[static_cast<std::size_t>(i) * cells + j]), lo, hi),
                              key + " cell " + std::to_string(i) + "," + std::to_string(j));
            }
    };
    check("attn0", n, std::vector<double>(r.attention.begin(), r.attention.begin() + n * n), Colormap::Viridis, 0.f, 1.f);
    check("cosine", m, r.cosine, Colormap::Diverging, -1.f, 1.f);
}

// Issue 13: the text view draws the watched window's map where the UI says it is: at each cell centre the window's
// pixel has the colour of the frame's attention weight (masked cells dark), and the words label the rows.
TEST(GlRender, TheTextViewDrawsTheWatchedWindowsAttentionWithItsWords) {
    const SnapshotPtr snap = trained("fig7", 30);
    ViewState view;
    HostRequests req;
    for (int k = 0; k < 3; ++k) host().frame(*snap, view, [](Command) {}, req);
    const TransformerInfo& info = transformer_info(*snap->info);
    ASSERT_TRUE(info.text);
    const int n = static_cast<int>(info.watched.size());
    ASSERT_EQ(n, 35);
    const float* map = watched_map(*snap->frames.back(), info, 0);
    ASSERT_NE(map, nullptr);
    const ImVec4 box = view.widget_rects.at("text.map");
    const float cell = (box.z - box.x) / n;
    ASSERT_GE(cell, 5.f);
    const int every = std::max(1, static_cast<int>(std::ceil(ImGui::GetFontSize() * 0.8f / cell)));
    const Image shot = host().render_offscreen(1);
    auto px = [&](int x, int y) { return &shot.rgba[(static_cast<std::size_t>(y) * shot.width + x) * 4]; };
    for (int q = 0; q < n; q += 4)
        for (int k = 0; k <= q; k += 3) {
            const int x = static_cast<int>(box.x + (k + 0.5f) * cell), y = static_cast<int>(box.y + (q + 0.5f) * cell);
            expect_colour(px(x, y), colormap_rgb(Colormap::Viridis, map[q * n + k], 0.f, 1.f), "cell " + std::to_string(q) + "," + std::to_string(k));
        }
    // Left of each labelled row (every one, or every second when the cells are smaller than the text): its word.
    int total = 0;
    for (int q = 0; q < n; q += every) {
        int light = 0;
        // (the word's line of text, centred on the row: a '.' sits low in it)
        const float mid = box.y + (q + 0.5f) * cell, half = ImGui::GetFontSize() * 0.6f;
        for (int y = static_cast<int>(mid - half); y < static_cast<int>(mid + half); ++y)
            for (int x = static_cast<int>(box.x) - 80; x < static_cast<int>(box.x) - 2; ++x) light += px(x, y)[0] > 110;
        EXPECT_GT(light, 0) << "no word left of row " << q;  // (a '.' is a few pixels)
        total += light;
    }
    EXPECT_GT(total, 150);
}

// The token-priority graph of a text's query word (preset tpg-text, the licence texts): the graph's nodes are named
// by their words, drawn white on the node.
TEST(GlRender, TheTokenPriorityGraphOfATextNamesItsNodesByTheirWords) {
    const SnapshotPtr snap = trained("tpg-text", 50);
    ASSERT_TRUE(snap->info) << snap->message;
    ViewState view;
    HostRequests req;
    for (int k = 0; k < 3; ++k) host().frame(*snap, view, [](Command) {}, req);
    const Image shot = host().render_offscreen(1);
    auto px = [&](int x, int y) { return &shot.rgba[(static_cast<std::size_t>(y) * shot.width + x) * 4]; };
    int labels = 0;
    bool query_seen = false;
    for (const auto& [name, r] : view.widget_rects) {
        if (name.rfind("tpg.label.", 0) != 0) continue;
        const std::string word = name.substr(10);
        EXPECT_FALSE(word.empty());
        EXPECT_TRUE(word.find_first_not_of("0123456789") != std::string::npos || word.size() < 3) << "a token id, not a word: " << word;
        query_seen = query_seen || word == "the";  // the label of most of the query "of"'s windows, in the top SCC
        if (word.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos) continue;  // punctuation: a few grey pixels
        int white = 0;
        for (int y = static_cast<int>(r.y); y < static_cast<int>(r.w); ++y)
            for (int x = static_cast<int>(r.x); x < static_cast<int>(r.z); ++x) white += px(x, y)[0] > 230 && px(x, y)[1] > 230 && px(x, y)[2] > 230;
        EXPECT_GT(white, 0) << "no text drawn for " << word;
        ++labels;
    }
    EXPECT_GE(labels, 5);
    EXPECT_TRUE(query_seen) << "the top SCC's 'the' is labelled";
}

namespace {
// Runs `cmd`, returning its stdout and exit status.
std::pair<int, std::string> run_capture(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return {-1, out};
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    return {::pclose(p), out};
}
}  // namespace

TEST(GlRender, ATourStepOnA1080pWindowHighlightsClearOfItsLegiblePanel) {
    // Normal, presenter mode in the dark theme, and presenter mode as it starts (the light theme: dark text on white).
    for (const auto& [large, light] : {std::pair<bool, bool>{false, false}, {true, false}, {true, true}}) {
        SCOPED_TRACE(large ? (light ? "presenter (large font), light theme" : "presenter (large font), dark theme") : "normal font");
        const std::string path = ::testing::TempDir() + "/snapscope_tour.png";
        std::remove(path.c_str());
        const auto [status, out] = run_capture(std::string(SNAPSCOPE_GUI) + " --tour 1-scan-and-snap --tour-step 3 --width 1920 --height 1080 " +
                                               (large ? "--large-font " : "") + (light ? "" : "--theme dark ") + "--screenshot " + path);
        ASSERT_EQ(status, 0) << out;
        EXPECT_NE(out.find("at step 30"), std::string::npos) << out;  // step 3 trains to 30
        ASSERT_NE(out.find("tour '1-scan-and-snap' step 3 of 6"), std::string::npos) << out;
        EXPECT_NE(out.find("0 highlight(s) not on screen"), std::string::npos) << out;
        float x = 0, y = 0, pw = 0, ph = 0;
        ASSERT_EQ(std::sscanf(out.c_str() + out.find("its panel at"), "its panel at x %f y %f, %f x %f", &x, &y, &pw, &ph), 4) << out;
        int w = 0, h = 0;
        std::vector<unsigned char> px;
        ASSERT_TRUE(read_png(path, w, h, px));
        ASSERT_EQ(w, 1920);
        ASSERT_EQ(h, 1080);
        ASSERT_GT(pw, 200);
        ASSERT_LE(x + pw, w + 1);
        ASSERT_LE(y + ph, h + 1);
        auto at = [&](int px_x, int px_y) { return &px[(static_cast<std::size_t>(px_y) * w + px_x) * 4]; };
        auto inside = [&](int i, int j) { return i >= x && i < x + pw && j >= y && j < y + ph; };
        // The highlights (magenta, which no view draws) are on screen and none is under the panel.
        int magenta = 0, magenta_in_panel = 0, light_in_panel = 0;
        int heading_top = h, heading_bottom = -1;  // rows of the orange heading "Step 3 of 6: Scan"
        for (int j = 0; j < h; ++j)
            for (int i = 0; i < w; ++i) {
                const unsigned char* p = at(i, j);
                // (Pulsing: blended over a dark view it stays magenta, over the light theme's white it goes pink.)
                if (p[0] > 140 && p[2] > 140 && std::abs(p[0] - p[2]) < 30 && (p[1] < 40 || (light && p[1] + 90 < std::min(p[0], p[2])))) {
                    ++magenta;
                    if (inside(i, j)) ++magenta_in_panel;
                }
                if (!inside(i, j)) continue;
                // The text: light on the dark theme's panel, dark on the light theme's.
                if (light ? (p[0] < 80 && p[1] < 80 && p[2] < 80) : (p[0] > 180 && p[1] > 180 && p[2] > 180)) ++light_in_panel;
                // The heading's orange (255, 190, 80), darkened to its hue on white in the light theme (166, 124, 52).
                const bool orange = light ? (p[0] > 130 && p[0] < 200 && p[1] > 90 && p[1] < 150 && p[2] < 90 && p[0] - p[2] > 70)
                                          : (p[0] > 200 && p[1] > 140 && p[1] < 210 && p[2] < 120);
                if (j < y + ph / 3 && orange) {
                    heading_top = std::min(heading_top, j);
                    heading_bottom = std::max(heading_bottom, j);
                }
            }
        EXPECT_GT(magenta, 400);
        EXPECT_EQ(magenta_in_panel, 0);
        EXPECT_GT(light_in_panel, large ? 4000 : 2000);  // the step's text
        // The heading's glyphs span their font's cap height and descender: 15 px text, or 24 px in presenter mode.
        ASSERT_GE(heading_bottom, heading_top);
        const int text_px = heading_bottom - heading_top + 1;
        EXPECT_GE(text_px, large ? 16 : 9) << "heading text " << text_px << " px tall";
        EXPECT_LE(text_px, large ? 26 : 16) << "heading text " << text_px << " px tall";
        std::printf("[ tour panel %s%s: %.0f x %.0f px at (%.0f, %.0f); heading text %d px tall ]\n", large ? "large" : "normal", light ? " light" : "", pw, ph,
                    x, y, text_px);
    }
}

TEST(GuiCommandLine, AMovieOfTheFig4RunHasAFramePerRecordedStep) {
    if (run_capture("command -v ffprobe").second.empty()) GTEST_SKIP() << "ffmpeg/ffprobe not installed (apt-get install ffmpeg)";
    const std::string dir = ::testing::TempDir() + "/snapscope_movie_cli";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string mp4 = dir + "/fig4.mp4";
    const auto [status, out] = run_capture(std::string(SNAPSCOPE_GUI) + " --preset fig4 --width 640 --height 400 --movie " + mp4);
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find("101 frames of 640 x 400 px at 25 fps (4.04 s), steps 0 to 100"), std::string::npos) << out;
    const std::string probe = run_capture("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,nb_read_frames,width,height "
                                          "-show_entries format=duration -of default=nw=1 " + mp4).second;
    EXPECT_NE(probe.find("codec_name=h264"), std::string::npos) << probe;
    EXPECT_NE(probe.find("width=640"), std::string::npos) << probe;
    EXPECT_NE(probe.find("height=400"), std::string::npos) << probe;
    EXPECT_NE(probe.find("nb_read_frames=101"), std::string::npos) << probe;
    EXPECT_NE(probe.find("duration=4.04"), std::string::npos) << probe;
    // One panel, one frame per 10 steps, as PNG frames: the curves grow from frame to frame.
    const std::string frames = dir + "/curves";
    const auto [s2, o2] = run_capture(std::string(SNAPSCOPE_GUI) + " --preset fig4 --movie " + frames + " --movie-panel curves --movie-every 10");
    ASSERT_EQ(s2, 0) << o2;
    EXPECT_NE(o2.find("11 frames"), std::string::npos) << o2;
    int w1 = 0, h1 = 0, w2 = 0, h2 = 0;
    std::vector<unsigned char> a, b;
    ASSERT_TRUE(read_png(frames + "/frame-000001.png", w1, h1, a));
    ASSERT_TRUE(read_png(frames + "/frame-000011.png", w2, h2, b));
    EXPECT_EQ(w1, w2);
    EXPECT_EQ(h1, h2);
    EXPECT_LT(w1, 1280);  // the panel, not the window
    EXPECT_NE(a, b);
    EXPECT_FALSE(std::filesystem::exists(frames + "/frame-000012.png"));
    // Nothing but the movie and the frames folder was written.
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir); it != std::filesystem::directory_iterator(); ++it) ++n;
    EXPECT_EQ(n, 2u);
    // A movie ffmpeg cannot write fails with a message and leaves nothing.
    const auto [s3, o3] = run_capture(std::string(SNAPSCOPE_GUI) + " --preset fig4 --steps 5 --movie /proc/snapscope-test.mp4 2>&1");
    EXPECT_NE(s3, 0) << o3;
    EXPECT_NE(o3.find("--movie: movie: cannot write '/proc/snapscope-test.mp4'"), std::string::npos) << o3;
    // An extension that is not a movie's is a typo, not a folder to make; an empty path is refused.
    const auto [s4, o4] = run_capture(std::string(SNAPSCOPE_GUI) + " --preset fig4 --steps 5 --movie " + dir + "/m.avi 2>&1");
    EXPECT_NE(s4, 0) << o4;
    EXPECT_NE(o4.find("a movie is NAME.mp4 (H.264) or NAME.gif, or a folder name"), std::string::npos) << o4;
    EXPECT_FALSE(std::filesystem::exists(dir + "/m.avi"));
    const auto [s5, o5] = run_capture(std::string(SNAPSCOPE_GUI) + " --preset fig4 --movie '' 2>&1");
    EXPECT_NE(s5, 0) << o5;
    EXPECT_NE(o5.find("--movie: an empty path"), std::string::npos) << o5;
    std::filesystem::remove_all(dir);
}

TEST(GuiCommandLine, TheWindowRemembersItsSizeAndPresenterModeInTheXdgConfigFolder) {
    const std::string xdg = ::testing::TempDir() + "/snapscope_xdg";
    std::filesystem::remove_all(xdg);
    const std::string env = "XDG_CONFIG_HOME=" + xdg + " ";
    const std::string file = xdg + "/snapscope/settings.json";
    auto settings = [&] { return read_json_file(file, "settings"); };
    // First run: the flags, remembered on exit.
    auto r1 = run_capture(env + SNAPSCOPE_GUI + " --presenter --font-scale 2 --width 1000 --height 700 --seconds 1.5 --autosave '' 2>&1");
    ASSERT_EQ(r1.first, 0) << r1.second;
    ASSERT_TRUE(std::filesystem::exists(file)) << r1.second;
    nlohmann::json j = settings();
    EXPECT_EQ(j["width"], 1000);
    EXPECT_EQ(j["height"], 700);
    EXPECT_EQ(j["presenter"], true);
    EXPECT_EQ(j["font_scale"], 2.0);
    // Second run, no flags: it starts as the first ended (so it writes the same back); a flag still wins.
    auto r2 = run_capture(env + SNAPSCOPE_GUI + " --seconds 1 --autosave '' 2>&1");
    ASSERT_EQ(r2.first, 0) << r2.second;
    j = settings();
    EXPECT_EQ(j["width"], 1000);
    EXPECT_EQ(j["presenter"], true);
    EXPECT_EQ(j["font_scale"], 2.0);
    EXPECT_EQ(j["theme"], "auto");
    auto r3 = run_capture(env + SNAPSCOPE_GUI + " --width 900 --theme dark --seconds 1 --autosave '' 2>&1");
    ASSERT_EQ(r3.first, 0) << r3.second;
    EXPECT_EQ(settings()["width"], 900);
    EXPECT_EQ(settings()["theme"], "dark");
    auto r3b = run_capture(env + SNAPSCOPE_GUI + " --seconds 1 --autosave '' 2>&1");  // remembered
    ASSERT_EQ(r3b.first, 0) << r3b.second;
    EXPECT_EQ(settings()["theme"], "dark");
    // A bad file: each wrong key named, the rest read, the app runs.
    { std::ofstream(file) << R"({"width": "wide", "height": 650, "presenter": 1, "font_scale": 9, "theme": "neon"})"; }
    auto r4 = run_capture(env + SNAPSCOPE_GUI + " --seconds 1 --autosave '' 2>&1");
    ASSERT_EQ(r4.first, 0) << r4.second;
    EXPECT_NE(r4.second.find("key 'width': expected an integer from 320 to 16384, got \"wide\"; ignored"), std::string::npos) << r4.second;
    EXPECT_NE(r4.second.find("key 'presenter': expected true or false"), std::string::npos) << r4.second;
    EXPECT_NE(r4.second.find("key 'font_scale': expected a number from 1.5 to 2.5, got 9"), std::string::npos) << r4.second;
    EXPECT_NE(r4.second.find("key 'theme': expected \"auto\", \"dark\" or \"light\", got \"neon\""), std::string::npos) << r4.second;
    j = settings();
    EXPECT_EQ(j["height"], 650);
    EXPECT_EQ(j["width"], 1280);
    { std::ofstream(file) << "{not json"; }
    auto r5 = run_capture(env + SNAPSCOPE_GUI + " --seconds 1 --autosave '' 2>&1");
    ASSERT_EQ(r5.first, 0) << r5.second;
    EXPECT_NE(r5.second.find("settings.json:1:"), std::string::npos) << r5.second;
    // Pictures do not depend on the last run: --screenshot neither reads nor writes the file.
    { std::ofstream(file) << R"({"width": 700, "height": 500, "presenter": true})"; }
    const std::string shot = xdg + "/shot.png";
    auto r6 = run_capture(env + SNAPSCOPE_GUI + " --preset fig4 --steps 3 --screenshot " + shot);
    ASSERT_EQ(r6.first, 0) << r6.second;
    int w = 0, h = 0;
    std::vector<unsigned char> px;
    ASSERT_TRUE(read_png(shot, w, h, px));
    EXPECT_EQ(w, 1280);
    EXPECT_EQ(settings()["width"], 700);
    std::filesystem::remove_all(xdg);
}

// The layout is remembered too: the splitters' fractions and the floating windows' places are read at the start
// (a window off this smaller screen is moved onto it) and written back at the end.
TEST(GuiCommandLine, TheLayoutIsRememberedBetweenRuns) {
    const std::string xdg = ::testing::TempDir() + "/snapscope_xdg_layout";
    std::filesystem::remove_all(xdg);
    std::filesystem::create_directories(xdg + "/snapscope");
    const std::string file = xdg + "/snapscope/settings.json";
    {
        std::ofstream(file) << R"({"width": 1000, "height": 700, "controls_width": 0.4, "top_height": 0.3,)"
                               R"( "windows": {"Phase diagram": [100, 110, 500, 400], "Far away": [5000, 5000, 300, 200]}})";
    }
    auto r = run_capture("XDG_CONFIG_HOME=" + xdg + " " + SNAPSCOPE_GUI + " --seconds 1 --autosave '' 2>&1");
    ASSERT_EQ(r.first, 0) << r.second;
    const nlohmann::json j = read_json_file(file, "settings");
    EXPECT_EQ(j["controls_width"], 0.4);
    EXPECT_EQ(j["top_height"], 0.3);
    EXPECT_EQ(j["windows"]["Phase diagram"], nlohmann::json::parse("[100, 110, 500, 400]"));
    EXPECT_EQ(j["windows"]["Far away"], nlohmann::json::parse("[700, 500, 300, 200]"));  // onto the 1000 x 700 window
    EXPECT_EQ(j["windows"].size(), 2u) << j.dump();  // tiled panels and handles are not floating windows
    std::filesystem::remove_all(xdg);
}

namespace {
// A real 2 x 2 sweep of short fig4 runs in dir/sweep, as snapscope-cli sweep writes it.
void write_real_sweep(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    fs::remove_all(dir);
    fs::create_directories(dir / "sweep");
    FlatConfig base = preset_config("fig4");
    base["train.steps"] = 40;
    SweepManifest m;
    m.def = make_sweep_definition(base, {"train.lr_y_over_z=1,10", "train.lr_z=0.5,3"}, 1, kSnapTolerance, kSnapWindow);
    std::vector<SweepResult> rows;
    for (std::int64_t i = 0; i < m.def.size(); ++i) rows.push_back(run_sweep_point(m.def, m.def.point(i)));
    std::ofstream(dir / "sweep" / "sweep.json") << sweep_manifest_text(m);
    std::ofstream(dir / "sweep" / "results.csv") << sweep_results_csv(m.def, rows);
}
std::size_t count_near(const std::vector<unsigned char>& px, std::array<float, 3> c) {
    std::size_t n = 0;
    for (std::size_t i = 0; i + 3 < px.size(); i += 4)
        if (std::abs(px[i] - c[0] * 255) < 6 && std::abs(px[i + 1] - c[1] * 255) < 6 && std::abs(px[i + 2] - c[2] * 255) < 6) ++n;
    return n;
}
}  // namespace

// Issue 15: a sweep folder (as a cluster's merge writes it) opened from the command line is drawn in the phase
// diagram: its cells in the colour map's colours, the lowest run's dark purple and the highest's yellow.
TEST(GuiCommandLine, OpenSweepShowsTheFoldersRunsInThePhaseDiagram) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(::testing::TempDir()) / ("snapscope_open_sweep_" + std::to_string(::getpid()));
    write_real_sweep(dir);
    const auto lo = colormap_rgb(Colormap::Viridis, 0, 0, 1), hi = colormap_rgb(Colormap::Viridis, 1, 0, 1);
    std::size_t lo_without = 0, hi_without = 0;
    for (const bool open : {false, true}) {
        const std::string png = (dir / (open ? "with.png" : "without.png")).string();
        const auto [status, out] = run_capture(std::string(SNAPSCOPE_GUI) + " --width 1280 --height 800 --steps 40 " +
                                               (open ? "--open-sweep " + (dir / "sweep").string() : std::string("--preset fig4")) +
                                               " --screenshot " + png + " 2>&1");
        ASSERT_EQ(status, 0) << out;
        int w = 0, h = 0;
        std::vector<unsigned char> px;
        ASSERT_TRUE(read_png(png, w, h, px));
        const std::size_t n_lo = count_near(px, lo), n_hi = count_near(px, hi);
        if (!open) {
            lo_without = n_lo;
            hi_without = n_hi;
            continue;
        }
        // Four cells of about 280 x 220 px: the lowest and the highest mean each fill one.
        EXPECT_GT(n_lo, lo_without + 20000) << n_lo << " vs " << lo_without;
        EXPECT_GT(n_hi, hi_without + 20000) << n_hi << " vs " << hi_without;
    }
    // A folder that is not a sweep's: a clear error, no picture.
    const auto [s2, o2] = run_capture(std::string(SNAPSCOPE_GUI) + " --open-sweep " + dir.string() + " --screenshot " + (dir / "x.png").string() + " 2>&1");
    EXPECT_NE(s2, 0);
    EXPECT_NE(o2.find("--open-sweep: " + dir.string() + ": no sweep.json"), std::string::npos) << o2;
    EXPECT_FALSE(fs::exists(dir / "x.png"));
    fs::remove_all(dir);
}

// Issue 14: the light high-contrast theme (presenter mode's unless the dark one is chosen): mostly white, its text
// dark, and the data colours (here the phase diagram's viridis cells) exactly those of the dark theme.
TEST(GuiCommandLine, TheLightThemeIsDarkOnLightAndKeepsTheDataColours) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(::testing::TempDir()) / ("snapscope_light_" + std::to_string(::getpid()));
    write_real_sweep(dir);
    const auto lo = colormap_rgb(Colormap::Viridis, 0, 0, 1), hi = colormap_rgb(Colormap::Viridis, 1, 0, 1);
    struct Look {
        double light_share = 0, dark_share = 0;
        std::size_t lo = 0, hi = 0;
    };
    auto look = [&](const std::string& flags) {
        const std::string png = (dir / "shot.png").string();
        const auto [status, out] = run_capture(std::string(SNAPSCOPE_GUI) + " --width 1280 --height 800 --steps 40 --open-sweep " + (dir / "sweep").string() +
                                               " " + flags + " --screenshot " + png + " 2>&1");
        EXPECT_EQ(status, 0) << out;
        int w = 0, h = 0;
        std::vector<unsigned char> px;
        Look l;
        if (!read_png(png, w, h, px)) return l;
        std::size_t light = 0, dark = 0;
        for (std::size_t i = 0; i + 3 < px.size(); i += 4) {
            const double y = (0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2]) / 255;
            light += y > 0.8;
            dark += y < 0.2;
        }
        l.light_share = static_cast<double>(light) / (px.size() / 4);
        l.dark_share = static_cast<double>(dark) / (px.size() / 4);
        l.lo = count_near(px, lo);
        l.hi = count_near(px, hi);
        return l;
    };
    const Look dark = look(""), light = look("--theme light"), presenter = look("--presenter"), presenter_dark = look("--presenter --theme dark");
    EXPECT_GT(dark.dark_share, 0.5);
    EXPECT_LT(dark.light_share, 0.1);
    EXPECT_GT(light.light_share, 0.5);
    EXPECT_LT(light.dark_share, 0.2);  // (the purple cell and the text)
    EXPECT_GT(light.dark_share, 0.005);  // black text on white
    EXPECT_GT(presenter.light_share, 0.5);  // auto: light in presenter mode
    EXPECT_GT(presenter_dark.dark_share, 0.5);
    // The cells keep the colour map's colours (the same pixel counts, give or take the hover outline and text).
    EXPECT_GT(light.lo, 20000u);
    EXPECT_GT(light.hi, 20000u);
    EXPECT_NEAR(static_cast<double>(light.lo), static_cast<double>(dark.lo), 0.05 * dark.lo);
    EXPECT_NEAR(static_cast<double>(light.hi), static_cast<double>(dark.hi), 0.05 * dark.hi);
    fs::remove_all(dir);
}
