#include "snapscope/ticks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace snapscope {

std::vector<double> nice_ticks(double lo, double hi, int target_count) {
    std::vector<double> t;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(hi - lo)) return t;
    target_count = std::clamp(target_count, 1, 1000);
    const double raw = (hi - lo) / target_count;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * p;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= raw) {
            step = m * p;
            break;
        }
    if (!(step > 0) || !std::isfinite(step)) return t;
    const double first = std::ceil(lo / step) * step;
    // Counted, not stepped: v = first + i * step cannot stall when step is tiny next to |lo|.
    const double n = std::floor((hi - first) / step + 1e-9);
    if (!(n >= 0) || n > target_count + 1) {
        // The range is too narrow for its magnitude to hold distinct ticks: its two ends.
        t = {lo, hi};
        return t;
    }
    for (int i = 0; i <= static_cast<int>(n); ++i) {
        const double v = first + i * step;
        t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    }
    return t;
}

std::vector<double> log_ticks(double lo, double hi, int max_count) {
    std::vector<double> t;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return t;
    max_count = std::clamp(max_count, 2, 100);
    const double first = std::ceil(lo), last = std::floor(hi);
    const double decades = last - first + 1;
    if (decades >= 3) {
        double every = 1;
        for (double m : {1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0})
            if (decades / m <= max_count) {
                every = m;
                break;
            }
        const int n = static_cast<int>(std::min(decades / every, 100.0));
        for (int i = 0; i <= n; ++i) {
            const double e = first + i * every;
            if (e <= hi) t.push_back(e);
        }
        return t;
    }
    // A few decades or less: 1, 2 and 5 times the powers of ten in view.
    for (double e = std::floor(lo), k = 0; e <= std::ceil(hi) && k < 8; e += 1, ++k)
        for (double m : {1.0, 2.0, 5.0}) {
            const double v = e + std::log10(m);
            if (v >= lo && v <= hi) t.push_back(v);
        }
    if (static_cast<int>(t.size()) > max_count) {
        std::vector<double> whole;
        for (double v : t)
            if (std::abs(v - std::round(v)) < 1e-9) whole.push_back(v);
        if (whole.size() >= 2) t = whole;
    }
    if (t.size() < 2) {
        // Less than a factor of 2: linear nice ticks of the values, placed on the log axis.
        t.clear();
        for (double v : nice_ticks(std::pow(10.0, lo), std::pow(10.0, hi), std::min(max_count, 4)))
            if (v > 0) t.push_back(std::log10(v));
    }
    return t;
}

std::string format_tick(double v) {
    char buf[32];
    const double a = std::abs(v);
    if (!std::isfinite(v)) std::snprintf(buf, sizeof buf, "%g", v);
    else if (a != 0 && (a >= 1e5 || a < 1e-3)) std::snprintf(buf, sizeof buf, "%.0e", v);
    else std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace snapscope
