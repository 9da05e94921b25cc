// Axis ticks: "nice" linear ticks, log10 ticks and their labels (the window's plots and the print figures share them).
#pragma once

#include <string>
#include <vector>

namespace snapscope {

// "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, at most `target_count` + 1 of
// them (empty for a non-finite or empty range).
std::vector<double> nice_ticks(double lo, double hi, int target_count);
// Ticks of a log10 axis, as exponents in [lo, hi]: whole decades (every 1, 2, 3, 5, 10 ... decades) when several fit,
// else 1, 2 and 5 times powers of ten; at most `max_count` of them.
std::vector<double> log_ticks(double lo, double hi, int max_count);
std::string format_tick(double v);

}  // namespace snapscope
