// The text view of the small transformer (data.kind = text): what the paper's Fig 7 shows, live. The attention of one
// fixed window of the corpus (rows: query words, columns: key words), at the step the cursor shows; the steps the user
// pins side by side; per query word the words it attends to most, at each pinned step and over training; loss,
// validation perplexity and attention entropy. Maps come from the frames (each frame holds the watched window's maps).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "colormap.hpp"
#include "theme.hpp"
#include "keys.hpp"
#include "snapscope/presets.hpp"
#include "transformer/transformer_panels.hpp"

namespace snapscope::gui {

namespace {

const TransformerInfo& info_of(const Snapshot& snap) {
    static const TransformerInfo none;
    return snap.info ? transformer_info(*snap.info) : none;
}

std::string word_at(const TransformerInfo& info, int pos) {
    if (pos < 0 || pos >= static_cast<int>(info.watched.size())) return "?";
    const std::size_t id = static_cast<std::size_t>(info.watched[static_cast<std::size_t>(pos)]);
    return id < info.token_names.size() ? info.token_names[id] : "?";
}

ImU32 viridis(float v) {
    const auto c = colormap_rgb(Colormap::Viridis, v, 0.f, 1.f);
    return IM_COL32(static_cast<int>(c[0] * 255), static_cast<int>(c[1] * 255), static_cast<int>(c[2] * 255), 255);
}

// Text reading upwards: drawn level with its start at `start`, then its vertices turned a quarter to the left.
void vertical_text(ImDrawList* dl, ImVec2 start, ImU32 col, const char* text) {
    const int first = dl->VtxBuffer.Size;
    dl->AddText(start, col, text);
    for (int i = first; i < dl->VtxBuffer.Size; ++i) {
        ImVec2& p = dl->VtxBuffer[i].pos;
        const float dx = p.x - start.x, dy = p.y - start.y;
        p = ImVec2(start.x + dy, start.y - dx);
    }
}

// The frame whose step is the last at or before `step` (null before the first).
const Frame* frame_at_step(const Snapshot& snap, std::int64_t step) {
    const auto& f = snap.frames;
    auto it = std::upper_bound(f.begin(), f.end(), step, [](std::int64_t s, const FramePtr& p) { return s < p->step; });
    return it == f.begin() ? nullptr : (it - 1)->get();
}

double row_entropy(const float* map, int n, int q) {
    double h = 0;
    for (int k = 0; k < n; ++k) {
        const double a = map[static_cast<std::size_t>(q) * n + k];
        if (a > 0) h -= a * std::log(a);
    }
    return h;
}

double map_entropy(const float* map, int n) {
    double h = 0;
    for (int q = 0; q < n; ++q) h += row_entropy(map, n, q);
    return n > 0 ? h / n : NAN;
}

constexpr int kMaxCellsDrawn = 160;

// A frame's map entropy, computed once per (run, map, step): a long window's n^2 logs are not redone every UI frame.
double frame_entropy(TransformerLabView& v, const Snapshot& snap, const Frame& f, const float* map, int n) {
    if (!map) return NAN;
    if (v.entropy_info.lock() != snap.info || v.entropy_map != v.text_map || v.entropy_cache.size() > 200000) {
        v.entropy_cache.clear();
        v.entropy_info = snap.info;
        v.entropy_map = v.text_map;
    }
    const auto [it, added] = v.entropy_cache.emplace(f.step, 0.0);
    if (added) it->second = map_entropy(map, n);
    return it->second;
}  // positions drawn as cells (a longer window: its first 160)

// One map with its words: rows (queries) labelled on the left, columns (keys) under the map reading upwards. Returns
// the cell under the mouse (-1, -1 when none).
std::pair<int, int> word_map(ImDrawList* dl, ImVec2 a, float cell, int n, const float* map, bool causal, const TransformerInfo& info,
                             bool words, int highlight_q) {
    const int shown = std::min(n, kMaxCellsDrawn);
    const float font = ImGui::GetFontSize();
    const DataColours data(dl);  // the map's colours are its values, in either theme
    for (int q = 0; q < shown; ++q)
        for (int k = 0; k < shown; ++k) {
            const ImVec2 p0(a.x + k * cell, a.y + q * cell), p1(p0.x + cell + 0.5f, p0.y + cell + 0.5f);
            const ImU32 c = causal && k > q ? IM_COL32(48, 48, 56, 255) : map ? viridis(map[static_cast<std::size_t>(q) * n + k]) : IM_COL32(70, 70, 78, 255);
            dl->AddRectFilled(p0, p1, c);
        }
    if (highlight_q >= 0 && highlight_q < shown)
        dl->AddRect(ImVec2(a.x - 1, a.y + highlight_q * cell - 1), ImVec2(a.x + shown * cell + 1, a.y + (highlight_q + 1) * cell + 1),
                    IM_COL32(255, 120, 80, 255), 0, 0, std::max(1.5f, font / 8));
    if (words && cell >= 2) {
        // Every word when the cells are as tall as the text, else every second, third ... (the query's always).
        const int every = std::max(1, static_cast<int>(std::ceil(font * 0.8f / cell)));
        for (int i = 0; i < shown; ++i) {
            if (i % every != 0 && i != highlight_q) continue;
            const std::string w = word_at(info, i);
            const float tw = ImGui::CalcTextSize(w.c_str()).x;
            const ImU32 col = i == highlight_q ? IM_COL32(255, 170, 120, 255) : IM_COL32(200, 200, 200, 255);
            dl->AddText(ImVec2(a.x - tw - font * 0.3f, a.y + i * cell + (cell - font) / 2), col, w.c_str());
            vertical_text(dl, ImVec2(a.x + i * cell + (cell - font) / 2, a.y + shown * cell + font * 0.3f + tw), IM_COL32(200, 200, 200, 255), w.c_str());
        }
    }
    const ImVec2 m = ImGui::GetIO().MousePos;
    // (Only when this window is the one under the mouse: not through a popup or tooltip drawn over the map.)
    if (m.x >= a.x && m.y >= a.y && m.x < a.x + shown * cell && m.y < a.y + shown * cell && ImGui::IsWindowHovered())
        return {static_cast<int>((m.y - a.y) / cell), static_cast<int>((m.x - a.x) / cell)};
    return {-1, -1};
}

// The widest word of the window (the label margins).
float widest_word(const TransformerInfo& info) {
    float w = 0;
    for (int i = 0; i < std::min(static_cast<int>(info.watched.size()), kMaxCellsDrawn); ++i)
        w = std::max(w, ImGui::CalcTextSize(word_at(info, i).c_str()).x);
    return std::min(w, ImGui::GetFontSize() * 9);
}

int query_of(const TransformerLabView& v, int n) { return v.query >= 0 && v.query < n ? v.query : n - 1; }

void record_rect(ViewState& view, const std::string& name) {
    view.widget_rects[name] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
}

void pin_step(TransformerLabView& v, std::int64_t step) {
    if (std::find(v.pins.begin(), v.pins.end(), step) != v.pins.end() || v.pins.size() >= 64) return;
    v.pins.push_back(step);
    std::sort(v.pins.begin(), v.pins.end());
}

void draw_live_map(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    const int n = static_cast<int>(info.watched.size());
    const int maps = info.spec.layers * info.spec.heads;
    const float font = ImGui::GetFontSize();
    v.text_map = std::clamp(v.text_map, 0, std::max(0, maps - 1));
    const Frame& f = frame_at(snap, view);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped("%s", info.corpus.c_str());
    ImGui::PopStyleColor();
    if (maps > 1) {
        ImGui::SetNextItemWidth(font * 8);
        char label[48];
        std::snprintf(label, sizeof label, "layer %d, head %d", v.text_map / info.spec.heads + 1, v.text_map % info.spec.heads + 1);
        if (ImGui::BeginCombo("##textmap", label)) {
            for (int m = 0; m < maps; ++m) {
                char l[48];
                std::snprintf(l, sizeof l, "layer %d, head %d", m / info.spec.heads + 1, m % info.spec.heads + 1);
                if (ImGui::Selectable(l, m == v.text_map)) v.text_map = m;
            }
            ImGui::EndCombo();
        }
        tip("Which layer's and head's attention the maps show");
        ImGui::SameLine();
    }
    const float* map = watched_map(f, info, v.text_map);
    ImGui::Text("step %lld%s", static_cast<long long>(f.step), view.live && view.preview_step < 0 ? " (live)" : "");
    ImGui::SameLine();
    if (map) ImGui::TextDisabled("entropy %.3f nats", frame_entropy(v, snap, f, map, n));
    ImGui::SameLine();
    if (ImGui::SmallButton("Pin this step (P)")) {
        v.pins_set = true;
        pin_step(v, f.step);
    }
    record_rect(view, "text.pin");
    tip("Keep this step's map beside the others (the paper shows steps 0, 500, 1000, 1500)");
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label = widest_word(info) + font * 0.6f;
    const int shown = std::min(n, kMaxCellsDrawn);
    const float cell = std::max(2.f, std::floor(std::min((avail.x - label - font) / std::max(shown, 1), (avail.y - label - font * 0.5f) / std::max(shown, 1))));
    const bool words = true;
    const ImVec2 a(ImGui::GetCursorScreenPos().x + (words ? label : 0), ImGui::GetCursorScreenPos().y);
    const auto [hq, hk] = word_map(ImGui::GetWindowDrawList(), a, cell, n, map, info.spec.causal, info, words, query_of(v, n));
    record_grid(view, "text.map", a, ImVec2(a.x + shown * cell, a.y + shown * cell), shown, shown);
    ImGui::Dummy(ImVec2(avail.x, shown * cell + (words ? label : 0)));
    // Right-click: the map as a print figure, its words on both axes.
    if (map)
        heatmap_print_menu(view, "text-attention", f.step, [&] {
            HeatmapFigures fig;
            fig.title = "Attention of the watched window at step " + std::to_string(f.step) + " (rows: query word, columns: key word)";
            fig.x_label = "key word";
            fig.y_label = "query word";
            fig.value_label = "attention weight";
            fig.vmin = 0;
            fig.vmax = 1;
            HeatmapFigure p;
            p.rows = p.cols = n;
            p.data.assign(map, map + static_cast<std::size_t>(n) * n);
            for (int i = 0; i < n; ++i) p.row_labels.push_back(word_at(info, i));
            p.col_labels = p.row_labels;
            fig.panels.push_back(std::move(p));
            return fig;
        });
    if (hq >= 0 && !view.figure) {
        ImGui::SetTooltip("query '%s' (position %d) -> key '%s' (position %d): %.3f\nclick: show this query's top words", word_at(info, hq).c_str(), hq,
                          word_at(info, hk).c_str(), hk, map ? map[static_cast<std::size_t>(hq) * n + hk] : 0.f);
        if (ImGui::IsMouseClicked(0)) v.query = hq;
    }
    if (!map) ImGui::TextDisabled("(no map recorded at this step)");
}

void draw_pins(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    const int n = static_cast<int>(info.watched.size());
    const float font = ImGui::GetFontSize();
    const ImGuiStyle& st = ImGui::GetStyle();
    ImGui::SetNextItemWidth(font * 6);
    long long typed = v.pin_input;
    if (ImGui::InputScalar("##pinstep", ImGuiDataType_S64, &typed, nullptr, nullptr, "%lld", ImGuiInputTextFlags_EnterReturnsTrue) ||
        (ImGui::SameLine(), ImGui::SmallButton("Pin step"))) {
        v.pin_input = std::max(0LL, typed);
        v.pins_set = true;
        pin_step(v, v.pin_input);
    } else {
        v.pin_input = std::max(0LL, typed);
    }
    tip("Pin any step: its map is shown when the run has reached it");
    ImGui::SameLine();
    if (ImGui::SmallButton("Clear")) {
        v.pins.clear();
        v.pins_set = true;
    }
    // The pinned maps side by side, each with its step and entropy; x removes one.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const int count = static_cast<int>(v.pins.size());
    const int q = query_of(v, n);
    const std::int64_t newest = snap.frames.empty() ? -1 : snap.frames.back()->step;
    if (count > 0 && n > 0) {
        const float slot = std::min((avail.x - font) / count, avail.y * 0.45f);
        const float cell = std::max(1.f, (slot - font) / std::min(n, kMaxCellsDrawn));
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 o = ImGui::GetCursorScreenPos();
        int remove = -1;
        for (int i = 0; i < count; ++i) {
            const std::int64_t pin = v.pins[static_cast<std::size_t>(i)];
            const ImVec2 a(o.x + i * slot, o.y + font * 2.4f);
            const Frame* f = pin <= newest ? frame_at_step(snap, pin) : nullptr;
            const float* map = f ? watched_map(*f, info, v.text_map) : nullptr;
            char t[64];
            std::snprintf(t, sizeof t, "step %lld", static_cast<long long>(map ? f->step : pin));
            dl->AddText(ImVec2(a.x, o.y), IM_COL32(230, 230, 230, 255), t);
            if (map) std::snprintf(t, sizeof t, "%.2f nats", frame_entropy(v, snap, *f, map, n));
            else std::snprintf(t, sizeof t, "not reached");
            dl->AddText(ImVec2(a.x, o.y + font * 1.15f), IM_COL32(170, 170, 170, 255), t);
            ImGui::SetCursorScreenPos(ImVec2(a.x + slot - font * 2.2f, o.y));
            ImGui::PushID(i);
            if (ImGui::SmallButton("x")) remove = i;
            record_rect(view, "text.unpin." + std::to_string(pin));
            ImGui::PopID();
            word_map(dl, a, cell, n, map, info.spec.causal, info, false, q);
        }
        ImGui::SetCursorScreenPos(o);
        ImGui::Dummy(ImVec2(avail.x, font * 2.4f + slot));
        if (remove >= 0) v.pins.erase(v.pins.begin() + remove);
    } else {
        ImGui::TextDisabled("No pinned steps: pin the step shown (P) or type one.");
    }
    // The query word's top words at each pinned step and now.
    ImGui::Spacing();
    ImGui::Text("Query '%s' (position %d; click a row of the map, or Up / Down) attends most to:", word_at(info, q).c_str(), q);
    const Frame& now = frame_at(snap, view);
    std::vector<std::pair<std::string, const Frame*>> cols;
    for (std::int64_t pin : v.pins)
        if (pin <= newest)
            if (const Frame* f = frame_at_step(snap, pin)) cols.push_back({"step " + std::to_string(f->step), f});
    cols.push_back({"shown (step " + std::to_string(now.step) + ")", &now});
    const int ncols = static_cast<int>(std::min<std::size_t>(cols.size(), 8));
    if (n > 0 && ImGui::BeginTable("topwords", ncols, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchSame)) {
        for (int c = static_cast<int>(cols.size()) - ncols; c < static_cast<int>(cols.size()); ++c) ImGui::TableSetupColumn(cols[static_cast<std::size_t>(c)].first.c_str());
        ImGui::TableHeadersRow();
        for (int r = 0; r < 5; ++r) {
            ImGui::TableNextRow();
            for (int c = static_cast<int>(cols.size()) - ncols; c < static_cast<int>(cols.size()); ++c) {
                ImGui::TableNextColumn();
                const float* map = watched_map(*cols[static_cast<std::size_t>(c)].second, info, v.text_map);
                if (!map) continue;
                const auto top = top_keys(map, n, q, 5);
                if (r < static_cast<int>(top.size())) ImGui::Text("%s  %.2f", word_at(info, top[static_cast<std::size_t>(r)].first).c_str(), top[static_cast<std::size_t>(r)].second);
            }
        }
        ImGui::EndTable();
    }
    (void)st;
}

void draw_text_curves(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    const int n = static_cast<int>(info.watched.size());
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const int per_row = avail.x >= font * 26 ? 2 : 1;
    const float w = (avail.x - (per_row - 1) * st.ItemSpacing.x) / per_row;
    std::vector<PlotSeries> loss, ppl, ent, top;
    loss.push_back(series_of(snap.frames, "training (batch)", IM_COL32(240, 240, 240, 255), [](const Frame& f) { return f.loss; }));
    auto evaluated = [&](const char* label, ImU32 col, double (*get)(const Frame&)) {
        PlotSeries s;
        s.label = label;
        s.color = col;
        for (const FramePtr& f : snap.frames)
            if (const double y = get(*f); std::isfinite(y)) {
                s.x.push_back(static_cast<double>(f->step));
                s.y.push_back(y);
            }
        return s;
    };
    loss.push_back(evaluated("validation", IM_COL32(120, 200, 255, 255), [](const Frame& f) { return transformer_frame(f).valid_loss; }));
    ppl.push_back(evaluated("validation perplexity", IM_COL32(120, 200, 255, 255), [](const Frame& f) { return std::exp(transformer_frame(f).valid_loss); }));
    ent.push_back(evaluated("watched batch (8 windows)", IM_COL32(255, 200, 90, 255), [](const Frame& f) { return transformer_frame(f).attention_entropy; }));
    // The shown window's map entropy and its query's top words over training, from at most ~400 frames.
    const std::size_t stride = std::max<std::size_t>(1, snap.frames.size() / 400);
    const int q = query_of(v, n);
    const float* now = watched_map(frame_at(snap, view), info, v.text_map);
    std::vector<std::pair<int, float>> keys = now ? top_keys(now, n, q, 3) : std::vector<std::pair<int, float>>{};
    PlotSeries we;
    we.label = "this window";
    we.color = IM_COL32(240, 240, 240, 255);
    const ImU32 colours[3] = {IM_COL32(255, 120, 80, 255), IM_COL32(120, 220, 140, 255), IM_COL32(180, 140, 255, 255)};
    for (std::size_t k = 0; k < keys.size(); ++k) {
        PlotSeries s;
        s.label = "-> '" + word_at(info, keys[k].first) + "' (" + std::to_string(keys[k].first) + ")";
        s.color = colours[k];
        top.push_back(s);
    }
    for (std::size_t i = 0; i < snap.frames.size(); i += stride) {
        const Frame& f = *snap.frames[i];
        const float* map = watched_map(f, info, v.text_map);
        if (!map) continue;
        we.x.push_back(static_cast<double>(f.step));
        we.y.push_back(frame_entropy(v, snap, f, map, n));
        for (std::size_t k = 0; k < keys.size(); ++k) {
            top[k].x.push_back(static_cast<double>(f.step));
            top[k].y.push_back(map[static_cast<std::size_t>(q) * n + keys[k].first]);
        }
    }
    ent.push_back(we);
    int legend = 1;
    for (const auto* s : {&loss, &ppl, &ent, &top}) legend = std::max(legend, legend_rows(*s, w, view.figure));
    const int rows = (4 + per_row - 1) / per_row;
    const float overhead = 2 * font + 2 * st.ItemSpacing.y + legend * (font + 2 * st.FramePadding.y + st.ItemSpacing.y);
    const ImVec2 size(w, std::max(font * 6, (avail.y - (rows - 1) * st.ItemSpacing.y) / rows - overhead));
    int placed = 0;
    auto plot = [&](const char* id, const char* title, const std::vector<PlotSeries>& s, PlotState& state, PlotOptions opt) {
        draw_plot(id, title, s, state, opt, snap, view, size);
        if (++placed % per_row != 0 && placed < 4) ImGui::SameLine();
    };
    PlotOptions lo;
    lo.y_label = "nats per word";
    plot("tloss", "Loss (cross-entropy)", loss, view.loss_plot, lo);
    PlotOptions po;
    po.log_y = true;
    po.y_label = "perplexity (log scale)";
    plot("tppl", "Validation perplexity", ppl, v.ppl_plot, po);
    PlotOptions eo;
    eo.y_label = "nats (mean over queries)";
    plot("tent", "Attention entropy: does it freeze?", ent, v.ent_plot, eo);
    PlotOptions to;
    to.y_label = "attention weight";
    to.fixed_y = true;
    to.y_min = 0;
    to.y_max = 1.02;
    char title[96];
    std::snprintf(title, sizeof title, "'%s' attends to (its top 3 now)", word_at(info, q).c_str());
    plot("ttop", title, top, v.top_plot, to);
}

}  // namespace

const float* watched_map(const Frame& f, const TransformerInfo& info, int m) {
    const TransformerFrame& t = transformer_frame(f);
    const std::size_t n = info.watched.size();
    const int maps = info.spec.layers * info.spec.heads;
    if (!t.watched || m < 0 || m >= maps || t.watched->size() != static_cast<std::size_t>(maps) * n * n) return nullptr;
    return t.watched->data() + static_cast<std::size_t>(m) * n * n;
}

std::vector<std::pair<int, float>> top_keys(const float* map, int n, int q, int k) {
    std::vector<std::pair<int, float>> all;
    if (!map || q < 0 || q >= n) return all;
    for (int j = 0; j < n; ++j) all.push_back({j, map[static_cast<std::size_t>(q) * n + j]});
    k = std::min(k, n);
    std::partial_sort(all.begin(), all.begin() + k, all.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    all.resize(static_cast<std::size_t>(k));
    return all;
}

void text_keys(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    const int n = static_cast<int>(info_of(snap).watched.size());
    if (n == 0) return;
    if (key_pressed(kKeyP) && !snap.frames.empty()) {
        v.pins_set = true;
        pin_step(v, frame_at(snap, view).step);
    }
    if (key_pressed(kKeyUp, true)) v.query = std::max(0, query_of(v, n) - 1);
    if (key_pressed(kKeyDown, true)) v.query = std::min(n - 1, query_of(v, n) + 1);
}

void draw_text_panels(const Snapshot& snap, ViewState& view, HeatmapTextures*, const LabArea& area) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    if (!v.pins_set) v.pins = info.pins;  // output.attention_steps until the user pins their own
    // The map of the window takes the left column at full height (its words need the room); the pinned steps and the
    // curves share the right column.
    const float full_h = area.top_h + area.bottom_h;
    const float map_w = std::floor(area.w * (view.large_font ? 0.5f : 0.44f));
    // (Its own default share, 0.42 of the height, moved with the top/bottom splitter.)
    const float right_w = area.w - map_w, pins_h = std::floor(area.top_h * (0.42f / kDefaultTopFraction));
    if (area.split) *area.split = {pins_h, area.x + map_w, area.x + area.w};
    if (area.begin_panel(Panel::Attention, "Attention on a window of the text (rows: query word, columns: key word)", ImVec2(area.x, 0),
                         ImVec2(map_w, full_h)) &&
        !snap.frames.empty())
        draw_live_map(snap, view);
    ImGui::End();
    if (area.begin_window("Pinned steps and the query word's top words", ImVec2(area.x + map_w, 0), ImVec2(right_w, pins_h)) &&
        !snap.frames.empty())
        draw_pins(snap, view);
    ImGui::End();
    if (area.begin_panel(Panel::Curves, "Loss, validation perplexity and attention entropy over training steps", ImVec2(area.x + map_w, pins_h),
                         ImVec2(right_w, full_h - pins_h)) &&
        !snap.frames.empty())
        draw_text_curves(snap, view);
    ImGui::End();
}

std::optional<Config> open_text_path(const Snapshot& snap, const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw InputError("no such file or folder");
    // A text run shown: the same settings on the new text; otherwise the paper's Fig 7 model.
    Config c = snap.info && snap.info->config.model.kind == "transformer" && snap.info->config.data.kind == "text"
                   ? snap.info->config
                   : resolve_config(preset_config("fig7"), "preset fig7");
    c.data.path = path;
    return c;
}

}  // namespace snapscope::gui
