#include "snapscope/figure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

#include "snapscope/files.hpp"
#include "snapscope/ticks.hpp"

namespace snapscope {

namespace {

constexpr Rgba kInk{30, 30, 34, 255};
constexpr Rgba kMuted{95, 95, 105, 255};
constexpr Rgba kGrid{222, 222, 228, 255};
constexpr Rgba kFrame{120, 120, 128, 255};

void check_size(int width, int height, int scale) {
    if (width < 200 || height < 200 || width > 8000 || height > 8000)
        throw std::invalid_argument("figure: " + std::to_string(width) + " x " + std::to_string(height) + " px; each side from 200 to 8000");
    if (scale < 1 || scale > 4) throw std::invalid_argument("figure: scale " + std::to_string(scale) + "; 1 to 4");
    if (static_cast<double>(width) * scale > 16384 || static_cast<double>(height) * scale > 16384)
        throw std::invalid_argument("figure: more than 16384 px a side at scale " + std::to_string(scale));
}

int text_w(const std::string& s, float px) { return Font::sans() ? Font::sans()->text_width(s, px) : 0; }
void text(RgbaImage& img, float x, float baseline, const std::string& s, float px, Rgba c, bool vertical = false) {
    if (Font::sans()) Font::sans()->draw(img, static_cast<int>(std::lround(x)), static_cast<int>(std::lround(baseline)), s, px, c, vertical);
}

// An antialiased line of `width` px from a to b: each pixel of its box covered by its distance to the segment.
void line(RgbaImage& img, double ax, double ay, double bx, double by, double width, Rgba c) {
    if (!std::isfinite(ax) || !std::isfinite(ay) || !std::isfinite(bx) || !std::isfinite(by)) return;
    const double r = width / 2;
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - r - 1)));
    const int x1 = std::min(img.width() - 1, static_cast<int>(std::ceil(std::max(ax, bx) + r + 1)));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - r - 1)));
    const int y1 = std::min(img.height() - 1, static_cast<int>(std::ceil(std::max(ay, by) + r + 1)));
    const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const double px = x + 0.5, py = y + 0.5;
            double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
            t = std::clamp(t, 0.0, 1.0);
            const double qx = ax + t * dx - px, qy = ay + t * dy - py;
            const double cover = std::clamp(r + 0.5 - std::sqrt(qx * qx + qy * qy), 0.0, 1.0);
            if (cover > 0) img.blend(x, y, c, static_cast<float>(cover));
        }
}

// A polyline, dashed (`dash` px on, `dash` px off, across vertices) when dash > 0.
void polyline(RgbaImage& img, const std::vector<std::pair<double, double>>& p, double width, Rgba c, double dash) {
    double along = 0;
    for (std::size_t i = 1; i < p.size(); ++i) {
        const auto [ax, ay] = p[i - 1];
        const auto [bx, by] = p[i];
        if (!std::isfinite(ax) || !std::isfinite(ay) || !std::isfinite(bx) || !std::isfinite(by)) continue;
        const double len = std::hypot(bx - ax, by - ay);
        if (dash <= 0 || len == 0) {
            line(img, ax, ay, bx, by, width, c);
            continue;
        }
        // Pieces of the dash pattern (bounded: a segment is at most the picture's diagonal).
        double s = 0;
        for (int guard = 0; s < len && guard < 100000; ++guard) {
            const double phase = std::fmod(along + s, 2 * dash);
            const double piece = std::min(len - s, (phase < dash ? dash : 2 * dash) - phase);
            if (phase < dash)
                line(img, ax + (bx - ax) * s / len, ay + (by - ay) * s / len, ax + (bx - ax) * (s + piece) / len, ay + (by - ay) * (s + piece) / len, width, c);
            s += std::max(piece, 1e-3);
        }
        along += len;
    }
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char ch : s) o += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return o + "\"";
}

std::string number(double v) {
    if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

Rgba print_colour(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    const int hi = std::max({r, g, b}), lo = std::min({r, g, b});
    if (hi - lo < 40) {
        // A grey: light greys (the loss curve, common tokens) print dark, in proportion.
        const int v = std::clamp(200 - (hi * 170) / 255, 25, 120);
        return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v), 255};
    }
    // A colour: darkened so that it stands out on white, hue kept.
    const double k = hi > 170 ? 170.0 / hi : 1.0;
    return {static_cast<std::uint8_t>(r * k), static_cast<std::uint8_t>(g * k), static_cast<std::uint8_t>(b * k), 255};
}

RgbaImage render_line_figure(const LineFigure& f, int width, int height, int scale) {
    check_size(width, height, scale);
    const int W = width * scale, H = height * scale;
    RgbaImage img(W, H);
    const float px = 13.0f * static_cast<float>(scale), title_px = 15.0f * static_cast<float>(scale);
    // Data range (log: exponents of the positive values).
    auto ty = [&](double y) { return f.log_y ? (y > 0 ? std::log10(y) : NAN) : y; };
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (const FigureSeries& s : f.series)
        for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            const double y = ty(s.y[i]);
            if (!std::isfinite(s.x[i]) || !std::isfinite(y)) continue;
            xmin = std::min(xmin, s.x[i]);
            xmax = std::max(xmax, s.x[i]);
            ymin = std::min(ymin, y);
            ymax = std::max(ymax, y);
        }
    if (!(xmax >= xmin)) xmin = 0, xmax = 1;
    if (!(ymax >= ymin)) ymin = 0, ymax = 1;
    if (xmax == xmin) xmin -= 0.5, xmax += 0.5;
    if (ymax == ymin) ymin -= f.log_y ? 0.5 : std::max(0.5, std::abs(ymin) * 0.1), ymax += f.log_y ? 0.5 : std::max(0.5, std::abs(ymax) * 0.1);
    const double pad = (ymax - ymin) * 0.05;
    ymin -= pad;
    ymax += pad;
    // Legend entries, wrapped into rows under the title.
    const float swatch = px * 1.8f, gap = px * 1.2f;
    std::vector<std::vector<const FigureSeries*>> rows(1);
    float row_w = 0;
    const float avail = static_cast<float>(W) - px * 2;
    for (const FigureSeries& s : f.series) {
        if (s.label.empty()) continue;
        const float w = swatch + px * 0.4f + static_cast<float>(text_w(s.label, px)) + gap;
        if (!rows.back().empty() && row_w + w > avail) {
            rows.emplace_back();
            row_w = 0;
        }
        rows.back().push_back(&s);
        row_w += w;
    }
    if (rows.back().empty()) rows.pop_back();
    const float top = (f.title.empty() ? px * 0.8f : title_px * 1.9f) + static_cast<float>(rows.size()) * px * 1.5f;
    // Ticks and their labels.
    const std::vector<double> yt = f.log_y ? log_ticks(ymin, ymax, std::max(2, static_cast<int>(H / (px * 4)))) : nice_ticks(ymin, ymax, std::max(2, static_cast<int>(H / (px * 4))));
    auto ylabel = [&](double v) { return f.log_y ? format_tick(std::pow(10.0, v)) : format_tick(v); };
    float tick_w = 0;
    for (double v : yt) tick_w = std::max(tick_w, static_cast<float>(text_w(ylabel(v), px)));
    const float left = tick_w + px * 0.8f + (f.y_label.empty() ? 0 : px * 1.6f) + px * 0.4f;
    const float bottom = px * 1.6f + (f.x_label.empty() ? 0 : px * 1.5f) + px * 0.5f;
    const float right = px * 1.2f;
    const float ax0 = left, ax1 = static_cast<float>(W) - right, ay0 = top, ay1 = static_cast<float>(H) - bottom;
    if (ax1 - ax0 < px * 4 || ay1 - ay0 < px * 4) throw std::invalid_argument("figure: too small for its labels");
    auto X = [&](double x) { return ax0 + (x - xmin) / (xmax - xmin) * (ax1 - ax0); };
    auto Y = [&](double y) { return ay1 - (y - ymin) / (ymax - ymin) * (ay1 - ay0); };
    // Grid, frame, ticks.
    const std::vector<double> xt = nice_ticks(xmin, xmax, std::max(2, static_cast<int>((ax1 - ax0) / (px * 7))));
    for (double v : xt) line(img, X(v), ay0, X(v), ay1, scale, kGrid);
    for (double v : yt) line(img, ax0, Y(v), ax1, Y(v), scale, kGrid);
    for (double v : xt) {
        const std::string l = format_tick(v);
        text(img, X(v) - text_w(l, px) / 2.0f, ay1 + px * 1.35f, l, px, kMuted);
        line(img, X(v), ay1, X(v), ay1 + px * 0.3f, scale, kFrame);
    }
    for (double v : yt) {
        const std::string l = ylabel(v);
        text(img, ax0 - px * 0.5f - text_w(l, px), Y(v) + px * 0.35f, l, px, kMuted);
        line(img, ax0 - px * 0.3f, Y(v), ax0, Y(v), scale, kFrame);
    }
    // Series (decimated to two points a pixel column), then marks, then the frame on top.
    const double lw = 1.8 * scale;
    for (const FigureSeries& s : f.series) {
        std::vector<std::pair<double, double>> pts;
        const std::size_t n = std::min(s.x.size(), s.y.size());
        const int columns = static_cast<int>(ax1 - ax0) + 1;
        if (n > static_cast<std::size_t>(columns) * 2) {
            std::vector<double> lo(columns, INFINITY), hi(columns, -INFINITY);
            for (std::size_t i = 0; i < n; ++i) {
                const double y = ty(s.y[i]);
                if (!std::isfinite(s.x[i]) || !std::isfinite(y)) continue;
                const int c = std::clamp(static_cast<int>(X(s.x[i]) - ax0), 0, columns - 1);
                lo[c] = std::min(lo[c], y);
                hi[c] = std::max(hi[c], y);
            }
            for (int c = 0; c < columns; ++c)
                if (lo[c] <= hi[c]) {
                    pts.emplace_back(ax0 + c, Y(lo[c]));
                    if (hi[c] > lo[c]) pts.emplace_back(ax0 + c, Y(hi[c]));
                }
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                const double y = ty(s.y[i]);
                pts.emplace_back(X(s.x[i]), std::isfinite(y) ? Y(y) : NAN);
            }
        }
        polyline(img, pts, lw, s.colour, s.dashed ? 5.0 * scale : 0);
    }
    for (const auto& [x, label] : f.marks) {
        if (!(x >= xmin && x <= xmax)) continue;
        polyline(img, {{X(x), ay0}, {X(x), ay1}}, scale * 1.2, Rgba{0, 140, 170, 255}, 4.0 * scale);
        text(img, X(x) + px * 0.3f, ay0 + px * 1.1f, label, px, Rgba{0, 120, 150, 255});
    }
    line(img, ax0, ay0, ax1, ay0, scale, kFrame);
    line(img, ax0, ay1, ax1, ay1, scale, kFrame);
    line(img, ax0, ay0, ax0, ay1, scale, kFrame);
    line(img, ax1, ay0, ax1, ay1, scale, kFrame);
    // Titles and legend.
    if (!f.title.empty()) text(img, px, title_px * 1.3f, f.title, title_px, kInk);
    if (!f.x_label.empty()) text(img, (ax0 + ax1) / 2 - text_w(f.x_label, px) / 2.0f, static_cast<float>(H) - px * 0.6f, f.x_label, px, kInk);
    if (!f.y_label.empty()) text(img, px * 1.3f, (ay0 + ay1) / 2 + text_w(f.y_label, px) / 2.0f, f.y_label, px, kInk, true);
    float ly = (f.title.empty() ? px * 0.8f : title_px * 1.9f) + px;
    for (const auto& row : rows) {
        float lx = px;
        for (const FigureSeries* s : row) {
            polyline(img, {{lx, ly - px * 0.35f}, {lx + swatch, ly - px * 0.35f}}, lw, s->colour, s->dashed ? 4.0 * scale : 0);
            text(img, lx + swatch + px * 0.4f, ly, s->label, px, kInk);
            lx += swatch + px * 0.4f + text_w(s->label, px) + gap;
        }
        ly += px * 1.5f;
    }
    return img;
}

RgbaImage render_heatmap_figures(const HeatmapFigures& f, int width, int height, int scale) {
    check_size(width, height, scale);
    if (f.panels.empty()) throw std::invalid_argument("figure: no heatmap");
    for (const HeatmapFigure& p : f.panels)
        if (p.rows <= 0 || p.cols <= 0 || p.data.size() != static_cast<std::size_t>(p.rows) * p.cols)
            throw std::invalid_argument("figure: a heatmap's data is not rows x cols");
    const int W = width * scale, H = height * scale;
    RgbaImage img(W, H);
    const float px = 13.0f * static_cast<float>(scale), title_px = 15.0f * static_cast<float>(scale);
    float row_w = 0;
    for (const HeatmapFigure& p : f.panels)
        for (const std::string& l : p.row_labels) row_w = std::max(row_w, static_cast<float>(text_w(l, px)));
    const float top = (f.title.empty() ? px : title_px * 1.9f) + px * 1.6f;  // (a panel's title row)
    const float left = row_w + px * 0.8f + (f.y_label.empty() ? 0 : px * 1.6f) + px * 0.4f;
    const float bottom = px * 1.8f + (f.x_label.empty() ? 0 : px * 1.5f) + px * 0.5f;
    const float bar_w = px * 1.1f;
    std::vector<double> bt = nice_ticks(f.vmin, f.vmax, 5);
    float bt_w = 0;
    for (double v : bt) bt_w = std::max(bt_w, static_cast<float>(text_w(format_tick(v), px)));
    const float right = px * 1.2f + bar_w + px * 0.5f + bt_w + (f.value_label.empty() ? 0 : px * 1.8f);
    const int n = static_cast<int>(f.panels.size());
    const float gapx = px * 1.5f;
    const float pw = (static_cast<float>(W) - left - right - gapx * static_cast<float>(n - 1)) / static_cast<float>(n);
    const float ay0 = top, ay1 = static_cast<float>(H) - bottom;
    if (pw < px * 3 || ay1 - ay0 < px * 3) throw std::invalid_argument("figure: too small for its labels");
    for (int k = 0; k < n; ++k) {
        const HeatmapFigure& p = f.panels[k];
        const float x0 = left + static_cast<float>(k) * (pw + gapx), x1 = x0 + pw;
        // Cells, nearest sampling at the pixels they cover.
        for (int y = static_cast<int>(ay0); y < static_cast<int>(ay1); ++y) {
            const int r = std::clamp(static_cast<int>((y + 0.5f - ay0) / (ay1 - ay0) * p.rows), 0, p.rows - 1);
            for (int x = static_cast<int>(x0); x < static_cast<int>(x1); ++x) {
                const int c = std::clamp(static_cast<int>((x + 0.5f - x0) / pw * p.cols), 0, p.cols - 1);
                const double v = p.data[static_cast<std::size_t>(r) * p.cols + c];
                if (!std::isfinite(v)) {  // (no value: a cell not run yet, or diverged)
                    img.fill_rect(x, y, x + 1, y + 1, Rgba{232, 232, 236, 255});
                    continue;
                }
                const auto rgb = colormap_rgb(f.map, static_cast<float>(v), static_cast<float>(f.vmin), static_cast<float>(f.vmax));
                img.fill_rect(x, y, x + 1, y + 1,
                              Rgba{static_cast<std::uint8_t>(rgb[0] * 255), static_cast<std::uint8_t>(rgb[1] * 255), static_cast<std::uint8_t>(rgb[2] * 255), 255});
            }
        }
        line(img, x0, ay0, x1, ay0, scale, kFrame);
        line(img, x0, ay1, x1, ay1, scale, kFrame);
        line(img, x0, ay0, x0, ay1, scale, kFrame);
        line(img, x1, ay0, x1, ay1, scale, kFrame);
        if (!p.title.empty()) text(img, x0, ay0 - px * 0.5f, p.title, px, kInk);
        // Column labels, thinned so that they never touch.
        if (!p.col_labels.empty()) {
            float widest = 0;
            for (const std::string& l : p.col_labels) widest = std::max(widest, static_cast<float>(text_w(l, px)));
            const int every = std::max(1, static_cast<int>(std::ceil((widest + px) / (pw / p.cols))));
            for (int c = 0; c < p.cols && c < static_cast<int>(p.col_labels.size()); c += every) {
                const float cx = x0 + (c + 0.5f) * pw / p.cols;
                text(img, cx - text_w(p.col_labels[c], px) / 2.0f, ay1 + px * 1.35f, p.col_labels[c], px, kMuted);
                line(img, cx, ay1, cx, ay1 + px * 0.3f, scale, kFrame);
            }
        }
        if (k == 0 && !p.row_labels.empty()) {
            const int every = std::max(1, static_cast<int>(std::ceil(px * 1.3f / ((ay1 - ay0) / p.rows))));
            for (int r = 0; r < p.rows && r < static_cast<int>(p.row_labels.size()); r += every) {
                const float cy = ay0 + (r + 0.5f) * (ay1 - ay0) / p.rows;
                text(img, x0 - px * 0.5f - text_w(p.row_labels[r], px), cy + px * 0.35f, p.row_labels[r], px, kMuted);
            }
        }
    }
    // The colour bar and its ticks.
    const float bx0 = static_cast<float>(W) - right + px * 1.2f, bx1 = bx0 + bar_w;
    for (int y = static_cast<int>(ay0); y < static_cast<int>(ay1); ++y) {
        const double v = f.vmax - (y + 0.5 - ay0) / (ay1 - ay0) * (f.vmax - f.vmin);
        const auto rgb = colormap_rgb(f.map, static_cast<float>(v), static_cast<float>(f.vmin), static_cast<float>(f.vmax));
        img.fill_rect(static_cast<int>(bx0), y, static_cast<int>(bx1), y + 1,
                      Rgba{static_cast<std::uint8_t>(rgb[0] * 255), static_cast<std::uint8_t>(rgb[1] * 255), static_cast<std::uint8_t>(rgb[2] * 255), 255});
    }
    for (double v : bt) {
        if (!(f.vmax > f.vmin)) break;
        const float y = static_cast<float>(ay1 - (v - f.vmin) / (f.vmax - f.vmin) * (ay1 - ay0));
        line(img, bx1, y, bx1 + px * 0.3f, y, scale, kFrame);
        text(img, bx1 + px * 0.5f, y + px * 0.35f, format_tick(v), px, kMuted);
    }
    if (!f.value_label.empty())
        text(img, static_cast<float>(W) - px * 0.6f, (ay0 + ay1) / 2 + text_w(f.value_label, px) / 2.0f, f.value_label, px, kInk, true);
    if (!f.title.empty()) text(img, px, title_px * 1.3f, f.title, title_px, kInk);
    if (!f.x_label.empty()) text(img, left + (static_cast<float>(W) - left - right) / 2 - text_w(f.x_label, px) / 2.0f, static_cast<float>(H) - px * 0.6f, f.x_label, px, kInk);
    if (!f.y_label.empty()) text(img, px * 1.3f, (ay0 + ay1) / 2 + text_w(f.y_label, px) / 2.0f, f.y_label, px, kInk, true);
    return img;
}

std::string line_figure_csv(const LineFigure& f) {
    std::string out = csv_field(f.x_label.empty() ? "x" : f.x_label);
    for (const FigureSeries& s : f.series) out += "," + csv_field(s.label);
    out += "\n";
    // Every x of any series, in order; each series' value at it (its last value there), or empty.
    std::map<double, std::vector<double>> rows;
    for (std::size_t k = 0; k < f.series.size(); ++k) {
        const FigureSeries& s = f.series[k];
        for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            if (!std::isfinite(s.x[i])) continue;
            auto& row = rows[s.x[i]];
            if (row.empty()) row.assign(f.series.size(), std::numeric_limits<double>::quiet_NaN());
            row[k] = s.y[i];
        }
    }
    for (const auto& [x, ys] : rows) {
        out += number(x);
        for (std::size_t k = 0; k < ys.size(); ++k) {
            out += ",";
            // (A NaN the series holds is written as nan; a series with no point at this x leaves the cell empty.)
            bool has = false;
            const FigureSeries& s = f.series[k];
            for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()) && !has; ++i) has = s.x[i] == x;
            if (has) out += number(ys[k]);
        }
        out += "\n";
    }
    return out;
}

std::string heatmap_figures_csv(const HeatmapFigures& f) {
    std::string out;
    for (const HeatmapFigure& p : f.panels) {
        if (!out.empty()) out += "\n";
        out += csv_field((p.title.empty() ? f.title : p.title) + " (" + (f.y_label.empty() ? "row" : f.y_label) + " \\ " +
                         (f.x_label.empty() ? "column" : f.x_label) + ")");
        for (int c = 0; c < p.cols; ++c) out += "," + csv_field(c < static_cast<int>(p.col_labels.size()) ? p.col_labels[c] : std::to_string(c));
        out += "\n";
        for (int r = 0; r < p.rows; ++r) {
            out += csv_field(r < static_cast<int>(p.row_labels.size()) ? p.row_labels[r] : std::to_string(r));
            for (int c = 0; c < p.cols; ++c) out += "," + number(p.data[static_cast<std::size_t>(r) * p.cols + c]);
            out += "\n";
        }
    }
    return out;
}

void write_figure(const std::string& stem, const RgbaImage& img, const std::string& csv) {
    const std::filesystem::path parent = std::filesystem::path(stem).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw IoError("cannot make the folder '" + parent.string() + "': " + ec.message());
    write_png_file(stem + ".png", img);
    write_file_atomic(stem + ".csv", csv);
}

}  // namespace snapscope
