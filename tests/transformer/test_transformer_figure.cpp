// The headless tool's attention figures (attention_STEP.png): cells in the colours of their probabilities on a fixed
// 0..1 scale, masked cells grey, the words on both axes, and bounds for long windows and many heads.
#include <gtest/gtest.h>

#include <cmath>

#include "snapscope/colormap.hpp"
#include "snapscope/transformer_figure.hpp"

using namespace snapscope;

namespace {
// A causal map per head: row q spreads over keys 0..q with weights growing towards the query (head h sharper).
PinnedAttention causal_maps(int n, int layers, int heads) {
    PinnedAttention p;
    p.step = 500;
    p.layers = layers;
    p.heads = heads;
    p.tokens.resize(static_cast<std::size_t>(n));
    p.attention.assign(static_cast<std::size_t>(layers) * heads * n * n, 0.0);
    for (int m = 0; m < layers * heads; ++m)
        for (int q = 0; q < n; ++q) {
            double z = 0;
            for (int k = 0; k <= q; ++k) z += std::exp((m + 1.0) * k);
            for (int k = 0; k <= q; ++k) p.attention[(static_cast<std::size_t>(m) * n + q) * n + k] = std::exp((m + 1.0) * k) / z;
        }
    return p;
}

bool near(Rgba a, Rgba b, int tol = 2) { return std::abs(a.r - b.r) <= tol && std::abs(a.g - b.g) <= tol && std::abs(a.b - b.b) <= tol; }

Rgba expected(double v) {
    const auto c = colormap_rgb(Colormap::Viridis, static_cast<float>(v), 0.f, 1.f);
    return {static_cast<std::uint8_t>(std::lround(c[0] * 255)), static_cast<std::uint8_t>(std::lround(c[1] * 255)),
            static_cast<std::uint8_t>(std::lround(c[2] * 255)), 255};
}

int dark_pixels(const RgbaImage& img, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) n += img.at(x, y).r < 160 && img.at(x, y).g < 160;
    return n;
}
}  // namespace

TEST(AttentionFigure, CellsHaveTheColoursOfTheirProbabilitiesAndTheWordsAreOnBothAxes) {
    const int n = 6;
    const PinnedAttention p = causal_maps(n, 1, 2);
    const std::vector<std::string> words = {"the", "cat", "sees", "the", "mouse", "."};
    AttentionFigureLayout L;
    const RgbaImage img = attention_figure(p, words, true, "step 500", &L);
    ASSERT_EQ(L.maps, 2);
    ASSERT_EQ(L.shown, n);
    ASSERT_TRUE(L.words);
    ASSERT_GE(L.cell, 9);
    for (int m = 0; m < 2; ++m)
        for (int q = 0; q < n; ++q)
            for (int k = 0; k < n; ++k) {
                const int x = L.panel_x0 + m * L.panel_dx + k * L.cell + L.cell / 2, y = L.panel_y0 + q * L.cell + L.cell / 2;
                const Rgba want = k > q ? Rgba{232, 232, 232, 255} : expected(p.attention[(static_cast<std::size_t>(m) * n + q) * n + k]);
                EXPECT_TRUE(near(img.at(x, y), want)) << "map " << m << " q " << q << " k " << k;
            }
    // Each row's word left of the cells, each column's word below them.
    const int side = n * L.cell;
    for (int i = 0; i < n; ++i) {
        EXPECT_GT(dark_pixels(img, L.panel_x0 - 60, L.panel_y0 + i * L.cell, L.panel_x0 - 2, L.panel_y0 + (i + 1) * L.cell), 3) << words[i];
        EXPECT_GT(dark_pixels(img, L.panel_x0 + i * L.cell, L.panel_y0 + side + 2, L.panel_x0 + (i + 1) * L.cell, L.panel_y0 + side + 60), 3)
            << words[i];
    }
    // Without the mask the upper triangle is drawn in its colour (zero).
    AttentionFigureLayout U;
    const RgbaImage open = attention_figure(p, words, false, "step 500", &U);
    EXPECT_TRUE(near(open.at(U.panel_x0 + (n - 1) * U.cell + U.cell / 2, U.panel_y0 + U.cell / 2), expected(0.0)));
}

TEST(AttentionFigure, LongWindowsAndManyHeadsAreBounded) {
    // 100 positions: cells too small for words, which are left off.
    AttentionFigureLayout L;
    const RgbaImage a = attention_figure(causal_maps(100, 1, 1), std::vector<std::string>(100, "word"), true, "t", &L);
    EXPECT_FALSE(L.words);
    EXPECT_EQ(L.shown, 100);
    EXPECT_EQ(dark_pixels(a, 0, L.panel_y0, L.panel_x0 - 1, L.panel_y0 + 100 * L.cell), 0);
    // 600 positions and 8 x 4 maps: the first 512 positions of the first 16 maps, within the image size limit.
    AttentionFigureLayout M;
    const RgbaImage b = attention_figure(causal_maps(600, 8, 4), {}, true, "t", &M);
    EXPECT_EQ(M.shown, kFigureMaxPositions);
    EXPECT_EQ(M.maps, kFigureMaxMaps);
    EXPECT_LE(b.width(), 16384);
    EXPECT_LE(b.height(), 16384);
    // Map entropy: a uniform row over k keys has ln k nats.
    const std::vector<double> u = {1, 0, 0.5, 0.5};
    EXPECT_NEAR(attention_map_entropy(u.data(), 2), 0.5 * std::log(2.0), 1e-12);
}
