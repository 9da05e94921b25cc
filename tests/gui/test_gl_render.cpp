// Rendering tests; they need a display (ctest runs them under xvfb-run -a).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "colormap.hpp"
#include "host.hpp"
#include "png.hpp"
#include "worker.hpp"
#include "snapscope/presets.hpp"

using namespace snapscope;
using namespace snapscope::gui;

namespace {

Host& host() {
    static Host h(1280, 800, false);
    return h;
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
            host().textures().heatmap("t", rows, cols, data.data(), map, -1.f, 1.f);
            int rr = 0, cc = 0;
            const auto px = host().textures().read_back("t", rr, cc);
            ASSERT_EQ(rr, rows);
            ASSERT_EQ(cc, cols);
            for (int r = 0; r < rows; r += std::max(1, rows / 7))
                for (int c = 0; c < cols; c += 5)
                    expect_colour(&px[(static_cast<std::size_t>(r) * cols + c) * 4],
                                  colormap_rgb(map, data[static_cast<std::size_t>(r) * cols + c], -1.f, 1.f),
                                  "rows " + std::to_string(rows) + " cell " + std::to_string(r) + "," + std::to_string(c));
        }
    }
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
    int rows = 0, cols = 0;
    const auto px = host().textures().read_back("fig4", rows, cols);
    ASSERT_EQ(rows, 101);
    ASSERT_EQ(cols, 34);
    float vmax = 0;
    for (const auto& f : snap->frames)
        for (int t = 0; t < 34; ++t) vmax = std::max(vmax, static_cast<float>(f->attention[t]));
    for (int r : {0, 10, 50, 100})
        for (int c : {0, 5, 12, 19, 25, 33}) {
            const float v = static_cast<float>(snap->frames[r]->attention[c]);
            expect_colour(&px[(static_cast<std::size_t>(r) * cols + c) * 4], colormap_rgb(Colormap::Viridis, v, 0, vmax),
                          "fig4 cell " + std::to_string(r) + "," + std::to_string(c));
        }
}
