#include "snapscope/transformer_figure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "snapscope/colormap.hpp"

namespace snapscope {

namespace {
constexpr Rgba kInk{30, 30, 30, 255};
constexpr Rgba kGrey{110, 110, 110, 255};
constexpr Rgba kMasked{232, 232, 232, 255};
constexpr float kLabelPx = 11, kCaptionPx = 13, kTitlePx = 16;

// At most 18 characters (code points), an ellipsis marking a cut.
std::string label_text(const std::string& w) {
    const std::vector<std::uint32_t> cps = utf8_code_points(w);
    if (cps.size() <= 18) return w;
    std::string out;
    std::size_t taken = 0, i = 0;
    while (taken < 17 && i < w.size()) {
        const unsigned char c = static_cast<unsigned char>(w[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        len = std::min(len, w.size() - i);
        out.append(w, i, len);
        i += len;
        ++taken;
    }
    return out + "\xE2\x80\xA6";
}

Rgba viridis(double v) {
    const std::array<float, 3> c = colormap_rgb(Colormap::Viridis, static_cast<float>(v), 0.f, 1.f);
    return {static_cast<std::uint8_t>(std::lround(c[0] * 255)), static_cast<std::uint8_t>(std::lround(c[1] * 255)),
            static_cast<std::uint8_t>(std::lround(c[2] * 255)), 255};
}
}  // namespace

double attention_map_entropy(const double* map, int n) {
    if (n <= 0) return NAN;
    double total = 0;
    for (int q = 0; q < n; ++q) {
        double h = 0;
        for (int k = 0; k < n; ++k) {
            const double a = map[static_cast<std::size_t>(q) * n + k];
            if (a > 0) h -= a * std::log(a);
        }
        total += h;
    }
    return total / n;
}

RgbaImage attention_figure(const PinnedAttention& p, const std::vector<std::string>& words, bool causal, const std::string& title,
                       AttentionFigureLayout* layout_out) {
    const Font* font = Font::sans();
    const int n = static_cast<int>(p.tokens.size());
    AttentionFigureLayout L;
    L.shown = std::min(n, kFigureMaxPositions);
    const int total_maps = p.layers * p.heads;
    L.maps = std::min(total_maps, kFigureMaxMaps);
    L.columns = std::min(L.maps, 4);
    L.cell = std::clamp(560 / std::max(L.shown, 1), 1, 18);
    L.words = font && L.cell >= 9;

    std::vector<std::string> labels(static_cast<std::size_t>(L.shown));
    int label_w = 0;
    for (int i = 0; i < L.shown; ++i) {
        labels[i] = label_text(i < static_cast<int>(words.size()) ? words[i] : std::string("?"));
        if (L.words) label_w = std::max(label_w, font->text_width(labels[i], kLabelPx));
    }
    const int side = L.shown * L.cell;
    const int margin = 12, gap = 28;
    const int left = L.words ? label_w + 8 : 4;
    const int caption_h = font ? 20 : 4;
    const int bottom = L.words ? label_w + 8 : 4;
    const int title_h = font ? 30 : 4;
    const int bar_w = 16, bar_space = font ? 70 : 30;
    L.panel_dx = left + side + gap;
    L.panel_dy = caption_h + side + bottom + gap;
    L.panel_x0 = margin + left;
    L.panel_y0 = margin + title_h + caption_h;
    const int rows = (L.maps + L.columns - 1) / std::max(L.columns, 1);
    const int width = margin + L.columns * L.panel_dx - gap + bar_space + margin;
    const int height = margin + title_h + rows * L.panel_dy - gap + margin;
    RgbaImage img(width, height);

    if (font) {
        std::string t = title;
        if (L.shown < n) t += " (first " + std::to_string(L.shown) + " of " + std::to_string(n) + " positions)";
        if (L.maps < total_maps) t += " (first " + std::to_string(L.maps) + " of " + std::to_string(total_maps) + " maps)";
        font->draw(img, margin, margin + font->ascent(kTitlePx), t, kTitlePx, kInk);
    }
    for (int m = 0; m < L.maps; ++m) {
        const int l = m / p.heads, h = m % p.heads;
        const int x0 = L.panel_x0 + (m % L.columns) * L.panel_dx, y0 = L.panel_y0 + (m / L.columns) * L.panel_dy;
        const double* map = p.attention.data() + (static_cast<std::size_t>(l) * p.heads + h) * n * n;
        for (int q = 0; q < L.shown; ++q)
            for (int k = 0; k < L.shown; ++k) {
                const Rgba c = causal && k > q ? kMasked : viridis(map[static_cast<std::size_t>(q) * n + k]);
                img.fill_rect(x0 + k * L.cell, y0 + q * L.cell, x0 + (k + 1) * L.cell, y0 + (q + 1) * L.cell, c);
            }
        if (font) {
            char cap[160];
            std::snprintf(cap, sizeof cap, "layer %d, head %d: entropy %.3f nats", l + 1, h + 1,
                          attention_map_entropy(map, n));
            font->draw(img, x0 - left, y0 - 6, cap, kCaptionPx, kGrey);
        }
        if (L.words) {
            const int centre = L.cell / 2 + static_cast<int>(kLabelPx * 0.35f);
            for (int i = 0; i < L.shown; ++i) {
                // Query words right-aligned left of their rows; key words reading upwards under their columns.
                font->draw(img, x0 - 4 - font->text_width(labels[i], kLabelPx), y0 + i * L.cell + centre, labels[i], kLabelPx, kInk);
                font->draw(img, x0 + i * L.cell + centre, y0 + side + 4 + font->text_width(labels[i], kLabelPx), labels[i], kLabelPx,
                           kInk, true);
            }
        }
    }
    // The colour bar: probability 0 (bottom) to 1 (top), with ticks.
    const int bx = margin + L.columns * L.panel_dx - gap + 14, by = L.panel_y0;
    const int bh = std::max(side, 40);
    for (int y = 0; y < bh; ++y) img.fill_rect(bx, by + y, bx + bar_w, by + y + 1, viridis(1.0 - static_cast<double>(y) / (bh - 1)));
    for (int t = 0; t <= 4; ++t) {
        const int y = by + static_cast<int>(std::lround((bh - 1) * (1.0 - t / 4.0)));
        img.fill_rect(bx + bar_w, y, bx + bar_w + 4, y + 1, kInk);
        if (font) {
            char v[16];
            std::snprintf(v, sizeof v, "%.2f", t / 4.0);
            font->draw(img, bx + bar_w + 6, y + static_cast<int>(kLabelPx * 0.35f), v, kLabelPx, kInk);
        }
    }
    if (layout_out) *layout_out = L;
    return img;
}

}  // namespace snapscope
