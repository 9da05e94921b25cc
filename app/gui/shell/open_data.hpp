// Opening a data file or folder (a text corpus, a dataset) in the window: the Open data window (our own file browser,
// ImGui only), a file dropped on the window, the same path typed. The shell knows no lab: it asks each lab
// (LabPanels::open_path), the shown lab first, for the config that trains on the path, and restarts on it.
#pragma once

#include <string>

#include "app_ui.hpp"
#include "snapscope/sweep_folder.hpp"

namespace snapscope::gui {

// Lists `dir` into d.entries (at most 5000 entries: a note says how many were left off). Hidden entries are left off.
void list_folder(OpenDataDialog& d, const std::string& dir);

// Asks the labs for a config that trains on `path` and restarts on it (a sweep folder: open_sweep_folder). False (with a message in the status bar)
// when no lab opens it.
bool open_data_path(const Snapshot& snap, ViewState& view, const CommandSink& send, const std::string& path);

// Opens a sweep folder (snapscope-cli sweep's or merge's --out, or a file in it) in the sweep view of the lab its
// runs belong to, switching to that lab's first grid point when the shown run is another lab's. False (with a
// message in the status bar and in `error` when given) when it cannot be read or shown.
bool open_sweep_folder(const Snapshot& snap, ViewState& view, const CommandSink& send, const std::string& path, std::string* error = nullptr);
// The same for a sweep folder already read.
bool show_sweep_folder(const Snapshot& snap, ViewState& view, const CommandSink& send, SweepFolder folder, std::string* error = nullptr);

// The Open data window (Ctrl+Shift+O or the Controls' button).
void draw_open_dialog(const Snapshot& snap, ViewState& view, const CommandSink& send);

}  // namespace snapscope::gui
