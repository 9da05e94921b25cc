// Guided tours: lessons in the window, one JSON file each in assets/tours/ (compiled into the library, like the
// presets), or a file a user brings. A tour is a list of steps; each step says a short text, may load a preset (with
// overrides), change learning rates, turn companions on, set view settings, train to a step and pause there,
// highlight things on screen (a control, a heatmap cell, a token's column, a plot, a curve) and ask the class a
// question. The format is documented in the README ("Guided tours"). Nothing here knows a lab: the names a step
// uses are checked where they are used (a preset must exist, its overrides must resolve; the window says which
// highlight it cannot find).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/config.hpp"

namespace snapscope {

// What a step points at: a widget's name as the window records it ("play", "##lr_z", "plot.loss",
// "curve.common tokens", "attention.c"), and for a grid widget (a heatmap) one cell, one row or one column of it:
// "attention.c[0,12]", "attention.fig4[*,12]" (column 12: a token), "attention.z[1,*]" (row 1).
struct TourHighlight {
    static constexpr int kWhole = -2;  // no [row, col]: the whole widget
    static constexpr int kAll = -1;    // "*": every row (or column)
    std::string name;
    int row = kWhole, col = kWhole;
    bool cell() const { return row != kWhole; }
    std::string text() const;  // as written
};
// Parses "name" or "name[r,c]" (r, c: integers >= 0 or *). Throws ConfigError naming `key`.
TourHighlight parse_tour_highlight(const std::string& s, const std::string& key);

struct TourStep {
    std::string title;     // a few words (the panel's heading for the step)
    std::string text;      // what to look at (required)
    std::string question;  // for the class (optional)
    std::string answer;    // shown when asked for (optional)
    std::string preset;    // load this preset (restart), "" to keep the run
    FlatConfig set;        // overrides on the preset (or on the running config when no preset is named)
    std::vector<std::pair<std::string, double>> rates;      // learning-rate group -> value, applied without restart
    std::vector<std::pair<std::string, bool>> companions;   // companion run -> on/off
    nlohmann::json view = nlohmann::json::object();          // view settings, as a session's "view" holds them
    std::optional<double> speed;                              // steps per second (0: unlimited)
    std::int64_t pause_at = 0;                                // train to this step, then pause (0: leave the run as it is)
    std::vector<TourHighlight> highlight;
    bool restarts() const { return !preset.empty() || !set.empty(); }
};

struct Tour {
    std::string name;  // file name without .json
    std::string title, description;
    std::vector<TourStep> steps;
};

// Limits of a tour file (a tour is a lesson, not data).
constexpr std::size_t kMaxTourBytes = 1 << 20;
constexpr std::size_t kMaxTourSteps = 200;
constexpr std::size_t kMaxTourText = 4000;  // bytes of one text field
constexpr std::int64_t kMaxTourPauseAt = 1000000000;

// Parses and checks a tour: every key of the right type, no unknown key, texts UTF-8 and bounded, a named preset
// exists and its overrides resolve to a valid config. Throws InputError whose message names `source`, the step and
// the key ("tour.json: steps[2].set: ...").
Tour parse_tour(const std::string& text, const std::string& name, const std::string& source);
// A tour file a user brings (at most kMaxTourBytes). Throws InputError.
Tour load_tour_file(const std::string& path);

// The shipped tours (assets/tours/), parsed once; a shipped tour that does not parse is left out, and its error is
// in tour_errors() (a test keeps that empty).
const std::vector<Tour>& tours();
const std::vector<std::string>& tour_errors();
const Tour* find_tour(const std::string& name);

// The config a restarting step trains: its preset (or `current` when it names none) with its overrides.
// Throws ConfigError naming the key.
Config tour_step_config(const TourStep& step, const Config& current, const std::string& source);

}  // namespace snapscope
