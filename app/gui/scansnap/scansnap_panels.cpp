// The Scan-and-Snap lab's entry in the window: its settings, buttons, panels (attention over curves), the phase
// diagram and its key.
#include <cstdio>

#include "keys.hpp"
#include "snapscope/presets.hpp"
#include "scansnap/scansnap_panels.hpp"

namespace snapscope::gui {

Config priority_graph_config(const Config& text_run, const std::string& query_word) {
    FlatConfig flat = preset_config("tpg-text");
    const nlohmann::json run = config_to_json(text_run);
    for (const char* key : {"data.path", "data.text_format", "data.vocab_size", "data.valid_fraction", "data.seq_len"})
        if (run.contains(key)) flat[key] = run[key];
    flat["data.query_word"] = query_word;
    return resolve_config(flat, "the token-priority graph of '" + query_word + "'");
}

ImU32 token_color(const RunInfo& info, int token, float alpha) {
    const TokenInfo& t = scansnap_info(info).tokens[static_cast<std::size_t>(token)];
    const int a = static_cast<int>(alpha * 255);
    switch (t.kind) {
        case TokenKind::Common: return IM_COL32(150, 150, 150, a);
        case TokenKind::QueryCommon: return IM_COL32(120, 160, 220, a);
        case TokenKind::Distinct: {
            // Warm hues, one per class.
            static const ImU32 hues[] = {IM_COL32(255, 140, 40, 255), IM_COL32(80, 200, 120, 255), IM_COL32(230, 90, 160, 255),
                                         IM_COL32(250, 210, 60, 255), IM_COL32(100, 190, 250, 255), IM_COL32(190, 120, 250, 255)};
            const ImU32 c = hues[t.group % 6];
            return (c & 0x00FFFFFF) | (static_cast<ImU32>(a) << 24);
        }
        case TokenKind::Query: return IM_COL32(255, 255, 255, a);
        case TokenKind::Next: return IM_COL32(255, 90, 90, a);
        default: return IM_COL32(90, 90, 90, a);
    }
}

std::string token_short(const RunInfo& info, int token) {
    const ScanSnapInfo& si = scansnap_info(info);
    const TokenInfo& t = si.tokens[static_cast<std::size_t>(token)];
    const std::string name = si.name(token);  // the word of a text, else the id
    char buf[64];
    switch (t.kind) {
        case TokenKind::Common: std::snprintf(buf, sizeof buf, " common"); break;
        case TokenKind::QueryCommon: std::snprintf(buf, sizeof buf, " q%d-common", t.group); break;
        case TokenKind::Distinct: std::snprintf(buf, sizeof buf, " distinct c%d", t.group); break;
        case TokenKind::Query: std::snprintf(buf, sizeof buf, " query %d", t.group); break;
        case TokenKind::Next: std::snprintf(buf, sizeof buf, " next c%d", t.group); break;
        default: std::snprintf(buf, sizeof buf, " unused"); break;
    }
    return name + buf;
}

ScanSnapView& scansnap_view(ViewState& view) { return view.lab_view<ScanSnapView>("scan_snap"); }
const ScanSnapView& scansnap_view(const ViewState& view) { return const_cast<ViewState&>(view).lab_view<ScanSnapView>("scan_snap"); }

void ScanSnapView::to_json(nlohmann::json& view) const {
    view["selected_class"] = selected_class;
    view["auto_range"] = auto_range;
    view["z_range"] = z_range;
    view["c_max"] = c_max;
    view["show_phase"] = show_phase;
}

void ScanSnapView::from_json(ViewJsonReader& r) {
    r.integer("selected_class", selected_class, 0, 1000000);
    r.boolean("auto_range", auto_range);
    r.number("z_range", z_range, 0.01, 100);
    r.number("c_max", c_max, 0.001, 1);
    r.boolean("show_phase", show_phase);
}

namespace {

void settings(Config& c, const SettingsFields& ui) {
    if (c.data.kind == "synthetic") {
        ui.int_field("queries", scansnap_settings(c).num_last, 1, 200, "data.num_last: number of query (last) tokens");
        ui.int_field("next tokens / query", scansnap_settings(c).num_next_per_last, 1, 50, "data.num_next_per_last: classes per query");
        ui.int_field("common tokens", scansnap_settings(c).num_common, 0, 1000, "data.num_common: tokens shared by every class");
        ui.int_field("distinct / class", scansnap_settings(c).num_unique_per_next, 0, 1000, "data.num_unique_per_next");
        ui.int_field("sequence length", c.data.seq_len, 2, 100000, "data.seq_len: L-1 context tokens plus the query");
    }
    ui.int_field("batch", c.train.batch, 1, 100000, "train.batch: samples per step");
    int init = scansnap_settings(c).init == "uniform" ? 1 : 0;
    ImGui::SetNextItemWidth(ui.half);
    if (ImGui::Combo("##init", &init, "zero init\0uniform init\0")) scansnap_settings(c).init = init ? "uniform" : "zero";
    tip("zero: Y = Z = 0 (Fig 4); uniform: PyTorch's Linear default");
    ImGui::SameLine();
    int mode = scansnap_settings(c).mode == "mean_field" ? 1 : 0;
    ImGui::SetNextItemWidth(ui.half);
    if (ImGui::Combo("##mode", &mode, "sampled\0mean field\0")) scansnap_settings(c).mode = mode ? "mean_field" : "sampled";
    tip("sampled: a fresh random batch each step; mean field: the deterministic T -> infinity model");
    ImGui::Checkbox("normalize", &scansnap_settings(c).normalize);
    tip("L2-normalise the pooled attention output (the paper's setting)");
    ImGui::SameLine();
    ImGui::Checkbox("residual", &scansnap_settings(c).residual);
    ImGui::SameLine();
}

void run_buttons(const Snapshot&, ViewState& view) {
    bool& show = scansnap_view(view).show_phase;
    if (ImGui::Button("Phase diagram")) show = !show;
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    view.widget_rects["phase"] = ImVec4(a.x, a.y, b.x, b.y);
    tip("P: sweep two knobs in the background and see the final attention entropy (or snap step) as a heatmap");
    ImGui::SameLine();
}

void panels(const Snapshot& snap, ViewState& view, const CommandSink& send, HeatmapTextures* textures, const LabArea& area) {
    if (area.begin_panel(Panel::Attention, "Attention", ImVec2(area.x, 0), ImVec2(area.w, area.top_h))) draw_attention(snap, view, textures, send);
    ImGui::End();
    if (area.begin_panel(Panel::Curves, "Curves over training steps", ImVec2(area.x, area.top_h), ImVec2(area.w, area.bottom_h)))
        draw_curves(snap, view);
    ImGui::End();
}

void keys(const Snapshot&, ViewState& view) {
    if (key_pressed(kKeyP)) {
        bool& show = scansnap_view(view).show_phase;
        show = !show;
    }
}

}  // namespace

LabPanels scansnap_panels() {
    LabPanels p;
    p.kind = "scan_snap";
    p.switch_label = "Lab: Scan and Snap (Tian et al. 2023)";
    p.first_preset = "fig4";
    p.lr_help = {{"lr_z", "Learning rate of the attention logits Z (log scale)"},
                 {"lr_y", "Learning rate of the decoder Y (log scale)"},
                 {"ratio", "eta_Y / eta_Z (log scale): larger means an earlier snap and less sparse attention (the paper's Fig 6)"}};
    p.companions = {{kMeanFieldCompanion, "mean-field twin",
                     "Run the deterministic T -> infinity model alongside, with the same settings and rate changes; drawn dashed"}};
    p.settings = &settings;
    p.run_buttons = &run_buttons;
    p.panels = &panels;
    p.windows = &draw_phase_diagram;
    p.show_sweep = &show_sweep_in_phase_diagram;
    p.keys = &keys;
    p.make_view = [] { return std::shared_ptr<LabView>(std::make_shared<ScanSnapView>()); };
    p.help = {{"P", "phase diagram (sweeps)"}};
    return p;
}

}  // namespace snapscope::gui
