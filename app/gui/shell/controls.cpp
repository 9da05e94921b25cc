// The Controls panel: play/pause/step/reset, speed, learning rates (act at the next step), the step cursor,
// settings that restart the run, and export.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app_ui.hpp"
#include "lab_panels.hpp"
#include "movie.hpp"
#include "snapscope/presets.hpp"

namespace snapscope::gui {

namespace {

void remember(ViewState& view, const char* name) { record_item(view, name); }

// Whether ffmpeg is on PATH, looked up once a minute at most (not every frame).
bool ffmpeg_found() {
    static double checked = -1e9;
    static bool found = false;
    const double now = ImGui::GetTime();
    if (now - checked > 60) {
        found = ffmpeg_available();
        checked = now;
    }
    return found;
}

void section(const char* title) {
    ImGui::Spacing();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetColorU32(ImGuiCol_PlotHistogram));
    ImGui::TextUnformatted(title);
    ImGui::PopStyleColor();
    ImGui::Separator();
}

// A logarithmic slider for a learning rate, in double precision. While it is dragged, or typed into (Ctrl+click),
// it shows the pending value and changes nothing; the value is applied once, when the drag ends or Enter is pressed:
// then it returns true with the value in `out`. So a drag logs one event, and typing "0.5" never trains a step on
// the partial "0".
bool lr_slider(const char* label, const char* id, double current, SliderEdit& edit, ViewState& view, const char* help, double& out,
               double lo = 1e-3, double hi = 100.0, float label_w = 0) {
    if (!edit.active) edit.value = current;
    ImGui::TextUnformatted(label);
    ImGui::SameLine(std::max(ImGui::GetFontSize() * 4.5f, label_w));
    ImGui::SetNextItemWidth(-1);
    const bool pending = edit.active && edit.value != current;
    if (pending) ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 190, 90, 255));
    ImGui::SliderScalar(id, ImGuiDataType_Double, &edit.value, &lo, &hi, pending ? "%.4g (pending)" : "%.4g",
                        ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp);
    if (pending) ImGui::PopStyleColor();
    edit.active = ImGui::IsItemActive();
    const bool apply = ImGui::IsItemDeactivatedAfterEdit() && std::isfinite(edit.value) && edit.value != current;
    remember(view, id);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s\nNow %.6g. Drag (or Ctrl+click and type) and release (or press Enter) to apply at the next step.", help, current);
    if (apply) out = edit.value;
    return apply;
}

void restart_settings(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    const RunInfo& info = *snap.info;
    if (!view.pending || view.pending_run_id != snap.run_id) {
        view.pending = std::make_shared<Config>(info.config);
        view.pending_run_id = snap.run_id;
        view.seed_input = snap.seed;
        // Show the preset this run came from, if any (same settings apart from seed, steps and rates).
        // (The learning rates are the lab's groups' keys train.<name>, and keys named after them, e.g. lr_y_over_z.)
        std::vector<std::string> rate_keys;
        for (const LrGroup& g : snap.lrs) rate_keys.push_back("train." + g.name);
        auto key = [&rate_keys](const Config& c) {
            nlohmann::json j = config_to_json(c);
            j.erase("train.seed");
            j.erase("train.steps");
            j.erase("description");
            for (auto it = j.begin(); it != j.end();) {
                bool rate = false;
                for (const std::string& k : rate_keys) rate = rate || it.key().rfind(k, 0) == 0;
                it = rate ? j.erase(it) : std::next(it);
            }
            return j;
        };
        view.preset_index = -1;
        for (std::size_t i = 0; i < presets().size(); ++i) {
            try {
                if (key(resolve_config(preset_config(presets()[i].name), presets()[i].name)) == key(info.config))
                    view.preset_index = static_cast<int>(i);
            } catch (const std::exception&) {
            }
        }
    }
    Config& c = *view.pending;
    const auto& ps = presets();
    std::vector<const char*> names;
    for (const auto& p : ps) names.push_back(p.name.c_str());
    ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 5);
    const char* preview = view.preset_index >= 0 && view.preset_index < static_cast<int>(names.size()) ? names[view.preset_index] : "(custom config)";
    if (ImGui::BeginCombo("preset", preview)) {
        for (int i = 0; i < static_cast<int>(names.size()); ++i) {
            if (!ImGui::Selectable(names[i], i == view.preset_index)) continue;
            view.preset_index = i;
            try {
                c = resolve_config(preset_config(ps[i].name), ps[i].name);
                view.seed_input = c.train.seed;
            } catch (const std::exception& e) {
                view.say(e.what(), true);
            }
        }
        ImGui::EndCombo();
    }
    if (view.preset_index >= 0 && view.preset_index < static_cast<int>(ps.size())) tip(ps[view.preset_index].description.c_str());
    // Two fields a row: label above, value below, to keep the panel short.
    const float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
    int column = 0;
    auto int_field = [&](const char* name, int& v, int lo, int hi, const char* help) {
        if (column++ % 2) ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::TextDisabled("%s", name);
        ImGui::SetNextItemWidth(half);
        ImGui::PushID(name);
        if (ImGui::InputInt("##v", &v)) v = std::clamp(v, lo, hi);
        ImGui::PopID();
        ImGui::EndGroup();
        tip(help);
    };
    // The lab's own settings.
    SettingsFields ui;
    ui.int_field = int_field;
    ui.half = half;
    if (const LabPanels& lab = panels_for(snap); lab.settings) lab.settings(c, ui);
    ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 2.2f);
    ImGui::InputScalar("seed", ImGuiDataType_U64, &view.seed_input);
    tip("The same seed replays the run bit for bit (data, initial weights, batches)");
    c.train.seed = view.seed_input;
    const bool changed = nlohmann::json(config_to_json(c)) != config_to_json(info.config);
    if (changed) ImGui::PushStyleColor(ImGuiCol_Button, IM_COL32(170, 90, 30, 255));
    if (ImGui::Button(changed ? "Apply and restart *" : "Apply and restart")) send(Command::load_config(c, true));  // (the rates as they are)
    if (changed) ImGui::PopStyleColor();
    remember(view, "apply");
    tip("These settings change the data or the model's shape: applying them restarts the run from step 0.");
}

}  // namespace

void draw_controls(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host) {
    const float font = ImGui::GetFontSize();
    // The lab: which paper's model runs.
    const std::vector<LabPanels>& labs = lab_panels();
    const LabPanels& current = panels_for(snap);
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##lab", current.switch_label.c_str())) {
        for (const LabPanels& l : labs) {
            if (!ImGui::Selectable(l.switch_label.c_str(), &l == &current) || &l == &current) continue;
            try {
                send(Command::load_config(resolve_config(preset_config(l.first_preset), l.first_preset)));
                view.live = true;
            } catch (const std::exception& e) {
                view.say(e.what(), true);
            }
        }
        ImGui::EndCombo();
    }
    remember(view, "lab");
    tip("Switch the model and its views; each lab starts on its first preset");
    // The step (one line, always there: messages go to the status bar at the bottom, so nothing here moves).
    ImGui::Text("step %lld", static_cast<long long>(snap.step));
    ImGui::SameLine(font * 8);
    ImGui::TextDisabled("%.0f steps/s", snap.steps_per_second);

    section("Run");
    const float bw = (ImGui::GetContentRegionAvail().x - 3 * ImGui::GetStyle().ItemSpacing.x) / 4;
    if (ImGui::Button(snap.free_running ? "Pause" : "Play", ImVec2(bw, 0))) send(snap.free_running ? Command::pause() : Command::play());
    remember(view, "play");
    tip("Space: start or pause training");
    ImGui::SameLine();
    if (ImGui::Button("Step", ImVec2(bw, 0))) send(Command::step(1));
    remember(view, "step");
    tip("S or Right arrow: one optimiser step");
    ImGui::SameLine();
    if (ImGui::Button("+10", ImVec2(bw, 0))) send(Command::step(10));
    tip("Ten steps");
    ImGui::SameLine();
    if (ImGui::Button("Reset", ImVec2(bw, 0))) send(Command::reset(snap.seed));
    remember(view, "reset");
    tip("R: restart from step 0 with the same seed and the current learning rates");

    int speed = static_cast<int>(snap.speed);
    SliderEdit& sv = view.edit_speed;
    ImGui::SetNextItemWidth(font * 9);
    if (ImGui::Combo("##speed", &speed, "unlimited\0steps / second\0steps / frame\0")) {
        sv.value = speed == 1 ? 30.f : 1.f;
        send(Command::set_speed(static_cast<SpeedMode>(speed), sv.value));
    }
    tip("How fast the worker trains: as fast as it can, a target rate, or a fixed number per drawn frame");
    if (speed != 0) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(-1);
        if (!sv.active) sv.value = snap.speed_value;
        const double slo = 1, shi = speed == 1 ? 5000 : 100;
        if (ImGui::SliderScalar("##speedv", ImGuiDataType_Double, &sv.value, &slo, &shi, "%.0f", ImGuiSliderFlags_Logarithmic | ImGuiSliderFlags_AlwaysClamp))
            send(Command::set_speed(static_cast<SpeedMode>(speed), sv.value));  // speed is not logged: it may follow the drag
        sv.active = ImGui::IsItemActive();
    }

    // One slider per learning-rate group of the lab; with two groups, their ratio and the lock.
    section(snap.lrs.size() == 1 ? "Learning rate (acts at the next step)" : "Learning rates (act at the next step)");
    float label_w = 0;  // the sliders start right of the widest label
    for (const LrGroup& g : snap.lrs) label_w = std::max(label_w, ImGui::CalcTextSize(g.label.c_str()).x + ImGui::GetFontSize() * 0.6f);
    for (const LrGroup& g : snap.lrs) {
        std::string help = "Learning rate " + g.name + " (log scale)";
        for (const auto& [name, text] : current.lr_help)
            if (name == g.name) help = text;
        const std::string id = "##" + g.name;
        double v = 0;
        if (lr_slider(g.label.c_str(), id.c_str(), g.value, view.edit_lr[g.name], view, help.c_str(), v, g.lo, g.hi, label_w))
            send(Command::set_lr(g.name, v));
    }
    if (snap.lrs.size() == 2) {
        const LrGroup &a = snap.lrs[0], &b = snap.lrs[1];
        const double ratio = a.value > 0 ? b.value / a.value : 0;
        const std::string label = b.label + " / " + a.label;
        std::string help = label + " (log scale)";
        for (const auto& [name, text] : current.lr_help)
            if (name == "ratio") help = text;  // the lab's word on what the ratio does
        double v = 0;
        if (lr_slider("ratio", "##ratio", ratio, view.edit_ratio, view, help.c_str(), v)) send(Command::set_lr(b.name, a.value * v));
        bool lock = snap.ratio_locked;
        if (ImGui::Checkbox("lock ratio", &lock)) send(Command::lock_ratio(lock));
        remember(view, "lock");
        tip(("Keep " + label + " fixed: moving one rate moves the other").c_str());
    }
    // The lab's companion runs.
    for (const std::string& name : snap.companions_offered) {
        std::string label = name, help = "Run " + name + " alongside";
        for (const auto& cl : current.companions)
            if (cl.size() == 3 && cl[0] == name) {
                label = cl[1];
                help = cl[2];
            }
        if (snap.lrs.size() == 2) ImGui::SameLine();
        bool on = snap.companion(name) != nullptr;
        if (ImGui::Checkbox(label.c_str(), &on)) send(Command::set_companion(name, on));
        record_item(view, "companion." + name);
        tip(help.c_str());
    }
    if (current.run_buttons) current.run_buttons(snap, view);
    if (ImGui::Button(view.pinned ? "Re-pin run" : "Pin run")) view.pinned = std::make_shared<Snapshot>(snap);
    record_item(view, "pin");
    tip("Keep this run's curves, faded, under the live ones to compare two settings");
    if (view.pinned) {
        ImGui::SameLine();
        if (ImGui::Button("Unpin")) view.pinned.reset();
    }

    section("Step cursor");
    if (!snap.frames.empty()) {
        const std::int64_t first = snap.frames.front()->step, last = snap.frames.back()->step;
        long long cur = view.live ? last : std::clamp<std::int64_t>(view.cursor_step, first, last);
        if (ImGui::Button(view.live ? "Live" : "Go live")) view.live = true;
        remember(view, "live");
        tip("L: follow the newest step");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(-1);
        if (ImGui::SliderScalar("##cursor", ImGuiDataType_S64, &cur, &first, &last, "step %lld")) {
            view.live = false;
            view.cursor_step = cur;
        }
        tip("Drag to show a past step in every view (history is down-sampled on long runs). Left arrow: one record back");
    }

    section("Restart settings (reset the run)");
    if (view.large_font && !view.show_all_controls) {
        // Presenter mode keeps the panel to what a class watches; the settings are one click away.
        if (ImGui::SmallButton("show the settings")) view.show_all_controls = true;
        record_item(view, "show_settings");
        tip("Presenter mode hides the settings that restart the run; show them (F11 leaves presenter mode)");
    } else {
        restart_settings(snap, view, send);
    }

    section("Export");
    ImGui::SetNextItemWidth(font * 4);
    const char* scales[] = {"1x", "2x", "4x"};
    int si = view.export_scale == 4 ? 2 : view.export_scale == 2 ? 1 : 0;
    if (ImGui::Combo("scale", &si, scales, 3)) view.export_scale = si == 2 ? 4 : si == 1 ? 2 : 1;
    tip("Resolution multiplier for PNG exports (rendered offscreen)");
    ImGui::SameLine();
    if (ImGui::Button("Window PNG")) host.screenshot = true;
    tip("F12: the whole window as PNG");
    ImGui::TextDisabled("panel:");
    ImGui::SameLine();
    if (ImGui::Button("Attention")) host.panel_export = static_cast<int>(Panel::Attention);
    tip("The Attention panel alone as PNG, at the chosen scale");
    ImGui::SameLine();
    if (ImGui::Button("Curves")) host.panel_export = static_cast<int>(Panel::Curves);
    tip("The Curves panel alone as PNG, at the chosen scale");
    ImGui::SameLine();
    if (ImGui::Button("Controls")) host.panel_export = static_cast<int>(Panel::Controls);
    tip("The Controls panel alone as PNG, at the chosen scale");
    ImGui::TextDisabled("print:");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 7);
    int wh[2] = {view.print_width, view.print_height};
    if (ImGui::InputInt2("##print_size", wh)) {
        view.print_width = std::clamp(wh[0], 200, 8000);
        view.print_height = std::clamp(wh[1], 200, 8000);
    }
    tip("Print figures (right-click a plot; Figure 4 and Figure 6 buttons): width x height in pixels, times the scale above; "
        "light print theme, data as CSV beside");
    if (ImGui::Button("Trajectory CSV")) host.export_csv = true;
    tip("trajectory.csv, final.json and config.json, as snapscope-cli run writes them");
    // A movie of the run: its recorded steps replayed through the window, one frame each (or one per k steps).
    {
        MovieView& mv = view.movie;
        ImGui::SameLine();
        ImGui::BeginDisabled(mv.active);
        if (ImGui::Button("Movie")) host.movie = true;
        ImGui::EndDisabled();
        record_item(view, "movie");
        tip("M: a movie of this run as it trained: every recorded step (or one per k steps) drawn again offscreen, into the "
            "export folder; the window stays live (progress and Cancel)");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 4.5f);
        const bool ff = ffmpeg_found();
        const char* formats[] = {"MP4", "GIF", "PNGs"};
        if (!ff && mv.format < 2) mv.format = 2;
        if (ImGui::BeginCombo("##movie_format", formats[mv.format])) {
            for (int i = 0; i < 3; ++i) {
                ImGui::BeginDisabled(i < 2 && !ff);
                if (ImGui::Selectable(formats[i], i == mv.format)) mv.format = i;
                ImGui::EndDisabled();
            }
            ImGui::EndCombo();
        }
        tip(ff ? "MP4 (H.264) or GIF through ffmpeg, or numbered PNG frames in a folder"
               : "MP4 and GIF need ffmpeg (apt-get install ffmpeg); numbered PNG frames in a folder work without it");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(-1);
        ImGui::InputInt("##movie_every", &mv.every, 1, 10);
        mv.every = std::clamp(mv.every, 0, 1000000000);
        tip("One movie frame per this many steps (0: every recorded step)");
        const char* panels[] = {"whole window", "Attention panel", "Curves panel"};
        int pi = mv.panel == static_cast<int>(Panel::Attention) ? 1 : mv.panel == static_cast<int>(Panel::Curves) ? 2 : 0;
        ImGui::SetNextItemWidth(font * 9);
        if (ImGui::Combo("movie of", &pi, panels, 3))
            mv.panel = pi == 1 ? static_cast<int>(Panel::Attention) : pi == 2 ? static_cast<int>(Panel::Curves) : -1;
        tip("The whole window, or one panel drawn as a figure (its content only), at the export scale");
    }
    ImGui::SetNextItemWidth(-1);
    char dir[512];
    std::snprintf(dir, sizeof dir, "%s", view.export_dir.c_str());
    if (ImGui::InputText("##dir", dir, sizeof dir)) view.export_dir = dir;
    tip("Folder for exports (created if missing)");
    if (ImGui::Button("Save session")) host.save_session = true;
    tip("Ctrl+S: config, seed, learning-rate changes and view settings as JSON");
    ImGui::SameLine();
    if (ImGui::Button("Load session")) host.load_session = true;
    tip("Ctrl+O: replay a saved session to its step");
    ImGui::SameLine();
    if (ImGui::Button("Open data...")) view.open_data.open = true;
    record_item(view, "controls.open_data");
    tip("Ctrl+Shift+O: train on a text file or a folder of them (the Fig 7 model); or drop a file on the window");
    char sp[512];
    std::snprintf(sp, sizeof sp, "%s", view.session_path.c_str());
    ImGui::SetNextItemWidth(-1);
    if (ImGui::InputText("##session", sp, sizeof sp)) view.session_path = sp;
    host.export_scale = view.export_scale;

    section("View");
    ImGui::Checkbox("presenter (F11)", &view.large_font);
    record_item(view, "presenter");
    tip("Presenter mode for projectors: large text (the size beside), thicker lines, the mouse ringed, the settings that "
        "restart the run hidden. Remembered for the next start");
    if (view.large_font) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 4);
        static float pending = 0;
        static bool editing = false;
        if (!editing) pending = view.font_scale;
        ImGui::SliderFloat("##font_scale", &pending, 1.5f, 2.5f, "%.1fx", ImGuiSliderFlags_AlwaysClamp);
        editing = ImGui::IsItemActive();
        if (ImGui::IsItemDeactivatedAfterEdit()) view.font_scale = std::clamp(pending, 1.5f, 2.5f);  // (the fonts are rebuilt once)
        tip("Presenter text size: 1.5 to 2.5 times the normal 15 px, rasterised at that size (crisp, not scaled)");
    }
    ImGui::SetNextItemWidth(font * 6);
    ImGui::Combo("theme (F10)", &view.theme, "auto\0dark\0light\0");
    record_item(view, "theme");
    tip("light: black on white with darker line colours, high contrast for projectors; auto: light in presenter mode, dark "
        "otherwise. Heatmaps keep their colour maps. Remembered for the next start");
    // A small button beside the last item when it fits in the panel, else on the next line (presenter text is wide).
    auto beside = [](const char* label) {
        const ImGuiStyle& st = ImGui::GetStyle();
        const float w = ImGui::CalcTextSize(label, nullptr, true).x + st.FramePadding.x * 2;
        if (ImGui::GetItemRectMax().x + st.ItemSpacing.x + w <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
        return ImGui::SmallButton(label);
    };
    if (beside("shortcuts (F1)")) view.show_help = !view.show_help;
    if (beside(view.tour.tour ? "tour (T)" : "tours (T)")) view.tour.chooser = !view.tour.chooser;
    record_item(view, "tours");
    tip("T: guided tours, lessons inside the window (each step sets up the run, trains to a step, points at what to look at)");
}

}  // namespace snapscope::gui
