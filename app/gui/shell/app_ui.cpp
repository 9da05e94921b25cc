#include "app_ui.hpp"
#include "lab_panels.hpp"

#include <imgui_internal.h>

#include <algorithm>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <type_traits>

#include "snapscope/figure.hpp"
#include "snapscope/files.hpp"
#include "snapscope/input.hpp"

#include "keys.hpp"
#include "open_data.hpp"
#include "theme.hpp"
#include "tour_panel.hpp"

namespace snapscope::gui {

const char* panel_name(Panel p) {
    switch (p) {
        case Panel::Controls: return "controls";
        case Panel::Attention: return "attention";
        case Panel::Curves: return "curves";
        default: return "panel";
    }
}

namespace {
// The frame shown for a view that is live or not, with a hover preview (>= 0) or none, and its step cursor.
std::size_t index_for(const Snapshot& snap, bool live, std::int64_t preview_step, std::int64_t cursor_step) {
    const auto& f = snap.frames;
    const bool preview = preview_step >= 0;
    if ((live && !preview) || f.size() == 1) return f.size() - 1;
    const std::int64_t want = preview ? preview_step : cursor_step;
    auto it = std::upper_bound(f.begin(), f.end(), want, [](std::int64_t s, const FramePtr& p) { return s < p->step; });
    return it == f.begin() ? 0 : static_cast<std::size_t>(it - f.begin()) - 1;
}
}  // namespace

std::size_t frame_index_at(const Snapshot& snap, const ViewState& view) {
    return index_for(snap, view.live, view.preview_step, view.cursor_step);
}

const Frame& frame_at(const Snapshot& snap, const ViewState& view) { return *snap.frames[frame_index_at(snap, view)]; }

std::int64_t shown_step(const Snapshot& snap, const ViewState& view) {
    // The next frame takes its hover preview from next_preview_step (draw_app), as an exported picture's frame does.
    const std::int64_t preview = view.next_preview_step;
    if (snap.frames.empty() || (view.live && preview < 0)) return snap.step;
    return snap.frames[index_for(snap, view.live, preview, view.cursor_step)]->step;
}

void apply_plot_cursor(const PlotResult& r, const Snapshot& snap, ViewState& view) {
    const auto& f = snap.frames;
    if (f.empty()) return;
    auto nearest = [&](double x) {
        auto it = std::lower_bound(f.begin(), f.end(), x, [](const FramePtr& p, double v) { return p->step < v; });
        if (it == f.end()) --it;
        if (it != f.begin() && std::abs((*(it - 1))->step - x) < std::abs((*it)->step - x)) --it;
        return (*it)->step;
    };
    if (r.hovered) view.next_preview_step = nearest(r.hover_x);
    if (r.clicked) {
        view.live = false;
        view.cursor_step = nearest(r.clicked_x);
    }
}

void ViewState::say(std::string text, bool error) {
    status = std::move(text);
    status_error = error;
    status_time = ImGui::GetCurrentContext() ? ImGui::GetTime() : 0.0;
}

float status_bar_height() { return std::floor(ImGui::GetFontSize() + 2 * ImGui::GetStyle().WindowPadding.y * 0.5f + 2); }

void draw_status_bar(const Snapshot& snap, ViewState& view, ImVec2 pos, ImVec2 size) {
    const double now = ImGui::GetTime();
    if (snap.message != view.seen_message) {
        view.seen_message = snap.message;
        view.seen_message_time = now;
    }
    // The newest of the two messages that is still to be shown.
    std::string text;
    bool error = false;
    double since = -1;
    auto consider = [&](const std::string& t, bool err, double at) {
        if (t.empty() || t == view.dismissed) return;
        if (!err && now - at > 10.0) return;  // info fades after 10 s
        if (at >= since) {
            text = t;
            error = err;
            since = at;
        }
    };
    consider(snap.message, snap.message_is_error, view.seen_message_time);
    if (view.status_time < 0 && !view.status.empty()) view.status_time = now;
    consider(view.status, view.status_error, view.status_time);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(ImGui::GetStyle().WindowPadding.x, 1));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, ImVec2(1, 1));  // (the default minimum is 32 px tall)
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                   ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoCollapse |
                                   ImGuiWindowFlags_NoSavedSettings;
    if (begin_tiled("##status", pos, size, flags)) {
        char right[96];
        std::snprintf(right, sizeof right, "step %lld   %.0f steps/s", static_cast<long long>(snap.step), snap.steps_per_second);
        const float rw = ImGui::CalcTextSize(right).x;
        const float avail = ImGui::GetContentRegionAvail().x - rw - ImGui::GetFontSize() * 2.5f;
        if (!text.empty()) {
            // One line: cut to the width; the whole text on hover.
            std::string line = text.substr(0, text.find('\n'));
            while (!line.empty() && ImGui::CalcTextSize(line.c_str()).x > avail) line.resize(line.size() * 9 / 10);
            if (line.size() < text.size()) line += "...";  // (the font has no U+2026)
            ImGui::PushStyleColor(ImGuiCol_Text, error ? IM_COL32(255, 110, 90, 255) : IM_COL32(150, 210, 255, 255));
            ImGui::TextUnformatted(line.c_str());
            ImGui::PopStyleColor();
            if (ImGui::IsItemHovered() && line.size() < text.size() + 3) ImGui::SetTooltip("%s", text.c_str());
            ImGui::SameLine();
            if (ImGui::SmallButton("x")) view.dismissed = text;
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Dismiss this message");
            ImGui::SameLine();
        }
        ImGui::SetCursorPosX(ImGui::GetWindowContentRegionMax().x - rw);
        ImGui::TextDisabled("%s", right);
    }
    ImGui::End();
    ImGui::PopStyleVar(2);
}

void ViewJsonReader::warn(const char* key, const std::string& expected) {
    warnings.push_back(source_ + ": key 'view." + key + "': expected " + expected + ", got " + brief(at(key)) + "; ignored");
}

void ViewJsonReader::boolean(const char* key, bool& out) {
    if (!has(key)) return;
    if (at(key).is_boolean()) out = at(key).get<bool>();
    else warn(key, "true or false");
}

void ViewJsonReader::number(const char* key, float& out, double lo, double hi) {
    if (!has(key)) return;
    const nlohmann::json& v = at(key);
    if (v.is_number() && v.get<double>() >= lo && v.get<double>() <= hi) out = static_cast<float>(v.get<double>());
    else warn(key, "a number from " + format_double(lo) + " to " + format_double(hi));
}

std::optional<long long> ViewJsonReader::read_integer(const nlohmann::json& v, long long lo, long long hi) {
    if (!(v.is_number_integer() || v.is_number_unsigned())) return std::nullopt;
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) return std::nullopt;
    const long long x = v.get<long long>();
    if (x < lo || x > hi) return std::nullopt;
    return x;
}

nlohmann::json ViewState::to_json() const {
    nlohmann::json j = {{"live", live},         {"cursor_step", cursor_step}, {"log_loss", log_loss},
                        {"large_font", large_font}, {"font_scale", font_scale}, {"theme", theme}, {"export_scale", export_scale}, {"export_dir", export_dir}};
    for (const auto& [kind, v] : lab_views)
        if (v) v->to_json(j);
    return j;
}

std::vector<std::string> ViewState::from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object()) {
        if (!j.is_null()) return {source + ": key 'view': expected an object, got " + brief(j) + "; ignored"};
        return {};
    }
    ViewJsonReader r(j, source);
    r.boolean("live", live);
    r.integer("cursor_step", cursor_step, 0, std::numeric_limits<long long>::max());
    r.boolean("log_loss", log_loss);
    r.boolean("large_font", large_font);
    r.number("font_scale", font_scale, 1.5, 2.5);
    if (r.has("theme")) {
        const nlohmann::json& v = j["theme"];
        if (v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() <= 2) theme = v.get<int>();
        else r.warn("theme", "0 (auto), 1 (dark) or 2 (light)");
    }
    if (r.has("export_scale")) {
        const nlohmann::json& v = j["export_scale"];
        if (v.is_number_integer() && (v.get<long long>() == 1 || v.get<long long>() == 2 || v.get<long long>() == 4)) export_scale = v.get<int>();
        else r.warn("export_scale", "1, 2 or 4");
    }
    if (r.has("export_dir")) {
        const nlohmann::json& v = j["export_dir"];
        if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() < 4096 && v.get<std::string>().find('\0') == std::string::npos)
            export_dir = v.get<std::string>();
        else r.warn("export_dir", "a folder name");
    }
    // Each lab's view reads its own fields (made now if its panels have not drawn yet).
    for (const LabPanels& p : lab_panels()) {
        if (!p.make_view) continue;
        std::shared_ptr<LabView>& v = lab_views[p.kind];
        if (!v) v = p.make_view();
        v->from_json(r);
    }
    return r.warnings;
}

namespace {

void handle_keys(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host) {
    const ImGuiIO& io = ImGui::GetIO();
    if (key_pressed(kKeySpace)) send(snap.free_running ? Command::pause() : Command::play());
    if (key_pressed(kKeyS, true) || key_pressed(kKeyRight, true)) {
        if (io.KeyCtrl) host.save_session = true;
        else send(Command::step(1));
    }
    if (key_pressed(kKeyR) && !io.KeyCtrl) send(Command::reset(snap.seed));
    if (key_pressed(kKeyO) && io.KeyCtrl && !io.KeyShift) host.load_session = true;
    if (key_pressed(kKeyO) && io.KeyCtrl && io.KeyShift) view.open_data.open = true;
    if (key_pressed(kKeyL)) view.live = true;
    if (key_pressed(kKeyLeft, true) && !snap.frames.empty()) {
        const Frame& f = frame_at(snap, view);
        auto it = std::lower_bound(snap.frames.begin(), snap.frames.end(), f.step,
                                   [](const FramePtr& p, std::int64_t s) { return p->step < s; });
        if (it != snap.frames.begin()) --it;
        view.live = false;
        view.cursor_step = (*it)->step;
    }
    if (key_pressed(kKeyF12)) host.screenshot = true;
    if (key_pressed(kKeyM) && !view.movie.active) host.movie = true;
    if (key_pressed(kKeyF11)) view.large_font = !view.large_font;
    if (key_pressed(kKeyF10)) view.theme = light_theme(view) ? static_cast<int>(Theme::Dark) : static_cast<int>(Theme::Light);
    // F1 or "?" (a character: Shift+/ on most layouts, so it is read from the typed text, not a key).
    bool question = false;
    if (!io.WantTextInput)
        for (int i = 0; i < io.InputQueueCharacters.Size; ++i) question |= io.InputQueueCharacters[i] == '?';
    if (key_pressed(kKeyF1) || question) view.show_help = !view.show_help;
    tour_keys(snap, view, send);
    if (const LabPanels& lab = panels_for(snap); lab.keys) lab.keys(snap, view);
}

// While a session replays to its step: progress, rate, time left, and Cancel (Esc).
void draw_loading(const Snapshot& snap, const CommandSink& send) {
    if (!snap.loading) return;
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    const float font = ImGui::GetFontSize();
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_AlwaysAutoResize;
    // A run being built in the background (its data file read) is shown once it takes a moment.
    const bool building = !snap.load_what.empty();
    if (building && snap.load_seconds < kLoadWindowDelay) return;
    ImGui::SetNextWindowPos(ImVec2(ds.x * 0.5f, ds.y * 0.4f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(font * 26, 0), ImGuiCond_Always);
    if (building) {
        if (ImGui::Begin("Loading", nullptr, flags)) {
            ImGui::TextWrapped("%s", snap.load_what.c_str());
            ImGui::TextDisabled("The run shown stays until the new one is ready.");
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.0f%% read, %.0f s", 100 * std::clamp(snap.load_fraction, 0.0, 1.0), snap.load_seconds);
            ImGui::ProgressBar(static_cast<float>(std::clamp(snap.load_fraction, 0.0, 1.0)), ImVec2(-1, 0), buf);
            if (ImGui::Button("Cancel (Esc)") || key_pressed(kKeyEscape)) send(Command::cancel_load());
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Stop loading: the run shown stays as it is");
        }
        ImGui::End();
        return;
    }
    if (ImGui::Begin("Loading the session", nullptr, flags)) {
        const double frac = snap.load_target > 0 ? static_cast<double>(snap.step) / static_cast<double>(snap.load_target) : 1.0;
        char buf[96];
        std::snprintf(buf, sizeof buf, "step %lld of %lld", static_cast<long long>(snap.step), static_cast<long long>(snap.load_target));
        ImGui::TextUnformatted("Replaying the session to its step (the same seed and learning-rate changes give the same run).");
        ImGui::ProgressBar(static_cast<float>(std::clamp(frac, 0.0, 1.0)), ImVec2(-1, 0), buf);
        if (snap.load_rate > 0) {
            const double left = static_cast<double>(snap.load_target - snap.step) / snap.load_rate;
            if (left < 120) ImGui::Text("%.0f steps/s, about %.0f s left", snap.load_rate, left);
            else if (left < 7200) ImGui::Text("%.0f steps/s, about %.0f min left", snap.load_rate, left / 60);
            else ImGui::Text("%.0f steps/s, about %.1f h left", snap.load_rate, left / 3600);
        }
        if (ImGui::Button("Cancel (Esc)") || key_pressed(kKeyEscape)) send(Command::cancel_load());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Stop here: the run stays at the step reached, paused");
    }
    ImGui::End();
}

// While a movie is written: which frame, and Cancel (nothing is left behind).
void draw_movie_progress(ViewState& view) {
    MovieView& mv = view.movie;
    if (!mv.active) return;
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    const float font = ImGui::GetFontSize();
    ImGui::SetNextWindowPos(ImVec2(ds.x * 0.5f, ds.y * 0.25f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(font * 26, 0), ImGuiCond_Always);
    if (ImGui::Begin("Writing a movie", nullptr, ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                                                     ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::TextWrapped("%s", mv.path.c_str());
        char buf[64];
        std::snprintf(buf, sizeof buf, "frame %zu of %zu", mv.done, mv.total);
        ImGui::ProgressBar(mv.total ? static_cast<float>(mv.done) / static_cast<float>(mv.total) : 0.f, ImVec2(-1, 0), buf);
        if (ImGui::Button("Cancel")) mv.cancel = true;
        record_item(view, "movie.cancel");
        tip("Stop and remove what was written");
    }
    ImGui::End();
}

void draw_help(const Snapshot& snap, ViewState& view) {
    if (!view.show_help) return;
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x * 0.5f, ImGui::GetIO().DisplaySize.y * 0.5f), ImGuiCond_FirstUseEver, ImVec2(0.5f, 0.5f));
    if (ImGui::Begin("Keyboard shortcuts", &view.show_help, ImGuiWindowFlags_AlwaysAutoResize)) {
        const char* rows[][2] = {{"Space", "play / pause"},          {"S or Right", "one step"},
                                 {"R", "reset (same seed)"},          {"Left", "step cursor one record back"},
                                 {"L", "back to live"},               {"Click a curve", "show that step everywhere"},
                                 {"F12", "screenshot of the window"}, {"Ctrl+S / Ctrl+O", "save / load session"},
                                 {"F11", "presenter mode (projectors)"}, {"F10", "light / dark theme"},  {"F1 or ?", "this help"},
                                 {"Esc", "stop loading a session"},   {"Ctrl+Shift+O", "open data (a text file or folder; or drop it)"},
                                 {"M", "a movie of the run (Export)"}, {"T", "guided tours"},
                                 {"PageDown / PageUp", "next / previous step of a tour"}};
        for (auto& r : rows) {
            ImGui::TextUnformatted(r[0]);
            ImGui::SameLine(ImGui::GetFontSize() * 9);
            ImGui::TextDisabled("%s", r[1]);
        }
        for (const auto& [key, what] : panels_for(snap).help) {  // the lab's own keys
            ImGui::TextUnformatted(key.c_str());
            ImGui::SameLine(ImGui::GetFontSize() * 9);
            ImGui::TextDisabled("%s", what.c_str());
        }
    }
    ImGui::End();
}

// The panels' sizes: the user's fractions (ViewState) within limits that keep every panel usable, or the defaults.
struct Layout {
    float left_w, top_h;
};
Layout layout_of(float controls_fraction, float top_fraction, ImVec2 ds, float font) {
    const float auto_w = std::clamp(ds.x * 0.25f, font * 19.f, font * 28.f);
    const float max_w = std::max(font * 12, ds.x - font * 24);  // the lab's area keeps room for its pictures
    const float left_w = controls_fraction > 0 ? std::floor(std::clamp(ds.x * controls_fraction, std::min(font * 12, max_w), max_w)) : auto_w;
    const float fraction = top_fraction > 0 ? top_fraction : kDefaultTopFraction;
    const float min_h = std::min(font * 6, ds.y * 0.5f);
    const float top_h = std::floor(std::clamp(ds.y * fraction, min_h, std::max(min_h, ds.y - min_h)));
    return {left_w, top_h};
}
Layout layout_of(const ViewState& view, ImVec2 ds, float font) { return layout_of(view.controls_fraction, view.top_fraction, ds, font); }

// ImGui puts a new window with NoBringToFrontOnFocus (the tiled panels', the handles') behind every other, so a handle
// made after the panels would be under them: it is moved once in front of the last tiled panel and behind the first
// floating window (which, focused, still comes to the front).
void keep_behind_floating_windows(ImGuiWindow* self) {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    const int at = ImGui::FindWindowDisplayIndex(self);
    int last_tiled = -1;
    for (int i = 0; i < g.Windows.Size; ++i) {
        const ImGuiWindow* o = g.Windows[i];
        if (o != self && o->RootWindow == o && (o->Flags & ImGuiWindowFlags_NoBringToFrontOnFocus) && std::strncmp(o->Name, "splitter.", 9) != 0) last_tiled = i;
    }
    if (at > last_tiled) return;
    for (int i = last_tiled + 1; i < g.Windows.Size; ++i) {
        ImGuiWindow* o = g.Windows[i];
        if (o->RootWindow == o && !(o->Flags & ImGuiWindowFlags_NoBringToFrontOnFocus)) {
            ImGui::BringWindowToDisplayBehind(self, o);
            return;
        }
    }
    ImGui::BringWindowToDisplayFront(self);
}

// A handle the user drags to move a boundary between tiled panels: an invisible button in a borderless window in
// front of the panels (floating windows still come in front of it). `line` is where the boundary is drawn now; while
// the handle is held, `target` is where the mouse has taken it since the press (from the press, not frame by frame,
// so rounding to whole pixels does not add up).
struct Handle {
    bool dragged = false, reset = false;
    float target = 0;
};
Handle splitter_handle(ViewState& view, const char* name, ImVec2 pos, ImVec2 size, bool vertical, float line) {
    ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
    ImGui::SetNextWindowSize(size, ImGuiCond_Always);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, ImVec2(1, 1));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0.0f);
    Handle h;
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoBackground | ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav |
                                   ImGuiWindowFlags_NoMove;
    if (ImGui::Begin(name, nullptr, flags)) {
        keep_behind_floating_windows(ImGui::GetCurrentWindow());
        ImGui::InvisibleButton("##handle", size);
        record_item(view, name);
        const bool active = ImGui::IsItemActive();
        ImGuiStorage* st = ImGui::GetStateStorage();
        const ImGuiID id = ImGui::GetItemID();
        if (ImGui::IsItemActivated()) st->SetFloat(id, line);  // where the line was at the press
        const ImGuiIO& io = ImGui::GetIO();
        const float moved = vertical ? io.MousePos.x - io.MouseClickedPos[0].x : io.MousePos.y - io.MouseClickedPos[0].y;
        // (Also on the frame of the release: a slow frame may see the last move and the release together.)
        h.dragged = (active || ImGui::IsItemDeactivated()) && moved != 0 && std::isfinite(moved);
        h.target = st->GetFloat(id, line) + (h.dragged ? moved : 0.0f);
        h.reset = ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left);
        if (ImGui::IsItemHovered() || active) {
            ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
            const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
            ImGui::GetForegroundDrawList()->AddRectFilled(a, b, ImGui::GetColorU32(active ? ImGuiCol_SeparatorActive : ImGuiCol_SeparatorHovered));
        }
        if (ImGui::IsItemHovered() && !active) tip("Drag to resize the panels; double-click: the default layout (remembered between runs)");
    }
    ImGui::End();
    ImGui::PopStyleVar(3);
    return h;
}

// The two splitters: between the Controls panel and the lab's area, and between the lab's top and bottom panels.
void draw_splitters(ViewState& view, ImVec2 ds, float font, const Layout& lay, const LabSplit& split) {
    const float t = std::max(4.0f, std::floor(font * 0.35f));  // the handle's thickness
    // (On the lab's side of the line, clear of the Controls panel's scrollbar.) What is stored is what is drawn
    // (within the limits; +0.5 because the layout floors it back to the pixel).
    const Handle v = splitter_handle(view, "splitter.controls", ImVec2(lay.left_w - 1, 0), ImVec2(t, ds.y), true, lay.left_w);
    if (v.reset) view.controls_fraction = 0;
    else if (v.dragged && ds.x > 0)
        view.controls_fraction = (layout_of(std::max(1e-3f, v.target / ds.x), 0, ds, font).left_w + 0.5f) / ds.x;
    if (split.x1 > split.x0 && split.y > 0 && lay.top_h > 0) {
        const Handle h = splitter_handle(view, "splitter.top", ImVec2(split.x0, split.y - 1), ImVec2(split.x1 - split.x0, t), false, split.y);
        if (h.reset) view.top_fraction = 0;
        else if (h.dragged && ds.y > 0)  // (the lab's line sits at split.y for a top height of top_h)
            view.top_fraction = (layout_of(0, std::max(1e-3f, h.target * (lay.top_h / split.y) / ds.y), ds, font).top_h + 0.5f) / ds.y;
    }
}

}  // namespace

void draw_app(const Snapshot& snap, ViewState& view, const CommandSink& send, HeatmapTextures* textures, HostRequests& host) {
    // The curve hovered in the previous frame previews its step in this one.
    view.preview_step = view.next_preview_step;
    view.next_preview_step = -1;
    // Widgets record where they are as they draw (a widget not drawn this frame is not on screen).
    view.widget_rects.clear();
    view.widget_grids.clear();
    handle_keys(snap, view, send, host);
    const ImVec2 full = ImGui::GetIO().DisplaySize;
    const float bar_h = status_bar_height();
    const ImVec2 ds(full.x, full.y - bar_h);  // the panels' area; the status bar below it never moves them
    const float font = ImGui::GetFontSize();
    const Layout lay = layout_of(view, ds, font);
    const float left_w = lay.left_w, top_h = lay.top_h;
    // A figure (panel export) has no title bars and no scrollbars.
    const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                   (view.figure ? ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar : 0);

    auto begin_panel = [&](Panel p, const char* title, ImVec2 pos, ImVec2 size) {
        const bool open = begin_tiled(title, pos, size, fixed);
        const int i = static_cast<int>(p);
        view.panel_pos[i] = ImGui::GetWindowPos();
        view.panel_size[i] = ImGui::GetWindowSize();
        const ImVec2 wp = ImGui::GetWindowPos(), cmin = ImGui::GetWindowContentRegionMin(), cmax = ImGui::GetWindowContentRegionMax();
        view.panel_content[i] = ImVec4(wp.x + cmin.x, wp.y + cmin.y, cmax.x - cmin.x, cmax.y - cmin.y);
        view.widget_rects[std::string("panel.") + panel_name(p)] = ImVec4(wp.x, wp.y, wp.x + view.panel_size[i].x, wp.y + view.panel_size[i].y);
        return open;
    };
    if (begin_panel(Panel::Controls, "Controls", ImVec2(0, 0), ImVec2(left_w, ds.y))) draw_controls(snap, view, send, host);
    ImGui::End();
    const LabPanels& lab = panels_for(snap);
    LabArea area;
    area.x = left_w;
    area.w = ds.x - left_w;
    area.top_h = top_h;
    area.bottom_h = ds.y - top_h;
    area.flags = fixed;
    area.begin_panel = begin_panel;
    area.begin_window = [&](const char* title, ImVec2 pos, ImVec2 size) { return begin_tiled(title, pos, size, fixed); };
    LabSplit split{top_h, area.x, area.x + area.w};
    area.split = &split;
    if (lab.panels) lab.panels(snap, view, send, textures, area);
    if (!view.figure && !view.still) draw_splitters(view, ds, font, lay, split);
    if (!view.figure) {
        draw_status_bar(snap, view, ImVec2(0, ds.y), ImVec2(full.x, bar_h));
        if (lab.windows) lab.windows(snap, view, send);
        draw_tour(snap, view, send);  // after every widget it may highlight
        draw_help(snap, view);
        draw_open_dialog(snap, view, send);
        draw_loading(snap, send);
        draw_movie_progress(view);
        // Presenter mode: the mouse, ringed, so a room can follow it.
        if (view.large_font && ImGui::IsMousePosValid()) {
            const ImVec2 m = ImGui::GetIO().MousePos;
            ImDrawList* fg = ImGui::GetForegroundDrawList();
            fg->AddCircleFilled(m, font * 0.9f, IM_COL32(255, 220, 0, 60), 32);
            fg->AddCircle(m, font * 0.9f, IM_COL32(255, 200, 0, 200), 32, std::max(2.0f, font / 10));
        }
    }
}

void draw_plot(const char* id, const char* title, const std::vector<PlotSeries>& series, PlotState& state, PlotOptions opt,
               const Snapshot& snap, ViewState& view, ImVec2 size) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    opt.size = size;
    opt.figure = view.figure;
    opt.cursor_x = view.live && view.preview_step < 0 ? NAN : static_cast<double>(frame_at(snap, view).step);
    // The markers of an event list are built once and shared by every plot and frame that shows the same list.
    struct MarkerCache {
        EventList list;  // kept alive, so its address cannot be reused by another list
        std::shared_ptr<const std::vector<double>> x;
        std::shared_ptr<const std::vector<std::string>> labels;
    };
    static MarkerCache cache;  // UI thread only
    if (cache.list.identity() != snap.events.identity() || !cache.x) {
        auto x = std::make_shared<std::vector<double>>();
        auto labels = std::make_shared<std::vector<std::string>>();
        x->reserve(snap.events.size());
        labels->reserve(snap.events.size());
        const LabSpec& lab = lab_for(snap.info->config);
        for (const RunEvent& e : snap.events) {
            x->push_back(static_cast<double>(e.step));
            char buf[48];
            std::snprintf(buf, sizeof buf, "%s %.3g", lr_label(lab, e.name).c_str(), e.new_value);
            labels->push_back(buf);
        }
        cache = {snap.events, std::move(x), std::move(labels)};
    }
    opt.markers = cache.x;
    opt.marker_labels = cache.labels;
    opt.record = &view.widget_rects;
    apply_plot_cursor(plot_lines(id, series, state, opt), snap, view);
    ImGui::EndGroup();
    plot_print_menu(view, id, title, series, state, opt, snap.step);
}

void plot_print_menu(ViewState& view, const std::string& id, const std::string& title, const std::vector<PlotSeries>& series, const PlotState& state,
                     const PlotOptions& opt, std::int64_t step) {
    if (view.figure) return;
    const std::string popup = "print##" + id;
    ImGui::OpenPopupOnItemClick(popup.c_str(), ImGuiPopupFlags_MouseButtonRight);
    tip("Right-click: print this plot (PNG for a paper, with its data as CSV)");
    if (ImGui::BeginPopup(popup.c_str())) {
        const bool go = ImGui::MenuItem("Print figure (PNG + CSV)");
        record_item(view, "print." + id);
        if (go) {
            LineFigure f;
            f.title = title;
            f.y_label = opt.y_label ? opt.y_label : "";
            f.x_label = opt.x_label ? opt.x_label : "step";
            f.log_y = opt.log_y;
            for (const PlotSeries& s : series) {
                const std::string key = s.group.empty() ? s.label : s.group;
                auto h = state.hidden.find(key);
                if (h != state.hidden.end() && h->second) continue;  // as shown: hidden series stay out
                FigureSeries fs;
                fs.label = s.in_legend ? s.label : "";
                const ImVec4 c = ImGui::ColorConvertU32ToFloat4(s.color);
                fs.colour = print_colour(static_cast<std::uint8_t>(c.x * 255), static_cast<std::uint8_t>(c.y * 255), static_cast<std::uint8_t>(c.z * 255));
                if (c.w < 0.5f) fs.colour = Rgba{static_cast<std::uint8_t>(150 + fs.colour.r / 3), static_cast<std::uint8_t>(150 + fs.colour.g / 3),
                                                 static_cast<std::uint8_t>(150 + fs.colour.b / 3), 255};  // (a faded pinned run)
                fs.x = s.x;
                fs.y = s.y;
                fs.dashed = s.dashed;
                f.series.push_back(std::move(fs));
            }
            if (std::isfinite(opt.mark_x)) f.marks.emplace_back(opt.mark_x, opt.mark_label ? opt.mark_label : "");
            print_figure(view, id, step, [&f](int w, int h, int k) { return render_line_figure(f, w, h, k); }, line_figure_csv(f));
        }
        ImGui::EndPopup();
    }
}

void heatmap_print_menu(ViewState& view, const std::string& id, std::int64_t step, const std::function<HeatmapFigures()>& build) {
    if (view.figure) return;
    const std::string popup = std::string("print##") + id;
    ImGui::OpenPopupOnItemClick(popup.c_str(), ImGuiPopupFlags_MouseButtonRight);
    if (ImGui::BeginPopup(popup.c_str())) {
        const bool go = ImGui::MenuItem("Print figure (PNG + CSV)");
        record_item(view, std::string("print.") + id);
        if (go) {
            const HeatmapFigures fig = build();
            print_figure(view, id, step, [&fig](int w, int h, int k) { return render_heatmap_figures(fig, w, h, k); }, heatmap_figures_csv(fig));
        }
        ImGui::EndPopup();
    }
}

void print_figure(ViewState& view, const std::string& name, std::int64_t step, const std::function<RgbaImage(int, int, int)>& render,
                  const std::string& csv) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const std::string stem = view.export_dir + "/figure-" + name + "-step" + std::to_string(step) + "-" + stamp;
    try {
        write_figure(stem, render(view.print_width, view.print_height, view.export_scale), csv);
        view.say("Wrote " + stem + ".png and .csv (" + std::to_string(view.print_width * view.export_scale) + " x " +
                     std::to_string(view.print_height * view.export_scale) + " px)",
                 false);
    } catch (const std::exception& e) {
        view.say(std::string("Print figure failed: ") + e.what(), true);
    }
}


ImVec4 frame_clear_colour() { return ImGui::GetStyle().Colors[ImGuiCol_WindowBg]; }

bool begin_tiled(const char* title, ImVec2 pos, ImVec2 size, ImGuiWindowFlags flags) {
    ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
    ImGui::SetNextWindowSize(size, ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.0f);  // the frame is cleared with this colour (borders are still drawn)
    return ImGui::Begin(title, nullptr, flags | ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);
}

void record_item(ViewState& view, const std::string& name) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    view.widget_rects[name] = ImVec4(a.x, a.y, b.x, b.y);
}

void record_grid(ViewState& view, const std::string& name, ImVec2 a, ImVec2 b, int rows, int cols) {
    view.widget_rects[name] = ImVec4(a.x, a.y, b.x, b.y);
    view.widget_grids[name] = {rows, cols};
}

void tip(const char* text) {
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);
}

}  // namespace snapscope::gui
