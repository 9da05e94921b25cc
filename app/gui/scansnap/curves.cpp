// The Curves panel: loss (log scale), common-token mass, distinct entropy, and per-token Z[m, l] and c_n(l) of
// the selected class over steps. Learning-rate changes are marked; the mean-field twin is dashed; a pinned run is
// drawn faded underneath. Hover to read every series at a step; click to move the step cursor there.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "app_ui.hpp"
#include "scansnap/scansnap_panels.hpp"
#include "snapscope/snap_step.hpp"

namespace snapscope::gui {

namespace {

// v[i], or NaN past its end (a pinned run may have fewer classes than the live one).
double at(const std::vector<double>& v, std::size_t i) { return i < v.size() ? v[i] : NAN; }

ImU32 class_color(int c, float alpha = 1.f) {
    static const ImU32 cols[] = {IM_COL32(255, 140, 40, 255), IM_COL32(80, 200, 120, 255), IM_COL32(230, 90, 160, 255),
                                 IM_COL32(250, 210, 60, 255), IM_COL32(100, 190, 250, 255), IM_COL32(190, 120, 250, 255)};
    return (cols[c % 6] & 0x00FFFFFF) | (static_cast<ImU32>(alpha * 255) << 24);
}

// Adds the live series made by `make` plus faded pinned and dashed mean-field copies.
template <class Make>
void with_companions(std::vector<PlotSeries>& out, const Snapshot& snap, const ViewState& view, Make make) {
    // (A pinned run of another lab or another vocabulary has nothing to compare here.)
    if (view.pinned && view.pinned->info && view.pinned->info->M == snap.info->M &&
        view.pinned->info->config.model.kind == snap.info->config.model.kind) {
        for (PlotSeries s : make(view.pinned->frames)) {
            s.color = (s.color & 0x00FFFFFF) | (70u << 24);
            s.label += " (pinned)";
            s.in_legend = false;
            out.push_back(std::move(s));
        }
    }
    if (const std::vector<FramePtr>* mf = snap.companion(kMeanFieldCompanion); mf && !mf->empty()) {
        for (PlotSeries s : make(*mf)) {
            s.dashed = true;
            s.label += " (mean field)";
            s.in_legend = false;
            out.push_back(std::move(s));
        }
    }
    for (PlotSeries& s : make(snap.frames)) out.push_back(std::move(s));
}

}  // namespace

namespace {

std::int64_t snap_step_of(const std::vector<FramePtr>& frames, std::size_t classes) {
    std::vector<std::int64_t> steps;
    std::vector<const std::vector<double>*> att;
    for (const FramePtr& f : frames) {
        steps.push_back(f->step);
        att.push_back(&scansnap_frame(*f).attention);
    }
    return snap_step(steps, att, classes);
}

}  // namespace

void update_snap_step(const Snapshot& snap, ViewState& view, double now) {
    // The snap step, as snapscope-cli sweep defines it (see snap_step in sweep.hpp).
    if (scansnap_view(view).snap_task && scansnap_view(view).snap_task->ready()) {
        if (auto r = scansnap_view(view).snap_task->take()) {
            scansnap_view(view).snap = *r;
            scansnap_view(view).snap_serial = scansnap_view(view).snap_task_serial;
        }
        scansnap_view(view).snap_task.reset();
    }
    if (scansnap_view(view).snap_serial == snap.serial) return;
    const std::size_t classes = scansnap_info(*snap.info).classes.size();
    const double work = static_cast<double>(snap.frames.size()) * static_cast<double>(classes) * snap.info->M;
    if (!snap.playing || work <= kSnapInlineWork) {
        scansnap_view(view).snap_task.reset();  // (a running one finishes on its own; its result is not needed)
        scansnap_view(view).snap_serial = snap.serial;
        scansnap_view(view).snap = snap_step_of(snap.frames, classes);
        return;
    }
    if (scansnap_view(view).snap_task || now - scansnap_view(view).snap_task_started < kSnapTaskInterval) return;
    scansnap_view(view).snap_task_started = now;
    scansnap_view(view).snap_task_serial = snap.serial;
    // The task owns the frames it reads (immutable, shared).
    scansnap_view(view).snap_task = std::make_shared<Task<std::int64_t>>(
        [frames = snap.frames, classes](TaskContext&) { return snap_step_of(frames, classes); });
}

void draw_curves(const Snapshot& snap, ViewState& view) {
    const RunInfo& info = *snap.info;
    const ScanSnapInfo& ssi = scansnap_info(info);
    update_snap_step(snap, view, ImGui::GetTime());
    ScanSnapView& sv = scansnap_view(view);
    const int K = static_cast<int>(ssi.classes.size()), M = info.M;
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    // Three plots a row when they fit (about 20 characters wide each), else two or one; the panel scrolls if needed.
    const int per_row = std::clamp(static_cast<int>(avail.x / (font * 20)), 1, 3);
    const float w = (avail.x - (per_row - 1) * st.ItemSpacing.x) / per_row;
    const float overhead = 2 * font + 2 * st.FramePadding.y + 3 * st.ItemSpacing.y;  // title + legend row per plot
    const float h = (avail.y - st.ItemSpacing.y) / 2 - overhead;
    const ImVec2 size(w, std::max(font * 6, h));
    // Every plot marks the snap step.
    auto plot = [&](const char* id, const char* title, const std::vector<PlotSeries>& series, PlotState& state, PlotOptions opt) {
        if (sv.snap >= 0) {
            opt.mark_x = static_cast<double>(sv.snap);
            opt.mark_label = "snap";
        }
        draw_plot(id, title, series, state, opt, snap, view, size);
    };
    int placed = 0;
    auto next = [&] {
        if (++placed % per_row != 0) ImGui::SameLine();
    };

    // Loss.
    std::vector<PlotSeries> loss;
    with_companions(loss, snap, view, [&](const std::vector<FramePtr>& fr) {
        return std::vector<PlotSeries>{series_of(fr, "loss", IM_COL32(240, 240, 240, 255), [](const Frame& f) { return f.loss; })};
    });
    PlotOptions lo;
    lo.log_y = view.log_loss;
    lo.y_label = "nats";
    plot("loss", "Loss (log scale; dashed: mean field)", loss, view.loss_plot, lo);
    next();

    // Common-token mass and distinct entropy per class.
    std::vector<PlotSeries> mass, ent;
    with_companions(mass, snap, view, [&](const std::vector<FramePtr>& fr) {
        std::vector<PlotSeries> v;
        for (int c = 0; c < K && c < 12; ++c)
            v.push_back(series_of(fr, "c" + std::to_string(c), class_color(c), [c](const Frame& f) { return at(scansnap_frame(f).common_mass, static_cast<std::size_t>(c)); }));
        return v;
    });
    PlotOptions mo;
    mo.y_label = "sum of c_n over common tokens";
    plot("mass", "Common-token mass", mass, sv.mass_plot, mo);
    next();
    with_companions(ent, snap, view, [&](const std::vector<FramePtr>& fr) {
        std::vector<PlotSeries> v;
        for (int c = 0; c < K && c < 12; ++c)
            v.push_back(series_of(fr, "c" + std::to_string(c), class_color(c), [c](const Frame& f) { return at(scansnap_frame(f).distinct_entropy, static_cast<std::size_t>(c)); }));
        return v;
    });
    PlotOptions eo;
    eo.y_label = "nats";
    plot("entropy", "Entropy of c_n on distinct tokens", ent, sv.entropy_plot, eo);
    next();

    // Per-token curves of the selected class, tokens ordered by co-occurrence P(l|n) (highest first).
    if (K == 0) return;
    const int sel = std::clamp(sv.selected_class, 0, K - 1);
    const ClassInfo& ci = ssi.classes[sel];
    int qi = 0;
    for (int q = 0; q < static_cast<int>(ssi.queries.size()); ++q)
        if (ssi.queries[q] == ci.query) qi = q;
    std::vector<std::size_t> order(ci.tokens.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ci.probs[a] > ci.probs[b]; });
    auto group_of = [&](int t) {
        const TokenInfo& ti = ssi.tokens[t];
        return ti.kind == TokenKind::Distinct ? std::string("distinct") : std::string(token_kind_name(ti.kind));
    };
    std::vector<PlotSeries> zs, cs;
    for (std::size_t i : order) {
        const int t = ci.tokens[i];
        char label[64];
        std::snprintf(label, sizeof label, "%s (P=%.3f)", token_short(info, t).c_str(), ci.probs[i]);
        // Brighter for more frequent tokens within a type.
        const float alpha = 0.45f + 0.55f * static_cast<float>(ci.probs[i] / ci.probs[order.front()]);
        PlotSeries z = series_of(snap.frames, label, token_color(info, t, alpha),
                                 [&](const Frame& f) { return scansnap_frame(f).zrows[static_cast<std::size_t>(qi) * M + t]; });
        z.group = group_of(t);
        zs.push_back(z);
        PlotSeries c = series_of(snap.frames, label, token_color(info, t, alpha),
                                 [&](const Frame& f) { return scansnap_frame(f).attention[static_cast<std::size_t>(sel) * M + t]; });
        c.group = group_of(t);
        cs.push_back(c);
    }
    char title[96];
    std::snprintf(title, sizeof title, "Z[%d, l] per token (class %d)", ci.query, sel);
    PlotOptions zo;
    zo.y_label = "logit";
    plot("zrow", title, zs, sv.z_plot, zo);
    next();
    std::snprintf(title, sizeof title, "c_n(l) per token (class %d)", sel);
    PlotOptions co;
    co.y_label = "attention";
    plot("crow", title, cs, sv.c_plot, co);
    next();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Legend");
    if (!view.figure) ImGui::Checkbox("log loss", &view.log_loss);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(token_color(info, 0 < M ? 0 : 0)), "grey: common tokens");
    ImGui::TextColored(ImVec4(1.f, 0.55f, 0.16f, 1), "colour: distinct tokens of a class");
    ImGui::TextDisabled("brighter = higher P(l|n)");
    ImGui::TextDisabled("dashed = mean-field twin");
    ImGui::TextDisabled("faded = pinned run");
    ImGui::TextColored(ImVec4(1.f, 0.8f, 0.25f, 1), "dotted = learning-rate change");
    if (sv.snap >= 0) ImGui::TextColored(ImVec4(0.3f, 0.86f, 1.f, 1), "cyan = snap (step %lld)", static_cast<long long>(sv.snap));
    else ImGui::TextDisabled("no snap yet (c_n still moving)");
    if (!view.figure) ImGui::TextDisabled("click a curve: step cursor");
    ImGui::EndGroup();
}

}  // namespace snapscope::gui
