#include "plot.hpp"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace snapscope::gui {

std::vector<double> nice_ticks(double lo, double hi, int target_count) {
    std::vector<double> t;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return t;
    const double raw = (hi - lo) / std::max(1, target_count);
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    double step = p;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= raw) { step = m * p; break; }
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return t;
}

std::string format_tick(double v) {
    char buf[32];
    const double a = std::abs(v);
    if (a != 0 && (a >= 1e5 || a < 1e-3)) std::snprintf(buf, sizeof buf, "%.0e", v);
    else std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::vector<ImVec2> decimate(const std::vector<double>& x, const std::vector<double>& yin, double x0, double x1, int columns,
                             bool log_y) {
    std::vector<ImVec2> out;
    const std::size_t n = std::min(x.size(), yin.size());
    if (n == 0 || columns <= 0 || !(x1 > x0)) return out;
    auto yv = [&](std::size_t i) { return log_y ? (yin[i] > 0 ? std::log10(yin[i]) : NAN) : yin[i]; };
    const double w = (x1 - x0) / columns;
    std::size_t i = std::lower_bound(x.begin(), x.begin() + n, x0) - x.begin();
    if (i > 0) --i;  // include the point just left of the view so the line enters it
    while (i < n) {
        const int col = static_cast<int>(std::floor((x[i] - x0) / w));
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
                if (imn != i) out.emplace_back(static_cast<float>(x[imn]), static_cast<float>(mn));
                if (imx != i) out.emplace_back(static_cast<float>(x[imx]), static_cast<float>(mx));
            } else {
                if (imx != i) out.emplace_back(static_cast<float>(x[imx]), static_cast<float>(mx));
                if (imn != i) out.emplace_back(static_cast<float>(x[imn]), static_cast<float>(mn));
            }
            if (!std::isnan(last)) out.emplace_back(static_cast<float>(x[j]), static_cast<float>(last));
        }
        if (x[j] > x1) break;
        i = j + 1;
    }
    return out;
}

namespace {

void dashed_polyline(ImDrawList* dl, const std::vector<ImVec2>& pts, ImU32 col, float th, float px) {
    const float on = 6.f * px, off = 4.f * px;
    float phase = 0;
    for (std::size_t k = 1; k < pts.size(); ++k) {
        ImVec2 a = pts[k - 1];
        const ImVec2 b = pts[k];
        float len = std::sqrt((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y));
        if (len <= 0) continue;
        const ImVec2 d{(b.x - a.x) / len, (b.y - a.y) / len};
        while (len > 0) {
            const float period = on + off;
            const float in = std::fmod(phase, period);
            const float seg = std::min(len, in < on ? on - in : period - in);
            const ImVec2 e{a.x + d.x * seg, a.y + d.y * seg};
            if (in < on) dl->AddLine(a, e, col, th);
            phase += seg;
            len -= seg;
            a = e;
        }
    }
}

}  // namespace

PlotResult plot_lines(const char* id, const std::vector<PlotSeries>& series, PlotState& state, const PlotOptions& opt) {
    PlotResult res;
    ImGui::PushID(id);
    const ImGuiStyle& style = ImGui::GetStyle();
    const float font = ImGui::GetFontSize();
    const float px = std::max(1.0f, font / 15.0f);  // line widths follow the font (sharp 2x/4x exports)
    ImVec2 size = opt.size;
    if (size.x <= 0) size.x = std::max(50.f, ImGui::GetContentRegionAvail().x + size.x + (size.x < 0 ? 0 : 0));
    if (size.y <= 0) size.y = std::max(50.f, ImGui::GetContentRegionAvail().y + size.y);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("plot", size);
    const bool hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();

    // Data range over visible series.
    double xmin = DBL_MAX, xmax = -DBL_MAX, ymin = DBL_MAX, ymax = -DBL_MAX;
    for (const auto& s : series) {
        const std::string& key = s.group.empty() ? s.label : s.group;
        if (state.hidden[key]) continue;
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            const double v = opt.log_y ? (s.y[i] > 0 ? std::log10(s.y[i]) : NAN) : s.y[i];
            if (!std::isfinite(v)) continue;
            xmin = std::min(xmin, s.x[i]);
            xmax = std::max(xmax, s.x[i]);
            ymin = std::min(ymin, v);
            ymax = std::max(ymax, v);
        }
    }
    if (xmin > xmax) { xmin = 0; xmax = 1; }
    if (xmax - xmin < 1e-12) xmax = xmin + 1;
    if (opt.fixed_y) {
        ymin = opt.log_y ? std::log10(std::max(opt.y_min, 1e-300)) : opt.y_min;
        ymax = opt.log_y ? std::log10(std::max(opt.y_max, 1e-300)) : opt.y_max;
    }
    if (ymin > ymax) { ymin = 0; ymax = 1; }
    if (ymax - ymin < 1e-12) { ymin -= 0.5; ymax += 0.5; }
    const double pad = (ymax - ymin) * 0.05;
    if (!opt.fixed_y) { ymin -= pad; ymax += pad; }

    // Layout: y tick labels on the left, x tick labels and axis label below.
    const float left = font * 4.2f, bottom = font * 2.6f, top = font * 0.5f, right = font * 0.8f;
    const ImVec2 a{p0.x + left, p0.y + top}, b{p0.x + size.x - right, p0.y + size.y - bottom};
    const float W = std::max(1.f, b.x - a.x), H = std::max(1.f, b.y - a.y);
    auto sx = [&](double x) { return static_cast<float>(a.x + (x - xmin) / (xmax - xmin) * W); };
    auto sy = [&](double y) { return static_cast<float>(b.y - (y - ymin) / (ymax - ymin) * H); };
    const ImU32 grid = ImGui::GetColorU32(ImGuiCol_Border, 0.5f), text = ImGui::GetColorU32(ImGuiCol_Text),
                dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGuiCol_FrameBg));
    dl->PushClipRect(p0, ImVec2(p0.x + size.x, p0.y + size.y), true);

    // Ticks.
    for (double t : nice_ticks(xmin, xmax, std::max(2, static_cast<int>(W / (font * 6))))) {
        const float x = sx(t);
        dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), grid, px);
        const std::string s = format_tick(t);
        dl->AddText(ImVec2(x - ImGui::CalcTextSize(s.c_str()).x / 2, b.y + 2), dim, s.c_str());
    }
    std::vector<double> yt;
    if (opt.log_y) {
        const double fit = std::max(2.0, std::floor(H / (font * 1.6)));  // labels that fit without overlapping
        for (double e = std::ceil(ymin); e <= ymax; e += std::max(1.0, std::ceil((ymax - ymin) / fit))) yt.push_back(e);
        if (yt.size() < 2) {
            // Less than a decade in view: 1, 2 and 5 times powers of ten.
            yt.clear();
            for (double e = std::floor(ymin); e <= std::ceil(ymax); e += 1)
                for (double m : {1.0, 2.0, 5.0}) {
                    const double v = e + std::log10(m);
                    if (v >= ymin && v <= ymax) yt.push_back(v);
                }
        }
        if (yt.size() < 2) {
            // A narrow range: linear nice ticks of the values, placed on the log axis.
            yt.clear();
            for (double v : nice_ticks(std::pow(10.0, ymin), std::pow(10.0, ymax), 4))
                if (v > 0) yt.push_back(std::log10(v));
        }
    } else {
        yt = nice_ticks(ymin, ymax, std::max(2, static_cast<int>(H / (font * 2.5))));
    }
    for (double t : yt) {
        const float y = sy(t);
        dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), grid, px);
        char buf[32];
        if (opt.log_y) {
            const double v = std::pow(10.0, t);
            if (std::abs(t - std::round(t)) < 1e-9) std::snprintf(buf, sizeof buf, "1e%d", static_cast<int>(std::lround(t)));
            else std::snprintf(buf, sizeof buf, "%.3g", v);
        }
        const std::string s = opt.log_y ? std::string(buf) : format_tick(t);
        const ImVec2 ts = ImGui::CalcTextSize(s.c_str());
        dl->AddText(ImVec2(a.x - ts.x - 4, y - ts.y / 2), dim, s.c_str());
    }
    if (opt.x_label && *opt.x_label) {
        const ImVec2 ts = ImGui::CalcTextSize(opt.x_label);
        dl->AddText(ImVec2((a.x + b.x - ts.x) / 2, b.y + font * 1.25f), text, opt.x_label);
    }
    if (opt.y_label && *opt.y_label) dl->AddText(ImVec2(a.x + 4, a.y + 2), dim, opt.y_label);

    // Event markers and the cursor.
    for (std::size_t k = 0; k < opt.markers.size(); ++k) {
        const double m = opt.markers[k];
        if (m < xmin || m > xmax) continue;
        const float x = sx(m);
        for (float y = a.y; y < b.y; y += 6 * px) dl->AddLine(ImVec2(x, y), ImVec2(x, std::min(y + 3 * px, b.y)), IM_COL32(255, 200, 60, 200), 1.5f * px);
        if (k < opt.marker_labels.size()) dl->AddText(ImVec2(x + 3, a.y + 2), IM_COL32(255, 200, 60, 230), opt.marker_labels[k].c_str());
    }

    if (std::isfinite(opt.snap_x) && opt.snap_x >= xmin && opt.snap_x <= xmax) {
        const float x = sx(opt.snap_x);
        dl->AddLine(ImVec2(x, a.y), ImVec2(x, b.y), IM_COL32(80, 220, 255, 200), 1.5f * px);
        dl->AddText(ImVec2(x + 3, b.y - font - 2), IM_COL32(80, 220, 255, 230), "snap");
    }

    // Series.
    dl->PushClipRect(a, b, true);
    const int columns = static_cast<int>(W);
    for (const auto& s : series) {
        const std::string& key = s.group.empty() ? s.label : s.group;
        if (state.hidden[key]) continue;
        std::vector<ImVec2> pts = decimate(s.x, s.y, xmin, xmax, columns, opt.log_y);
        for (auto& p : pts) p = ImVec2(sx(p.x), sy(p.y));
        if (pts.size() == 1) dl->AddCircleFilled(pts[0], s.thickness * px * 1.5f, s.color);
        else if (s.dashed) dashed_polyline(dl, pts, s.color, s.thickness * px, px);
        else if (pts.size() > 1) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), s.color, 0, s.thickness * px);
    }
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
            const std::string& key = s.group.empty() ? s.label : s.group;
            if (state.hidden[key] || s.x.empty()) continue;
            auto it = std::lower_bound(s.x.begin(), s.x.end(), res.hover_x);
            std::size_t i = it == s.x.end() ? s.x.size() - 1 : static_cast<std::size_t>(it - s.x.begin());
            if (i > 0 && std::abs(s.x[i - 1] - res.hover_x) < std::abs(s.x[i] - res.hover_x)) --i;
            if (!header) {
                ImGui::Text("%s %s", opt.x_label ? opt.x_label : "x", format_tick(s.x[i]).c_str());
                header = true;
            }
            if (++shown > 24) { ImGui::TextDisabled("..."); break; }
            ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(s.color), ImGuiColorEditFlags_NoTooltip, ImVec2(font * 0.7f, font * 0.7f));
            ImGui::SameLine();
            ImGui::Text("%s: %.6g", s.label.c_str(), i < s.y.size() ? s.y[i] : NAN);
        }
        ImGui::EndTooltip();
    }
    dl->PopClipRect();

    // Legend: click an entry to show or hide it.
    if (opt.legend) {
        std::vector<std::string> seen;
        bool first = true;
        for (const auto& s : series) {
            if (!s.in_legend) continue;
            const std::string& key = s.group.empty() ? s.label : s.group;
            if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
            seen.push_back(key);
            if (!first) ImGui::SameLine();
            first = false;
            const bool hid = state.hidden[key];
            ImGui::PushStyleColor(ImGuiCol_Text, hid ? dim : s.color);
            if (ImGui::SmallButton((key + "##lg").c_str())) state.hidden[key] = !hid;
            ImGui::PopStyleColor();
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click to %s '%s'", hid ? "show" : "hide", key.c_str());
        }
    }
    (void)style;
    ImGui::PopID();
    return res;
}

}  // namespace snapscope::gui
