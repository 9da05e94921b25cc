// The phase-diagram view: a sweep over two knobs run in the background, drawn as a heatmap that fills in as runs
// finish (or, in line mode, a metric against one knob with one line per value of the other and error bars over
// seeds: the shape of the paper's Fig 6). Click a cell to open that run in the main view.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "app_ui.hpp"
#include "snapscope/figure.hpp"
#include "scansnap/scansnap_panels.hpp"
#include "colormap.hpp"
#include "sweep_job.hpp"
#include "theme.hpp"
#include <optional>

namespace snapscope::gui {

namespace {

const char* kKnobs[] = {"train.lr_z", "train.lr_y_over_z", "data.num_last", "data.num_next_per_last", "data.seq_len",
                        "train.batch", "data.num_unique_per_next", "data.num_common", "train.momentum"};
// The measures a sweep of `lab` records (its sweep columns), then the final loss.
std::vector<std::string> metric_names(const LabSpec& lab) {
    std::vector<std::string> out;
    for (const SweepColumn& c : lab.sweep_columns) out.push_back(c.name);
    out.push_back("loss");
    return out;
}

struct Cell {
    double mean = NAN, sd = 0;
    int n = 0;
};

}  // namespace

void reset_drawn_axes(PhaseState& ps) {
    const std::vector<SweepAxis> none;
    const std::vector<SweepAxis>& axes = ps.job ? ps.job->axes() : none;
    std::vector<int> multi;
    for (int a = 0; a < static_cast<int>(axes.size()); ++a)
        if (axes[static_cast<std::size_t>(a)].values.size() > 1) multi.push_back(a);
    if (multi.size() >= 2) {
        ps.draw_x = multi[multi.size() - 2];
        ps.draw_y = multi.back();
    } else {
        ps.draw_x = multi.empty() ? 0 : multi[0];
        ps.draw_y = -1;
    }
    ps.held.assign(axes.size(), 0);
}

bool show_sweep_in_phase_diagram(ViewState& view, std::shared_ptr<SweepJob> sweep, std::string& why) {
    if (sweep->axes().empty()) {
        why = "the phase diagram draws a sweep over grid axes; this one has none (only seeds)";
        return false;
    }
    ScanSnapView& sv = scansnap_view(view);
    PhaseState& ps = sv.phase;
    if (ps.job && !ps.job->finished()) ps.job->cancel();
    ps.job = std::move(sweep);
    reset_drawn_axes(ps);
    const auto& axes = ps.job->axes();
    // The knob pickers show the drawn axes (when they are among the knobs), so Run sweep reruns that slice here.
    auto pick = [&](const SweepAxis& a, int& knob, std::string& values) {
        for (int i = 0; i < static_cast<int>(sizeof kKnobs / sizeof kKnobs[0]); ++i)
            if (a.key == kKnobs[i]) knob = i;
        values.clear();
        for (const nlohmann::json& v : a.values) values += (values.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
    };
    pick(axes[static_cast<std::size_t>(ps.draw_x)], ps.x_knob, ps.x_values);
    if (ps.draw_y >= 0) pick(axes[static_cast<std::size_t>(ps.draw_y)], ps.y_knob, ps.y_values);
    else ps.y_knob = -1;
    ps.seeds = std::clamp(ps.job->definition().seeds, 1, 100);
    ps.error.clear();
    sv.show_phase = true;
    return true;
}

void draw_phase_diagram(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    ScanSnapView& sv = scansnap_view(view);
    if (!sv.show_phase) return;
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    const float font = ImGui::GetFontSize();
    ImGui::SetNextWindowPos(ImVec2(ds.x * 0.12f, ds.y * 0.08f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(ds.x * 0.76f, ds.y * 0.84f), ImGuiCond_FirstUseEver);
    if (!ImGui::Begin("Phase diagram (sweep in the background)", &sv.show_phase)) {
        ImGui::End();
        return;
    }
    PhaseState& ps = sv.phase;
    const bool running = ps.job && !ps.job->finished();
    ImGui::BeginDisabled(running);
    auto knob = [&](const char* label, int& idx, std::string& values, bool allow_none) {
        ImGui::SetNextItemWidth(font * 11);
        const int n = static_cast<int>(sizeof kKnobs / sizeof kKnobs[0]);
        const char* preview = idx < 0 ? "(none: lines of x only)" : kKnobs[idx];
        if (ImGui::BeginCombo(label, preview)) {
            if (allow_none && ImGui::Selectable("(none)", idx < 0)) idx = -1;
            for (int i = 0; i < n; ++i)
                if (ImGui::Selectable(kKnobs[i], i == idx)) idx = i;
            ImGui::EndCombo();
        }
        ImGui::SameLine();
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s", values.c_str());
        ImGui::SetNextItemWidth(font * 14);
        if (ImGui::InputText((std::string("values##") + label).c_str(), buf, sizeof buf)) values = buf;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Comma-separated values");
    };
    knob("x knob", ps.x_knob, ps.x_values, false);
    knob("y knob", ps.y_knob, ps.y_values, true);
    const std::vector<std::string> metrics = metric_names(ps.job ? ps.job->definition().lab() : lab_for(snap.info->config));
    ps.metric = std::clamp(ps.metric, 0, static_cast<int>(metrics.size()) - 1);
    const std::string& metric = metrics[static_cast<std::size_t>(ps.metric)];
    ImGui::SetNextItemWidth(font * 9);
    if (ImGui::BeginCombo("metric", metric.c_str())) {
        for (std::size_t i = 0; i < metrics.size(); ++i)
            if (ImGui::Selectable(metrics[i].c_str(), static_cast<int>(i) == ps.metric)) ps.metric = static_cast<int>(i);
        ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("distinct_entropy: entropy of c_n on distinct tokens at the end (Fig 6); snap_step: when the attention froze");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 5);
    ImGui::InputInt("seeds", &ps.seeds);
    ps.seeds = std::clamp(ps.seeds, 1, 100);
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::RadioButton("heatmap", &ps.mode, 0);
    ImGui::SameLine();
    ImGui::RadioButton("lines", &ps.mode, 1);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The metric against the x knob, one line per y value, error bars over seeds");

    if (!running) {
        if (ImGui::Button("Run sweep")) {
            try {
                FlatConfig base;
                const nlohmann::json cj = config_to_json(snap.info->config);  // (items() of a temporary would dangle)
                for (auto& [k, v] : cj.items()) base[k] = v;
                base["sweep.grid"] = "";  // the knobs below are the axes
                if (snap.info->config.model.kind != "scan_snap") throw ConfigError("model.kind", "phase diagrams run the Scan-and-Snap lab");
                std::vector<std::string> grids{std::string(kKnobs[ps.x_knob]) + "=" + ps.x_values};
                if (ps.y_knob >= 0) grids.push_back(std::string(kKnobs[ps.y_knob]) + "=" + ps.y_values);
                SweepDefinition def = make_sweep_definition(base, grids, ps.seeds, kSnapTolerance, kSnapWindow);
                ps.error.clear();
                ps.job = std::make_shared<SweepJob>(std::move(def), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
                                                    snap.info->config.limits.memory_mb);
                ps.draw_x = 0;
                ps.draw_y = ps.y_knob >= 0 ? 1 : -1;
                ps.held.assign(ps.job->axes().size(), 0);
            } catch (const std::exception& e) {
                ps.error = e.what();
            }
        }
        record_item(view, "phase.run");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Runs the grid times the seeds on the current settings, on every core; the window stays live");
        ImGui::SameLine();
        if (ImGui::Button("Open sweep folder...")) {
            view.open_data.open = true;
            if (ps.job && !ps.job->source().empty()) view.open_data.dir = std::filesystem::path(ps.job->source()).parent_path().string();
        }
        record_item(view, "phase.open");
        tip("Show a sweep run elsewhere (snapscope-cli sweep, or merge of a cluster's shards): its --out folder, holding sweep.json and "
            "results.csv. Also: snapscope --open-sweep DIR, or drop the folder on the window");
    } else if (ImGui::Button("Cancel")) {
        ps.job->cancel();
    }
    if (!ps.error.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", ps.error.c_str());
    if (!ps.job) {
        ImGui::TextDisabled("Pick knobs and values, then Run sweep (base: the current run's settings).");
        ImGui::End();
        return;
    }
    const std::shared_ptr<const std::vector<SweepResult>> shared_results = ps.job->shared_results();
    const std::vector<SweepResult>& results = *shared_results;
    ImGui::SameLine();
    ImGui::ProgressBar(static_cast<float>(results.size()) / std::max<std::size_t>(1, ps.job->total()), ImVec2(font * 14, 0),
                       (std::to_string(results.size()) + " / " + std::to_string(ps.job->total()) + " runs").c_str());
    // Figure 6 on the Run sweep row, where it stays whatever rows the sweep adds below (the figure is made further
    // down, once the slice's cells are known).
    ImGui::SameLine();
    ImGui::BeginDisabled(results.empty());  // (nothing to draw until the first run is in)
    const bool figure6_clicked = ImGui::SmallButton("Figure 6");
    ImGui::EndDisabled();
    record_item(view, "phase.figure6");
    tip("The paper's Figure 6 as a print figure (PNG in the light print theme, at the print size in Export) with the values as CSV beside it");
    if (!ps.job->error().empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", ps.job->error().c_str());
    if (!ps.job->source().empty()) {
        ImGui::TextDisabled("from %s: %s", ps.job->source().c_str(), ps.job->source_note().c_str());
        record_item(view, "phase.source");
    }
    auto label_of = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    // The drawn axes (x, and y unless one axis is drawn) and the values the others are held at.
    const std::vector<SweepAxis>& all = ps.job->axes();
    const int n_axes = static_cast<int>(all.size());
    if (ps.draw_x < 0 || ps.draw_x >= n_axes || ps.draw_y >= n_axes || ps.draw_y == ps.draw_x || static_cast<int>(ps.held.size()) != n_axes)
        reset_drawn_axes(ps);
    for (int a = 0; a < n_axes; ++a)
        ps.held[static_cast<std::size_t>(a)] = std::clamp(ps.held[static_cast<std::size_t>(a)], 0, static_cast<int>(all[static_cast<std::size_t>(a)].values.size()) - 1);
    if (n_axes > (ps.draw_y >= 0 ? 2 : 1)) {
        // Some axes are not drawn: pick which are, and the value each other one is held at.
        auto axis_combo = [&](const char* label, int& idx, bool allow_none, int other) {
            ImGui::SetNextItemWidth(font * 11);
            if (ImGui::BeginCombo(label, idx < 0 ? "(none)" : all[static_cast<std::size_t>(idx)].key.c_str())) {
                if (allow_none && ImGui::Selectable("(none)", idx < 0)) idx = -1;
                for (int a = 0; a < n_axes; ++a)
                    if (ImGui::Selectable(all[static_cast<std::size_t>(a)].key.c_str(), a == idx)) {
                        if (a == other) {  // the other drawn axis: they swap
                            if (label[0] == 'x') ps.draw_y = idx;
                            else ps.draw_x = idx;
                        }
                        idx = a;
                    }
                ImGui::EndCombo();
            }
        };
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted("Drawn:");
        ImGui::SameLine();
        axis_combo("x axis", ps.draw_x, false, ps.draw_y);
        record_item(view, "phase.draw_x");
        tip("The sweep's axis drawn across; the axes not drawn are held at the values picked beside it");
        ImGui::SameLine();
        axis_combo("y axis", ps.draw_y, true, ps.draw_x);
        record_item(view, "phase.draw_y");
        tip("The sweep's axis drawn down (the lines view: one line per value); (none): a single row");
        if (ps.draw_x < 0) ps.draw_x = ps.draw_y < 0 ? 0 : (ps.draw_y == 0 ? 1 : 0);  // (a swap with "none")
        ImGui::TextDisabled("held at:");
        for (int a = 0; a < n_axes; ++a) {
            if (a == ps.draw_x || a == ps.draw_y) continue;
            const SweepAxis& ax = all[static_cast<std::size_t>(a)];
            int& h = ps.held[static_cast<std::size_t>(a)];
            ImGui::SameLine();
            ImGui::SetNextItemWidth(font * 6);
            const std::string id = ax.key + "##held";
            if (ImGui::BeginCombo(id.c_str(), label_of(ax.values[static_cast<std::size_t>(h)]).c_str())) {
                for (int i = 0; i < static_cast<int>(ax.values.size()); ++i)
                    if (ImGui::Selectable(label_of(ax.values[static_cast<std::size_t>(i)]).c_str(), i == h)) h = i;
                ImGui::EndCombo();
            }
            record_item(view, "phase.held." + ax.key);
            tip("This axis is not drawn: the diagram shows the sweep's runs at this value of it");
        }
    }
    const int dx = ps.draw_x, dy = ps.draw_y;
    std::vector<SweepAxis> axes{all[static_cast<std::size_t>(dx)]};
    if (dy >= 0) axes.push_back(all[static_cast<std::size_t>(dy)]);
    // "data.num_last = 1": the slice drawn (empty when every axis is drawn).
    std::string slice;
    for (int a = 0; a < n_axes; ++a)
        if (a != dx && a != dy)
            slice += (slice.empty() ? "" : ", ") + all[static_cast<std::size_t>(a)].key + " = " +
                     label_of(all[static_cast<std::size_t>(a)].values[static_cast<std::size_t>(ps.held[static_cast<std::size_t>(a)])]);
    const std::string at_slice = slice.empty() ? "" : " at " + slice;
    const int nx = static_cast<int>(axes[0].values.size()), ny = axes.size() > 1 ? static_cast<int>(axes[1].values.size()) : 1;
    // Aggregate over seeds, the runs of the slice drawn.
    std::vector<std::vector<double>> vals(static_cast<std::size_t>(nx) * ny);
    for (const SweepResult& r : results) {
        bool in_slice = r.point.values.size() == all.size();
        for (int a = 0; a < n_axes && in_slice; ++a)
            if (a != dx && a != dy)
                in_slice = r.point.values[static_cast<std::size_t>(a)] ==
                           all[static_cast<std::size_t>(a)].values[static_cast<std::size_t>(ps.held[static_cast<std::size_t>(a)])];
        if (!in_slice) continue;
        int ix = 0, iy = 0;
        for (int i = 0; i < nx; ++i)
            if (axes[0].values[i] == r.point.values[static_cast<std::size_t>(dx)]) ix = i;
        if (dy >= 0)
            for (int j = 0; j < ny; ++j)
                if (axes[1].values[j] == r.point.values[static_cast<std::size_t>(dy)]) iy = j;
        const double v = ps.job->definition().value(r, metric);
        if (std::isfinite(v)) vals[static_cast<std::size_t>(iy) * nx + ix].push_back(v);
    }
    std::vector<Cell> cells(vals.size());
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = 0; i < vals.size(); ++i) {
        if (vals[i].empty()) continue;
        double m = 0;
        for (double v : vals[i]) m += v;
        m /= static_cast<double>(vals[i].size());
        double s = 0;
        for (double v : vals[i]) s += (v - m) * (v - m);
        cells[i] = {m, vals[i].size() > 1 ? std::sqrt(s / static_cast<double>(vals[i].size() - 1)) : 0.0, static_cast<int>(vals[i].size())};
        lo = std::min(lo, m);
        hi = std::max(hi, m);
    }
    // The paper's Figure 6 in the print theme: the metric over the grid (heatmap), or against the x knob with +-sd
    // (lines), as the view shows it; the means (and sds) as CSV beside it.
    // The heatmap view as a print figure (the Figure 6 button's, and the canvas's right-click menu).
    auto heatmap_figure = [&] {
        HeatmapFigures fig;
        fig.title = metric + " at the end of training (Fig 6 of Tian et al. 2023), mean over seeds" + at_slice;
        fig.x_label = axes[0].key;
        fig.y_label = axes.size() > 1 ? axes[1].key : "";  // (one axis: a single row)
        fig.value_label = metric;
        fig.vmin = std::isfinite(lo) ? lo : 0;
        fig.vmax = std::isfinite(hi) && hi > lo ? hi : fig.vmin + 1;
        HeatmapFigure p;
        p.rows = ny;
        p.cols = nx;
        for (int j = 0; j < ny; ++j) {
            p.row_labels.push_back(axes.size() > 1 ? label_of(axes[1].values[j]) : metric);
            for (int i = 0; i < nx; ++i) {
                const Cell& c = cells[static_cast<std::size_t>(j) * nx + i];
                p.data.push_back(c.n > 0 ? c.mean : NAN);
            }
        }
        for (int i = 0; i < nx; ++i) p.col_labels.push_back(label_of(axes[0].values[i]));
        fig.panels.push_back(std::move(p));
        return fig;
    };
    if (figure6_clicked && !results.empty()) {
        if (ps.mode == 1 || ny == 1) {
            LineFigure f;
            f.title = metric + " at the end of training (Fig 6 of Tian et al. 2023), mean +- sd over seeds" + at_slice;
            f.x_label = axes[0].key;
            f.y_label = metric;
            static const Rgba cols[] = {{200, 90, 0, 255}, {30, 140, 70, 255}, {40, 100, 200, 255}, {180, 40, 120, 255}, {150, 120, 0, 255}, {110, 60, 180, 255}};
            for (int j = 0; j < ny; ++j) {
                FigureSeries m, up, dn;
                m.label = axes.size() > 1 ? axes[1].key + " = " + label_of(axes[1].values[j]) : metric;
                m.colour = up.colour = dn.colour = cols[j % 6];
                up.dashed = dn.dashed = true;
                for (int i = 0; i < nx; ++i) {
                    const Cell& c = cells[static_cast<std::size_t>(j) * nx + i];
                    if (c.n == 0 || !axes[0].values[i].is_number()) continue;
                    const double x = axes[0].values[i].get<double>();
                    m.x.push_back(x);
                    m.y.push_back(c.mean);
                    up.x.push_back(x);
                    up.y.push_back(c.mean + c.sd);
                    dn.x.push_back(x);
                    dn.y.push_back(c.mean - c.sd);
                }
                up.label = m.label + " +sd";
                dn.label = m.label + " -sd";
                f.series.push_back(m);
                f.series.push_back(up);
                f.series.push_back(dn);
            }
            print_figure(view, "6", snap.step, [&f](int w, int h, int k) { return render_line_figure(f, w, h, k); }, line_figure_csv(f));
        } else {
            const HeatmapFigures fig = heatmap_figure();
            print_figure(view, "6", snap.step, [&fig](int w, int h, int k) { return render_heatmap_figures(fig, w, h, k); }, heatmap_figures_csv(fig));
        }
    }
    if (ps.mode == 1) {
        std::vector<PlotSeries> series;
        static const ImU32 cols[] = {IM_COL32(255, 140, 40, 255), IM_COL32(80, 200, 120, 255), IM_COL32(100, 170, 255, 255),
                                     IM_COL32(230, 90, 160, 255), IM_COL32(250, 210, 60, 255), IM_COL32(190, 120, 250, 255)};
        for (int j = 0; j < ny; ++j) {
            PlotSeries s, up, dn;
            s.label = axes.size() > 1 ? axes[1].key + " = " + label_of(axes[1].values[j]) : metric;
            s.color = cols[j % 6];
            up.color = dn.color = (cols[j % 6] & 0x00FFFFFF) | (110u << 24);
            up.in_legend = dn.in_legend = false;
            up.group = dn.group = s.label;
            up.dashed = dn.dashed = true;
            up.label = s.label + " +sd";
            dn.label = s.label + " -sd";
            for (int i = 0; i < nx; ++i) {
                const Cell& c = cells[static_cast<std::size_t>(j) * nx + i];
                if (c.n == 0 || !axes[0].values[i].is_number()) continue;
                s.x.push_back(axes[0].values[i].get<double>());
                s.y.push_back(c.mean);
                up.x.push_back(s.x.back());
                up.y.push_back(c.mean + c.sd);
                dn.x.push_back(s.x.back());
                dn.y.push_back(c.mean - c.sd);
            }
            series.push_back(up);
            series.push_back(dn);
            series.push_back(s);
        }
        PlotOptions opt;
        opt.size = ImVec2(-1, -font * 2.5f);
        opt.x_label = axes[0].key.c_str();
        opt.y_label = metric.c_str();
        opt.record = &view.widget_rects;  // "plot.phase_lines"
        ImGui::BeginGroup();
        plot_lines("phase_lines", series, ps.lines_plot, opt);
        ImGui::EndGroup();
        plot_print_menu(view, "phase-lines", metric + " at the end of training against " + axes[0].key + ", mean and sd over seeds" + at_slice, series, ps.lines_plot,
                        opt, snap.step);
        ImGui::End();
        return;
    }
    // Heatmap: x across, y down; cells coloured by the mean with viridis; hover for mean, sd and runs.
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // The y axis's title has its own line above the cells (at the cells' top edge it ran under the first row).
    const float left = font * 6, bottom = font * 4.5f, top = axes.size() > 1 ? font * 1.4f : 0.0f;
    const ImVec2 a(p0.x + left, p0.y + top), b(p0.x + avail.x - font, p0.y + avail.y - bottom);
    const float cw = (b.x - a.x) / nx, ch = (b.y - a.y) / ny;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImGui::InvisibleButton("phase_canvas", ImVec2(std::max(1.f, avail.x), std::max(1.f, avail.y - font * 2)));
    record_item(view, "phase.canvas");
    const bool hovered = ImGui::IsItemHovered();
    if (!results.empty()) heatmap_print_menu(view, "phase-heatmap", snap.step, heatmap_figure);
    const ImVec2 m = ImGui::GetIO().MousePos;
    std::optional<DataColours> data(dl);  // the cells' colours (and the numbers on them) in either theme
    for (int j = 0; j < ny; ++j)
        for (int i = 0; i < nx; ++i) {
            const Cell& c = cells[static_cast<std::size_t>(j) * nx + i];
            const ImVec2 c0(a.x + cw * i, a.y + ch * j), c1(a.x + cw * (i + 1), a.y + ch * (j + 1));
            ImU32 col = IM_COL32(45, 48, 56, 255);
            if (c.n > 0) {
                const auto rgb = colormap_rgb(Colormap::Viridis, static_cast<float>(c.mean), static_cast<float>(lo), static_cast<float>(hi));
                col = ImGui::ColorConvertFloat4ToU32(ImVec4(rgb[0], rgb[1], rgb[2], 1));
            }
            dl->AddRectFilled(ImVec2(c0.x + 1, c0.y + 1), ImVec2(c1.x - 1, c1.y - 1), col);
            if (c.n > 0 && cw > font * 3.5f && ch > font * 1.2f) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.3g", c.mean);
                const ImVec2 ts = ImGui::CalcTextSize(buf);
                const bool light = c.mean > (lo + hi) / 2;
                dl->AddText(ImVec2((c0.x + c1.x - ts.x) / 2, (c0.y + c1.y - ts.y) / 2), light ? IM_COL32(20, 20, 20, 255) : IM_COL32(240, 240, 240, 255), buf);
            }
            if (hovered && m.x >= c0.x && m.x < c1.x && m.y >= c0.y && m.y < c1.y) {
                data.reset();
                dl->AddRect(c0, c1, IM_COL32(255, 255, 255, 255), 0, 0, 2);
                data.emplace(dl);
                ImGui::BeginTooltip();
                ImGui::Text("%s = %s", axes[0].key.c_str(), label_of(axes[0].values[i]).c_str());
                if (axes.size() > 1) ImGui::Text("%s = %s", axes[1].key.c_str(), label_of(axes[1].values[j]).c_str());
                if (!slice.empty()) ImGui::TextDisabled("(held: %s)", slice.c_str());
                if (c.n > 0) ImGui::Text("%s: %.4g +- %.2g over %d runs", metric.c_str(), c.mean, c.sd, c.n);
                else ImGui::TextDisabled("not run yet");
                ImGui::TextDisabled("click: open this setting (seed 1) in the main view");
                ImGui::EndTooltip();
                if (ImGui::IsMouseClicked(0)) {
                    // Every axis's value: the cell's for the drawn ones, the held value for the others.
                    std::vector<nlohmann::json> v;
                    for (int a2 = 0; a2 < n_axes; ++a2)
                        v.push_back(a2 == dx ? axes[0].values[i]
                                    : a2 == dy ? axes[1].values[j]
                                               : all[static_cast<std::size_t>(a2)].values[static_cast<std::size_t>(ps.held[static_cast<std::size_t>(a2)])]);
                    try {
                        send(Command::load_config(resolve_config(grid_point_config(ps.job->base(), all, v), "phase cell")));
                        view.live = true;
                        sv.show_phase = false;
                    } catch (const std::exception& e) {
                        ps.error = e.what();
                    }
                }
            }
        }
    data.reset();
    for (int i = 0; i < nx; ++i) {
        const std::string t = label_of(axes[0].values[i]);
        dl->AddText(ImVec2(a.x + cw * (i + 0.5f) - ImGui::CalcTextSize(t.c_str()).x / 2, b.y + 4), ImGui::GetColorU32(ImGuiCol_Text), t.c_str());
    }
    dl->AddText(ImVec2((a.x + b.x) / 2 - ImGui::CalcTextSize(axes[0].key.c_str()).x / 2, b.y + font * 1.3f), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                axes[0].key.c_str());
    if (axes.size() > 1) {
        for (int j = 0; j < ny; ++j) {
            const std::string t = label_of(axes[1].values[j]);
            dl->AddText(ImVec2(a.x - ImGui::CalcTextSize(t.c_str()).x - 6, a.y + ch * (j + 0.5f) - font / 2), ImGui::GetColorU32(ImGuiCol_Text), t.c_str());
        }
        const ImVec2 tpos(p0.x, p0.y), tsize = ImGui::CalcTextSize(axes[1].key.c_str());
        dl->AddText(tpos, ImGui::GetColorU32(ImGuiCol_TextDisabled), axes[1].key.c_str());
        view.widget_rects["phase.y_title"] = ImVec4(tpos.x, tpos.y, tpos.x + tsize.x, tpos.y + tsize.y);
    }
    view.widget_rects["phase.cells"] = ImVec4(a.x, a.y, b.x, b.y);
    // Colour bar.
    const float by = b.y + font * 2.8f;
    data.emplace(dl);
    for (int k = 0; k < 64; ++k) {
        const auto rgb = colormap_rgb(Colormap::Viridis, static_cast<float>(k) / 63, 0, 1);
        dl->AddRectFilled(ImVec2(a.x + (b.x - a.x) * k / 64, by), ImVec2(a.x + (b.x - a.x) * (k + 1) / 64 + 1, by + font * 0.6f),
                          ImGui::ColorConvertFloat4ToU32(ImVec4(rgb[0], rgb[1], rgb[2], 1)));
    }
    data.reset();
    if (std::isfinite(lo)) {
        char l[64], h[64];
        std::snprintf(l, sizeof l, "%.4g", lo);
        std::snprintf(h, sizeof h, "%.4g  (%s)", hi, metric.c_str());
        dl->AddText(ImVec2(a.x, by + font * 0.7f), ImGui::GetColorU32(ImGuiCol_TextDisabled), l);
        dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(h).x, by + font * 0.7f), ImGui::GetColorU32(ImGuiCol_TextDisabled), h);
    }
    ImGui::End();
}

}  // namespace snapscope::gui
