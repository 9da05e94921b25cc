#include "plot.hpp"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace snapscope::gui {


std::vector<ImVec2> simplify_polyline(const std::vector<ImVec2>& pts, float tol) {
    if (pts.size() <= 2 || !(tol > 0)) return pts;
    std::vector<ImVec2> out;
    out.reserve(pts.size() / 4 + 2);
    auto finite = [](ImVec2 p) { return std::isfinite(p.x) && std::isfinite(p.y); };
    std::size_t i = 0;
    while (i < pts.size()) {
        // A run of finite points starting at i.
        if (!finite(pts[i])) {
            out.push_back(pts[i++]);
            continue;
        }
        std::size_t end = i;
        while (end < pts.size() && finite(pts[end])) ++end;
        // Sleeve fit over [i, end): from the anchor A, the directions that pass within tol of every point since A form
        // an angular window; a point whose direction leaves the window ends the segment at the previous point.
        std::size_t anchor = i;
        out.push_back(pts[anchor]);
        while (anchor + 1 < end) {
            const double ax = pts[anchor].x, ay = pts[anchor].y;
            double lo = -1e300, hi = 1e300, ref = 0;  // window of angles relative to `ref`
            double reach = 0;                         // the farthest point from A so far: the segment must reach it
            bool have_ref = false;
            std::size_t last_ok = anchor + 1, k = anchor + 1;
            for (; k < end; ++k) {
                const double dx = pts[k].x - ax, dy = pts[k].y - ay, d = std::hypot(dx, dy);
                if (!std::isfinite(d)) break;
                if (d + tol < reach) break;  // the segment A -> k would stop short of an earlier point
                reach = std::max(reach, d);
                if (d <= tol) {  // within tol of the anchor: any direction will do
                    last_ok = k;
                    continue;
                }
                double th = std::atan2(dy, dx);
                if (!have_ref) {
                    ref = th;
                    have_ref = true;
                }
                th = std::remainder(th - ref, 6.283185307179586);  // relative to the first direction, in (-pi, pi]
                if (th < lo || th > hi) break;            // the segment A -> k would pass a point by more than tol
                const double half = std::asin(std::min(1.0, tol / d));
                lo = std::max(lo, th - half);
                hi = std::min(hi, th + half);
                last_ok = k;
            }
            if (k == end) last_ok = end - 1;
            out.push_back(pts[last_ok]);
            anchor = last_ok;
        }
        i = end;
    }
    return out;
}

std::vector<std::pair<std::size_t, std::size_t>> polyline_pieces(const std::vector<ImVec2>& pts) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t start = 0;
    for (std::size_t k = 1; k + 1 < pts.size(); ++k) {
        const double ax = pts[k].x - pts[k - 1].x, ay = pts[k].y - pts[k - 1].y;
        const double bx = pts[k + 1].x - pts[k].x, by = pts[k + 1].y - pts[k].y;
        const double dot = ax * bx + ay * by, na = std::hypot(ax, ay), nb = std::hypot(bx, by);
        // A turn of more than 120 degrees (cos < -0.5) ends the piece at k; the next starts there.
        if (na > 0 && nb > 0 && dot < -0.5 * na * nb) {
            out.emplace_back(start, k + 1);
            start = k;
        }
    }
    if (pts.size() >= 2) out.emplace_back(start, pts.size());
    return out;
}

std::vector<ImVec2> decimate(const std::vector<double>& x, const std::vector<double>& yin, double x0, double x1, int columns,
                             bool log_y) {
    std::vector<ImVec2> out;
    const std::size_t n = std::min(x.size(), yin.size());
    if (n == 0 || columns <= 0 || !(x1 > x0) || !std::isfinite(x0) || !std::isfinite(x1)) return out;
    auto yv = [&](std::size_t i) {
        const double v = log_y ? (yin[i] > 0 ? std::log10(yin[i]) : NAN) : yin[i];
        return std::isfinite(v) ? v : NAN;
    };
    const double w = (x1 - x0) / columns;
    std::size_t i = std::lower_bound(x.begin(), x.begin() + n, x0) - x.begin();
    if (i > 0) --i;  // include the point just left of the view so the line enters it
    while (i < n) {
        const double col = std::floor((x[i] - x0) / w);
        const double col_end = x0 + (col + 1) * w;
        std::size_t j = i;
        double first = yv(i), last = first, mn = first, mx = first;
        std::size_t imn = i, imx = i;
        while (j + 1 < n && x[j + 1] < col_end) {
            ++j;
            const double v = yv(j);
            if (std::isnan(v)) continue;
            last = v;
            if (!(v >= mn)) { mn = v; imn = j; }
            if (!(v <= mx)) { mx = v; imx = j; }
        }
        if (!std::isnan(first)) out.emplace_back(static_cast<float>(x[i]), static_cast<float>(first));
        if (j > i) {
            // Extremes in the order they occur, then the column's last point.
            if (imn < imx) {
                if (imn != i && !std::isnan(mn)) out.emplace_back(static_cast<float>(x[imn]), static_cast<float>(mn));
                if (imx != i && !std::isnan(mx)) out.emplace_back(static_cast<float>(x[imx]), static_cast<float>(mx));
            } else {
                if (imx != i && !std::isnan(mx)) out.emplace_back(static_cast<float>(x[imx]), static_cast<float>(mx));
                if (imn != i && !std::isnan(mn)) out.emplace_back(static_cast<float>(x[imn]), static_cast<float>(mn));
            }
            if (!std::isnan(last)) out.emplace_back(static_cast<float>(x[j]), static_cast<float>(last));
        }
        if (x[j] > x1) break;
        i = j + 1;
    }
    return out;
}

namespace {

// Clips the segment a-b to the rectangle (Liang-Barsky); false if nothing is left.
bool clip_segment(double& ax, double& ay, double& bx, double& by, const ImVec4& r) {
    const double dx = bx - ax, dy = by - ay;
    double t0 = 0, t1 = 1;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - r.x, r.z - ax, ay - r.y, r.w - ay};
    for (int k = 0; k < 4; ++k) {
        if (p[k] == 0) {
            if (q[k] < 0) return false;
            continue;
        }
        const double t = q[k] / p[k];
        if (p[k] < 0) t0 = std::max(t0, t);
        else t1 = std::min(t1, t);
        if (t0 > t1) return false;
    }
    bx = ax + t1 * dx;
    by = ay + t1 * dy;
    ax = ax + t0 * dx;
    ay = ay + t0 * dy;
    return true;
}

}  // namespace

std::vector<std::pair<ImVec2, ImVec2>> dash_segments(const std::vector<ImVec2>& pts, float on_in, float off_in, ImVec4 clip,
                                                      std::size_t max_segments) {
    std::vector<std::pair<ImVec2, ImVec2>> out;
    // At least half a pixel each, so every state change advances along the line.
    const double on = std::isfinite(on_in) ? std::clamp<double>(on_in, 0.5, 1e4) : 6.0;
    const double off = std::isfinite(off_in) ? std::clamp<double>(off_in, 0.5, 1e4) : 4.0;
    if (!(clip.z > clip.x) || !(clip.w > clip.y) || !std::isfinite(clip.x) || !std::isfinite(clip.y) || !std::isfinite(clip.z) ||
        !std::isfinite(clip.w))
        return out;
    bool drawing = true;  // state of the dash pattern
    double rem = on;      // length left in the current state
    for (std::size_t k = 1; k < pts.size() && out.size() < max_segments; ++k) {
        double ax = pts[k - 1].x, ay = pts[k - 1].y, bx = pts[k].x, by = pts[k].y;
        if (!std::isfinite(ax) || !std::isfinite(ay) || !std::isfinite(bx) || !std::isfinite(by)) {
            drawing = true;  // a gap in the data restarts the pattern
            rem = on;
            continue;
        }
        if (!clip_segment(ax, ay, bx, by, clip)) continue;
        const double len = std::hypot(bx - ax, by - ay);
        if (!(len > 0)) continue;
        const double ux = (bx - ax) / len, uy = (by - ay) / len;
        double t = 0;
        // Each pass either finishes the segment or uses up `rem` (>= 0.5 px): at most 2 len / 0.5 + 2 passes.
        while (t < len && out.size() < max_segments) {
            const double d = std::min(rem, len - t);
            if (drawing && d > 0)
                out.emplace_back(ImVec2(static_cast<float>(ax + ux * t), static_cast<float>(ay + uy * t)),
                                 ImVec2(static_cast<float>(ax + ux * (t + d)), static_cast<float>(ay + uy * (t + d))));
            t += d;
            rem -= d;
            if (rem <= 1e-9) {
                drawing = !drawing;
                rem = drawing ? on : off;
            }
        }
    }
    return out;
}

std::vector<int> place_labels(const std::vector<float>& xs, const std::vector<float>& widths, float gap, int rows) {
    std::vector<int> row(xs.size(), -1);
    std::vector<float> right(static_cast<std::size_t>(std::max(rows, 0)), -FLT_MAX);  // right edge of the last label per row
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(widths[i])) continue;
        const float left = xs[i] - widths[i] / 2;
        for (int r = 0; r < rows; ++r)
            if (left >= right[r] + gap) {
                row[i] = r;
                right[r] = xs[i] + widths[i] / 2;
                break;
            }
    }
    return row;
}

namespace {

// A dotted vertical line from y0 to y1: a counted loop.
void dotted_vline(ImDrawList* dl, float x, float y0, float y1, ImU32 col, float px) {
    const float step = 6 * px;
    const int n = std::clamp(static_cast<int>((y1 - y0) / step) + 1, 0, 2000);
    for (int i = 0; i < n; ++i) {
        const float y = y0 + i * step;
        dl->AddLine(ImVec2(x, y), ImVec2(x, std::min(y + 3 * px, y1)), col, 1.5f * px);
    }
}

}  // namespace

std::vector<LegendEntry> legend_layout(const std::vector<PlotSeries>& series, float width, bool figure, const PlotState* state) {
    std::vector<LegendEntry> out;
    const ImGuiStyle& st = ImGui::GetStyle();
    float x = 0;  // where the row's next entry would start
    for (const auto& s : series) {
        if (!s.in_legend) continue;
        const std::string& key = s.group.empty() ? s.label : s.group;
        bool dup = false;
        for (const auto& e : out) dup = dup || e.key == key;
        if (dup) continue;
        if (figure && state) {
            const auto it = state->hidden.find(key);
            if (it != state->hidden.end() && it->second) continue;
        }
        const float w = ImGui::CalcTextSize(key.c_str()).x + (figure ? 0.f : 2 * st.FramePadding.x);
        const bool new_row = out.empty() || x + w > width;
        if (new_row) x = 0;
        x += w + st.ItemSpacing.x;
        out.push_back({&s, key, new_row});
    }
    return out;
}

int legend_rows(const std::vector<PlotSeries>& series, float width, bool figure) {
    int rows = 0;
    for (const auto& e : legend_layout(series, width, figure, nullptr)) rows += e.new_row;
    return rows;
}

PlotResult plot_lines(const char* id, const std::vector<PlotSeries>& series, PlotState& state, const PlotOptions& opt) {
    PlotResult res;
    ImGui::PushID(id);
    const float font = ImGui::GetFontSize();
    const float px = std::max(1.0f, font / 15.0f);  // line widths follow the font (sharp 2x/4x exports)
    ImVec2 size = opt.size;
    if (size.x <= 0) size.x = std::max(50.f, ImGui::GetContentRegionAvail().x + size.x);
    if (size.y <= 0) size.y = std::max(50.f, ImGui::GetContentRegionAvail().y + size.y);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("plot", size);
    const bool hovered = !opt.figure && ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();

    auto key_of = [](const PlotSeries& s) -> const std::string& { return s.group.empty() ? s.label : s.group; };
    auto is_hidden = [&](const PlotSeries& s) {
        auto it = state.hidden.find(key_of(s));
        return it != state.hidden.end() && it->second;
    };

    // Data range over visible series (finite values only).
    double xmin = DBL_MAX, xmax = -DBL_MAX, ymin = DBL_MAX, ymax = -DBL_MAX;
    for (const auto& s : series) {
        if (is_hidden(s)) continue;
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            const double v = opt.log_y ? (s.y[i] > 0 ? std::log10(s.y[i]) : NAN) : s.y[i];
            if (!std::isfinite(v) || !std::isfinite(s.x[i])) continue;
            xmin = std::min(xmin, s.x[i]);
            xmax = std::max(xmax, s.x[i]);
            ymin = std::min(ymin, v);
            ymax = std::max(ymax, v);
        }
    }
    if (xmin > xmax) { xmin = 0; xmax = 1; }
    if (!(xmax - xmin > std::max(1e-12, std::abs(xmin) * 1e-12))) xmax = xmin + std::max(1.0, std::abs(xmin) * 1e-6);
    if (opt.fixed_y) {
        ymin = opt.log_y ? std::log10(std::max(opt.y_min, 1e-300)) : opt.y_min;
        ymax = opt.log_y ? std::log10(std::max(opt.y_max, 1e-300)) : opt.y_max;
    }
    if (ymin > ymax) { ymin = 0; ymax = 1; }
    if (!(ymax - ymin > std::max(1e-12, std::abs(ymin) * 1e-12))) {
        const double h = std::max(0.5, std::abs(ymin) * 1e-6);
        ymin -= h;
        ymax += h;
    }
    if (!std::isfinite(ymax - ymin)) { ymin = -1e300; ymax = 1e300; }
    const double pad = (ymax - ymin) * 0.05;
    if (!opt.fixed_y) { ymin -= pad; ymax += pad; }

    // Layout: the unit and marker labels above the plot area, y tick labels on the left, x tick labels and the
    // x axis label below.
    const float left = font * 4.2f, bottom = font * 2.6f, top = font * 1.4f, right = font * 0.8f;
    const ImVec2 a{p0.x + left, p0.y + top}, b{p0.x + size.x - right, p0.y + size.y - bottom};
    if (opt.record) (*opt.record)[std::string("plot.") + id] = ImVec4(a.x, a.y, b.x, b.y);
    const float W = std::max(1.f, b.x - a.x), H = std::max(1.f, b.y - a.y);
    auto sx = [&](double x) { return static_cast<float>(a.x + (x - xmin) / (xmax - xmin) * W); };
    auto sy = [&](double y) { return static_cast<float>(b.y - (y - ymin) / (ymax - ymin) * H); };
    const ImU32 grid = ImGui::GetColorU32(ImGuiCol_Border, 0.5f), text = ImGui::GetColorU32(ImGuiCol_Text),
                dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGuiCol_FrameBg));
    dl->PushClipRect(p0, ImVec2(p0.x + size.x, p0.y + size.y), true);

    // x ticks: labels kept inside the widget and apart from each other.
    {
        float last_right = -FLT_MAX;
        for (double t : nice_ticks(xmin, xmax, std::max(2, static_cast<int>(W / (font * 5))))) {
            const float x = sx(t);
            dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), grid, px);
            const std::string s = format_tick(t);
            const float w = ImGui::CalcTextSize(s.c_str()).x;
            const float lx = std::clamp(x - w / 2, p0.x, p0.x + size.x - w);
            if (lx < last_right + font * 0.6f) continue;
            dl->AddText(ImVec2(lx, b.y + 2), dim, s.c_str());
            last_right = lx + w;
        }
    }
    // y ticks.
    const int y_fit = std::max(2, static_cast<int>(H / (font * 1.5f)));
    const std::vector<double> yt = opt.log_y ? log_ticks(ymin, ymax, y_fit) : nice_ticks(ymin, ymax, std::max(2, static_cast<int>(H / (font * 2.2f))));
    if (opt.log_y)  // faint lines at every decade in view (between labelled ticks)
        for (double e = std::ceil(ymin), k = 0; e <= ymax && k < 60; e += 1, ++k) dl->AddLine(ImVec2(a.x, sy(e)), ImVec2(b.x, sy(e)), grid & 0x60FFFFFF, px);
    {
        float last_top = FLT_MAX;
        for (double t : yt) {
            const float y = sy(t);
            dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), grid, px);
            char buf[32];
            if (opt.log_y) {
                // One style on the axis: plain numbers from 0.001 to 10^4, powers of ten beyond.
                const bool plain = ymin >= -3.5 && ymax <= 4.5;
                if (!plain && std::abs(t - std::round(t)) < 1e-9) std::snprintf(buf, sizeof buf, "1e%d", static_cast<int>(std::lround(t)));
                else if (!plain) std::snprintf(buf, sizeof buf, "%.0e", std::pow(10.0, t));
                else std::snprintf(buf, sizeof buf, "%g", std::pow(10.0, t));
            }
            const std::string s = opt.log_y ? std::string(buf) : format_tick(t);
            const ImVec2 ts = ImGui::CalcTextSize(s.c_str());
            const float ly = std::clamp(y - ts.y / 2, a.y - ts.y / 2, b.y - ts.y / 2);
            if (ly + ts.y > last_top - 1) continue;  // ticks go upwards: keep the labels apart
            dl->AddText(ImVec2(a.x - ts.x - 4, ly), dim, s.c_str());
            last_top = ly;
        }
    }
    if (opt.x_label && *opt.x_label) {
        const ImVec2 ts = ImGui::CalcTextSize(opt.x_label);
        dl->AddText(ImVec2((a.x + b.x - ts.x) / 2, b.y + font * 1.25f), text, opt.x_label);
    }
    // The unit sits above the y axis, outside the data.
    if (opt.y_label && *opt.y_label) dl->AddText(ImVec2(p0.x + 2, p0.y), dim, opt.y_label);

    // Event markers (labels in the margin above the plot, in as many rows as fit; the rest on hover) and the lab's mark.
    {
        std::vector<float> xs, ws;
        std::vector<std::size_t> which;
        static const std::vector<double> no_markers;
        static const std::vector<std::string> no_labels;
        const std::vector<double>& markers = opt.markers ? *opt.markers : no_markers;
        const std::vector<std::string>& labels = opt.marker_labels ? *opt.marker_labels : no_labels;
        // One marker per bucket of a few pixels (the last one given there): 10^5 events draw as many lines as the
        // plot has room for, not 10^5 dotted lines.
        const float bucket_px = 3 * px;
        const int buckets = std::clamp(static_cast<int>(W / bucket_px) + 1, 1, 16384);
        std::vector<std::size_t> last(static_cast<std::size_t>(buckets), SIZE_MAX);
        for (std::size_t k = 0; k < markers.size(); ++k) {
            const double m = markers[k];
            if (!(m >= xmin && m <= xmax)) continue;
            const int bkt = std::clamp(static_cast<int>((sx(m) - a.x) / bucket_px), 0, buckets - 1);
            last[static_cast<std::size_t>(bkt)] = k;
        }
        for (std::size_t k : last) {
            if (k == SIZE_MAX) continue;
            const float x = sx(markers[k]);
            dotted_vline(dl, x, a.y, b.y, IM_COL32(255, 200, 60, 200), px);
            if (k < labels.size()) {
                xs.push_back(x);
                ws.push_back(ImGui::CalcTextSize(labels[k].c_str()).x);
                which.push_back(k);
            }
        }
        const float unit_w = opt.y_label && *opt.y_label ? ImGui::CalcTextSize(opt.y_label).x + font : 0;
        // The lab's mark takes its place first (one row of the margin).
        if (std::isfinite(opt.mark_x) && opt.mark_x >= xmin && opt.mark_x <= xmax) {
            const float x = sx(opt.mark_x);
            dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), IM_COL32(80, 220, 255, 200), 1.5f * px);
            xs.insert(xs.begin(), x);
            ws.insert(ws.begin(), ImGui::CalcTextSize(opt.mark_label).x);
            which.insert(which.begin(), SIZE_MAX);
        }
        // Keep the labels clear of the unit text at the left.
        std::vector<std::size_t> order(xs.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return xs[i] < xs[j]; });
        std::vector<float> sxs, sws;
        sxs.push_back(p0.x + unit_w / 2);
        sws.push_back(unit_w);
        for (std::size_t i : order) {
            sxs.push_back(std::clamp(xs[i], p0.x + ws[i] / 2, p0.x + size.x - ws[i] / 2));
            sws.push_back(ws[i]);
        }
        const std::vector<int> rows = place_labels(sxs, sws, font * 0.4f, 1);
        for (std::size_t n = 1; n < sxs.size(); ++n) {
            if (rows[n] < 0) continue;
            const std::size_t i = order[n - 1];
            const bool mark = which[i] == SIZE_MAX;
            dl->AddText(ImVec2(sxs[n] - ws[i] / 2, p0.y), mark ? IM_COL32(80, 220, 255, 230) : IM_COL32(255, 200, 60, 230),
                        mark ? opt.mark_label : labels[which[i]].c_str());
        }
    }

    // Series: the highlighted one (legend hover) on top, the others faded.
    dl->PushClipRect(a, b, true);
    const int columns = std::clamp(static_cast<int>(W), 1, 16384);
    const ImVec4 clip(a.x, a.y, b.x, b.y);
    auto draw_series = [&](const PlotSeries& s, bool faded, bool bold) {
        std::vector<ImVec2> pts = decimate(s.x, s.y, xmin, xmax, columns, opt.log_y);
        for (auto& p : pts) p = ImVec2(sx(p.x), sy(p.y));
        pts = simplify_polyline(pts, 0.25f * px);
        const ImU32 col = faded ? (s.color & 0x00FFFFFF) | (static_cast<ImU32>(((s.color >> 24) & 0xFF) * 0.25f) << 24) : s.color;
        const float th = s.thickness * px * (bold ? 1.8f : 1.0f);
        if (pts.size() == 1) {
            dl->AddCircleFilled(pts[0], th * 1.5f, col);
        } else if (s.dashed) {
            for (const auto& [p, q] : dash_segments(pts, 6.f * px, 4.f * px, clip, 50000)) dl->AddLine(p, q, col, th);
        } else if (pts.size() > 1) {
            // Drawn in pieces that never turn back sharply: ImGui's joins of a polyline that reverses (a noisy curve
            // decimated to each pixel column's extremes zigzags) collapse to slivers, and the curve showed as specks.
            for (const auto& [from, to] : polyline_pieces(pts)) dl->AddPolyline(pts.data() + from, static_cast<int>(to - from), col, 0, th);
        }
    };
    const bool any_highlight = !state.highlight.empty();
    for (const auto& s : series)
        if (!is_hidden(s) && !(any_highlight && key_of(s) == state.highlight)) draw_series(s, any_highlight, false);
    for (const auto& s : series)
        if (!is_hidden(s) && any_highlight && key_of(s) == state.highlight) draw_series(s, false, true);
    if (std::isfinite(opt.cursor_x) && opt.cursor_x >= xmin && opt.cursor_x <= xmax) {
        const float x = sx(opt.cursor_x);
        dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), IM_COL32(255, 255, 255, 160), 1.5f * px);
    }
    dl->PopClipRect();

    // Hover readout.
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    if (hovered && mouse.x >= a.x && mouse.x <= b.x) {
        res.hovered = true;
        res.hover_x = xmin + (mouse.x - a.x) / W * (xmax - xmin);
        dl->AddLine(ImVec2(mouse.x, a.y), ImVec2(mouse.x, b.y), IM_COL32(200, 200, 200, 90));
        if (ImGui::IsMouseClicked(0)) {
            res.clicked = true;
            res.clicked_x = res.hover_x;
        }
        ImGui::BeginTooltip();
        bool header = false;
        int shown = 0;
        for (const auto& s : series) {
            if (is_hidden(s) || s.x.empty()) continue;
            auto it = std::lower_bound(s.x.begin(), s.x.end(), res.hover_x);
            std::size_t i = it == s.x.end() ? s.x.size() - 1 : static_cast<std::size_t>(it - s.x.begin());
            if (i > 0 && std::abs(s.x[i - 1] - res.hover_x) < std::abs(s.x[i] - res.hover_x)) --i;
            if (!header) {
                ImGui::Text("%s %s", opt.x_label ? opt.x_label : "x", format_tick(s.x[i]).c_str());
                header = true;
            }
            if (++shown > 24) {
                ImGui::TextDisabled("...");
                break;
            }
            ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(s.color), ImGuiColorEditFlags_NoTooltip, ImVec2(font * 0.7f, font * 0.7f));
            ImGui::SameLine();
            ImGui::Text("%s: %.6g", s.label.c_str(), i < s.y.size() ? s.y[i] : NAN);
        }
        // Events near the mouse (their labels may not have fitted above the plot).
        const double near = (xmax - xmin) / W * font;
        if (opt.markers && opt.marker_labels) {
            const std::vector<double>& mk = *opt.markers;
            const std::vector<std::string>& lb = *opt.marker_labels;
            std::size_t near_count = 0;
            for (std::size_t k = 0; k < mk.size() && k < lb.size(); ++k)
                if (std::abs(mk[k] - res.hover_x) <= near && ++near_count <= 8)
                    ImGui::TextColored(ImVec4(1.f, 0.8f, 0.25f, 1), "step %s: %s", format_tick(mk[k]).c_str(), lb[k].c_str());
            if (near_count > 8) ImGui::TextDisabled("... and %zu more changes here", near_count - 8);
        }
        ImGui::EndTooltip();
    }
    dl->PopClipRect();

    // Legend: click an entry to show or hide it; hover it to bring its series to the front.
    std::string highlight;
    if (opt.legend) {
        for (const LegendEntry& e : legend_layout(series, size.x, opt.figure, &state)) {
            const PlotSeries& s = *e.series;
            const std::string& key = e.key;
            const bool hid = is_hidden(s);
            if (!e.new_row) ImGui::SameLine();
            if (opt.figure) {
                ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(s.color), "%s", key.c_str());
                continue;
            }
            ImGui::PushStyleColor(ImGuiCol_Text, hid ? dim : s.color);
            if (ImGui::SmallButton((key + "##lg").c_str())) state.hidden[key] = !hid;
            ImGui::PopStyleColor();
            if (opt.record)
                (*opt.record)["curve." + key] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("Click to %s '%s'", hid ? "show" : "hide", key.c_str());
                if (!hid) highlight = key;
            }
        }
    }
    if (!opt.figure) state.highlight = highlight;
    ImGui::PopID();
    return res;
}

}  // namespace snapscope::gui
