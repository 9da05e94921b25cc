#include "transformer/transformer_panels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "colormap.hpp"
#include "theme.hpp"
#include <optional>
#include "keys.hpp"
#include "snapscope/transformer_run.hpp"

namespace snapscope::gui {

TransformerLabView& transformer_view(ViewState& view) { return view.lab_view<TransformerLabView>("transformer"); }

void TransformerLabView::to_json(nlohmann::json& view) const {
    view["probe_example"] = example;
    view["probe_permutation"] = perm;
    if (pins_set) view["text_pins"] = pins;
    view["text_map"] = text_map;
    view["text_query"] = query;
}

void TransformerLabView::from_json(ViewJsonReader& r) {
    r.integer("probe_example", example, 0, 1000000);
    r.integer("text_map", text_map, 0, 8 * 64 - 1);
    r.integer("text_query", query, -1, 1048575);
    if (r.has("text_pins")) {
        const nlohmann::json& p = r.at("text_pins");
        std::vector<std::int64_t> v;
        bool ok = p.is_array() && p.size() <= 64;
        for (std::size_t i = 0; ok && i < p.size(); ++i) {
            ok = p[i].is_number_integer() && p[i].get<long long>() >= 0;
            if (ok) v.push_back(p[i].get<std::int64_t>());
        }
        if (ok) {
            pins = v;
            pins_set = true;
        } else {
            r.warn("text_pins", "at most 64 steps (whole numbers from 0)");
        }
    }
    if (r.has("probe_permutation")) {
        const nlohmann::json& p = r.at("probe_permutation");
        std::vector<int> v;
        bool ok = p.is_array() && p.size() <= 100000;
        if (ok)
            for (const nlohmann::json& x : p) {
                if (!x.is_number_integer() || x.get<long long>() < 0 || x.get<long long>() >= static_cast<long long>(p.size())) {
                    ok = false;
                    break;
                }
                v.push_back(x.get<int>());
            }
        std::vector<int> sorted = v;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; ok && i < sorted.size(); ++i) ok = sorted[i] == static_cast<int>(i);
        if (ok) perm = v;
        else r.warn("probe_permutation", "a permutation of 0..n-1 (the prefix's positions)");
    }
}

namespace {

const TransformerInfo& info_of(const Snapshot& snap) {
    static const TransformerInfo none;
    return snap.info ? transformer_info(*snap.info) : none;
}

const char* verdict(const TransformerSpec& s) {
    if (s.pe != PosEncoding::None) return "Positional encoding: the prediction can depend on the order of the prefix.";
    if (!s.causal) return "No positional encoding and no causal mask: the model is permutation-equivariant, so the last position's prediction cannot depend on the order of the prefix, at any depth.";
    if (s.layers == 1) return "No positional encoding, a causal mask, one layer: the last position still attends to an unordered set, so its prediction cannot depend on the order.";
    return "No positional encoding, a causal mask and two or more layers: earlier positions see different prefixes, so order gets in through the mask.";
}

ImU32 variant_colour(std::size_t i) {
    static const ImU32 c[] = {IM_COL32(255, 120, 90, 255), IM_COL32(250, 210, 60, 255), IM_COL32(90, 200, 255, 255), IM_COL32(140, 230, 120, 255)};
    return c[i % 4];
}

const char* variant_label(const std::string& name) {
    if (name == "nope_bidirectional") return "NoPE, no mask";
    if (name == "nope_causal_1") return "NoPE causal, 1 layer";
    if (name == "nope_causal_2") return "NoPE causal, 2 layers";
    if (name == "sinusoidal") return "sinusoidal PE";
    return "?";
}

std::string model_text(const TransformerSpec& s) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "PE %s, %s, %d layer%s x %d head%s, d %d, LayerNorm %s%s%s", pos_encoding_name(s.pe),
                  s.causal ? "causal mask" : "no mask", s.layers, s.layers == 1 ? "" : "s", s.heads, s.heads == 1 ? "" : "s", s.d,
                  layer_norm_name(s.ln), s.residual ? ", residual" : ", no residual", s.mlp ? ", MLP" : ", no MLP");
    return buf;
}

std::vector<double> softmax(const double* l, int n) {
    std::vector<double> p(l, l + n);
    const double mx = *std::max_element(p.begin(), p.end());
    double z = 0;
    for (double& v : p) z += (v = std::exp(v - mx));
    for (double& v : p) v /= z;
    return p;
}

}  // namespace

std::vector<std::int32_t> parse_sequence(const std::string& text, const TransformerInfo& info) {
    std::vector<std::int32_t> out;
    bool single = !info.token_names.empty();
    for (const std::string& n : info.token_names) single = single && n.size() == 1;
    if (single) {
        for (char ch : text) {
            if (ch == ' ' || ch == ',') continue;
            const auto it = std::find(info.token_names.begin(), info.token_names.end(), std::string(1, ch));
            if (it == info.token_names.end()) throw std::invalid_argument(std::string("'") + ch + "' is not a token of this task");
            out.push_back(static_cast<std::int32_t>(it - info.token_names.begin()));
        }
    } else {
        std::string cur;
        auto flush = [&] {
            if (cur.empty()) return;
            const auto it = std::find(info.token_names.begin(), info.token_names.end(), cur);
            if (it != info.token_names.end()) out.push_back(static_cast<std::int32_t>(it - info.token_names.begin()));
            else {
                std::size_t used = 0;
                long v = -1;
                try {
                    v = std::stol(cur[0] == '#' ? cur.substr(1) : cur, &used);
                } catch (const std::exception&) {
                    used = 0;
                }
                if (used == 0 || v < 0 || v >= static_cast<long>(info.token_names.size()))
                    throw std::invalid_argument("'" + cur + "' is not a token id below " + std::to_string(info.token_names.size()));
                out.push_back(static_cast<std::int32_t>(v));
            }
            cur.clear();
        };
        for (char ch : text) {
            if (ch == ' ' || ch == ',') flush();
            else cur += ch;
        }
        flush();
    }
    return out;
}

std::string sequence_text(const std::vector<std::int32_t>& s, const TransformerInfo& info) {
    bool single = true;
    for (const std::string& n : info.token_names) single = single && n.size() == 1;
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const std::size_t t = static_cast<std::size_t>(s[i]);
        const std::string name = t < info.token_names.size() ? info.token_names[t] : "?";
        out += (single || i == 0 ? "" : " ") + name;
    }
    return out;
}

void permute_prefix(TransformerLabView& v, int n) {
    const int k = n - 1;  // positions 0..n-2; the last stays
    std::vector<int> p(static_cast<std::size_t>(std::max(k, 0)));
    std::iota(p.begin(), p.end(), 0);
    Rng rng(v.perm_seed++);
    for (int tries = 0; tries < 8; ++tries) {
        for (int i = k; i > 1; --i) std::swap(p[static_cast<std::size_t>(i - 1)], p[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i)))]);
        bool moved = k < 2;
        for (int i = 0; i < k; ++i) moved = moved || p[static_cast<std::size_t>(i)] != i;
        std::vector<int> old(v.perm.begin(), v.perm.end());
        if (moved && p != old) break;
    }
    v.perm = p;
}

void update_probe(const Snapshot& snap, TransformerLabView& v) {
    const TransformerInfo& info = info_of(snap);
    const auto* live = dynamic_cast<const TransformerLive*>(snap.live.get());
    if (!live || info.spec.vocab <= 0) {
        v.probe = ProbeResult{};
        v.probe.error = "no model yet";
        return;
    }
    // The sequence: the typed one, else the held-out example.
    std::vector<std::int32_t> seq;
    std::string error;
    if (!v.typed.empty()) {
        try {
            seq = parse_sequence(v.typed, info);
        } catch (const std::exception& e) {
            error = e.what();
        }
    } else if (!info.examples.empty()) {
        v.example = std::clamp(v.example, 0, static_cast<int>(info.examples.size()) - 1);
        seq = info.examples[static_cast<std::size_t>(v.example)];
    }
    if (error.empty() && seq.size() < 2) error = "a sequence of at least 2 tokens (the prefix, then the position that predicts)";
    if (error.empty() && static_cast<int>(seq.size()) > info.spec.max_len)
        error = "longer than the model's " + std::to_string(info.spec.max_len) + " positions";
    const int n = static_cast<int>(seq.size());
    if (error.empty() && static_cast<int>(v.perm.size()) != n - 1) {
        v.perm.resize(static_cast<std::size_t>(n - 1));
        std::iota(v.perm.begin(), v.perm.end(), 0);
    }
    std::string key = std::to_string(live->serial) + "|" + std::to_string(snap.run_id) + "|" + error + "|" + (v.show_permuted ? "p" : "o") + "|";
    for (auto t : seq) key += std::to_string(t) + ",";
    key += "|";
    for (int p : v.perm) key += std::to_string(p) + ",";
    if (key == v.input_key) return;
    v.input_key = key;
    ProbeResult r;
    r.error = error;
    if (!error.empty()) {
        v.probe = r;
        return;
    }
    if (!v.model || v.model->spec().vocab != info.spec.vocab || v.model->params.size() != live->params.size() ||
        transformer_tensors(v.model->spec()).size() != transformer_tensors(info.spec).size() || v.model->spec().causal != info.spec.causal ||
        v.model->spec().pe != info.spec.pe || v.model->spec().ln != info.spec.ln || v.model->spec().residual != info.spec.residual ||
        v.model->spec().heads != info.spec.heads || v.model->spec().max_len != info.spec.max_len) {
        TransformerSpec s = info.spec;
        s.dropout = 0;
        v.model = std::make_unique<Transformer<double>>(s);
        v.model_serial = 0;
    }
    if (v.model_serial != live->serial) {
        v.model->params.assign(live->params.begin(), live->params.end());
        v.model_serial = live->serial;
    }
    r.tokens = seq;
    r.perm.assign(v.perm.begin(), v.perm.end());
    r.perm.push_back(n - 1);
    r.permuted.resize(seq.size());
    for (int i = 0; i < n; ++i) r.permuted[static_cast<std::size_t>(i)] = seq[static_cast<std::size_t>(r.perm[static_cast<std::size_t>(i)])];
    const TransformerSpec& s = v.model->spec();
    const int V = s.vocab;
    auto run = [&](const std::vector<std::int32_t>& t) {
        SeqBatch b;
        b.add(t, std::vector<std::int32_t>(t.size(), -1));
        v.model->forward(b, nullptr, true);
    };
    run(r.permuted);
    const std::vector<double> lp(v.model->logits().row(n - 1).data(), v.model->logits().row(n - 1).data() + V);
    auto collect = [&]() {
        r.n = n;
        r.layers = s.layers;
        r.heads = s.heads;
        r.attention.clear();
        for (int l = 0; l < s.layers; ++l)
            for (int j = 0; j < s.heads; ++j) {
                const double* a = v.model->attention(l, 0, j);
                r.attention.insert(r.attention.end(), a, a + static_cast<std::size_t>(n) * n);
            }
        // Cosine similarity between every pair of hidden states (layer, position), layer-major.
        const int m = (s.layers + 1) * n;
        std::vector<Eigen::RowVectorXd> h;
        for (int l = 0; l <= s.layers; ++l)
            for (int p = 0; p < n; ++p) {
                Eigen::RowVectorXd x = v.model->hidden(l).row(p);
                const double nn = x.norm();
                h.push_back(nn > 0 ? Eigen::RowVectorXd(x / nn) : x);
            }
        r.cosine.assign(static_cast<std::size_t>(m) * m, 0.0);
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < m; ++j) r.cosine[static_cast<std::size_t>(i) * m + j] = h[static_cast<std::size_t>(i)].dot(h[static_cast<std::size_t>(j)]);
    };
    if (v.show_permuted) collect();
    run(r.tokens);
    const std::vector<double> lo(v.model->logits().row(n - 1).data(), v.model->logits().row(n - 1).data() + V);
    if (!v.show_permuted) collect();
    r.probs = softmax(lo.data(), V);
    r.probs_permuted = softmax(lp.data(), V);
    for (int k = 0; k < V; ++k) {
        r.max_change = std::max(r.max_change, std::abs(lo[static_cast<std::size_t>(k)] - lp[static_cast<std::size_t>(k)]));
        r.max_logit = std::max(r.max_logit, std::abs(lo[static_cast<std::size_t>(k)]));
    }
    r.predicted = static_cast<int>(std::max_element(r.probs.begin(), r.probs.end()) - r.probs.begin());
    r.predicted_permuted = static_cast<int>(std::max_element(r.probs_permuted.begin(), r.probs_permuted.end()) - r.probs_permuted.begin());
    if (info.task == "addition" && seq.back() == AdditionTask::kEquals) {
        auto decode = [&](std::vector<std::int32_t> t) {
            std::vector<std::int32_t> out;
            for (int k = 0; k <= info.digits && static_cast<int>(t.size()) < s.max_len + 1; ++k) {
                if (static_cast<int>(t.size()) > s.max_len) break;
                run(t);
                const auto row = v.model->logits().row(static_cast<Eigen::Index>(t.size()) - 1);
                Eigen::Index best = 0;
                row.maxCoeff(&best);
                out.push_back(static_cast<std::int32_t>(best));
                t.push_back(static_cast<std::int32_t>(best));
            }
            return out;
        };
        r.answer = decode(r.tokens);
        r.answer_permuted = decode(r.permuted);
        run(v.show_permuted ? r.permuted : r.tokens);  // (the maps were collected already; the model's state is not read again)
    }
    v.probe = std::move(r);
}

namespace {

// A row of token boxes; `moved` marks tokens whose position changed.
void token_row(const std::vector<std::int32_t>& t, const std::vector<int>* perm, const TransformerInfo& info) {
    const float font = ImGui::GetFontSize();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImVec2 p = ImGui::GetCursorScreenPos();
    const float box = font * 1.6f;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const bool last = i + 1 == t.size();
        const bool moved = perm && (*perm)[i] != static_cast<int>(i);
        const ImU32 bg = last ? IM_COL32(60, 60, 80, 255) : moved ? IM_COL32(120, 80, 30, 255) : IM_COL32(40, 52, 70, 255);
        const ImVec2 a(p.x + i * (box + 3), p.y), b(a.x + box, a.y + box);
        dl->AddRectFilled(a, b, bg, 3);
        const std::string name = static_cast<std::size_t>(t[i]) < info.token_names.size() ? info.token_names[static_cast<std::size_t>(t[i])] : "?";
        const ImVec2 ts = ImGui::CalcTextSize(name.c_str());
        dl->AddText(ImVec2(a.x + (box - ts.x) / 2, a.y + (box - ts.y) / 2), IM_COL32(235, 235, 235, 255), name.c_str());
    }
    ImGui::Dummy(ImVec2(static_cast<float>(t.size()) * (box + 3), box));
}

}  // namespace

void draw_transformer_probe(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    update_probe(snap, v);
    const float font = ImGui::GetFontSize();
    ImGui::TextWrapped("%s", model_text(info.spec).c_str());
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.75f, 0.8f, 0.9f, 1));
    ImGui::TextWrapped("%s", verdict(info.spec));
    ImGui::PopStyleColor();
    if (!view.figure) {
        if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) {
            v.typed.clear();
            v.example = std::max(0, v.example - 1);
        }
        tip("The previous held-out example");
        ImGui::SameLine();
        if (ImGui::ArrowButton("##next", ImGuiDir_Right)) {
            v.typed.clear();
            v.example = std::min(static_cast<int>(info.examples.size()) - 1, v.example + 1);
        }
        tip("The next held-out example");
        ImGui::SameLine();
        ImGui::Text("example %d of %zu", v.example + 1, info.examples.size());
        ImGui::SameLine();
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s", v.typed.c_str());
        ImGui::SetNextItemWidth(font * 9);
        if (ImGui::InputTextWithHint("##typed", info.task == "addition" ? "type, e.g. 12+34=" : info.task == "first" ? "type, e.g. CAB?" : "token ids", buf,
                                     sizeof buf))
            v.typed = buf;
        tip("Any sequence in the task's tokens: the last position is the one whose prediction is shown");
        if (ImGui::Button("Permute the prefix (X)")) permute_prefix(v, std::max(2, static_cast<int>(v.probe.tokens.size())));
        tip("Shuffle positions 0..n-2 (the last position, which predicts, stays)");
        view.widget_rects["transformer.permute"] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
        ImGui::SameLine();
        if (ImGui::Button("Original order (O)")) std::iota(v.perm.begin(), v.perm.end(), 0);
        ImGui::SameLine();
        ImGui::Checkbox("maps of the permuted", &v.show_permuted);
        tip("The attention and hidden-state maps show the permuted sequence instead of the original");
    }
    const ProbeResult& r = v.probe;
    if (!r.error.empty()) {
        ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", r.error.c_str());
        return;
    }
    // Which weights: the probe runs the live ones, even when the step cursor shows an earlier step.
    if (const auto* live = dynamic_cast<const TransformerLive*>(snap.live.get())) {
        const std::int64_t cursor = frame_at(snap, view).step;
        if (!view.live && cursor != live->step)
            ImGui::TextColored(ImVec4(1, 0.8f, 0.4f, 1), "The probe runs the weights of step %lld (the newest); the cursor is at step %lld.",
                               static_cast<long long>(live->step), static_cast<long long>(cursor));
        else
            ImGui::TextDisabled("weights of step %lld%s", static_cast<long long>(live->step),
                                info.spec.vocab > 0 && transformer_settings(snap.info->config).precision == "float32" ? " (float32 run, probed in float64)" : "");
    }
    ImGui::TextDisabled("original");
    ImGui::SameLine(font * 5);
    token_row(r.tokens, nullptr, info);
    ImGui::TextDisabled("permuted");
    ImGui::SameLine(font * 5);
    token_row(r.permuted, &r.perm, info);
    if (r.permuted == r.tokens) {
        ImGui::TextDisabled("The permuted prefix is the same sequence: permute it (X) to test the order.");
    } else {
        const bool same = r.max_change <= 1e-9 * std::max(1.0, r.max_logit);  // (rounding is relative to the logits' size)
        ImGui::PushStyleColor(ImGuiCol_Text, same ? ImVec4(0.5f, 0.9f, 0.5f, 1) : ImVec4(1, 0.7f, 0.3f, 1));
        ImGui::TextWrapped("max |change of the last position's logits| = %.3g  %s", r.max_change,
                           same ? "(invariant: the order is invisible)" : "(the order matters)");
        ImGui::PopStyleColor();
    }
    const std::string a = static_cast<std::size_t>(r.predicted) < info.token_names.size() ? info.token_names[static_cast<std::size_t>(r.predicted)] : "?";
    const std::string b = static_cast<std::size_t>(r.predicted_permuted) < info.token_names.size() ? info.token_names[static_cast<std::size_t>(r.predicted_permuted)] : "?";
    if (!r.answer.empty())
        ImGui::Text("answer, decoded greedily: %s (original), %s (permuted)", sequence_text(r.answer, info).c_str(),
                    sequence_text(r.answer_permuted, info).c_str());
    else
        ImGui::Text("prediction: %s (original), %s (permuted)", a.c_str(), b.c_str());
    // Bars: the probability of each token, original (blue) and permuted (orange), and their difference.
    const int V = static_cast<int>(r.probs.size());
    std::vector<int> shown(static_cast<std::size_t>(V));
    std::iota(shown.begin(), shown.end(), 0);
    if (V > 16) {
        std::partial_sort(shown.begin(), shown.begin() + 16, shown.end(), [&](int x, int y) { return std::max(r.probs[x], r.probs_permuted[x]) > std::max(r.probs[y], r.probs_permuted[y]); });
        shown.resize(16);
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float avail = ImGui::GetContentRegionAvail().x;
    const float h = std::max(font * 4, ImGui::GetContentRegionAvail().y - font * 1.8f);
    const float slot = std::min(font * 3.f, avail / static_cast<float>(shown.size()));
    const float bw = slot * 0.35f;
    dl->AddLine(ImVec2(p0.x, p0.y + h), ImVec2(p0.x + slot * shown.size(), p0.y + h), IM_COL32(120, 120, 120, 255));
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const int k = shown[i];
        const float x = p0.x + slot * i + slot * 0.1f;
        const float ho = static_cast<float>(r.probs[static_cast<std::size_t>(k)]) * (h - font), hp = static_cast<float>(r.probs_permuted[static_cast<std::size_t>(k)]) * (h - font);
        dl->AddRectFilled(ImVec2(x, p0.y + h - ho), ImVec2(x + bw, p0.y + h), IM_COL32(90, 150, 255, 255));
        dl->AddRectFilled(ImVec2(x + bw, p0.y + h - hp), ImVec2(x + 2 * bw, p0.y + h), IM_COL32(255, 150, 60, 255));
        const std::string name = static_cast<std::size_t>(k) < info.token_names.size() ? info.token_names[static_cast<std::size_t>(k)] : "?";
        dl->AddText(ImVec2(x, p0.y + h + 2), IM_COL32(220, 220, 220, 255), name.c_str());
        const double diff = r.probs_permuted[static_cast<std::size_t>(k)] - r.probs[static_cast<std::size_t>(k)];
        if (std::abs(diff) > 0.005) {
            char t[16];
            std::snprintf(t, sizeof t, "%+.2f", diff);
            dl->AddText(ImVec2(x, p0.y + h - std::max(ho, hp) - font), IM_COL32(255, 200, 120, 255), t);
        }
    }
    ImGui::Dummy(ImVec2(slot * shown.size(), h + font * 1.2f));
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Blue: p(token) for the original order; orange: for the permuted prefix; the number is the change");
}

void draw_transformer_maps(const Snapshot& snap, ViewState& view, HeatmapTextures* textures) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    const ProbeResult& r = v.probe;
    if (!r.error.empty() || r.n == 0) {
        ImGui::TextDisabled("(no sequence)");
        return;
    }
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const std::vector<std::int32_t>& t = v.show_permuted ? r.permuted : r.tokens;
    // Attention maps: one per layer and head (rows: the querying position, columns: the position attended to), as a
    // grid of as many columns as makes the maps largest while every map fits.
    const int maps = r.layers * r.heads;
    const float title_h = font * 2.2f, pad = font * 1.5f;
    const float cos_w = std::max(font * 4, std::min(avail.x * 0.38f, avail.y - title_h - font * 0.5f));
    const float grid_w = avail.x - cos_w - font;
    int cols = 1;
    float cell = 0;
    for (int c = 1; c <= maps; ++c) {
        const int rr = (maps + c - 1) / c;
        const float s = std::min(grid_w / c - pad, (avail.y - font * 0.5f) / rr - title_h);
        if (s > cell) {
            cell = s;
            cols = c;
        }
    }
    cell = std::max(cell, font * 1.5f);
    const int rows = (maps + cols - 1) / cols;
    const bool short_titles = cell < font * 7;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    // The name of the token at position i of the sequence shown (axes of the maps and of their print figures).
    auto name_at = [&](int i) {
        const std::size_t id = static_cast<std::size_t>(t[static_cast<std::size_t>(i) % t.size()]);
        return id < info.token_names.size() ? info.token_names[id] : std::string("?");
    };
    auto labels = [&](ImVec2 a, float size, int n) {
        const float step = size / n;
        if (step < font * 0.6f) return;
        for (int i = 0; i < n; ++i) {
            const std::string name = name_at(i);
            dl->AddText(ImVec2(a.x - font * 0.8f, a.y + step * i + (step - font) / 2), IM_COL32(190, 190, 190, 255), name.c_str());
            dl->AddText(ImVec2(a.x + step * i + (step - ImGui::CalcTextSize(name.c_str()).x) / 2, a.y - font * 1.05f), IM_COL32(190, 190, 190, 255), name.c_str());
        }
    };
    const int n = r.n;
    std::vector<float> data(static_cast<std::size_t>(n) * n);
    for (int m = 0; m < maps; ++m) {
        const int l = m / r.heads, j = m % r.heads;
        const ImVec2 a(origin.x + font + (m % cols) * (cell + pad), origin.y + title_h + (m / cols) * (cell + title_h));
        char title[48];
        std::snprintf(title, sizeof title, short_titles ? "L%d H%d" : "layer %d, head %d", l + 1, j + 1);
        dl->AddText(ImVec2(a.x, a.y - font * 2.15f), IM_COL32(230, 230, 230, 255), title);
        for (std::size_t e = 0; e < data.size(); ++e) data[e] = static_cast<float>(r.attention[static_cast<std::size_t>(m) * n * n + e]);
        const ImVec2 b(a.x + cell, a.y + cell);
        if (!textures || !textures->draw(dl, a, b, "attn" + std::to_string(m), n, n, data.data(), Colormap::Viridis, 0.f, 1.f))
            dl->AddRectFilled(a, b, IM_COL32(40, 40, 48, 255));
        labels(a, cell, n);
    }
    // The cosine similarity of hidden states across layers (blocks) and positions: vertical slices show as bright
    // off-diagonal bands where position k keeps its direction from layer to layer.
    const int m = (r.layers + 1) * n;
    const ImVec2 ca(origin.x + avail.x - cos_w, origin.y + font * 2.2f), cb(ca.x + cos_w - font * 0.5f, ca.y + cos_w - font * 0.5f);
    dl->AddText(ImVec2(ca.x, ca.y - font * 2.15f), IM_COL32(230, 230, 230, 255), cos_w > font * 16 ? "cosine of hidden states (layer, position)" : "hidden-state cosine");
    std::vector<float> cd(r.cosine.begin(), r.cosine.end());
    if (!textures || !textures->draw(dl, ca, cb, "cosine", m, m, cd.data(), Colormap::Diverging, -1.f, 1.f))
        dl->AddRectFilled(ca, cb, IM_COL32(40, 40, 48, 255));
    const float step = (cb.x - ca.x) / m;
    for (int l = 1; l <= r.layers; ++l) {
        dl->AddLine(ImVec2(ca.x + step * n * l, ca.y), ImVec2(ca.x + step * n * l, cb.y), IM_COL32(20, 20, 20, 255), std::max(1.5f, font / 8));
        dl->AddLine(ImVec2(ca.x, ca.y + step * n * l), ImVec2(cb.x, ca.y + step * n * l), IM_COL32(20, 20, 20, 255), std::max(1.5f, font / 8));
    }
    // The cosine map's scale: -1 (blue) to 1 (red), and which block is which layer.
    std::optional<DataColours> bar(dl);
    for (int k = 0; k <= 20; ++k) {
        const float x0 = ca.x + (cb.x - ca.x) * k / 21.f, x1 = ca.x + (cb.x - ca.x) * (k + 1) / 21.f;
        const auto rgb = colormap_rgb(Colormap::Diverging, -1.f + 2.f * k / 20.f, -1.f, 1.f);
        dl->AddRectFilled(ImVec2(x0, cb.y + font * 0.3f), ImVec2(x1, cb.y + font * 0.7f),
                          IM_COL32(static_cast<int>(rgb[0] * 255), static_cast<int>(rgb[1] * 255), static_cast<int>(rgb[2] * 255), 255));
    }
    bar.reset();
    dl->AddText(ImVec2(ca.x, cb.y + font * 0.8f), IM_COL32(190, 190, 190, 255), "-1");
    dl->AddText(ImVec2(cb.x - font, cb.y + font * 0.8f), IM_COL32(190, 190, 190, 255), "1");
    if (step * n >= font * 1.5f)
        for (int l = 0; l <= r.layers; ++l) {
            char b[16];
            std::snprintf(b, sizeof b, "L%d", l);
            dl->AddText(ImVec2(ca.x + step * n * l + 2, ca.y + 1), IM_COL32(255, 255, 255, 200), b);
        }
    // Right-click either picture: it as a print figure (every layer and head's map side by side; the cosine map with
    // its blocks labelled), the probe's tokens on the axes.
    const std::int64_t at_step = frame_at(snap, view).step;
    ImGui::SetCursorScreenPos(origin);
    ImGui::InvisibleButton("##maps", ImVec2(std::max(1.f, grid_w), std::max(1.f, rows * (cell + title_h))));
    record_item(view, "transformer.maps");
    heatmap_print_menu(view, "attention-maps", at_step, [&] {
        HeatmapFigures fig;
        fig.title = "Attention of each layer and head on the probe sequence at step " + std::to_string(at_step);
        fig.x_label = "key position (token)";
        fig.y_label = "query position (token)";
        fig.value_label = "attention weight";
        fig.vmin = 0;
        fig.vmax = 1;
        for (int k = 0; k < maps; ++k) {
            HeatmapFigure p;
            p.title = "layer " + std::to_string(k / r.heads + 1) + ", head " + std::to_string(k % r.heads + 1);
            p.rows = p.cols = n;
            p.data.assign(r.attention.begin() + static_cast<std::ptrdiff_t>(k) * n * n, r.attention.begin() + static_cast<std::ptrdiff_t>(k + 1) * n * n);
            for (int i = 0; i < n; ++i) p.row_labels.push_back(std::to_string(i) + " " + name_at(i));
            p.col_labels = p.row_labels;
            fig.panels.push_back(std::move(p));
        }
        return fig;
    });
    ImGui::SetCursorScreenPos(ca);
    ImGui::InvisibleButton("##cosine", ImVec2(std::max(1.f, cb.x - ca.x), std::max(1.f, cb.y - ca.y)));
    record_item(view, "transformer.cosine");
    const bool cosine_hovered = ImGui::IsItemHovered();  // (the map's rectangle; not while a popup is open)
    heatmap_print_menu(view, "hidden-cosine", at_step, [&] {
        HeatmapFigures fig;
        fig.title = "Cosine similarity of the hidden states at step " + std::to_string(at_step) + " (L0: the embedding, Lk: after block k)";
        fig.x_label = fig.y_label = "layer, position (token)";
        fig.value_label = "cosine similarity";
        fig.map = Colormap::Diverging;
        fig.vmin = -1;
        fig.vmax = 1;
        HeatmapFigure p;
        p.rows = p.cols = m;
        p.data = r.cosine;
        for (int i = 0; i < m; ++i) p.row_labels.push_back("L" + std::to_string(i / n) + " " + std::to_string(i % n) + " " + name_at(i % n));
        p.col_labels = p.row_labels;
        fig.panels.push_back(std::move(p));
        return fig;
    });
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(avail.x, std::max(rows * (cell + title_h), cos_w + font * 2) + font * 0.5f));
    const ImVec2 mp = ImGui::GetIO().MousePos;
    if (cosine_hovered && !view.figure) {
        const int i = static_cast<int>((mp.y - ca.y) / step), j = static_cast<int>((mp.x - ca.x) / step);
        if (i >= 0 && i < m && j >= 0 && j < m)
            ImGui::SetTooltip("layer %d position %d vs layer %d position %d: cosine %.3f\n(layer 0 is the embedding; blocks are layers)", i / n, i % n,
                              j / n, j % n, r.cosine[static_cast<std::size_t>(i) * m + j]);
    }
}

void draw_transformer_curves(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = info_of(snap);
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const int per_row = std::clamp(static_cast<int>(avail.x / (font * 20)), 1, 3);
    const float w = (avail.x - (per_row - 1) * st.ItemSpacing.x) / per_row;
    auto series = [&](const std::vector<FramePtr>& fr, const std::string& label, ImU32 col, double (*get)(const Frame&), bool skip_nan) {
        PlotSeries s;
        s.label = label;
        s.color = col;
        for (const FramePtr& f : fr) {
            const double y = get(*f);
            if (skip_nan && !std::isfinite(y)) continue;
            s.x.push_back(static_cast<double>(f->step));
            s.y.push_back(y);
        }
        return s;
    };
    auto all = [&](std::vector<PlotSeries>& out, const char* what, double (*get)(const Frame&), bool skip_nan) {
        std::size_t i = 0;
        for (const CompanionFrames& c : snap.companions) out.push_back(series(c.frames, variant_label(c.name), variant_colour(i++), get, skip_nan));
        out.push_back(series(snap.frames, snap.companions.empty() ? what : "this run", IM_COL32(240, 240, 240, 255), get, skip_nan));
    };
    std::vector<PlotSeries> loss, acc, grad;
    all(loss, "loss", [](const Frame& f) { return f.loss; }, false);
    all(acc, "accuracy", [](const Frame& f) { return transformer_frame(f).accuracy; }, true);
    all(grad, "gradient norm", [](const Frame& f) { return transformer_frame(f).grad_norm; }, true);
    if (std::isfinite(info.ceiling) && !snap.frames.empty()) {
        PlotSeries c;
        c.label = "order-blind ceiling";
        c.color = IM_COL32(200, 120, 255, 255);
        c.dashed = true;
        c.x = {0.0, static_cast<double>(std::max<std::int64_t>(1, snap.frames.back()->step))};
        c.y = {info.ceiling, info.ceiling};
        acc.push_back(c);
    }
    int legend = 1;
    for (const auto* s : {&loss, &acc, &grad}) legend = std::max(legend, legend_rows(*s, w, view.figure));
    const int rows = (3 + per_row - 1) / per_row;  // (the panel scrolls when they do not fit)
    const float overhead = 2 * font + 2 * st.ItemSpacing.y + legend * (font + 2 * st.FramePadding.y + st.ItemSpacing.y);
    const ImVec2 size(w, std::max(font * 6, (avail.y - (rows - 1) * st.ItemSpacing.y) / rows - overhead));
    int placed = 0;
    auto plot = [&](const char* id, const char* title, const std::vector<PlotSeries>& s, PlotState& state, PlotOptions opt, bool) {
        draw_plot(id, title, s, state, opt, snap, view, size);
        if (++placed % per_row != 0 && placed < 3) ImGui::SameLine();
    };
    PlotOptions lo;
    lo.log_y = view.log_loss;
    lo.y_label = "nats";
    plot("xloss", "Loss (log scale)", loss, view.loss_plot, lo, false);
    PlotOptions ao;
    ao.y_label = info.task == "addition" ? "whole answers right" : "right";
    ao.fixed_y = true;
    ao.y_min = 0;
    ao.y_max = 1.02;
    char title[96];
    std::snprintf(title, sizeof title, "Held-out accuracy (%zu %s)", info.test_size, info.task == "addition" ? "problems" : "sequences");
    plot("xacc", title, acc, v.acc_plot, ao, per_row < 3);
    PlotOptions go;
    go.log_y = true;
    go.y_label = "L2 norm, before clipping";
    plot("xgrad", "Gradient norm", grad, v.grad_plot, go, true);
}

namespace {

// A combo with its label above (as the settings' number fields have), `width` wide.
bool combo(const char* label, const char* id, std::string& value, std::initializer_list<const char*> choices, float width, const char* help) {
    std::vector<const char*> c(choices);
    int k = 0;
    for (std::size_t i = 0; i < c.size(); ++i)
        if (value == c[i]) k = static_cast<int>(i);
    ImGui::BeginGroup();
    ImGui::TextDisabled("%s", label);
    ImGui::SetNextItemWidth(width);
    const bool changed = ImGui::Combo(id, &k, c.data(), static_cast<int>(c.size()));
    if (changed) value = c[static_cast<std::size_t>(k)];
    ImGui::EndGroup();
    tip(help);
    return changed;
}

void settings(Config& c, const SettingsFields& ui) {
    TransformerSettings& t = transformer_settings(c);
    ui.int_field("width d", t.d_model, 2, 1024, "model.d_model: model width (split evenly among the heads)");
    ui.int_field("layers", t.layers, 1, 8, "model.layers");
    ui.int_field("heads", t.heads, 1, 16, "model.heads: attention heads per layer");
    ui.int_field("MLP width", t.ffn, 0, 4096, "model.ffn: MLP width (0: 4 d)");
    if (c.data.kind == "synthetic" && t.task == "addition") ui.int_field("digits", t.digits, 1, 9, "data.digits: digits of each operand");
    if (c.data.kind == "synthetic" && t.task != "addition") {
        ui.int_field(t.task == "first" ? "symbols" : "vocabulary", c.data.vocab_size, 2, 1000,
                     t.task == "first" ? "data.vocab_size: the symbols (at least length - 1: they are distinct)" : "data.vocab_size: tokens");
        ui.int_field("length", c.data.seq_len, 3, 512, t.task == "first" ? "data.seq_len: the symbols and the query" : "data.seq_len: tokens a sequence");
    }
    ui.int_field("batch", c.train.batch, 1, 4096, "train.batch: problems per step");
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    combo("positional encoding", "##pe", t.pos_encoding, {"none", "sinusoidal", "learned"}, ui.half, "model.pos_encoding: none: the model sees no positions");
    ImGui::SameLine(0, gap);
    combo("LayerNorm", "##ln", t.layer_norm, {"none", "pre", "post"}, ui.half, "model.layer_norm: LayerNorm before each block (pre) or after each sum (post)");
    if (ImGui::Checkbox("causal mask", &t.causal) && !t.causal) t.loss_positions = "last";
    tip("model.causal: a position attends to itself and earlier ones only. Without it the model trains on prefix -> next token "
        "samples (train.loss_positions = last), as it must never see the token it predicts");
    ImGui::SameLine(ui.half + gap);
    ImGui::Checkbox("residual", &t.residual_connections);
    tip("model.residual_connections: x + Attn(x), x + MLP(x)");
    ImGui::Checkbox("MLP", &t.mlp);
    tip("model.mlp: a position-wise MLP after each attention");
    ImGui::SameLine(ui.half + gap);
    bool f32 = t.precision == "float32";
    if (ImGui::Checkbox("float32", &f32)) t.precision = f32 ? "float32" : "float64";
    tip("model.precision: float32 or float64");
    if (c.data.kind == "synthetic") {
        if (combo("task", "##task", t.task, {"addition", "first", "random"}, ui.half, "data.task: addition ('12+34=046'), which symbol came first, or random tokens (timing)")) {
            if (t.task == "first" && c.data.vocab_size < c.data.seq_len - 1) {  // sizes that make a first-token task
                c.data.vocab_size = 8;
                c.data.seq_len = 6;
            }
            if (t.task == "random" && c.data.vocab_size < 2) c.data.vocab_size = 100;
        }
        ImGui::SameLine(0, gap);
    }
    combo("optimiser", "##opt", c.train.optimizer, {"adam", "momentum", "gd"}, ui.half, "train.optimizer: Adam or SGD (with train.momentum), PyTorch's semantics");
}

void run_buttons(const Snapshot&, ViewState& view) {
    if (ImGui::Button("Depth x width (D)")) transformer_view(view).show_depth_width = true;
    tip("A sweep over depth and width on the current settings, in the background: final loss against parameter count (Levine et al. 2020)");
}

void windows(const Snapshot& snap, ViewState& view, const CommandSink&) { draw_depth_width(snap, view); }

void keys(const Snapshot& snap, ViewState& view) {
    if (ImGui::GetIO().WantTextInput) return;
    if (info_of(snap).text) {
        text_keys(snap, view);
        return;
    }
    TransformerLabView& v = transformer_view(view);
    if (key_pressed(kKeyD) && !ImGui::GetIO().KeyCtrl) v.show_depth_width = !v.show_depth_width;
    if (key_pressed(kKeyX) && !ImGui::GetIO().KeyCtrl) permute_prefix(v, std::max(2, static_cast<int>(v.probe.tokens.size())));
    if (key_pressed(kKeyO) && !ImGui::GetIO().KeyCtrl) std::iota(v.perm.begin(), v.perm.end(), 0);
    (void)snap;
}

void panels(const Snapshot& snap, ViewState& view, const CommandSink&, HeatmapTextures* textures, const LabArea& area) {
    if (info_of(snap).text) {
        draw_text_panels(snap, view, textures, area);
        return;
    }
    const float probe_w = std::floor(area.w * 0.42f);
    if (area.begin_panel(Panel::Attention, "Symmetry probe: permute the prefix", ImVec2(area.x, 0), ImVec2(probe_w, area.top_h)))
        draw_transformer_probe(snap, view);
    ImGui::End();
    if (area.begin_window("Attention per layer and head, and hidden states", ImVec2(area.x + probe_w, 0), ImVec2(area.w - probe_w, area.top_h)))
        draw_transformer_maps(snap, view, textures);
    ImGui::End();
    view.panel_pos[static_cast<int>(Panel::Attention)] = ImVec2(area.x, 0);
    view.panel_size[static_cast<int>(Panel::Attention)] = ImVec2(area.w, area.top_h);
    view.panel_content[static_cast<int>(Panel::Attention)] = ImVec4(area.x, 0, area.w, area.top_h);
    if (area.begin_panel(Panel::Curves, "Curves over training steps", ImVec2(area.x, area.top_h), ImVec2(area.w, area.bottom_h)))
        draw_transformer_curves(snap, view);
    ImGui::End();
}

std::shared_ptr<LabView> make_view() { return std::make_shared<TransformerLabView>(); }

}  // namespace

LabPanels transformer_panels() {
    LabPanels p;
    p.kind = "transformer";
    p.switch_label = "Lab: Symmetry, a small transformer (Zuo and Guerzhoy 2024)";
    p.first_preset = "symmetry-addition";
    p.lr_help = {{"lr_embedding", "Learning rate of the token and learned position embeddings (log scale)"},
                 {"lr_attention", "Learning rate of the attention projections and their LayerNorm"},
                 {"lr_mlp", "Learning rate of the MLPs and their LayerNorm"},
                 {"lr_unembedding", "Learning rate of the unembedding and the final LayerNorm"}};
    for (const std::string& n : transformer_variant_names()) {
        const char* help = n == "nope_bidirectional" ? "Also train this run's model without positional encoding and without the causal mask (on prefix -> next token samples): it cannot see order at any depth"
                           : n == "nope_causal_1"    ? "Also train it without positional encoding, with the causal mask, one layer: its last position is still blind to order"
                           : n == "nope_causal_2"    ? "Also train it without positional encoding, with the causal mask, two layers: order gets in through the mask"
                                                     : "Also train it with sinusoidal positional encoding and the causal mask";
        p.companions.push_back({n, std::string("compare: ") + variant_label(n), help});
    }
    p.settings = &settings;
    p.panels = &panels;
    p.keys = &keys;
    p.run_buttons = &run_buttons;
    p.windows = &windows;
    p.make_view = &make_view;
    p.open_path = &open_text_path;
    p.help = {{"X", "permute the prefix of the probe's sequence"}, {"O", "the probe's original order"}, {"D", "depth x width window"},
              {"P", "text: pin the step shown"}, {"Up / Down", "text: the query word above / below"}};
    return p;
}

}  // namespace snapscope::gui
