// The plot widget's geometry: no scale, dash length or data may make a drawing loop run away (issue 10, point 1:
// dashed lines at presenter-mode scale hung the UI thread), ticks never overlap or leave the plot (point 7).
#include <gtest/gtest.h>

#include <imgui.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "plot.hpp"

using namespace snapscope::gui;

namespace {

float pick(std::mt19937_64& rng) {
    // Ordinary values, huge ones, tiny ones, and non-finite ones.
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_real_distribution<float> u(-2000.f, 2000.f);
    switch (kind(rng)) {
        case 0: return std::numeric_limits<float>::quiet_NaN();
        case 1: return std::numeric_limits<float>::infinity();
        case 2: return -3e38f;
        case 3: return 1e30f * u(rng);
        case 4: return 1e-30f * u(rng);
        default: return u(rng);
    }
}

}  // namespace

TEST(PlotGeometry, DashSegmentsAreBoundedForAnyInput) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<float> scale(0.1f, 4.0f);
    const auto t0 = std::chrono::steady_clock::now();
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<ImVec2> pts(1 + rng() % 40);
        for (auto& p : pts) p = ImVec2(pick(rng), pick(rng));
        const float px = trial % 7 == 0 ? pick(rng) : scale(rng);  // includes 1.6 (24 px font / 15) and non-finite
        const float on = 6.f * px, off = 4.f * px;
        const ImVec4 clip(0, 0, 1920.f * 4, 1080.f * 4);
        const auto segs = dash_segments(pts, on, off, clip, 100000);
        // A dash is at least half a pixel with half a pixel of gap: never more than the clipped length allows.
        double len = 0;
        for (std::size_t k = 1; k < pts.size(); ++k) {
            const double dx = pts[k].x - pts[k - 1].x, dy = pts[k].y - pts[k - 1].y;
            if (std::isfinite(dx) && std::isfinite(dy)) len += std::min(std::hypot(dx, dy), std::hypot(1920.0 * 4, 1080.0 * 4));
        }
        ASSERT_LE(segs.size(), static_cast<std::size_t>(len / 1.0) + pts.size() + 1) << trial;
        for (const auto& [a, b] : segs) {
            ASSERT_TRUE(std::isfinite(a.x) && std::isfinite(a.y) && std::isfinite(b.x) && std::isfinite(b.y)) << trial;
            ASSERT_GE(a.x, clip.x - 0.01f);
            ASSERT_LE(b.x, clip.z + 0.01f);
        }
    }
    // The reported case: a 1.6 px scale (presenter font), dashes 9.6 on / 6.4 off, far-away coordinates.
    const std::vector<ImVec2> far{{1e7f, 100.f}, {1e7f + 5000.f, 120.f}, {0.f, 50.f}, {800.f, 60.f}};
    EXPECT_LE(dash_segments(far, 9.6f, 6.4f, ImVec4(0, 0, 1920, 1080), 100000).size(), 2 * (1920 + 800) / 16 + 4u);
    // The cap holds.
    const std::vector<ImVec2> long_line{{0, 0}, {1e4f, 0}};
    EXPECT_EQ(dash_segments(long_line, 0.5f, 0.5f, ImVec4(0, -1, 1e4f, 1), 50).size(), 50u);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
}

TEST(PlotGeometry, DashesFollowTheirPattern) {
    const std::vector<ImVec2> pts{{0, 0}, {25, 0}, {25, 25}};
    const auto segs = dash_segments(pts, 6, 4, ImVec4(-100, -100, 100, 100), 1000);
    // 50 px of line: dashes at 0-6, 10-16, 20-25|25-26 (across the corner), 30-36, 40-46.
    ASSERT_EQ(segs.size(), 6u);
    EXPECT_FLOAT_EQ(segs[0].second.x, 6);
    EXPECT_FLOAT_EQ(segs[1].first.x, 10);
    EXPECT_FLOAT_EQ(segs[2].second.x, 25);
    EXPECT_FLOAT_EQ(segs[3].second.y, 1);
}

TEST(PlotGeometry, TicksAreFewNiceAndFiniteForAnyRange) {
    std::mt19937_64 rng(3);
    for (int trial = 0; trial < 20000; ++trial) {
        double lo = pick(rng), hi = pick(rng);
        if (trial % 3 == 0) hi = lo + std::ldexp(1.0, static_cast<int>(rng() % 200) - 100);  // narrow ranges far from 0
        const int target = static_cast<int>(rng() % 50);
        const auto t = nice_ticks(lo, hi, target);
        ASSERT_LE(t.size(), static_cast<std::size_t>(std::max(target, 1) + 2)) << lo << " " << hi;
        for (double v : t) ASSERT_TRUE(std::isfinite(v));
        const auto lt = log_ticks(lo / 1e28, hi / 1e28, target);
        ASSERT_LE(lt.size(), 101u);
    }
    EXPECT_EQ(nice_ticks(0, 100, 5), (std::vector<double>{0, 20, 40, 60, 80, 100}));
    // A log axis over 12 decades in a short plot still gets several labelled decades.
    const auto lt = log_ticks(-12, 0.5, 5);
    EXPECT_GE(lt.size(), 4u);
    for (double e : lt) EXPECT_DOUBLE_EQ(e, std::round(e));
    EXPECT_GE(log_ticks(-3.3, 0.55, 6).size(), 4u);
    EXPECT_GE(log_ticks(-0.4, 0.2, 6).size(), 2u);  // less than a decade: 1, 2, 5 steps
}

TEST(PlotGeometry, LabelsNeverOverlapInARow) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> u(0, 1000), w(5, 80);
    for (int trial = 0; trial < 500; ++trial) {
        std::vector<float> xs(rng() % 60), ws(xs.size());
        for (auto& x : xs) x = u(rng);
        std::sort(xs.begin(), xs.end());
        for (auto& x : ws) x = w(rng);
        const auto rows = place_labels(xs, ws, 4, 2);
        ASSERT_EQ(rows.size(), xs.size());
        if (!xs.empty()) {
            EXPECT_EQ(rows[0], 0) << "the first label always fits";
        }
        for (std::size_t i = 0; i < xs.size(); ++i)
            for (std::size_t j = i + 1; j < xs.size(); ++j)
                if (rows[i] >= 0 && rows[i] == rows[j]) {
                    ASSERT_GE(xs[j] - ws[j] / 2, xs[i] + ws[i] / 2 + 4 - 1e-3f);
                }
    }
}

TEST(PlotWidget, DrawsAnyDataAtAnyScaleInBoundedTime) {
    ImGuiContext* ctx = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1920, 1080);
    io.IniFilename = nullptr;
    io.DeltaTime = 1.0f / 60;
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;  // as the OpenGL3 backend: large draw lists are split
    unsigned char* px;
    int w, h;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    std::mt19937_64 rng(5);
    const auto t0 = std::chrono::steady_clock::now();
    for (int trial = 0; trial < 60; ++trial) {
        io.FontGlobalScale = 0.5f + 0.25f * (trial % 12);  // 0.5x .. 3.25x (presenter mode is 1.6x)
        ImGui::NewFrame();
        ImGui::Begin("p");
        std::vector<PlotSeries> series(3);
        for (std::size_t s = 0; s < series.size(); ++s) {
            series[s].label = "s" + std::to_string(s);
            series[s].dashed = s != 0;
            const int n = 1 + static_cast<int>(rng() % 3000);
            for (int i = 0; i < n; ++i) {
                series[s].x.push_back(trial % 5 == 0 ? 1e15 + i : i);
                series[s].y.push_back(trial % 4 == 0 ? pick(rng) : std::sin(0.01 * i) * std::pow(10.0, trial % 9 - 4));
            }
        }
        PlotState state;
        PlotOptions opt;
        opt.log_y = trial % 2 == 0;
        opt.size = ImVec2(300 + 100 * (trial % 10), 150 + 50 * (trial % 7));
        opt.y_label = "nats";
        opt.mark_x = 40;
        opt.mark_label = "snap";
        auto mx = std::make_shared<std::vector<double>>();
        auto ml = std::make_shared<std::vector<std::string>>();
        for (int k = 0; k < 200; ++k) {
            mx->push_back(k * 3.0);
            ml->push_back("eta_Z 0.5");
        }
        opt.markers = mx;
        opt.marker_labels = ml;
        plot_lines("p", series, state, opt);
        ImGui::End();
        ImGui::Render();
        ASSERT_LT(ImGui::GetDrawData()->TotalVtxCount, 20000000) << trial;
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 120.0);
    ImGui::DestroyContext(ctx);
}

namespace {

// Distance from p to the segment a-b.
double segment_distance(ImVec2 p, ImVec2 a, ImVec2 b) {
    const double vx = b.x - a.x, vy = b.y - a.y, wx = p.x - a.x, wy = p.y - a.y;
    const double len2 = vx * vx + vy * vy;
    const double t = len2 > 0 ? std::clamp((wx * vx + wy * vy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(wx - t * vx, wy - t * vy);
}

}  // namespace

// The curves' polylines are thinned in screen space before they are drawn (each segment is several triangles for a
// software rasteriser): every input point stays within the tolerance of the drawn line, spikes included.
TEST(PlotGeometry, SimplifiedPolylinesStayWithinTheTolerance) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::size_t in_total = 0, out_total = 0;
    for (int trial = 0; trial < 400; ++trial) {
        // Smooth curves, noisy ones, spikes (a column's min and max, as decimate gives them) and breaks (NaN).
        std::vector<ImVec2> pts;
        const int n = 2 + static_cast<int>(rng() % 3000);
        const int kind = trial % 4;
        for (int i = 0; i < n; ++i) {
            const float x = 0.25f * i;
            float y = 300.f * std::exp(-x / 200.f) + 40.f * std::sin(x / 30.f);
            if (kind == 1) y += 3.f * (u(rng) - 0.5f);
            if (kind == 2 && rng() % 50 == 0) y += 200.f * (u(rng) - 0.5f);
            if (kind == 3 && rng() % 200 == 0) y = std::numeric_limits<float>::quiet_NaN();
            pts.emplace_back(x, y);
        }
        const float tol = 0.25f;
        const auto out = simplify_polyline(pts, tol);
        in_total += pts.size();
        out_total += out.size();
        ASSERT_FALSE(out.empty());
        EXPECT_EQ(out.front().x, pts.front().x);
        EXPECT_EQ(out.back().x, pts.back().x);
        // Walk the input against the output's segments (both are in x order; NaN breaks the line in both).
        std::size_t seg = 0;
        for (const ImVec2& p : pts) {
            if (std::isnan(p.y)) continue;
            while (seg + 1 < out.size() && out[seg + 1].x <= p.x) ++seg;  // the last drawn point at or left of p
            double best = 1e30;  // to the nearest drawn segment, or drawn point (a point alone between two breaks)
            for (std::size_t s = seg == 0 ? 0 : seg - 1; s < out.size() && s <= seg + 2; ++s) {
                if (std::isnan(out[s].y)) continue;
                best = std::min(best, static_cast<double>(std::hypot(p.x - out[s].x, p.y - out[s].y)));
                if (s + 1 < out.size() && !std::isnan(out[s + 1].y)) best = std::min(best, segment_distance(p, out[s], out[s + 1]));
            }
            ASSERT_LE(best, tol + 1e-3) << "trial " << trial << " point (" << p.x << ", " << p.y << ")";
        }
    }
    // And it does thin them: smooth curves at 4 points per pixel keep a small fraction of their points.
    EXPECT_LT(out_total, in_total / 3);
    // A vertical spike inside one pixel column (min then max) is kept.
    const std::vector<ImVec2> spike{{0, 0}, {0.1f, 100}, {0.15f, 50}, {10, 50}};
    const auto s = simplify_polyline(spike, 0.25f);
    float top = 0;
    for (const auto& p : s) top = std::max(top, p.y);
    EXPECT_EQ(top, 100.f);
}

// A noisy curve (a training loss step by step) is decimated to each pixel column's extremes, so its polyline zigzags
// up and down within a pixel. ImGui's joins of such sharp reversals collapse to slivers (seen: the symmetry lab's loss
// curve drawn as specks). The widget draws pieces that never turn back sharply, and the ink is where the line is.
TEST(PlotGeometry, ANoisyCurveIsDrawnWhereItIsNotAsSpecks) {
    ImGuiContext* ctx = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini left in the working folder
    io.DisplaySize = ImVec2(800, 600);
    unsigned char* px;
    int w, h;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    ImGui::NewFrame();
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<ImVec2> pts;
    for (int col = 0; col < 300; ++col)
        for (int k = 0; k < 4; ++k) pts.emplace_back(100.f + col + 0.25f * k, 200.f + 150.f * u(rng));
    double length = 0;
    for (std::size_t i = 1; i < pts.size(); ++i) length += std::hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
    const float th = 1.6f;
    auto area = [](const ImDrawList& dl) {
        double a = 0;
        for (int e = 0; e + 2 < dl.IdxBuffer.Size; e += 3) {
            const ImVec2 p = dl.VtxBuffer[dl.IdxBuffer[e]].pos, q = dl.VtxBuffer[dl.IdxBuffer[e + 1]].pos, r = dl.VtxBuffer[dl.IdxBuffer[e + 2]].pos;
            a += std::abs((q.x - p.x) * (r.y - p.y) - (r.x - p.x) * (q.y - p.y)) / 2;
        }
        return a;
    };
    ImDrawList whole(ImGui::GetDrawListSharedData()), pieces(ImGui::GetDrawListSharedData());
    for (ImDrawList* dl : {&whole, &pieces}) {
        dl->_ResetForNewFrame();
        dl->PushClipRectFullScreen();
    }
    whole.AddPolyline(pts.data(), static_cast<int>(pts.size()), IM_COL32_WHITE, 0, th);
    const auto cuts = polyline_pieces(pts);
    ASSERT_GT(cuts.size(), 100u);
    for (std::size_t i = 0; i < cuts.size(); ++i) {
        ASSERT_LT(cuts[i].first + 1, cuts[i].second);
        if (i > 0) {
            EXPECT_EQ(cuts[i].first + 1, cuts[i - 1].second) << "pieces share their end point";
        }
    }
    EXPECT_EQ(cuts.front().first, 0u);
    EXPECT_EQ(cuts.back().second, pts.size());
    for (const auto& [from, to] : cuts) pieces.AddPolyline(pts.data() + from, static_cast<int>(to - from), IM_COL32_WHITE, 0, th);
    // The line's ink: about its length times its width (the AA fringe adds some); the joined polyline had little.
    EXPECT_GT(area(pieces), 0.8 * length * th);
    EXPECT_LT(area(whole), 0.5 * length * th) << "ImGui 1.86's joins of reversals (why the widget cuts the line)";
    // A smooth curve is one piece.
    std::vector<ImVec2> smooth;
    for (int i = 0; i < 200; ++i) smooth.emplace_back(static_cast<float>(i), 100.f + 50.f * std::sin(i * 0.05f));
    EXPECT_EQ(polyline_pieces(smooth).size(), 1u);
    EXPECT_TRUE(polyline_pieces({ImVec2(1, 1)}).empty());
    ImGui::EndFrame();
    ImGui::DestroyContext(ctx);
}
