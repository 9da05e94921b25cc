// Where the floating windows (phase diagram, depth x width, open data, ...) are, kept in the user's settings between
// runs: ImGui's own window settings, read from and given to UserSettings instead of an imgui.ini file.
#pragma once

#include "user_settings.hpp"

namespace snapscope::gui {

// Before the first frame: each remembered window opens where it was (a window made later finds its place), moved and
// shrunk to fit a window of `width` x `height`.
void place_remembered_windows(const std::vector<UserSettings::Place>& places, float width, float height);
// The places of the floating windows now (and of remembered ones not opened this run), for save_user_settings.
// Tiled panels and fixed windows are left out.
std::vector<UserSettings::Place> remembered_window_places();

}  // namespace snapscope::gui
