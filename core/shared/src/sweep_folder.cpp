#include "snapscope/sweep_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "snapscope/config.hpp"
#include "snapscope/input.hpp"

namespace snapscope {

namespace fs = std::filesystem;

namespace {

// The folder a path names: itself, or the folder of a sweep.json / results.csv / summary.csv inside it.
fs::path folder_of(const std::string& path) {
    const fs::path p(path);
    const std::string name = p.filename().string();
    std::error_code ec;
    if ((name == "sweep.json" || name == "results.csv" || name == "summary.csv") && fs::is_regular_file(p, ec)) return p.parent_path();
    return p;
}

}  // namespace

std::string SweepFolder::describe() const {
    std::string s = std::to_string(results.size()) + " of " + std::to_string(expected) + " runs";
    if (manifest.shard_count > 1)
        s += " (shard " + std::to_string(manifest.shard_index) + "/" + std::to_string(manifest.shard_count) + " of a sweep of " +
             std::to_string(manifest.def.size()) + " runs)";
    else if (static_cast<std::int64_t>(results.size()) < expected)
        s += " (partial: " + std::to_string(expected - static_cast<std::int64_t>(results.size())) + " not run yet or missing)";
    return s;
}

FlatConfig first_grid_point(const SweepDefinition& def) {
    std::vector<nlohmann::json> first;
    for (const SweepAxis& a : def.axes) first.push_back(a.values.empty() ? nlohmann::json() : a.values.front());
    return grid_point_config(def.base, def.axes, first);
}

bool is_sweep_folder(const std::string& path) {
    if (path.empty()) return false;
    std::error_code ec;
    const fs::path d = folder_of(path);
    return fs::is_directory(d, ec) && fs::is_regular_file(d / "sweep.json", ec);
}

SweepFolder read_sweep_folder(const std::string& path, std::int64_t max_runs, std::uint64_t max_bytes) {
    const fs::path d = folder_of(path);
    std::error_code ec;
    if (!fs::exists(d, ec)) throw InputError(path + ": no such folder");
    if (!fs::is_directory(d, ec)) throw InputError(path + ": not a folder (a sweep folder holds sweep.json and results.csv)");
    const fs::path mp = d / "sweep.json", rp = d / "results.csv";
    if (!fs::exists(mp, ec))
        throw InputError(d.string() + ": no sweep.json (not the --out folder of snapscope-cli sweep or merge, or written by an older version)");
    SweepFolder f;
    f.dir = d.string();
    f.manifest = read_sweep_manifest(mp.string());
    const SweepDefinition& def = f.manifest.def;
    const std::int64_t total = def.size();
    if (total > max_runs)
        throw ConfigError("definition", mp.string() + ": the sweep has " + std::to_string(total) + " runs, more than the " +
                                            std::to_string(max_runs) + " a view holds");
    const std::int64_t first = f.manifest.shard_index - 1, count = f.manifest.shard_count;
    f.expected = shard_size(total, f.manifest.shard_index, f.manifest.shard_count);
    if (fs::exists(rp, ec)) {
        f.results = read_sweep_results(read_input_file(rp.string(), "sweep results (results.csv)", max_bytes), rp.string(), def);
        std::set<std::int64_t> seen;
        for (const SweepResult& r : f.results) {
            if (!seen.insert(r.point.index).second)
                throw DataError(rp.string() + ": run " + std::to_string(r.point.index) + " is there twice");
            if (r.point.index % count != first)
                throw DataError(rp.string() + ": run " + std::to_string(r.point.index) + " is not in shard " +
                                std::to_string(f.manifest.shard_index) + "/" + std::to_string(count) + " (sweep.json's shard)");
        }
        std::sort(f.results.begin(), f.results.end(), [](const SweepResult& a, const SweepResult& b) { return a.point.index < b.point.index; });
    }
    return f;
}

}  // namespace snapscope
