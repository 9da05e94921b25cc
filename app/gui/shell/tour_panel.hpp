// Guided tours in the window: the chooser, the tour panel (the step's text, its question, Back / Next / Leave) and the
// highlights it draws over the named widgets. A step is applied through the same commands the controls send, so the
// worker and the labs see nothing new; the shell knows no lab here (names come from the tour file).
#pragma once

#include "app_ui.hpp"

namespace snapscope::gui {

// Sets up step `step` of the tour being taken: restarts on its config, changes rates, companions, view settings and
// speed, trains to its pause_at (or, when the run is past it, shows that step from history). Problems go to the
// status bar.
void apply_tour_step(const Snapshot& snap, ViewState& view, const CommandSink& send, int step);
// Starts `tour` at its first step.
void start_tour(std::shared_ptr<const Tour> tour, const Snapshot& snap, ViewState& view, const CommandSink& send);
void leave_tour(ViewState& view);

// The screen rectangle (x0, y0, x1, y1) of a highlight in this frame, or nothing when it is not on screen; `why` then
// says what is missing.
std::optional<ImVec4> resolve_highlight(const ViewState& view, const TourHighlight& h, std::string* why = nullptr);

// T opens the chooser; PageDown / N and PageUp / B step through the tour; Esc leaves it.
void tour_keys(const Snapshot& snap, ViewState& view, const CommandSink& send);
// The chooser, the tour panel and the highlights (drawn on top of everything).
void draw_tour(const Snapshot& snap, ViewState& view, const CommandSink& send);

}  // namespace snapscope::gui
