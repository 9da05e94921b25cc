// The Attention panel: Z (queries x keys, diverging map), the current c_n per class (viridis), and the paper's
// Fig 4 image: c_n of one class, rows = recorded steps, columns = tokens, growing live.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app_ui.hpp"
#include "snapscope/figure.hpp"
#include "scansnap/scansnap_panels.hpp"
#include "plot.hpp"
#include "theme.hpp"

namespace snapscope::gui {

namespace {

struct HeatmapView {
    HeatmapView(const char* k, const char* t) : key(k), title(t) {}
    const char* key;
    const char* title;
    int rows = 0, cols = 0;
    std::vector<float> data;
    Colormap map = Colormap::Viridis;
    float vmin = 0, vmax = 1;
    std::vector<std::string> row_labels;
    const char* row_axis = "";
    const char* value_name = "";
    std::vector<std::pair<int, std::string>> row_ticks;  // (row, label) drawn on the left when the rows are too thin to label
    int cursor_row = -1;                                 // a horizontal line (the step cursor)
    std::int64_t step = 0;                               // the step it shows (a print figure's name)
};

// Token-id ticks: a nice spacing (1, 2, 5, 10, 20, 50, ...) wide enough for the longest label.
int token_tick_every(int cols, float cell_w, float label_w) {
    const double need = label_w / std::max(cell_w, 1e-3f);
    for (double p = 1; p < 1e9; p *= 10)
        for (double m : {1.0, 2.0, 5.0})
            if (m * p >= need) return static_cast<int>(std::min(m * p, static_cast<double>(std::max(cols, 1))));
    return std::max(cols, 1);
}

// Draws a colour bar from vmin to vmax with the map's colours.
void colour_bar(Colormap map, float vmin, float vmax, float width) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetFontSize() * 0.6f;
    const int n = 48;
    const float lo = map == Colormap::Diverging ? -std::max(std::abs(vmin), std::abs(vmax)) : vmin;
    const float hi = map == Colormap::Diverging ? -lo : vmax;
    const DataColours data(dl);
    for (int i = 0; i < n; ++i) {
        const auto c = colormap_rgb(map, lo + (hi - lo) * (i + 0.5f) / n, vmin, vmax);
        dl->AddRectFilled(ImVec2(p.x + width * i / n, p.y), ImVec2(p.x + width * (i + 1) / n + 1, p.y + h),
                          ImGui::ColorConvertFloat4ToU32(ImVec4(c[0], c[1], c[2], 1)));
    }
    ImGui::Dummy(ImVec2(width, h));
    ImGui::TextDisabled("%.3g", lo);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", hi);
    ImGui::SameLine(std::max(0.f, width - ImGui::CalcTextSize(buf).x));
    ImGui::TextDisabled("%s", buf);
}

// Draws one heatmap in a box of `size`; returns the hovered (row, col) or (-1, -1).
std::pair<int, int> heatmap(const HeatmapView& h, const RunInfo& info, HeatmapTextures* textures, ImVec2 size, ViewState& view) {
    ImGui::TextUnformatted(h.title);
    const float font = ImGui::GetFontSize();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float label_w = font * 3.2f;
    const ImVec2 a{p0.x + label_w, p0.y}, b{p0.x + size.x, p0.y + size.y - font * 1.6f};
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImGui::Dummy(size);
    if (h.rows <= 0 || h.cols <= 0) return {-1, -1};
    // Right-click: this heatmap as a print figure, token ids across, its rows' labels down, one colour bar.
    heatmap_print_menu(view, std::string("attention-") + h.key, h.step, [&h] {
        HeatmapFigures fig;
        fig.title = h.title;
        fig.x_label = "key token";
        fig.y_label = h.row_axis;
        fig.value_label = h.value_name;
        fig.map = h.map;
        fig.vmin = h.vmin;
        fig.vmax = h.vmax;
        HeatmapFigure p;
        p.rows = h.rows;
        p.cols = h.cols;
        p.data.assign(h.data.begin(), h.data.end());
        p.row_labels = h.row_labels;
        for (int t = 0; t < h.cols; ++t) p.col_labels.push_back(std::to_string(t));
        fig.panels.push_back(std::move(p));
        return fig;
    });
    record_grid(view, std::string("attention.") + h.key, a, b, h.rows, h.cols);  // (a tour points at its cells)
    // Coloured as it is drawn, at the pixels it covers (a long run's Fig 4 image has thousands of rows).
    if (!textures || !textures->draw(dl, a, b, h.key, h.rows, h.cols, h.data.data(), h.map, h.vmin, h.vmax))
        dl->AddRectFilled(a, b, IM_COL32(40, 40, 48, 255));
    const float cw = (b.x - a.x) / h.cols, rh = (b.y - a.y) / h.rows;
    // Separators where the token kind changes, and between groups of one kind (a class's distinct tokens, one query)
    // when every group is at least 4 px wide: on the large preset 120 one-token groups drew a white wash.
    {
        int narrowest = h.cols, last = 0;
        for (int t = 1; t < h.cols; ++t) {
            const TokenInfo &x = scansnap_info(info).tokens[t - 1], &y = scansnap_info(info).tokens[t];
            if (x.kind != y.kind || x.group != y.group) {
                narrowest = std::min(narrowest, t - last);
                last = t;
            }
        }
        const bool groups = cw * narrowest >= 4.f;
        for (int t = 1; t < h.cols; ++t) {
            const TokenInfo &x = scansnap_info(info).tokens[t - 1], &y = scansnap_info(info).tokens[t];
            if (x.kind != y.kind || (groups && x.group != y.group))
                dl->AddLine(ImVec2(a.x + cw * t, a.y), ImVec2(a.x + cw * t, b.y), IM_COL32(255, 255, 255, 140), std::max(1.0f, font / 15.0f));
        }
    }
    // Token-type strip and token id ticks under the image.
    // (One rectangle per run of tokens of one colour: on the large preset 1130 sub-pixel rectangles became about 120.)
    for (int t = 0; t < h.cols;) {
        const ImU32 col = token_color(info, t);
        int e = t + 1;
        while (e < h.cols && token_color(info, e) == col) ++e;
        dl->AddRectFilled(ImVec2(a.x + cw * t, b.y + 1), ImVec2(a.x + cw * e, b.y + font * 0.35f), col);
        t = e;
    }
    {
        char widest[16];
        std::snprintf(widest, sizeof widest, "%d", h.cols - 1);
        const int every = token_tick_every(h.cols, cw, ImGui::CalcTextSize(widest).x + font * 0.8f);
        for (int t = 0; t < h.cols; t += every) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%d", t);
            const float w = ImGui::CalcTextSize(buf).x;
            const float x = std::clamp(a.x + cw * (t + 0.5f) - w / 2, a.x, b.x - w);  // never clipped at the ends
            dl->AddText(ImVec2(x, b.y + font * 0.4f), ImGui::GetColorU32(ImGuiCol_TextDisabled), buf);
        }
    }
    // Row labels (when few enough to read), else ticks on the rows the caller chose.
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    if (!h.row_labels.empty() && rh >= font * 0.9f) {
        for (int r = 0; r < h.rows; ++r) dl->AddText(ImVec2(p0.x, a.y + rh * (r + 0.5f) - font / 2), dim, h.row_labels[r].c_str());
    } else if (!h.row_ticks.empty()) {
        float last = -1e30f;
        for (const auto& [r, label] : h.row_ticks) {
            const float y = std::clamp(a.y + rh * (r + 0.5f) - font / 2, a.y, b.y - font);
            if (y < last + font * 1.1f) continue;
            dl->AddLine(ImVec2(a.x - font * 0.3f, a.y + rh * (r + 0.5f)), ImVec2(a.x, a.y + rh * (r + 0.5f)), dim);
            dl->AddText(ImVec2(a.x - font * 0.4f - ImGui::CalcTextSize(label.c_str()).x, y), dim, label.c_str());
            last = y;
        }
    } else if (*h.row_axis) {
        dl->AddText(ImVec2(p0.x, a.y), dim, h.row_axis);
    }
    if (h.cursor_row >= 0 && h.cursor_row < h.rows) {
        const float y = a.y + rh * (h.cursor_row + 0.5f);
        dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), IM_COL32(255, 255, 255, 200), std::max(1.5f, font / 10.0f));
    }
    // Hover readout.
    const ImVec2 m = ImGui::GetIO().MousePos;
    if (m.x >= a.x && m.x < b.x && m.y >= a.y && m.y < b.y && ImGui::IsWindowHovered()) {
        const int c = std::clamp(static_cast<int>((m.x - a.x) / cw), 0, h.cols - 1);
        const int r = std::clamp(static_cast<int>((m.y - a.y) / rh), 0, h.rows - 1);
        dl->AddRect(ImVec2(a.x + cw * c, a.y + rh * r), ImVec2(a.x + cw * (c + 1), a.y + rh * (r + 1)), IM_COL32(255, 255, 255, 255));
        ImGui::BeginTooltip();
        ImGui::Text("%s = %.5g", h.value_name, h.data[static_cast<std::size_t>(r) * h.cols + c]);
        ImGui::Text("key token %s", info.token_labels[c].c_str());
        if (r < static_cast<int>(h.row_labels.size())) ImGui::Text("%s %s", h.row_axis, h.row_labels[r].c_str());
        ImGui::EndTooltip();
        return {r, c};
    }
    return {-1, -1};
}

}  // namespace

void draw_attention(const Snapshot& snap, ViewState& view, HeatmapTextures* textures, const CommandSink& send) {
    const RunInfo& info = *snap.info;
    const ScanSnapInfo& ssi = scansnap_info(info);
    const Frame& frame = frame_at(snap, view);
    const ScanSnapFrame& f = scansnap_frame(frame);
    const int M = info.M, K = static_cast<int>(ssi.classes.size()), Q = static_cast<int>(ssi.queries.size());
    const float font = ImGui::GetFontSize();
    ScanSnapView& sv = scansnap_view(view);
    sv.selected_class = std::clamp(sv.selected_class, 0, std::max(0, K - 1));

    // Header: which step, colour range (in a figure: the step and class, as text).
    if (view.figure) {
        ImGui::Text("step %lld, class %d", static_cast<long long>(frame.step), sv.selected_class);
    } else {
    ImGui::Text("step %lld%s", static_cast<long long>(frame.step),
                view.preview_step >= 0 ? " (hovered curve)" : view.live ? " (live)" : " (cursor)");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 8);
    if (K > 0) {
        std::string label = "class " + std::to_string(sv.selected_class);
        if (ImGui::BeginCombo("##class", label.c_str())) {
            for (int c = 0; c < K; ++c) {
                const std::string l = "class " + std::to_string(c) + ": query " + ssi.name(ssi.classes[c].query) + " -> " +
                                      ssi.name(ssi.classes[c].label);
                if (ImGui::Selectable(l.c_str(), c == sv.selected_class)) sv.selected_class = c;
            }
            ImGui::EndCombo();
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("The class shown in the Fig 4 image and the per-token curves");
    }
    if (K > 0 && !ssi.words.empty() && info.config.data.kind == "text") {
        // The first paper's query word, seen by the second: the token-priority graph of the windows ending in it.
        const std::string word = ssi.name(ssi.classes[static_cast<std::size_t>(sv.selected_class)].query);
        ImGui::SameLine();
        const bool clicked = ImGui::SmallButton("priority graph");
        record_item(view, "scansnap.priority_graph");
        if (clicked) {
            try {
                send(Command::load_config(priority_graph_config(info.config, word)));
                view.say("Building the token-priority graph of '" + word + "' from " + info.config.data.path, false);
            } catch (const std::exception& e) {
                view.say(std::string("Cannot build the token-priority graph: ") + e.what(), true);
            }
        }
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Open the token-priority-graph lab on this text: the graph of the windows ending in '%s' (the selected class's "
                              "query word), its SCCs and W's convergence to W_svm",
                              word.c_str());
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("Figure 4") && K > 0 && !snap.frames.empty()) {
        // The paper's Fig 4 in the print theme: c_n of each class (the selected one when there are many) over every
        // recorded step, one colour range, token ids below, steps at the left; the values as CSV beside it.
        HeatmapFigures fig;
        fig.title = "Attention c_n over training (Fig 4 of Tian et al. 2023)";
        fig.x_label = "key token";
        fig.y_label = "step";
        fig.value_label = "c_n (attention)";
        fig.vmin = 0;
        fig.vmax = 1e-6;
        std::vector<int> classes;
        if (K <= 4) for (int c = 0; c < K; ++c) classes.push_back(c);
        else classes.push_back(sv.selected_class);
        for (int c : classes) {
            HeatmapFigure p;
            p.title = "class " + std::to_string(c) + ": query " + ssi.name(ssi.classes[c].query) + " -> " + ssi.name(ssi.classes[c].label);
            p.rows = static_cast<int>(snap.frames.size());
            p.cols = M;
            for (const FramePtr& fr : snap.frames) {
                const auto& at = scansnap_frame(*fr).attention;
                for (int t = 0; t < M; ++t) {
                    const double v = at[static_cast<std::size_t>(c) * M + t];
                    p.data.push_back(v);
                    fig.vmax = std::max(fig.vmax, v);
                }
                p.row_labels.push_back(std::to_string(fr->step));
            }
            for (int t = 0; t < M; ++t) p.col_labels.push_back(ssi.words.empty() ? std::to_string(t) : info.token_labels[t]);
            fig.panels.push_back(std::move(p));
        }
        print_figure(view, "4", snap.step, [&fig](int w, int h, int k) { return render_heatmap_figures(fig, w, h, k); }, heatmap_figures_csv(fig));
    }
    record_item(view, "scansnap.figure4");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("The paper's Figure 4 as a print figure: c_n of each class over the recorded steps (PNG in the light print theme, "
                          "at the print size in Export) and its values as CSV beside it");
    ImGui::SameLine();
    ImGui::Checkbox("auto range", &sv.auto_range);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Colour range from the data shown, or fixed (set below)");
    if (!sv.auto_range) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 6);
        ImGui::DragFloat("|Z| max", &sv.z_range, 0.05f, 0.01f, 100.f, "%.2f");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 6);
        ImGui::DragFloat("c max", &sv.c_max, 0.005f, 0.001f, 1.f, "%.3f");
    }
    }

    // Layout: left column Z over current c_n; right: the Fig 4 image.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float colw = avail.x * 0.5f - font * 0.5f;
    const float bar_h = font * 2.4f;

    HeatmapView z{"z", "Z[query, key] (attention logits)"};
    z.rows = Q;
    z.step = frame.step;
    z.cols = M;
    z.map = Colormap::Diverging;
    z.data.assign(f.zrows.begin(), f.zrows.end());
    float zm = 0;
    for (float v : z.data) zm = std::max(zm, std::abs(v));
    z.vmax = sv.auto_range ? std::max(zm, 1e-6f) : sv.z_range;
    z.vmin = -z.vmax;
    for (int q = 0; q < Q; ++q) z.row_labels.push_back(ssi.words.empty() ? "q" + std::to_string(ssi.queries[q]) : ssi.name(ssi.queries[q]));
    z.row_axis = "query";
    z.value_name = "Z";

    HeatmapView c{"c", "c_n(key): attention of each class on each token"};
    c.rows = K;
    c.step = frame.step;
    c.cols = M;
    c.data.assign(f.attention.begin(), f.attention.end());
    float cm = 0;
    for (float v : c.data) cm = std::max(cm, v);
    c.vmin = 0;
    c.vmax = sv.auto_range ? std::max(cm, 1e-6f) : sv.c_max;
    for (int k = 0; k < K; ++k) c.row_labels.push_back("c" + std::to_string(k));
    c.row_axis = "class";
    c.value_name = "c_n";

    // Fig 4: c_n of the selected class over every recorded step (all rows always, so a row is always the same step;
    // the cursor is a white line), with step ticks on the left.
    HeatmapView img{"fig4", "c_n over training (Fig 4): rows = recorded steps, top = step 0"};
    const int sel = sv.selected_class;
    img.step = frame.step;
    img.rows = static_cast<int>(snap.frames.size());
    img.cols = M;
    img.data.resize(static_cast<std::size_t>(img.rows) * M);
    float im = 0;
    for (int r = 0; r < img.rows; ++r) {
        const auto& at = scansnap_frame(*snap.frames[r]).attention;
        for (int t = 0; t < M; ++t) {
            const float v = K > 0 ? static_cast<float>(at[static_cast<std::size_t>(sel) * M + t]) : 0.f;
            img.data[static_cast<std::size_t>(r) * M + t] = v;
            im = std::max(im, v);
        }
        img.row_labels.push_back(std::to_string(snap.frames[r]->step));
    }
    if (!snap.frames.empty()) {
        const double first = static_cast<double>(snap.frames.front()->step), last = static_cast<double>(snap.frames.back()->step);
        for (double t : nice_ticks(first, last, 6)) {
            const auto it = std::lower_bound(snap.frames.begin(), snap.frames.end(), t, [](const FramePtr& p, double v) { return p->step < v; });
            if (it != snap.frames.end()) img.row_ticks.emplace_back(static_cast<int>(it - snap.frames.begin()), std::to_string((*it)->step));
        }
    }
    if (!view.live || view.preview_step >= 0) {
        img.cursor_row = static_cast<int>(frame_index_at(snap, view));
    }
    // One colour range for the c_n map and the Fig 4 image beside it (they show the same quantity).
    img.vmin = 0;
    img.vmax = sv.auto_range ? std::max(std::max(im, cm), 1e-6f) : sv.c_max;
    if (sv.auto_range) c.vmax = img.vmax;
    img.row_axis = "step";
    img.value_name = "c_n";

    const float half_h = (avail.y - 2 * bar_h - font * 3) * 0.5f;
    ImGui::BeginGroup();
    heatmap(z, info, textures, ImVec2(colw, std::max(font * 4, half_h)), view);
    colour_bar(z.map, z.vmin, z.vmax, colw);
    heatmap(c, info, textures, ImVec2(colw, std::max(font * 4, half_h)), view);
    colour_bar(c.map, c.vmin, c.vmax, colw);
    ImGui::EndGroup();
    ImGui::SameLine();

    ImGui::BeginGroup();
    const auto hit = heatmap(img, info, textures, ImVec2(colw, std::max(font * 6, avail.y - bar_h - font * 1.5f)), view);
    colour_bar(img.map, img.vmin, img.vmax, colw);
    ImGui::EndGroup();
    // Clicking a row of the Fig 4 image moves the step cursor there.
    if (hit.first >= 0 && ImGui::IsMouseClicked(0)) {
        view.live = false;
        view.cursor_step = snap.frames[hit.first]->step;
    }
}

}  // namespace snapscope::gui
