// The depth x width window of the transformer lab (Levine et al. 2020's question): a sweep over model.layers x
// model.d_model on the current settings, run in the background on the task runner, drawn as the final loss (or
// accuracy) against the parameter count, one line per depth, mean over seeds with the spread dashed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "app_ui.hpp"
#include "sweep_job.hpp"
#include "transformer/transformer_panels.hpp"

namespace snapscope::gui {

namespace {

struct Point {
    double params = 0, sum = 0, sq = 0;
    int n = 0;
};

}  // namespace

// The series the window draws: per depth, per width (increasing parameter count), the mean of `metric` (0: loss,
// 1: accuracy) over the seeds that finished, and mean +- sd as dashed companions.
std::vector<PlotSeries> depth_width_series(const SweepJob& job, int metric) {
    std::map<int, std::map<double, Point>> by_depth;
    int layers_axis = -1, width_axis = -1;
    for (std::size_t a = 0; a < job.axes().size(); ++a) {
        if (job.axes()[a].key == "model.layers") layers_axis = static_cast<int>(a);
        if (job.axes()[a].key == "model.d_model") width_axis = static_cast<int>(a);
    }
    if (layers_axis < 0 || width_axis < 0) return {};
    const LabSpec& lab = job.definition().lab();
    int params_col = -1, acc_col = -1;
    for (std::size_t c = 0; c < lab.sweep_columns.size(); ++c) {
        if (lab.sweep_columns[c].name == "params") params_col = static_cast<int>(c);
        if (lab.sweep_columns[c].name == "accuracy") acc_col = static_cast<int>(c);
    }
    if (params_col < 0) return {};
    for (const SweepResult& r : job.results()) {
        if (r.cancelled || static_cast<std::size_t>(params_col) >= r.values.size()) continue;
        const double y = metric == 0 ? r.loss : (acc_col >= 0 && static_cast<std::size_t>(acc_col) < r.values.size() ? r.values[static_cast<std::size_t>(acc_col)] : NAN);
        if (!std::isfinite(y)) continue;
        const int depth = r.point.values[static_cast<std::size_t>(layers_axis)].get<int>();
        Point& p = by_depth[depth][r.values[static_cast<std::size_t>(params_col)]];
        p.params = r.values[static_cast<std::size_t>(params_col)];
        p.sum += y;
        p.sq += y * y;
        ++p.n;
    }
    static const ImU32 colours[] = {IM_COL32(255, 140, 60, 255), IM_COL32(90, 200, 255, 255), IM_COL32(140, 230, 120, 255),
                                    IM_COL32(230, 110, 200, 255), IM_COL32(250, 210, 60, 255), IM_COL32(200, 200, 200, 255)};
    std::vector<PlotSeries> out;
    std::size_t k = 0;
    for (const auto& [depth, points] : by_depth) {
        PlotSeries mean, lo, hi;
        mean.label = std::to_string(depth) + (depth == 1 ? " layer" : " layers");
        mean.color = colours[k++ % 6];
        lo.color = hi.color = (mean.color & 0x00FFFFFF) | (120u << 24);
        lo.dashed = hi.dashed = true;
        lo.in_legend = hi.in_legend = false;
        lo.group = hi.group = mean.label;
        mean.group = mean.label;
        for (const auto& [params, p] : points) {
            const double m = p.sum / p.n, sd = p.n > 1 ? std::sqrt(std::max(0.0, (p.sq - p.n * m * m) / (p.n - 1))) : 0.0;
            mean.x.push_back(std::log10(params));
            mean.y.push_back(m);
            lo.x.push_back(std::log10(params));
            lo.y.push_back(m - sd);
            hi.x.push_back(std::log10(params));
            hi.y.push_back(m + sd);
        }
        out.push_back(std::move(lo));
        out.push_back(std::move(hi));
        out.push_back(std::move(mean));
    }
    return out;
}

void draw_depth_width(const Snapshot& snap, ViewState& view) {
    TransformerLabView& v = transformer_view(view);
    if (!v.show_depth_width) return;
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    const float font = ImGui::GetFontSize();
    ImGui::SetNextWindowPos(ImVec2(ds.x * 0.15f, ds.y * 0.1f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(ds.x * 0.7f, ds.y * 0.78f), ImGuiCond_FirstUseEver);
    if (!ImGui::Begin("Depth x width (sweep in the background)", &v.show_depth_width)) {
        ImGui::End();
        return;
    }
    const bool running = v.dw_job && !v.dw_job->finished();
    ImGui::BeginDisabled(running);
    auto field = [&](const char* label, std::string& text, const char* help) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%s", text.c_str());
        ImGui::SetNextItemWidth(font * 10);
        if (ImGui::InputText(label, buf, sizeof buf)) text = buf;
        tip(help);
        ImGui::SameLine();
    };
    field("layers", v.dw_layers, "model.layers values, comma-separated");
    field("widths", v.dw_widths, "model.d_model values, comma-separated (each divisible by the heads)");
    ImGui::SetNextItemWidth(font * 5);
    ImGui::InputInt("seeds", &v.dw_seeds, 0);
    v.dw_seeds = std::clamp(v.dw_seeds, 1, 20);
    ImGui::SameLine();
    ImGui::EndDisabled();
    if (!running) {
        if (ImGui::Button("Run sweep")) {
            try {
                if (snap.info->config.model.kind != "transformer") throw ConfigError("model.kind", "the depth x width sweep runs the transformer lab");
                FlatConfig base;
                const nlohmann::json cj = config_to_json(snap.info->config);
                for (auto& [k, val] : cj.items()) base[k] = val;
                base["sweep.grid"] = "";
                SweepDefinition def = make_sweep_definition(base, {"model.layers=" + v.dw_layers, "model.d_model=" + v.dw_widths}, v.dw_seeds,
                                                            kSnapTolerance, kSnapWindow);
                v.dw_error.clear();
                v.dw_job = std::make_shared<SweepJob>(std::move(def), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
                                                      snap.info->config.limits.memory_mb);
            } catch (const std::exception& e) {
                v.dw_error = e.what();
            }
        }
        tip("Trains every depth x width (times the seeds) on the current settings for train.steps steps, on every core; the window stays live");
    } else if (ImGui::Button("Cancel")) {
        v.dw_job->cancel();
    }
    ImGui::SameLine();
    ImGui::RadioButton("final loss", &v.dw_metric, 0);
    ImGui::SameLine();
    ImGui::RadioButton("accuracy", &v.dw_metric, 1);
    if (!v.dw_error.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", v.dw_error.c_str());
    if (!v.dw_job) {
        ImGui::TextDisabled("Each point is one depth and width: its final loss against its parameter count (log scale). Same budget of steps for all.");
        ImGui::End();
        return;
    }
    if (!v.dw_job->error().empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", v.dw_job->error().c_str());
    const std::size_t done = v.dw_job->results().size(), total = v.dw_job->total();
    ImGui::ProgressBar(total ? static_cast<float>(done) / static_cast<float>(total) : 0.f, ImVec2(-1, 0),
                       (std::to_string(done) + " of " + std::to_string(total) + " runs").c_str());
    const std::vector<PlotSeries> s = depth_width_series(*v.dw_job, v.dw_metric);
    PlotOptions o;
    o.size = ImVec2(-1, std::max(font * 8, ImGui::GetContentRegionAvail().y - font * 4));
    o.x_label = "log10(parameters)";
    o.y_label = v.dw_metric == 0 ? "final loss (nats)" : "held-out accuracy";
    o.record = &view.widget_rects;  // "plot.dwplot"
    ImGui::BeginGroup();
    plot_lines("dwplot", s, v.dw_plot, o);
    ImGui::EndGroup();
    plot_print_menu(view, "depth-width", std::string("Depth x width: ") + (v.dw_metric == 0 ? "final loss" : "held-out accuracy") +
                                              " against the parameter count, same steps for all",
                    s, v.dw_plot, o, snap.step);
    ImGui::End();
}

}  // namespace snapscope::gui
