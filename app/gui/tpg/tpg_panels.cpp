// The token-priority-graph lab's panels: the graph of a query token (SCCs in priority layers), per-sample
// attention bars, the retrieval probe, the training-set editor, and the metric curves.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "app_ui.hpp"
#include "tpg/tpg_panels.hpp"
#include "snapscope/tpg_analysis.hpp"

namespace snapscope::gui {

TpgView& tpg_view(ViewState& view) { return view.lab_view<TpgView>("tpg"); }
const TpgView& tpg_view(const ViewState& view) { return const_cast<ViewState&>(view).lab_view<TpgView>("tpg"); }

namespace {

const TpgInfo& tpg_info(const Snapshot& snap) {
    static const TpgInfo none;
    const TpgInfo* t = snap.info ? snap.info->lab_as<TpgInfo>() : nullptr;
    return t ? *t : none;
}

// A colour per SCC, by its position in the priority order (first = highest priority).
ImU32 scc_color(int rank, float alpha = 1.0f) {
    static const ImU32 cols[] = {IM_COL32(255, 120, 60, 255),  IM_COL32(70, 180, 255, 255), IM_COL32(120, 220, 90, 255),
                                 IM_COL32(230, 90, 200, 255),  IM_COL32(250, 210, 60, 255), IM_COL32(150, 130, 255, 255),
                                 IM_COL32(90, 220, 200, 255),  IM_COL32(255, 150, 170, 255)};
    return (cols[rank % 8] & 0x00FFFFFF) | (static_cast<ImU32>(alpha * 255) << 24);
}

// A colour per token id, the same wherever the token appears.
ImU32 token_hue(int token) {
    static const ImU32 cols[] = {IM_COL32(255, 120, 60, 255), IM_COL32(70, 180, 255, 255), IM_COL32(120, 220, 90, 255),
                                 IM_COL32(230, 90, 200, 255), IM_COL32(250, 210, 60, 255), IM_COL32(150, 130, 255, 255),
                                 IM_COL32(90, 220, 200, 255), IM_COL32(255, 150, 170, 255), IM_COL32(200, 160, 110, 255),
                                 IM_COL32(160, 200, 240, 255)};
    return cols[static_cast<unsigned>(token) % 10];
}

// Rank of each component in the priority order.
std::vector<int> scc_ranks(const QueryGraph& g) {
    std::vector<int> rank(g.scc.members.size(), 0);
    for (std::size_t i = 0; i < g.scc.order.size(); ++i) rank[g.scc.order[i]] = static_cast<int>(i);
    return rank;
}

// The edited set's analysis when there is one (else the running set's): the graph, the probe and the tooltips all
// describe the same set.
bool showing_edit(const ViewState& view) {
    return tpg_view(view).edit && tpg_view(view).edit->dirty && tpg_view(view).edit->error.empty() && tpg_view(view).edit->analysed;
}

const std::vector<QueryGraph>& shown_graphs(const Snapshot& snap, const ViewState& view) {
    return showing_edit(view) ? tpg_view(view).edit->graphs : tpg_info(snap).graphs;
}

// Tokens by name: a text's words, else their ids.
std::string join(const std::vector<int>& v, const TpgDataset& d) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : " ") + d.name(x);
    return s;
}

// A name cut to `width` pixels ("..." ends a cut one), for a label under a bar or on a node.
std::string fit_text(const std::string& text, float width) {
    if (ImGui::CalcTextSize(text.c_str()).x <= width) return text;
    std::string s = text;
    while (!s.empty()) {
        // Drop the last whole UTF-8 character: its continuation bytes, then its first byte.
        while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
        if (!s.empty()) s.pop_back();
        if (s.empty()) break;  // not even one character fits: no label
        const std::string cut = s + "..";
        if (ImGui::CalcTextSize(cut.c_str()).x <= width) return cut;
    }
    return std::string();
}

}  // namespace

bool tpg_parse_tokens(const std::string& text, const TpgDataset& d, std::vector<int>& out, std::string& err) {
    out.clear();
    std::istringstream in(text);
    std::string tok;
    const int K = d.K;
    while (in >> tok) {
        // A text's word first (its words may be numbers too), then an id.
        const auto w = std::find(d.words.begin(), d.words.end(), tok);
        if (w != d.words.end()) {
            out.push_back(static_cast<int>(w - d.words.begin()));
            continue;
        }
        char* end = nullptr;
        const long v = std::strtol(tok.c_str(), &end, 10);
        if (tok.empty() || *end != '\0' || v < 0 || v >= K) {
            err = d.words.empty() ? "'" + tok + "' is not a token id in 0.." + std::to_string(K - 1)
                                  : "'" + tok + "' is neither a word of these windows nor a token id in 0.." + std::to_string(K - 1);
            return false;
        }
        out.push_back(static_cast<int>(v));
    }
    return true;
}

namespace {

// Attention of W (column-major d x d) for a sequence, the last token being the query.
std::vector<double> attention_of(const TpgInfo& info, const double* W, const std::vector<int>& tokens) {
    TpgModel m(info.E);
    m.W = Eigen::Map<const Eigen::MatrixXd>(W, info.d, info.d);
    return m.attention(tokens);
}

// Bars for one sequence: height = attention, colour = the token's SCC in the query's graph.
void attention_bars(const TpgDataset& data, const std::vector<int>& tokens, const std::vector<double>& att, const QueryGraph* g, int label,
                    float height, const char* id) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float font = ImGui::GetFontSize();
    const float widest = data.words.empty() ? font * 3.0f : font * 5.0f;  // room for a word
    const float w = std::max(font * 1.6f, std::min(widest, ImGui::GetContentRegionAvail().x / std::max<std::size_t>(1, tokens.size())));
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const std::vector<int> rank = g ? scc_ranks(*g) : std::vector<int>{};
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        const float x = p.x + w * t;
        const float h = static_cast<float>(std::clamp(t < att.size() ? att[t] : 0.0, 0.0, 1.0)) * height;
        // A token keeps its colour in every row; its SCC's rank in this query's priority order is written under it.
        const int comp = g ? g->comp_of(tokens[t]) : -1;
        const ImU32 col = token_hue(tokens[t]);
        dl->AddRectFilled(ImVec2(x + 2, p.y), ImVec2(x + w - 2, p.y + height), IM_COL32(40, 44, 52, 255));
        dl->AddRectFilled(ImVec2(x + 2, p.y + height - h), ImVec2(x + w - 2, p.y + height), col);
        if (tokens[t] == label) dl->AddRect(ImVec2(x + 1, p.y), ImVec2(x + w - 1, p.y + height), IM_COL32(255, 255, 255, 230), 0, 0, 1.5f);
        const std::string name = fit_text(data.name(tokens[t]), w - 2);
        dl->AddText(ImVec2(x + w / 2 - ImGui::CalcTextSize(name.c_str()).x / 2, p.y + height + 1), ImGui::GetColorU32(ImGuiCol_Text), name.c_str());
        char buf[16];
        if (comp >= 0) {
            std::snprintf(buf, sizeof buf, "#%d", rank[comp] + 1);
            dl->AddText(ImVec2(x + w / 2 - ImGui::CalcTextSize(buf).x / 2, p.y + height + 1 + font), ImGui::GetColorU32(ImGuiCol_TextDisabled), buf);
        }
    }
    ImGui::InvisibleButton(id, ImVec2(std::max(1.0f, w * tokens.size()), height + font * 2.2f));
    if (ImGui::IsItemHovered()) {
        const int t = static_cast<int>((ImGui::GetIO().MousePos.x - p.x) / w);
        if (t >= 0 && t < static_cast<int>(tokens.size()) && t < static_cast<int>(att.size())) {
            ImGui::BeginTooltip();
            if (data.words.empty()) ImGui::Text("position %d: token %d, attention %.4f", t, tokens[t], att[t]);
            else ImGui::Text("position %d: '%s' (token %d), attention %.4f", t, data.name(tokens[t]).c_str(), tokens[t], att[t]);
            if (g && g->comp_of(tokens[t]) >= 0) ImGui::Text("SCC #%d in the priority order", rank[g->comp_of(tokens[t])] + 1);
            else if (g) ImGui::TextDisabled("not in this query's graph");
            if (tokens[t] == label) ImGui::TextDisabled("(the label)");
            ImGui::EndTooltip();
        }
    }
}

}  // namespace

void tpg_edit_refresh(TpgEdit& e, const TpgInfo& info) {
    e.error.clear();
    e.analysed = false;
    if (e.task) e.task->cancel();
    for (std::size_t i = 0; i < e.data.samples.size(); ++i) {
        const TpgSample& s = e.data.samples[i];
        if (s.tokens.size() < 2) {
            e.error = "sample " + std::to_string(i + 1) + ": needs at least 2 tokens (the last is the query)";
            return;
        }
        if (std::find(s.tokens.begin(), s.tokens.end(), s.label) == s.tokens.end()) {
            e.error = "sample " + std::to_string(i + 1) + ": the label must occur in the sequence";
            return;
        }
    }
    if (e.data.samples.empty()) {
        e.error = "the training set is empty";
        return;
    }
    // The graphs, the QP and W_fin in the background: the UI thread never waits for them.
    e.task = std::make_shared<Task<TpgAnalysis>>([data = e.data, E = info.E, ortho = info.orthonormal](TaskContext& ctx) {
        TpgAnalysis a;
        a.graphs = token_priority_graphs(data);
        if (ctx.cancelled()) return a;
        ctx.progress(0.3);
        a.svm = graph_svm(data, a.graphs, E, ortho, 1ULL << 30, ctx.cancel_check());
        if (ctx.cancelled()) return a;
        ctx.progress(0.7);
        a.fin = soft_composition(data, a.graphs, E, 1ULL << 30, ctx.cancel_check());
        ctx.progress(1);
        return a;
    });
}

bool tpg_edit_poll(TpgEdit& e) {
    if (!e.task || !e.task->ready()) return false;
    auto r = e.task->take();
    const std::string err = e.task->error();
    e.task.reset();
    if (!r) {
        e.error = "the analysis failed: " + err;
        return false;
    }
    e.graphs = std::move(r->graphs);
    e.svm = std::move(r->svm);
    e.fin = std::move(r->fin);
    e.analysed = true;
    return true;
}

void draw_tpg_graph(const Snapshot& snap, ViewState& view) {
    const TpgInfo& info = tpg_info(snap);
    if (tpg_view(view).edit) tpg_edit_poll(*tpg_view(view).edit);
    const auto& graphs = shown_graphs(snap, view);
    const float font = ImGui::GetFontSize();
    if (graphs.empty()) {
        ImGui::TextDisabled("No samples.");
        return;
    }
    if (tpg_view(view).run_id != snap.run_id) {
        // A new run: show the graph of the first sample's query.
        tpg_view(view).run_id = snap.run_id;
        tpg_view(view).sample = 0;
        // A text's graph has a node per word its windows hold: start at the 40 of highest degree to stay readable.
        if (!info.data.words.empty() && tpg_view(view).top_n == TpgView{}.top_n) tpg_view(view).top_n = 40;
        for (int i = 0; i < static_cast<int>(graphs.size()); ++i)
            if (!info.data.samples.empty() && graphs[i].query == info.data.samples[0].query()) tpg_view(view).query_index = i;
    }
    tpg_view(view).query_index = std::clamp(tpg_view(view).query_index, 0, static_cast<int>(graphs.size()) - 1);
    const QueryGraph& g = graphs[tpg_view(view).query_index];
    {  // this frame's node labels replace the last frame's
        auto& rects = view.widget_rects;
        auto it = rects.lower_bound("tpg.label.");
        while (it != rects.end() && it->first.rfind("tpg.label.", 0) == 0) it = rects.erase(it);
    }
    // Header: query picker, condensation toggle, node limit (in a figure: the query alone, as text).
    if (view.figure) {
        ImGui::Text("Token-priority graph of query %s", info.data.name(g.query).c_str());
    } else {
    ImGui::SetNextItemWidth(font * (info.data.words.empty() ? 7 : 11));
    if (ImGui::BeginCombo("##query", ("query " + info.data.name(g.query)).c_str())) {
        for (int i = 0; i < static_cast<int>(graphs.size()); ++i) {
            const std::string l = "query " + info.data.name(graphs[i].query) + " (" + std::to_string(graphs[i].samples.size()) + " samples)";
            if (ImGui::Selectable(l.c_str(), i == tpg_view(view).query_index)) tpg_view(view).query_index = i;
        }
        ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("One graph per query token: an edge y -> x for every sample whose label y beat a token x present");
    ImGui::SameLine();
    ImGui::Checkbox("condensation", &tpg_view(view).condensed);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Draw one node per strongly connected component (the condensation DAG)");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 5);
    ImGui::DragInt("max nodes", &tpg_view(view).top_n, 5, 10, 100000);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Large graphs: keep the nodes of highest degree");
    ImGui::SameLine();
    if (ImGui::SmallButton("fit")) {
        tpg_view(view).zoom = 1;
        tpg_view(view).pan = ImVec2(0, 0);
    }
    if (tpg_view(view).focus >= 0) {
        ImGui::SameLine();
        if (ImGui::SmallButton("all nodes")) tpg_view(view).focus = -1;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Showing the SCC of token %s and its neighbours", info.data.name(tpg_view(view).focus).c_str());
    }
    if (tpg_view(view).edit && tpg_view(view).edit->dirty) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(1.f, 0.7f, 0.3f, 1), "edited set");
    }
    }

    // Nodes: tokens of the graph (or components), filtered to the highest degree.
    const std::vector<int> rank = scc_ranks(g);
    // Degrees per node (the graph's nodes are the tokens its query saw, g.tokens).
    std::vector<int> degree(g.tokens.size(), 0);
    const auto& edges = g.edges;
    for (const auto& e : edges) {
        ++degree[g.node(e.first)];
        ++degree[g.node(e.second)];
    }
    std::vector<int> nodes;  // token ids, or component ids when condensed
    if (tpg_view(view).condensed) {
        nodes = g.scc.order;
    } else {
        if (tpg_view(view).focus >= 0 && g.node(tpg_view(view).focus) >= 0) {
            // One SCC and its neighbours.
            const int fc = g.comp_of(tpg_view(view).focus);
            std::set<int> keep(g.scc.members[fc].begin(), g.scc.members[fc].end());
            for (const auto& e : edges)
                if (g.comp_of(e.first) == fc || g.comp_of(e.second) == fc) {
                    keep.insert(e.first);
                    keep.insert(e.second);
                }
            nodes.assign(keep.begin(), keep.end());
        } else {
            nodes = g.tokens;
        }
        if (static_cast<int>(nodes.size()) > tpg_view(view).top_n) {
            std::stable_sort(nodes.begin(), nodes.end(), [&](int a, int b) { return degree[g.node(a)] > degree[g.node(b)]; });
            nodes.resize(tpg_view(view).top_n);
        }
    }
    // Layout: priority layers top to bottom; inside a layer, components in priority order, members together.
    std::map<int, std::vector<int>> layers;
    auto comp_of = [&](int n) { return tpg_view(view).condensed ? n : g.comp_of(n); };
    std::vector<int> sorted = nodes;
    std::stable_sort(sorted.begin(), sorted.end(), [&](int a, int b) { return rank[comp_of(a)] < rank[comp_of(b)]; });
    for (int n : sorted) layers[g.scc.layer[comp_of(n)]].push_back(n);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 size(std::max(avail.x, font * 10), std::max(avail.y, font * 8));
    ImGui::InvisibleButton("canvas", size, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
    record_item(view, "tpg.graph");
    const bool hovered = ImGui::IsItemHovered();
    ImGuiIO& io = ImGui::GetIO();
    if (ImGui::IsItemActive() && (ImGui::IsMouseDragging(0) || ImGui::IsMouseDragging(1))) {
        tpg_view(view).pan.x += io.MouseDelta.x;
        tpg_view(view).pan.y += io.MouseDelta.y;
    }
    if (hovered && io.MouseWheel != 0) {
        const float z = std::clamp(tpg_view(view).zoom * std::pow(1.15f, io.MouseWheel), 0.1f, 20.f);
        // Zoom about the mouse.
        const ImVec2 m(io.MousePos.x - p0.x - size.x / 2 - tpg_view(view).pan.x, io.MousePos.y - p0.y - size.y / 2 - tpg_view(view).pan.y);
        tpg_view(view).pan.x -= m.x * (z / tpg_view(view).zoom - 1);
        tpg_view(view).pan.y -= m.y * (z / tpg_view(view).zoom - 1);
        tpg_view(view).zoom = z;
    }
    const int nlayers = layers.empty() ? 1 : layers.rbegin()->first + 1;
    std::map<int, ImVec2> pos;
    std::map<int, float> spacing;  // horizontal room per node in each layer
    for (const auto& [layer, members] : layers) {
        spacing[layer] = (size.x - font * 2) * tpg_view(view).zoom / std::max<std::size_t>(1, members.size());
        for (std::size_t i = 0; i < members.size(); ++i) {
            const float fx = (i + 0.5f) / members.size() - 0.5f, fy = (layer + 0.5f) / nlayers - 0.5f;
            pos[members[i]] = ImVec2(p0.x + size.x / 2 + tpg_view(view).pan.x + fx * (size.x - font * 2) * tpg_view(view).zoom,
                                     p0.y + size.y / 2 + tpg_view(view).pan.y + fy * (size.y - font * 2) * tpg_view(view).zoom);
        }
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(p0, ImVec2(p0.x + size.x, p0.y + size.y), true);
    dl->AddRectFilled(p0, ImVec2(p0.x + size.x, p0.y + size.y), IM_COL32(18, 20, 26, 255));
    // Node radius: from the font and zoom, in each layer no wider than its room (nodes of a crowded layer never overlap).
    const float r_base = font * 0.9f * std::sqrt(tpg_view(view).zoom) * (nodes.size() > 60 ? 0.5f : 1.0f);
    std::map<int, float> layer_r;
    for (const auto& [layer, room] : spacing) layer_r[layer] = std::clamp(std::min(r_base, room * 0.45f), 3.0f, font * 3);
    auto rad = [&](int n) { return layer_r[g.scc.layer[comp_of(n)]]; };
    // Layer guides with their priority rank.
    for (const auto& [layer, members] : layers) {
        const float y = pos[members.front()].y;
        dl->AddLine(ImVec2(p0.x, y), ImVec2(p0.x + size.x, y), IM_COL32(60, 64, 74, 255));
        char buf[32];
        std::snprintf(buf, sizeof buf, "layer %d", layer);
        dl->AddText(ImVec2(p0.x + 4, y - font - 2), IM_COL32(110, 115, 130, 255), buf);
    }
    // SCC groups behind their members (tokens view).
    if (!tpg_view(view).condensed)
        for (const auto& [layer, members] : layers) {
            const float r = layer_r[layer];
            std::map<int, std::pair<float, float>> span;
            for (int n : members) {
                auto& s = span.try_emplace(g.comp_of(n), pos[n].x, pos[n].x).first->second;
                s.first = std::min(s.first, pos[n].x);
                s.second = std::max(s.second, pos[n].x);
            }
            for (const auto& [c, s] : span)
                if (g.scc.members[c].size() > 1) {
                    const float y = pos[members.front()].y;
                    dl->AddRectFilled(ImVec2(s.first - r * 1.6f, y - r * 1.6f), ImVec2(s.second + r * 1.6f, y + r * 1.6f), scc_color(rank[c], 0.22f), r);
                    dl->AddRect(ImVec2(s.first - r * 1.6f, y - r * 1.6f), ImVec2(s.second + r * 1.6f, y + r * 1.6f), scc_color(rank[c], 0.8f), r);
                }
        }
    // Hovered node.
    int hover = -1;
    for (int n : nodes) {
        const ImVec2 q = pos[n];
        if (hovered && std::hypot(io.MousePos.x - q.x, io.MousePos.y - q.y) <= rad(n) * 1.2f) hover = n;
    }
    // Edges with arrowheads, from the winner (higher priority) to the beaten token.
    auto arrow = [&](int from, int to, ImU32 col, float th) {
        const ImVec2 a = pos[from], b = pos[to];
        const float ra = rad(from), rb = rad(to);
        const float dx = b.x - a.x, dy = b.y - a.y, len = std::sqrt(dx * dx + dy * dy);
        if (len < ra + rb) return;
        const ImVec2 u(dx / len, dy / len);
        const ImVec2 s(a.x + u.x * ra, a.y + u.y * ra), e(b.x - u.x * rb, b.y - u.y * rb);
        dl->AddLine(s, e, col, th);
        const float hsz = std::max(4.f, rb * 0.6f);
        dl->AddTriangleFilled(e, ImVec2(e.x - u.x * hsz - u.y * hsz * 0.5f, e.y - u.y * hsz + u.x * hsz * 0.5f),
                              ImVec2(e.x - u.x * hsz + u.y * hsz * 0.5f, e.y - u.y * hsz - u.x * hsz * 0.5f), col);
    };
    if (tpg_view(view).condensed) {
        for (int c : nodes)
            for (int d : g.scc.dag[c])
                if (pos.count(d)) arrow(c, d, hover == c || hover == d ? IM_COL32(255, 255, 255, 230) : IM_COL32(150, 155, 170, 170), 1.5f);
    } else {
        for (const auto& e : edges) {
            if (!pos.count(e.first) || !pos.count(e.second)) continue;
            const bool inside = g.comp_of(e.first) == g.comp_of(e.second);
            const bool hi = hover == e.first || hover == e.second;
            ImU32 col = inside ? scc_color(rank[g.comp_of(e.first)], 0.9f) : IM_COL32(150, 155, 170, 140);
            if (hover >= 0) col = hi ? IM_COL32(255, 255, 255, 240) : IM_COL32(90, 95, 105, 90);
            arrow(e.first, e.second, col, hi ? 2.2f : 1.2f);
        }
    }
    // Node fill: the attention the selected sample gives the token (when it uses this query).
    const TpgFrame& f = tpg_frame(frame_at(snap, view));
    std::vector<double> mass(g.tokens.size(), -1.0);  // per node
    const int si = std::clamp(tpg_view(view).sample, 0, static_cast<int>(info.data.samples.size()) - 1);
    const bool sample_here = !info.data.samples.empty() && info.data.samples[si].query() == g.query && si < static_cast<int>(f.sample_attention.size()) &&
                             !(tpg_view(view).edit && tpg_view(view).edit->dirty);
    if (sample_here) {
        std::fill(mass.begin(), mass.end(), 0.0);
        const auto& s = info.data.samples[si];
        for (std::size_t t = 0; t < s.tokens.size(); ++t) {
            const int v = g.node(s.tokens[t]);
            if (v >= 0) mass[v] += f.sample_attention[si][t];
        }
    }
    for (int n : nodes) {
        const ImVec2 q = pos[n];
        const int c = comp_of(n);
        const float r = rad(n);
        const ImU32 col = scc_color(rank[c]);
        if (tpg_view(view).condensed) {
            const std::string label = "{" + join(g.scc.members[c], info.data) + "}";
            const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
            dl->AddRectFilled(ImVec2(q.x - ts.x / 2 - 6, q.y - ts.y / 2 - 4), ImVec2(q.x + ts.x / 2 + 6, q.y + ts.y / 2 + 4), scc_color(rank[c], 0.35f), 6);
            dl->AddRect(ImVec2(q.x - ts.x / 2 - 6, q.y - ts.y / 2 - 4), ImVec2(q.x + ts.x / 2 + 6, q.y + ts.y / 2 + 4), col, 6, 0, hover == c ? 2.5f : 1.2f);
            dl->AddText(ImVec2(q.x - ts.x / 2, q.y - ts.y / 2), IM_COL32(255, 255, 255, 255), label.c_str());
            continue;
        }
        const double node_mass = mass[g.node(n)];
        const bool in_sample = sample_here && node_mass >= 0 && std::find(info.data.samples[si].tokens.begin(), info.data.samples[si].tokens.end(), n) != info.data.samples[si].tokens.end();
        dl->AddCircleFilled(q, r, IM_COL32(30, 33, 40, 255));
        if (sample_here && in_sample) {
            // Fill from the bottom in proportion to the attention mass.
            const float m = static_cast<float>(std::clamp(node_mass, 0.0, 1.0));
            dl->PushClipRect(ImVec2(q.x - r, q.y + r - 2 * r * m), ImVec2(q.x + r, q.y + r), true);
            dl->AddCircleFilled(q, r, col);
            dl->PopClipRect();
        }
        dl->AddCircle(q, r, hover == n ? IM_COL32(255, 255, 255, 255) : col, 0, hover == n ? 2.5f : 1.5f);
        // Labels only where they do not collide (zoom in to read a crowded layer); a long word is cut to its room.
        const std::string name = fit_text(info.data.name(n), spacing[g.scc.layer[c]] - 2);
        const ImVec2 ts = ImGui::CalcTextSize(name.c_str());
        if (!name.empty() && ts.x + 2 < spacing[g.scc.layer[c]]) {
            dl->AddText(ImVec2(q.x - ts.x / 2, q.y - ts.y / 2), IM_COL32(255, 255, 255, 255), name.c_str());
            // Where each drawn label is (for the rendering test, which checks its pixels).
            view.widget_rects["tpg.label." + name] = ImVec4(q.x - ts.x / 2, q.y - ts.y / 2, q.x + ts.x / 2, q.y + ts.y / 2);
        }
    }
    dl->PopClipRect();
    if (hover >= 0 && !tpg_view(view).condensed && ImGui::IsMouseDoubleClicked(0)) tpg_view(view).focus = tpg_view(view).focus == hover ? -1 : hover;
    if (hover >= 0) {
        ImGui::BeginTooltip();
        if (tpg_view(view).condensed) {
            ImGui::Text("SCC #%d in the priority order: {%s}", rank[hover] + 1, join(g.scc.members[hover], info.data).c_str());
        } else {
            const int c = g.comp_of(hover);
            ImGui::Text("token %s: SCC #%d {%s}, layer %d", info.data.name(hover).c_str(), rank[c] + 1, join(g.scc.members[c], info.data).c_str(),
                        g.scc.layer[c]);
            std::vector<int> beats, beaten;
            for (const auto& e : edges) {
                if (e.first == hover) beats.push_back(e.second);
                if (e.second == hover) beaten.push_back(e.first);
            }
            ImGui::PushTextWrapPos(font * 40);
            ImGui::Text("beats (as a label): %s", beats.empty() ? "-" : join(beats, info.data).c_str());
            ImGui::Text("beaten by: %s", beaten.empty() ? "-" : join(beaten, info.data).c_str());
            ImGui::PopTextWrapPos();
            if (sample_here && mass[g.node(hover)] >= 0) ImGui::Text("attention of sample %d: %.4f", si + 1, mass[g.node(hover)]);
            const int col = g.query;
            const bool edited = showing_edit(view);
            const Eigen::MatrixXd& wsvm = edited ? tpg_view(view).edit->svm.W : info.W_svm;
            const Eigen::VectorXd ej = info.E.row(hover).transpose(), ek = info.E.row(col).transpose();
            ImGui::Text("W_svm%s: e_%d^T W_svm e_%d = %.4f", edited ? " (edited set)" : "", hover, col, ej.dot(wsvm * ek));
            ImGui::TextDisabled("double-click: show only this SCC and its neighbours");
        }
        ImGui::EndTooltip();
    }
    // Overlay help.
    const char* help = "drag: pan   wheel: zoom   hover: edges and SCC   double-click: focus an SCC";
    if (!sample_here && !view.figure && !info.data.samples.empty()) {
        char note[320];
        std::snprintf(note, sizeof note, "nodes are empty: sample #%d uses query %s; select a sample of query %s to fill them with its attention",
                      si + 1, info.data.name(info.data.samples[si].query()).c_str(), info.data.name(g.query).c_str());
        dl->AddText(ImGui::GetFont(), font, ImVec2(p0.x + 6, p0.y + 4), IM_COL32(150, 155, 170, 255), note, nullptr, size.x - 12);
    }
    if (!view.figure) {  // wrapped at the canvas's width, its last line on the bottom edge
        const float help_h = ImGui::CalcTextSize(help, nullptr, false, size.x - 12).y;
        dl->AddText(ImGui::GetFont(), font, ImVec2(p0.x + 6, p0.y + size.y - help_h - 4), IM_COL32(110, 115, 130, 255), help, nullptr, size.x - 12);
    }
}

void draw_tpg_samples(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    const TpgInfo& info = tpg_info(snap);
    const float font = ImGui::GetFontSize();
    const TpgFrame& f = tpg_frame(frame_at(snap, view));
    const float bar_h = font * 2.2f;
    if (ImGui::CollapsingHeader("Attention of each sample", ImGuiTreeNodeFlags_DefaultOpen)) {
        // Wrapped at the panel's edge (these lines are longer than the panel is wide at 1920 px).
        ImGui::PushTextWrapPos(0.f);
        ImGui::TextDisabled("bar = attention on a position; colour = the token; #k = its SCC's rank in the priority order; white frame = the label");
        if (info.data.samples.size() > kTpgShownSamples)
            ImGui::TextDisabled("the first %zu of %zu samples", kTpgShownSamples, info.data.samples.size());
        if (!info.svm.skipped.empty()) ImGui::TextColored(ImVec4(1.f, 0.7f, 0.3f, 1), "%s", info.svm.skipped.c_str());
        if (!info.fin_note.empty()) ImGui::TextColored(ImVec4(1.f, 0.7f, 0.3f, 1), "%s", info.fin_note.c_str());
        ImGui::PopTextWrapPos();
        for (std::size_t i = 0; i < std::min(info.data.samples.size(), kTpgShownSamples); ++i) {
            const TpgSample& s = info.data.samples[i];
            ImGui::PushID(static_cast<int>(i));
            const bool sel = tpg_view(view).sample == static_cast<int>(i);
            const std::string label = "#" + std::to_string(i + 1) + "  query " + info.data.name(s.query()) + "  label " + info.data.name(s.label);
            if (ImGui::Selectable(label.c_str(), sel, 0, ImVec2(font * (info.data.words.empty() ? 11 : 16), 0))) {
                tpg_view(view).sample = static_cast<int>(i);
                for (int q = 0; q < static_cast<int>(info.graphs.size()); ++q)
                    if (info.graphs[q].query == s.query()) tpg_view(view).query_index = q;
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Select: show this sample's attention on the graph's nodes");
            const QueryGraph* g = find_graph(info.graphs, s.query());
            double top = 0;
            if (g && i < f.sample_attention.size())
                for (std::size_t t = 0; t < s.tokens.size(); ++t)
                    if (g->comp_of(s.tokens[t]) == g->comp_of(s.label)) top += f.sample_attention[i][t];
            ImGui::SameLine();
            ImGui::TextDisabled("top-SCC mass %.3f", top);
            attention_bars(info.data, s.tokens, i < f.sample_attention.size() ? f.sample_attention[i] : std::vector<double>{}, g, s.label, bar_h, "bars");
            ImGui::PopID();
        }
    }
    if (ImGui::CollapsingHeader("Retrieval probe", ImGuiTreeNodeFlags_DefaultOpen)) {
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s", tpg_view(view).probe.c_str());
        ImGui::SetNextItemWidth(-1);
        const char* hint = info.data.words.empty() ? "token ids, the last is the query, e.g. 0 1 2" : "words (or token ids) of these windows, the last is the query";
        if (ImGui::InputTextWithHint("##probe", hint, buf, sizeof buf)) tpg_view(view).probe = buf;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Any sequence: the attention the current W gives it, and what the graph predicts");
        std::vector<int> toks;
        std::string err;
        if (!tpg_view(view).probe.empty()) {
            if (!tpg_parse_tokens(tpg_view(view).probe, info.data, toks, err)) {
                ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", err.c_str());
            } else if (!toks.empty()) {
                // The graph's prediction is for the set the graph shows: the edited one once it is analysed.
                const bool edited = showing_edit(view);
                const QueryGraph* g = find_graph(edited ? tpg_view(view).edit->graphs : info.graphs, toks.back());
                const Eigen::MatrixXd& w_fin = edited ? tpg_view(view).edit->fin.W_fin : info.W_fin;
                ImGui::TextUnformatted("current W:");
                attention_bars(info.data, toks, attention_of(info, f.W.data(), toks), g, -1, bar_h, "probe_now");
                if (!g) {
                    ImGui::TextDisabled("query %s has no graph (no training sample ends with it)", info.data.name(toks.back()).c_str());
                } else {
                    // Prediction: the highest-priority SCC present, mixed inside by W_fin.
                    const int top = top_scc(*g, toks);
                    std::vector<double> pred(toks.size(), 0.0);
                    double total = 0;
                    const Eigen::VectorXd ek = info.E.row(toks.back()).transpose();
                    for (std::size_t t = 0; t < toks.size(); ++t)
                        if (top >= 0 && g->comp_of(toks[t]) == top) {
                            pred[t] = std::exp(info.E.row(toks[t]).dot(w_fin * ek));
                            total += pred[t];
                        }
                    for (double& v : pred) v = total > 0 ? v / total : 0;
                    std::vector<int> members;
                    if (top >= 0)
                        for (int t : g->scc.members[top]) members.push_back(t);
                    ImGui::Text("graph%s predicts: SCC {%s}, mixed by W_fin:", edited ? " of the edited set" : "", join(members, info.data).c_str());
                    attention_bars(info.data, toks, pred, g, -1, bar_h, "probe_pred");
                }
            }
        }
    }
    const bool editor_open = ImGui::CollapsingHeader("Training set editor");
    view.widget_rects["tpg_editor"] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
    if (editor_open) {
        if (!tpg_view(view).edit || tpg_view(view).edit->run_id != snap.run_id) {
            tpg_view(view).edit = std::make_shared<TpgEdit>();
            tpg_view(view).edit->data = info.data;
            tpg_view(view).edit->run_id = snap.run_id;
            tpg_edit_refresh(*tpg_view(view).edit, info);
        }
        TpgEdit& e = *tpg_view(view).edit;
        bool changed = false;
        int remove = -1;
        if (e.data.words.empty()) ImGui::TextDisabled("tokens (space separated, the last is the query) and label; K = %d", e.data.K);
        else ImGui::TextDisabled("words or token ids (space separated, the last is the query) and the label's id; K = %d words", e.data.K);
        ImGuiListClipper clipper;  // only the rows on screen are built (sets can have thousands of samples)
        clipper.Begin(static_cast<int>(e.data.samples.size()));
        while (clipper.Step())
        for (int ci = clipper.DisplayStart; ci < clipper.DisplayEnd; ++ci) {
            const std::size_t i = static_cast<std::size_t>(ci);
            ImGui::PushID(static_cast<int>(i) + 1000);
            TpgSample& s = e.data.samples[i];
            char buf[1024];
            std::snprintf(buf, sizeof buf, "%s", join(s.tokens, e.data).c_str());
            ImGui::SetNextItemWidth(font * (e.data.words.empty() ? 10 : 18));
            if (ImGui::InputText("##tok", buf, sizeof buf)) {
                std::vector<int> toks;
                std::string err;
                if (tpg_parse_tokens(buf, e.data, toks, err)) {
                    s.tokens = toks;
                    changed = true;
                } else {
                    e.error = "sample " + std::to_string(i + 1) + ": " + err;
                }
            }
            ImGui::SameLine();
            ImGui::SetNextItemWidth(font * 5);
            if (ImGui::InputInt("##label", &s.label)) {
                s.label = std::clamp(s.label, 0, e.data.K - 1);
                changed = true;
            }
            if (!e.data.words.empty()) {
                ImGui::SameLine();
                ImGui::TextDisabled("%s", fit_text(e.data.name(s.label), font * 6).c_str());
            }
            ImGui::SameLine();
            if (ImGui::SmallButton("remove")) remove = static_cast<int>(i);
            ImGui::PopID();
        }
        if (remove >= 0) {
            e.data.samples.erase(e.data.samples.begin() + remove);
            changed = true;
        }
        if (ImGui::SmallButton("+ sample")) {
            TpgSample s = e.data.samples.empty() ? TpgSample{{0, 1}, 0} : e.data.samples.back();
            e.data.samples.push_back(s);
            changed = true;
        }
        view.widget_rects["tpg_add"] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
        if (changed) {
            e.dirty = true;
            tpg_edit_refresh(e, info);
        }
        if (!e.error.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", e.error.c_str());
        else if (e.task) ImGui::TextDisabled("Analysing the edited set (graphs, W_svm, W_fin) in the background... %.0f%%", 100 * e.task->progress());
        else if (e.dirty) ImGui::TextDisabled("The graph above shows the edited set; W_svm QP %s.", e.svm.converged ? "solved" : "did not converge");
        ImGui::BeginDisabled(!e.dirty || !e.error.empty());
        if (ImGui::Button("Restart training on this set")) send(Command::lab_command(std::make_shared<TpgSetTrainingSet>(e.data)));
        ImGui::EndDisabled();
        view.widget_rects["tpg_restart"] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
        ImGui::SameLine();
        if (ImGui::Button("Revert")) {
            e.data = info.data;
            e.dirty = false;
            tpg_edit_refresh(e, info);
        }
    }
}

void draw_tpg_curves(const Snapshot& snap, ViewState& view) {
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const int per_row = std::clamp(static_cast<int>(avail.x / (font * 14)), 1, 4);
    const float w = (avail.x - (per_row - 1) * st.ItemSpacing.x) / per_row;
    const int rows = (4 + per_row - 1) / per_row;
    ImVec2 size(w, font * 6);  // the height once the legends are known (below)
    auto series = [&](const std::vector<FramePtr>& fr, const char* label, ImU32 col, double (*get)(const Frame&)) {
        PlotSeries s;
        s.label = label;
        s.color = col;
        for (const FramePtr& f : fr) {
            s.x.push_back(static_cast<double>(f->step));
            s.y.push_back(get(*f));
        }
        return s;
    };
    auto add = [&](std::vector<PlotSeries>& out, const char* label, ImU32 col, double (*get)(const Frame&)) {
        if (view.pinned && view.pinned->info && view.pinned->info->lab_as<TpgInfo>()) {
            PlotSeries p = series(view.pinned->frames, label, (col & 0x00FFFFFF) | (70u << 24), get);
            p.label += " (pinned)";
            p.in_legend = false;
            out.push_back(std::move(p));
        }
        out.push_back(series(snap.frames, label, col, get));
    };
    int placed = 0;
    auto plot = [&](const char* id, const char* title, std::vector<PlotSeries> s, PlotState& state, PlotOptions opt) {
        draw_plot(id, title, s, state, opt, snap, view, size);
        if (++placed % per_row != 0) ImGui::SameLine();
    };
    std::vector<PlotSeries> loss, corr, proj, mass;
    add(loss, "loss", IM_COL32(240, 240, 240, 255), [](const Frame& f) { return f.loss; });
    add(corr, "corr(W, W_svm)", IM_COL32(255, 140, 60, 255), [](const Frame& f) { return tpg_frame(f).tpg.corr_svm; });
    add(corr, "corr(W, R W_svm + W_fin)", IM_COL32(90, 200, 255, 255), [](const Frame& f) { return tpg_frame(f).tpg.corr_fit; });
    add(corr, "projected corr (paper)", IM_COL32(200, 140, 255, 255), [](const Frame& f) { return tpg_frame(f).tpg.proj_corr; });
    add(proj, "|Pi W - W_fin|", IM_COL32(120, 220, 90, 255), [](const Frame& f) { return tpg_frame(f).tpg.proj_dist; });
    add(proj, "|Pi W - W_fin(tau)| (paper)", IM_COL32(255, 150, 170, 255), [](const Frame& f) { return tpg_frame(f).tpg.proj_dist_tau; });
    add(mass, "label's SCC", IM_COL32(250, 210, 60, 255), [](const Frame& f) { return tpg_frame(f).tpg.top_scc_mass; });
    add(mass, "max over SCCs (paper)", IM_COL32(90, 220, 200, 255), [](const Frame& f) { return tpg_frame(f).tpg.max_scc_mass; });
    // Title, x-axis labels and the legend rows (entries wrap at the plot's width: more rows with the large font).
    int legend = 1;
    for (const auto* v : {&loss, &corr, &proj, &mass}) legend = std::max(legend, legend_rows(*v, w, view.figure));
    const float overhead = 2 * font + 2 * st.ItemSpacing.y + legend * (font + 2 * st.FramePadding.y + st.ItemSpacing.y);
    size.y = std::max(font * 6, (avail.y - (rows - 1) * st.ItemSpacing.y) / rows - overhead);
    PlotOptions lo;
    lo.log_y = view.log_loss;
    lo.y_label = "nats";
    plot("tloss", "Loss (log)", loss, view.loss_plot, lo);
    PlotOptions co;
    co.y_label = "cosine";
    plot("tcorr", "Correlation with W_svm", corr, tpg_view(view).corr_plot, co);
    PlotOptions po;
    po.y_label = "Frobenius norm";
    plot("tproj", "|Pi_Sfin W - W_fin|", proj, tpg_view(view).proj_plot, po);
    PlotOptions mo;
    mo.y_label = "mean attention";
    mo.fixed_y = true;
    mo.y_min = 0;
    mo.y_max = 1.02;
    plot("tmass", "Attention on the top SCC", mass, tpg_view(view).mass_plot, mo);
}

namespace {

void settings(Config& c, const SettingsFields& ui) {
    if (c.data.kind == "synthetic") {
        ui.int_field("samples n", tpg_settings(c).num_samples, 1, 10000, "data.num_samples: sequences in the training set");
        ui.int_field("length T", c.data.seq_len, 2, 1000, "data.seq_len: tokens per sequence (the last is the query)");
        ui.int_field("vocabulary K", c.data.vocab_size, 2, 1000, "data.vocab_size: tokens");
    }
    if (c.data.kind == "text") {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%s", tpg_settings(c).query_word.c_str());
        ImGui::SetNextItemWidth(ui.half);
        if (ImGui::InputTextWithHint("query word", "most windows", buf, sizeof buf)) tpg_settings(c).query_word = buf;
        tip("data.query_word: the graph of the windows ending in this word (empty: the word ending the most windows that hold their next word)");
        ui.int_field("labels", tpg_settings(c).num_labels, 1, 1000, "data.num_labels: the query's most frequent next words kept as labels");
        ui.int_field("windows n", tpg_settings(c).num_samples, 1, 100000, "data.num_samples: windows kept, spread evenly over the text");
        ui.int_field("window T", c.data.seq_len, 2, 1000, "data.seq_len: words per window (the last is the query word)");
    }
    ui.int_field("dimension d", tpg_settings(c).dim, 0, 512, "model.dim: embedding dimension (0: K)");
    const char* embs[] = {"onehot", "ortho", "random", "equicorr"};
    int e = 0;
    for (int i = 0; i < 4; ++i)
        if (tpg_settings(c).embedding == embs[i]) e = i;
    ImGui::SetNextItemWidth(ui.half);
    if (ImGui::Combo("##emb", &e, embs, 4)) tpg_settings(c).embedding = embs[e];
    tip("Token embeddings: onehot (d = K), ortho (random orthonormal, d >= K), random (unit Gaussian), equicorr (rho)");
    if (c.data.kind == "synthetic") {  // the generator's
    ImGui::SameLine();
    const char* graphs[] = {"any", "cyclic", "acyclic"};
    int gk = 0;
    for (int i = 0; i < 3; ++i)
        if (tpg_settings(c).graph == graphs[i]) gk = i;
    ImGui::SetNextItemWidth(ui.half);
    if (ImGui::Combo("##graph", &gk, graphs, 3)) tpg_settings(c).graph = graphs[gk];
    tip("Generator: resample until some graph has a cycle (cyclic), none has (acyclic), or take the first (any)");
    }
    const char* opts[] = {"normalized_gd", "gd", "momentum"};
    int o = 0;
    for (int i = 0; i < 3; ++i)
        if (c.train.optimizer == opts[i]) o = i;
    ImGui::SetNextItemWidth(ui.half);
    if (ImGui::Combo("##opt", &o, opts, 3)) c.train.optimizer = opts[o];
    tip("normalized_gd is the paper's optimiser: W -= eta grad / |grad|");
    ImGui::SameLine();
}

void panels(const Snapshot& snap, ViewState& view, const CommandSink& send, HeatmapTextures*, const LabArea& area) {
    const float graph_w = std::floor(area.w * 0.55f);
    if (area.begin_panel(Panel::Attention, "Token-priority graph", ImVec2(area.x, 0), ImVec2(graph_w, area.top_h))) draw_tpg_graph(snap, view);
    ImGui::End();
    if (area.begin_window("Samples, probe and editor", ImVec2(area.x + graph_w, 0), ImVec2(area.w - graph_w, area.top_h)))
        draw_tpg_samples(snap, view, send);
    ImGui::End();
    // The top panel, for exports, is the graph and the samples together.
    view.panel_pos[static_cast<int>(Panel::Attention)] = ImVec2(area.x, 0);
    view.panel_size[static_cast<int>(Panel::Attention)] = ImVec2(area.w, area.top_h);
    view.panel_content[static_cast<int>(Panel::Attention)] = ImVec4(area.x, 0, area.w, area.top_h);
    if (area.begin_panel(Panel::Curves, "Curves over training steps", ImVec2(area.x, area.top_h), ImVec2(area.w, area.bottom_h)))
        draw_tpg_curves(snap, view);
    ImGui::End();
}

}  // namespace

LabPanels tpg_panels() {
    LabPanels p;
    p.kind = "tpg";
    p.switch_label = "Lab: Token-priority graphs (Li et al. 2024)";
    p.first_preset = "tpg-cyclic";
    p.lr_help = {{"lr", "Learning rate of W (log scale). With normalised GD each step moves W by exactly eta in Frobenius norm"}};
    p.settings = &settings;
    p.panels = &panels;
    return p;
}

}  // namespace snapscope::gui
