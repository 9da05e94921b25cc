// A lab's side of the window's UI: its panels, its settings, its buttons, keys and windows. The shell's layout and
// controls know no lab: they ask panels_for(snapshot) (one line per lab in app/gui/shell/lab_panels.cpp).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app_ui.hpp"
#include "sweep_job.hpp"

namespace snapscope::gui {

// The top panels' share of the height unless the user dragged the splitter (ViewState::top_fraction).
constexpr float kDefaultTopFraction = 0.52f;

// The line between the top and the bottom panels that the user drags (the shell draws its handle): y and its horizontal
// extent. A lab whose boundary is not at top_h (or not across the whole area) says where it drew it.
struct LabSplit {
    float y = 0, x0 = 0, x1 = 0;
};

// The area right of the Controls panel and how to open a panel there (records its rectangle for exports).
struct LabArea {
    float x = 0, w = 0, top_h = 0, bottom_h = 0;  // the top panel spans [0, top_h), the bottom one the rest
    LabSplit* split = nullptr;                    // set to (top_h, x, x + w) before the lab draws
    ImGuiWindowFlags flags = 0;
    std::function<bool(Panel, const char* title, ImVec2 pos, ImVec2 size)> begin_panel;  // call ImGui::End() after
    // A tiled window that is not one of the exported panels (e.g. a second window beside the top panel): the same
    // flags and no background of its own (see begin_tiled). Call ImGui::End() after.
    std::function<bool(const char* title, ImVec2 pos, ImVec2 size)> begin_window;
};

// The fields the settings section offers a lab (two a row, label above, value below).
struct SettingsFields {
    std::function<void(const char* name, int& v, int lo, int hi, const char* help)> int_field;
    float half = 0;  // the width of half a row
};

struct LabPanels {
    std::string kind;          // model.kind
    std::string switch_label;  // in the lab switch ("Lab: <name> (<paper>)")
    std::string first_preset;  // the preset the lab switch loads
    // Tooltips of the learning-rate sliders, by group name (the slider's label is the group's label), and "ratio" for
    // the ratio slider of a lab with two groups.
    std::vector<std::pair<std::string, std::string>> lr_help;
    // Companion runs the lab offers: name, checkbox label, tooltip.
    std::vector<std::vector<std::string>> companions;
    // The settings that restart the run (the pending config `c`).
    void (*settings)(Config& c, const SettingsFields& ui) = nullptr;
    // Buttons after the learning rates (e.g. the phase diagram); may be null.
    void (*run_buttons)(const Snapshot& snap, ViewState& view) = nullptr;
    // The lab's panels in `area`.
    void (*panels)(const Snapshot& snap, ViewState& view, const CommandSink& send, HeatmapTextures* textures, const LabArea& area) = nullptr;
    // Windows over the panels (the phase diagram) and the lab's keys; may be null.
    void (*windows)(const Snapshot& snap, ViewState& view, const CommandSink& send) = nullptr;
    void (*keys)(const Snapshot& snap, ViewState& view) = nullptr;
    // Makes the lab's view state (ViewState::lab_views[kind]); may be null for a lab that keeps none in sessions.
    std::shared_ptr<LabView> (*make_view)() = nullptr;
    // The config that trains this lab on a data file or folder the user opened or dropped (`snap` the run shown,
    // maybe another lab's), or nothing when the lab does not read such a path; may be null.
    std::optional<Config> (*open_path)(const Snapshot& snap, const std::string& path) = nullptr;
    // Shows a sweep read from a folder (its runs are this lab's) in the lab's sweep view (the phase diagram), or says
    // in `why` why that view cannot draw it; may be null (the lab has no sweep view).
    bool (*show_sweep)(ViewState& view, std::shared_ptr<SweepJob> sweep, std::string& why) = nullptr;
    // Its lines in the help overlay (key, what it does).
    std::vector<std::pair<std::string, std::string>> help;
};

const std::vector<LabPanels>& lab_panels();
// The panels of the lab the snapshot's run belongs to (the first lab's for an unknown kind).
const LabPanels& panels_for(const Snapshot& snap);

}  // namespace snapscope::gui
