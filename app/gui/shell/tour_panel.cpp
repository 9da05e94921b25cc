#include "tour_panel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "keys.hpp"

namespace snapscope::gui {

namespace {

std::string step_source(const Tour& t, int step) { return "tour '" + t.name + "' step " + std::to_string(step + 1); }

bool overlaps(const ImVec4& a, const ImVec4& b) { return a.x < b.z && b.x < a.z && a.y < b.w && b.y < a.w; }

}  // namespace

void apply_tour_step(const Snapshot& snap, ViewState& view, const CommandSink& send, int step) {
    TourView& tv = view.tour;
    if (!tv.tour || step < 0 || step >= static_cast<int>(tv.tour->steps.size())) return;
    tv.step = step;
    tv.show_answer = false;
    const TourStep& s = tv.tour->steps[static_cast<std::size_t>(step)];
    const std::string source = step_source(*tv.tour, step);
    if (s.restarts()) {
        try {
            send(Command::load_config(tour_step_config(s, snap.info->config, source)));
            view.live = true;
        } catch (const std::exception& e) {
            view.say(source + ": " + e.what(), true);
            return;
        }
    }
    for (const auto& [name, on] : s.companions) send(Command::set_companion(name, on));
    for (const auto& [group, value] : s.rates) send(Command::set_lr(group, value));
    if (s.speed) send(*s.speed > 0 ? Command::set_speed(SpeedMode::StepsPerSecond, *s.speed) : Command::set_speed(SpeedMode::Unlimited, 0));
    if (!s.view.empty()) {
        const std::vector<std::string> warnings = view.from_json(s.view, source);
        if (!warnings.empty()) view.say(warnings.front(), true);
    }
    if (s.pause_at > 0) {
        if (s.restarts() || s.pause_at > snap.step) {
            send(Command::stop_at(s.pause_at));
            send(Command::play());
            view.live = true;
        } else {
            // The run is past this step already (e.g. going back): show that step from history, paused.
            send(Command::pause());
            view.live = s.pause_at == snap.step;
            view.cursor_step = s.pause_at;
        }
    }
}

void start_tour(std::shared_ptr<const Tour> tour, const Snapshot& snap, ViewState& view, const CommandSink& send) {
    view.tour = TourView{};
    view.tour.tour = std::move(tour);
    apply_tour_step(snap, view, send, 0);
}

void leave_tour(ViewState& view) {
    const ImVec2 size = view.tour.panel_size;
    view.tour = TourView{};
    view.tour.panel_size = size;
}

std::optional<ImVec4> resolve_highlight(const ViewState& view, const TourHighlight& h, std::string* why) {
    auto it = view.widget_rects.find(h.name);
    if (it == view.widget_rects.end()) {
        if (why) *why = h.name + " is not on screen";
        return std::nullopt;
    }
    ImVec4 r = it->second;
    if (!h.cell()) return r;
    auto g = view.widget_grids.find(h.name);
    if (g == view.widget_grids.end()) {
        if (why) *why = h.name + " is not a grid (no [row,col])";
        return std::nullopt;
    }
    const auto [rows, cols] = g->second;
    if (h.row >= rows || h.col >= cols || rows <= 0 || cols <= 0) {
        if (why) *why = h.text() + " is outside the " + std::to_string(rows) + " x " + std::to_string(cols) + " grid";
        return std::nullopt;
    }
    const float cw = (r.z - r.x) / static_cast<float>(cols), rh = (r.w - r.y) / static_cast<float>(rows);
    if (h.col >= 0) r = ImVec4(r.x + cw * static_cast<float>(h.col), r.y, r.x + cw * static_cast<float>(h.col + 1), r.w);
    if (h.row >= 0) r = ImVec4(r.x, r.y + rh * static_cast<float>(h.row), r.z, r.y + rh * static_cast<float>(h.row + 1));
    return r;
}

void tour_keys(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    TourView& tv = view.tour;
    if (key_pressed(kKeyT)) tv.chooser = !tv.chooser;
    if (!tv.tour) return;
    const int n = static_cast<int>(tv.tour->steps.size());
    if ((key_pressed(kKeyPageDown) || key_pressed(kKeyN)) && tv.step + 1 < n) apply_tour_step(snap, view, send, tv.step + 1);
    if ((key_pressed(kKeyPageUp) || key_pressed(kKeyB)) && tv.step > 0) apply_tour_step(snap, view, send, tv.step - 1);
    if (key_pressed(kKeyEscape) && !snap.loading) leave_tour(view);
}

namespace {

void draw_chooser(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    TourView& tv = view.tour;
    if (!tv.chooser) return;
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    const float font = ImGui::GetFontSize();
    ImGui::SetNextWindowPos(ImVec2(ds.x * 0.5f, ds.y * 0.45f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(font * 30, 0), ImGuiCond_Always);
    if (ImGui::Begin("Guided tours (T)", &tv.chooser, ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::TextWrapped("Lessons inside the window: each step sets up the run, trains to a step, points at what to look at and asks "
                           "a question. Step with PageDown / PageUp (or N / B, or a presentation clicker); leave with Esc and explore.");
        ImGui::Separator();
        for (const Tour& t : tours()) {
            ImGui::PushID(t.name.c_str());
            if (ImGui::Button("Start")) {
                tv.start = std::make_shared<const Tour>(t);
                tv.chooser = false;
            }
            record_item(view, "tour.start." + t.name);
            ImGui::SameLine();
            ImGui::TextUnformatted(t.title.c_str());
            ImGui::SameLine();
            ImGui::TextDisabled("(%zu steps)", t.steps.size());
            if (!t.description.empty()) {
                ImGui::Indent(ImGui::CalcTextSize("Start").x + ImGui::GetStyle().FramePadding.x * 2 + ImGui::GetStyle().ItemSpacing.x);
                ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetColorU32(ImGuiCol_TextDisabled));
                ImGui::TextWrapped("%s", t.description.c_str());
                ImGui::PopStyleColor();
                ImGui::Unindent(ImGui::CalcTextSize("Start").x + ImGui::GetStyle().FramePadding.x * 2 + ImGui::GetStyle().ItemSpacing.x);
            }
            ImGui::PopID();
        }
        for (const std::string& e : tour_errors()) ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1), "%s", e.c_str());
        ImGui::TextDisabled("Your own tour: snapscope --tour FILE.json (the format is in the README).");
    }
    ImGui::End();
    (void)snap;
    (void)send;
}

// Where the tour panel goes: the first corner of the lab area whose rectangle covers no highlight (the panel, the
// widgets and the highlights are all in this frame's coordinates). The corner is the window's anchor (pivot), so a
// bottom corner keeps the buttons in place when the next step's text is longer: a teacher clicking Next hits it again.
struct Placement {
    ImVec2 pos, pivot;
};
Placement panel_place(const ViewState& view, const std::vector<ImVec4>& avoid, ImVec2 size) {
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    const float pad = ImGui::GetFontSize() * 0.6f;
    const float bar = status_bar_height();
    float left = pad;
    if (auto it = view.widget_rects.find("panel.controls"); it != view.widget_rects.end()) left = it->second.z + pad;
    const Placement cand[] = {{ImVec2(ds.x - pad, ds.y - bar - pad), ImVec2(1, 1)},
                              {ImVec2(ds.x - pad, pad * 3), ImVec2(1, 0)},
                              {ImVec2(left, ds.y - bar - pad), ImVec2(0, 1)},
                              {ImVec2(left, pad * 3), ImVec2(0, 0)}};
    for (const Placement& c : cand) {
        const float x0 = c.pos.x - size.x * c.pivot.x, y0 = c.pos.y - size.y * c.pivot.y;
        const ImVec4 r(x0, y0, x0 + size.x, y0 + size.y);
        bool clear = true;
        for (const ImVec4& a : avoid) clear = clear && !overlaps(r, a);
        if (clear) return c;
    }
    return cand[0];
}

void draw_highlights(const std::vector<ImVec4>& rects, bool still) {
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    dl->PushClipRect(ImVec2(0, 0), ImVec2(ds.x, ds.y - status_bar_height()), false);  // (a plot scrolled under the status bar)
    const float font = ImGui::GetFontSize();
    // Pulsing in the window; at full strength in a picture (a screenshot or a movie is the same on any machine).
    const float pulse = still ? 1.0f : 0.65f + 0.35f * std::sin(static_cast<float>(ImGui::GetTime()) * 4.0f);
    const ImU32 col = IM_COL32(255, 0, 255, static_cast<int>(255 * pulse));  // magenta: no view of the app draws it
    const float t = std::max(2.5f, font / 6.0f), out = t + 2.0f;
    for (const ImVec4& r : rects) {
        // At least a few pixels wide, so a one-pixel cell or column of a large heatmap is still seen.
        const float cx = (r.x + r.z) / 2, cy = (r.y + r.w) / 2;
        const float hw = std::max((r.z - r.x) / 2, font * 0.25f), hh = std::max((r.w - r.y) / 2, font * 0.25f);
        dl->AddRect(ImVec2(cx - hw - out, cy - hh - out), ImVec2(cx + hw + out, cy + hh + out), col, t, 0, t);
    }
    dl->PopClipRect();
}

}  // namespace

void draw_tour(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    TourView& tv = view.tour;
    if (tv.start) {
        std::shared_ptr<const Tour> t = std::move(tv.start);
        start_tour(std::move(t), snap, view, send);
    }
    draw_chooser(snap, view, send);
    tv.missing.clear();
    if (!tv.tour) return;
    const Tour& tour = *tv.tour;
    const int n = static_cast<int>(tour.steps.size());
    tv.step = std::clamp(tv.step, 0, n - 1);
    const TourStep& s = tour.steps[static_cast<std::size_t>(tv.step)];
    // This frame's highlights.
    std::vector<ImVec4> rects;
    for (const TourHighlight& h : s.highlight) {
        std::string why;
        if (auto r = resolve_highlight(view, h, &why)) rects.push_back(*r);
        else tv.missing.push_back(why);
    }
    draw_highlights(rects, view.still);
    std::vector<ImVec4> avoid;  // the highlights as drawn (outset), with a margin
    const float m = std::max(2.5f, ImGui::GetFontSize() / 6.0f) + 2.0f + ImGui::GetFontSize() * 0.3f;
    for (const ImVec4& r : rects) avoid.emplace_back(r.x - m, r.y - m, r.z + m, r.w + m);

    const float font = ImGui::GetFontSize();
    const ImVec2 size(std::min(font * 24, std::max(font * 14, ImGui::GetIO().DisplaySize.x * 0.4f)), tv.panel_size.y > 0 ? tv.panel_size.y : font * 14);
    const Placement place = panel_place(view, avoid, size);
    ImGui::SetNextWindowPos(place.pos, ImGuiCond_Always, place.pivot);
    ImGui::SetNextWindowSize(ImVec2(size.x, 0), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.96f);
    const std::string title = "Tour: " + tour.title + "###tour";
    bool open = true;
    if (ImGui::Begin(title.c_str(), &open, ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                               ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize)) {
        ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 190, 80, 255));
        if (s.title.empty()) ImGui::Text("Step %d of %d", tv.step + 1, n);
        else ImGui::Text("Step %d of %d: %s", tv.step + 1, n, s.title.c_str());
        ImGui::PopStyleColor();
        record_item(view, "tour.heading");
        ImGui::Separator();
        ImGui::TextWrapped("%s", s.text.c_str());
        record_item(view, "tour.text");
        if (s.pause_at > 0 && snap.step < s.pause_at && snap.free_running) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "training to step %lld", static_cast<long long>(s.pause_at));
            ImGui::ProgressBar(static_cast<float>(std::clamp(static_cast<double>(snap.step) / static_cast<double>(s.pause_at), 0.0, 1.0)),
                               ImVec2(-1, 0), buf);
        }
        if (!s.question.empty()) {
            ImGui::Spacing();
            ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(120, 200, 255, 255));
            ImGui::TextWrapped("Question: %s", s.question.c_str());
            ImGui::PopStyleColor();
            record_item(view, "tour.question");
            if (!s.answer.empty()) {
                if (tv.show_answer) ImGui::TextWrapped("%s", s.answer.c_str());
                else if (ImGui::SmallButton("Show the answer")) tv.show_answer = true;
            }
        }
        for (const std::string& m : tv.missing) ImGui::TextDisabled("(%s)", m.c_str());
        ImGui::Separator();
        ImGui::BeginDisabled(tv.step == 0);
        if (ImGui::Button("< Back")) apply_tour_step(snap, view, send, tv.step - 1);
        ImGui::EndDisabled();
        record_item(view, "tour.back");
        tip("PageUp or B: the previous step (set up again)");
        ImGui::SameLine();
        if (tv.step + 1 < n) {
            if (ImGui::Button("Next >")) apply_tour_step(snap, view, send, tv.step + 1);
            tip("PageDown or N: the next step");
        } else if (ImGui::Button("Finish")) {
            open = false;
        }
        record_item(view, "tour.next");
        ImGui::SameLine();
        if (ImGui::Button("Leave")) open = false;
        record_item(view, "tour.leave");
        tip("Esc: leave the tour and explore from here (the run stays as it is)");
        tv.panel_size = ImGui::GetWindowSize();
        const ImVec2 wp = ImGui::GetWindowPos();
        tv.panel_rect = ImVec4(wp.x, wp.y, wp.x + tv.panel_size.x, wp.y + tv.panel_size.y);
    }
    ImGui::End();
    if (!open) leave_tour(view);
}

}  // namespace snapscope::gui
