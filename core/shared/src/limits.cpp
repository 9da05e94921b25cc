#include "snapscope/limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <unistd.h>

namespace snapscope {

std::uint64_t physical_memory_bytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0;
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

std::uint64_t memory_limit_bytes(const Config& cfg) {
    if (cfg.limits.memory_mb > 0) return static_cast<std::uint64_t>(cfg.limits.memory_mb * 1048576.0);
    const std::uint64_t phys = physical_memory_bytes();
    return phys > 0 ? phys / 4 * 3 : 8ULL << 30;
}

std::uint64_t history_budget_bytes(const Config& cfg) { return static_cast<std::uint64_t>(cfg.history.budget_mb * 1048576.0); }

std::string format_bytes(double b) {
    char buf[64];
    if (b < 1024) std::snprintf(buf, sizeof buf, "%.0f bytes", b);
    else if (b < 1048576.0) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
    else if (b < 1073741824.0) std::snprintf(buf, sizeof buf, "%.1f MiB", b / 1048576.0);
    else if (b < 1099511627776.0) std::snprintf(buf, sizeof buf, "%.1f GiB", b / 1073741824.0);
    else std::snprintf(buf, sizeof buf, "%.3g TiB", b / 1099511627776.0);
    return buf;
}

double MemoryEstimate::total() const {
    double t = 0;
    for (const Part& p : parts) t += p.bytes;
    return t;
}

void MemoryEstimate::check(std::uint64_t limit, const std::string& source) const {
    const double t = total();
    if (t <= static_cast<double>(limit)) return;
    const Part* big = &parts.front();
    for (const Part& p : parts)
        if (p.bytes > big->bytes) big = &p;
    throw MemoryLimitError(big->key, source + ": key '" + big->key + "': this run would need about " + format_bytes(t) +
                                    ", more than the memory limit of " + format_bytes(static_cast<double>(limit)) +
                                    " (limits.memory_mb); the largest part is " + big->what + " (" + format_bytes(big->bytes) +
                                    "): " + (big->key == "data.path" ? std::string("use a smaller dataset file (data.path)") : "lower " + big->key) +
                                    ", or raise limits.memory_mb if this machine has the memory");
}

std::size_t history_records(const Config& cfg, double share, double record_bytes, const std::string& what) {
    const double budget = share * static_cast<double>(history_budget_bytes(cfg));
    const double fit = std::floor(budget / record_bytes);
    if (fit < 4) {
        std::ostringstream os;
        os << "config: key 'history.budget_mb': " << what << " need " << format_bytes(record_bytes) << " each, and at least 4 must fit in "
           << format_bytes(budget) << " (this share of history.budget_mb = " << cfg.history.budget_mb << "); raise history.budget_mb to at least "
           << std::ceil(4 * record_bytes / share / 1048576.0) << " or make the run smaller";
        throw ConfigError("history.budget_mb", os.str());
    }
    return static_cast<std::size_t>(std::min(fit, static_cast<double>(cfg.history.capacity)));
}

}  // namespace snapscope
