// The Scan-and-Snap lab's panels (attention heatmaps, curves, the phase diagram) and its entry in the window's lab
// list.
#pragma once

#include <string>
#include <vector>

#include "lab_panels.hpp"
#include "scansnap/scansnap_window.hpp"
#include "snapscope/sweep.hpp"

namespace snapscope::gui {

void draw_attention(const Snapshot& snap, ViewState& view, HeatmapTextures* textures);
void draw_curves(const Snapshot& snap, ViewState& view);
// Brings view.snap up to date with the snapshot (see ViewState::snap_task). `now` in seconds.
constexpr double kSnapInlineWork = 2e6;
constexpr double kSnapTaskInterval = 0.5;
void update_snap_step(const Snapshot& snap, ViewState& view, double now);
// The phase-diagram window (Scan-and-Snap sweeps in the background).
void draw_phase_diagram(const Snapshot& snap, ViewState& view, const CommandSink& send);
// The config a phase-diagram cell opens: the sweep's base with the cell's values and seed 1.
FlatConfig phase_cell_config(const FlatConfig& base, const std::vector<SweepAxis>& axes, const std::vector<nlohmann::json>& values);
// A token's colour by its role (grey common, a hue per class for distinct tokens, ...) and its short name.
ImU32 token_color(const RunInfo& info, int token, float alpha = 1.0f);
std::string token_short(const RunInfo& info, int token);

LabPanels scansnap_panels();

}  // namespace snapscope::gui
