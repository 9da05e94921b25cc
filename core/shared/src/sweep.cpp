#include "snapscope/sweep.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>

#include "snapscope/files.hpp"
#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Splits on `sep` outside "double-quoted strings" (JSON escapes honoured).
std::vector<std::string> split_outside_quotes(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool in_str = false, esc = false;
    for (char c : s) {
        if (in_str) {
            cur += c;
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') in_str = true;
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Keys that do not change a run's results (so resuming with another value is the same sweep).
bool outside_definition(const std::string& key) {
    return key == "sweep.grid" || key == "sweep.seeds" || key == "train.seed" || key == "limits.memory_mb" || key == "description";
}

// The base as a run of the sweep sees it: resolved with every axis at its first value, the axes and the keys outside
// the definition left out. Keys derived from an axis (train.lr_y from train.lr_z * train.lr_y_over_z) then hold what
// the grid gives them, not what the config had before the grid replaced its inputs, so a definition written out as a
// config and read back (sweep_definition_config) has the same base. Runs are the same either way: each point
// resolves the base with its own axis values.
FlatConfig canonical_base(const FlatConfig& base, const std::vector<SweepAxis>& axes) {
    FlatConfig flat = base;
    for (const SweepAxis& a : axes)
        if (!a.values.empty()) flat[a.key] = a.values[0];
    const json resolved = config_to_json(resolve_config(flat, "sweep base"));
    FlatConfig out;
    for (auto it = resolved.begin(); it != resolved.end(); ++it) {
        if (outside_definition(it.key())) continue;
        bool axis = false;
        for (const SweepAxis& a : axes) axis = axis || a.key == it.key();
        if (!axis) out[it.key()] = *it;
    }
    return out;
}

}  // namespace

std::string SweepPoint::key() const {
    std::string k;
    for (const json& v : values) k += value_text(v) + "|";
    return k + "seed=" + std::to_string(seed);
}

SweepAxis parse_grid_axis(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError("", "--grid '" + brief_text(text) + "': expected key=v1,v2,...");
    SweepAxis a;
    a.key = trim(text.substr(0, eq));
    if (!find_key(a.key)) throw ConfigError(a.key, "--grid: key '" + brief_text(a.key) + "': unknown key (snapscope-cli keys lists them)");
    if (a.key == "train.seed") throw ConfigError(a.key, "--grid: key 'train.seed': use --seeds for seeds");
    if (a.key == "sweep.grid" || a.key == "sweep.seeds") throw ConfigError(a.key, "--grid: key '" + a.key + "' cannot be an axis");
    for (const std::string& v : split_outside_quotes(text.substr(eq + 1), ',')) {
        const std::string t = trim(v);
        if (t.empty()) throw ConfigError(a.key, "--grid: key '" + a.key + "': empty value in '" + brief_text(text) + "'");
        a.values.push_back(parse_command_line_value(t, a.key, "--grid"));
    }
    return a;
}

std::vector<SweepAxis> parse_grid(const std::string& text) {
    std::vector<SweepAxis> axes;
    for (const std::string& part : split_outside_quotes(text, ';'))
        if (!trim(part).empty()) {
            SweepAxis a = parse_grid_axis(trim(part));
            for (const SweepAxis& b : axes)
                if (b.key == a.key) throw ConfigError(a.key, "sweep.grid: key '" + a.key + "' is an axis twice");
            axes.push_back(std::move(a));
        }
    return axes;
}

std::string grid_text(const std::vector<SweepAxis>& axes) {
    // JSON text for every value: a string is quoted (so its commas and semicolons stay inside it), a number keeps
    // its type and every digit (nlohmann writes doubles that read back to the same bits).
    std::string out;
    for (const SweepAxis& a : axes) {
        out += (out.empty() ? "" : ";") + a.key + "=";
        for (std::size_t i = 0; i < a.values.size(); ++i) out += (i ? "," : "") + a.values[i].dump();
    }
    return out;
}

FlatConfig sweep_definition_config(const SweepDefinition& def) {
    FlatConfig f = def.base;
    for (const SweepAxis& a : def.axes)
        if (!a.values.empty()) f[a.key] = a.values[0];
    f["sweep.grid"] = grid_text(def.axes);
    f["sweep.seeds"] = def.seeds;
    return f;
}

std::int64_t SweepDefinition::size() const {
    // In double first: the product of many axes can overflow any integer type.
    double n = seeds;
    for (const SweepAxis& a : axes) n *= static_cast<double>(a.values.size());
    if (n > 4.0e18)
        throw ConfigError("sweep.grid", "the sweep has about " + format_double(n) + " runs, more than snapscope can count; use fewer axis values or seeds");
    std::int64_t k = seeds;
    for (const SweepAxis& a : axes) k *= static_cast<std::int64_t>(a.values.size());
    return k;
}

SweepPoint SweepDefinition::point(std::int64_t index) const {
    SweepPoint p;
    p.index = index;
    p.seed = static_cast<std::uint64_t>(index % seeds) + 1;
    std::int64_t rest = index / seeds;
    p.values.resize(axes.size());
    for (std::size_t a = axes.size(); a-- > 0;) {  // last axis fastest
        const std::int64_t n = static_cast<std::int64_t>(axes[a].values.size());
        p.values[a] = axes[a].values[static_cast<std::size_t>(rest % n)];
        rest /= n;
    }
    return p;
}

json SweepDefinition::to_json() const {
    json b = json::object();
    for (const auto& [k, v] : base) b[k] = v;
    json ax = json::array();
    for (const SweepAxis& a : axes) ax.push_back({{"key", a.key}, {"values", a.values}});
    return {{"base", b}, {"axes", ax}, {"seeds", seeds}, {"snap_tol", snap_tol}, {"snap_window", snap_window}};
}

SweepDefinition SweepDefinition::from_json(const json& j, const std::string& source) {
    auto bad = [&](const std::string& key, const std::string& what) { return ConfigError(key, source + ": key '" + key + "': " + what); };
    if (!j.is_object()) throw bad("definition", "must be an object");
    SweepDefinition d;
    if (!j.contains("base") || !j["base"].is_object()) throw bad("definition.base", "missing or not an object");
    for (auto it = j["base"].begin(); it != j["base"].end(); ++it) {
        if (it->is_object() || it->is_array()) throw bad("definition.base." + brief_text(it.key(), 80), "must be a plain value");
        d.base[it.key()] = *it;
    }
    resolve_config(d.base, source + " definition.base");  // every key known and valid
    if (!j.contains("axes") || !j["axes"].is_array()) throw bad("definition.axes", "missing or not an array");
    for (const json& a : j["axes"]) {
        if (!a.is_object() || !a.contains("key") || !a["key"].is_string() || !a.contains("values") || !a["values"].is_array() ||
            a["values"].empty())
            throw bad("definition.axes", "each axis is {\"key\": \"...\", \"values\": [...]} with at least one value");
        SweepAxis ax;
        ax.key = a["key"].get<std::string>();
        if (!find_key(ax.key)) throw bad("definition.axes", "unknown key '" + brief_text(ax.key) + "'");
        for (const json& v : a["values"]) ax.values.push_back(v);
        d.axes.push_back(std::move(ax));
    }
    auto integer = [&](const char* k, int lo, int hi) {
        if (!j.contains(k) || !j[k].is_number_integer() || j[k].get<std::int64_t>() < lo || j[k].get<std::int64_t>() > hi)
            throw bad(std::string("definition.") + k, "missing or not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return j[k].get<int>();
    };
    d.seeds = integer("seeds", 1, 100000);
    d.snap_window = integer("snap_window", 1, 1000000);
    if (!j.contains("snap_tol") || !j["snap_tol"].is_number() || !(j["snap_tol"].get<double>() > 0) || !std::isfinite(j["snap_tol"].get<double>()))
        throw bad("definition.snap_tol", "missing or not a positive number");
    d.snap_tol = j["snap_tol"].get<double>();
    (void)d.size();
    return d;
}

std::string SweepDefinition::difference(const SweepDefinition& o) const {
    // Bases compare as the runs see them (an older sweep.json may hold a derived key's value from before the grid).
    FlatConfig mine = base, theirs = o.base;
    if (mine != theirs) {
        try {
            mine = canonical_base(base, axes);
            theirs = canonical_base(o.base, o.axes);
        } catch (const std::exception&) {
            mine = base;
            theirs = o.base;
        }
    }
    for (const auto& [k, v] : mine) {
        auto it = theirs.find(k);
        if (it == theirs.end()) return "the base config differs in " + k + " (" + brief(v) + " vs unset)";
        if (value_text(it->second) != value_text(v)) return "the base config differs in " + k + " (" + brief(v) + " vs " + brief(it->second) + ")";
    }
    for (const auto& [k, v] : theirs)
        if (!mine.count(k)) return "the base config differs in " + k + " (unset vs " + brief(v) + ")";
    if (axes.size() != o.axes.size()) return "the grids have different axes";
    for (std::size_t a = 0; a < axes.size(); ++a) {
        if (axes[a].key != o.axes[a].key) return "the grids have different axes (" + axes[a].key + " vs " + o.axes[a].key + ")";
        if (json(axes[a].values).dump() != json(o.axes[a].values).dump())
            return "the grid's values of " + axes[a].key + " differ (" + brief(json(axes[a].values)) + " vs " + brief(json(o.axes[a].values)) + ")";
    }
    if (seeds != o.seeds) return "the number of seeds differs (" + std::to_string(seeds) + " vs " + std::to_string(o.seeds) + ")";
    if (snap_tol != o.snap_tol || snap_window != o.snap_window) return "the snap-step settings differ (--snap-tol, --snap-window)";
    return "";
}

SweepDefinition make_sweep_definition(const FlatConfig& flat, const std::vector<std::string>& grids, int seeds, double snap_tol,
                                      int snap_window) {
    if (!(snap_tol > 0) || !std::isfinite(snap_tol))
        throw ConfigError("", "--snap-tol: expected a positive number, got " + format_double(snap_tol));
    if (snap_window < 1) throw ConfigError("", "--snap-window: expected a positive number of steps");
    const Config base = resolve_config(flat, "sweep base");
    SweepDefinition d;
    d.axes = parse_grid(base.sweep_grid);
    for (const auto& g : grids) {
        SweepAxis a = parse_grid_axis(g);
        auto it = std::find_if(d.axes.begin(), d.axes.end(), [&](const SweepAxis& x) { return x.key == a.key; });
        if (it != d.axes.end()) *it = a;  // --grid replaces the base's axis
        else d.axes.push_back(a);
    }
    d.seeds = seeds > 0 ? seeds : base.sweep_seeds;
    d.snap_tol = snap_tol;
    d.snap_window = snap_window;
    const json resolved = config_to_json(base);
    for (auto it = resolved.begin(); it != resolved.end(); ++it) {
        if (outside_definition(it.key())) continue;
        bool axis = false;
        for (const SweepAxis& a : d.axes) axis = axis || a.key == it.key();
        if (!axis) d.base[it.key()] = *it;
    }
    // One lab per sweep: its results have that lab's columns.
    (void)lab_for(base);
    for (const SweepAxis& a : d.axes) {
        if (a.key == "model.kind")
            throw ConfigError("model.kind", "--grid model.kind: a sweep trains one lab (its results.csv has that lab's columns); sweep each "
                                            "lab separately");
        // The same value twice would run the same runs twice and count them twice in the summary.
        std::set<std::string> seen;
        for (const auto& v : a.values) {
            const std::string k = v.is_number() ? format_double(v.get<double>()) : v.dump();
            if (!seen.insert(k).second)
                throw ConfigError(a.key, "--grid " + a.key + ": the value " + brief(v) + " is given twice; list each value once");
        }
    }
    // Every axis value against the schema, before anything runs.
    for (const SweepAxis& a : d.axes)
        for (const auto& v : a.values) {
            FlatConfig probe = d.base;
            probe[a.key] = v;
            resolve_config(probe, "--grid " + a.key + "=" + brief_text(value_text(v)));
        }
    d.base = canonical_base(d.base, d.axes);
    (void)d.size();
    return d;
}

const LabSpec& SweepDefinition::lab() const {
    const auto it = base.find("model.kind");
    if (it == base.end() || !it->second.is_string()) throw ConfigError("model.kind", "sweep definition: key 'model.kind' is missing");
    return lab_of_kind(it->second.get<std::string>());
}

double SweepDefinition::value(const SweepResult& r, const std::string& column) const {
    const std::vector<SweepColumn>& cols = lab().sweep_columns;
    for (std::size_t i = 0; i < cols.size() && i < r.values.size(); ++i)
        if (cols[i].name == column) return cols[i].integer && r.values[i] < 0 ? NAN : r.values[i];
    return column == "loss" ? r.loss : NAN;
}

namespace {

std::unique_ptr<LabRun> make_point_run(Config cfg, int parallel, double memory_mb) {
    cfg.limits.memory_mb = memory_mb;
    if (parallel <= 1) return make_lab_run(cfg, RunUse::Sweep);
    const double total_mb = static_cast<double>(memory_limit_bytes(cfg)) / 1048576.0;
    cfg.limits.memory_mb = total_mb / parallel;
    try {
        return make_lab_run(cfg, RunUse::Sweep);
    } catch (const MemoryLimitError& e) {
        char buf[200];
        std::snprintf(buf, sizeof buf, " [%d runs in parallel share limits.memory_mb = %.0f MB: %.0f MB each; use fewer jobs]", parallel,
                      total_mb, total_mb / parallel);
        throw MemoryLimitError(e.key(), e.what() + std::string(buf));
    }
}

}  // namespace

SweepResult run_sweep_point(const SweepDefinition& def, const SweepPoint& p, const std::function<bool()>& cancelled, int parallel,
                            double memory_mb) {
    FlatConfig flat = def.base;
    for (std::size_t a = 0; a < def.axes.size(); ++a) flat[def.axes[a].key] = p.values[a];
    flat["train.seed"] = p.seed;
    Config cfg = resolve_config(flat, "sweep point " + brief_text(p.key(), 120));
    // Keep every step's attention for the snap detection when the history budget allows it; beyond that the
    // records are thinned evenly and the snap step is found among the recorded steps.
    cfg.history.capacity = static_cast<int>(std::min<std::int64_t>(100000000, std::max<std::int64_t>(cfg.history.capacity, cfg.train.steps + 2)));
    const std::unique_ptr<LabRun> owned = make_point_run(cfg, parallel, memory_mb);
    LabRun& run = *owned;
    SweepResult r;
    r.point = p;
    for (std::int64_t done = 0; done < cfg.train.steps;) {
        const std::int64_t n = std::min<std::int64_t>(64, cfg.train.steps - done);
        const std::int64_t k = run.run(n);
        done += k;
        if (k < n) break;  // diverged
        if (cancelled && cancelled()) {
            r.cancelled = true;
            return r;
        }
    }
    run.record_now();
    // A diverged run has no final state: its loss is not a number, and the lab says what its measures are.
    r.loss = run.diverged() ? NAN : run.last_loss();
    r.values = run.sweep_values(SweepMeasure{def.snap_tol, def.snap_window});
    if (r.values.size() != def.lab().sweep_columns.size())
        throw std::logic_error("lab '" + def.lab().kind + "' gave " + std::to_string(r.values.size()) + " sweep values for " +
                               std::to_string(def.lab().sweep_columns.size()) + " columns");
    return r;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

bool read_csv_record(const std::string& text, std::size_t& pos, std::vector<std::string>& fields, const std::string& source,
                     std::size_t& line) {
    fields.clear();
    if (pos >= text.size()) return false;
    ++line;
    const std::size_t start_line = line;
    std::string cur;
    while (true) {
        if (pos < text.size() && text[pos] == '"') {
            ++pos;
            while (true) {
                if (pos >= text.size()) throw DataError(source + ":" + std::to_string(start_line) + ": a quoted field is not closed");
                const char c = text[pos++];
                if (c == '"') {
                    if (pos < text.size() && text[pos] == '"') {
                        cur += '"';
                        ++pos;
                        continue;
                    }
                    break;
                }
                if (c == '\n') ++line;
                cur += c;
            }
        }
        while (pos < text.size() && text[pos] != ',' && text[pos] != '\n') cur += text[pos++];
        if (!cur.empty() && cur.back() == '\r' && (pos >= text.size() || text[pos] == '\n')) cur.pop_back();
        fields.push_back(std::move(cur));
        cur.clear();
        if (pos >= text.size()) return true;
        if (text[pos++] == '\n') return true;
    }
}

std::string sweep_results_header(const SweepDefinition& def) {
    std::string out = "index";
    for (const auto& a : def.axes) out += "," + csv_field(a.key);
    out += ",seed,loss";
    for (const SweepColumn& c : def.lab().sweep_columns) out += "," + csv_field(c.name);
    return out + "\n";
}

namespace {

std::string column_text(const SweepColumn& c, double v) {
    if (c.integer) return std::isfinite(v) ? std::to_string(static_cast<std::int64_t>(v)) : std::string("-1");
    return format_double(v);
}

}  // namespace

std::string sweep_results_csv(const SweepDefinition& def, const std::vector<SweepResult>& rows_in) {
    std::vector<const SweepResult*> rows;
    for (const SweepResult& r : rows_in) rows.push_back(&r);
    std::sort(rows.begin(), rows.end(), [](const SweepResult* a, const SweepResult* b) { return a->point.index < b->point.index; });
    const std::vector<SweepColumn>& cols = def.lab().sweep_columns;
    std::string out = sweep_results_header(def);
    for (const SweepResult* r : rows) {
        out += std::to_string(r->point.index);
        for (const json& v : r->point.values) out += "," + csv_field(value_text(v));
        out += "," + std::to_string(r->point.seed) + "," + format_double(r->loss);
        for (std::size_t i = 0; i < cols.size(); ++i) out += "," + column_text(cols[i], i < r->values.size() ? r->values[i] : NAN);
        out += "\n";
    }
    return out;
}

namespace {

template <class T>
bool parse_int(const std::string& s, T& out) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_number(const std::string& s, double& out) {
    if (s == "nan") { out = NAN; return true; }
    if (s == "inf") { out = INFINITY; return true; }
    if (s == "-inf") { out = -INFINITY; return true; }
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

}  // namespace

std::vector<SweepResult> read_sweep_results(const std::string& text, const std::string& source, const SweepDefinition& def) {
    std::vector<SweepResult> rows;
    std::size_t pos = 0, line = 0;
    std::vector<std::string> cells, header_cells;
    const std::string header = sweep_results_header(def);
    const std::vector<SweepColumn>& cols = def.lab().sweep_columns;
    {
        std::size_t hp = 0, hl = 0;
        read_csv_record(header, hp, header_cells, "header", hl);
    }
    if (!read_csv_record(text, pos, cells, source, line) || cells != header_cells)
        throw DataError(source + ":1: the header is not this sweep's (expected " + brief_text(header.substr(0, header.size() - 1), 200) + ")");
    const std::int64_t total = def.size();
    const std::size_t n = header_cells.size(), na = def.axes.size();
    while (read_csv_record(text, pos, cells, source, line)) {
        if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
        const std::string where = source + ":" + std::to_string(line) + ": ";
        if (cells.size() != n)
            throw DataError(where + "expected " + std::to_string(n) + " columns, got " + std::to_string(cells.size()));
        SweepResult r;
        std::int64_t index = 0;
        if (!parse_int(cells[0], index) || index < 0 || index >= total)
            throw DataError(where + "index '" + brief_text(cells[0]) + "' is not a run of this sweep (0.." + std::to_string(total - 1) + ")");
        r.point = def.point(index);
        for (std::size_t a = 0; a < na; ++a)
            if (cells[1 + a] != value_text(r.point.values[a]))
                throw DataError(where + "run " + std::to_string(index) + " has " + def.axes[a].key + " = " + brief_text(cells[1 + a]) +
                                ", but this sweep's run " + std::to_string(index) + " has " + brief_text(value_text(r.point.values[a])));
        std::uint64_t seed = 0;
        if (!parse_int(cells[1 + na], seed) || seed != r.point.seed)
            throw DataError(where + "run " + std::to_string(index) + " has seed " + brief_text(cells[1 + na]) + ", expected " + std::to_string(r.point.seed));
        if (!parse_number(cells[2 + na], r.loss)) throw DataError(where + "loss '" + brief_text(cells[2 + na]) + "' is not a number");
        r.values.resize(cols.size());
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const std::string& cell = cells[3 + na + i];
            std::int64_t k = 0;
            const bool ok = cols[i].integer ? parse_int(cell, k) : parse_number(cell, r.values[i]);
            if (!ok)
                throw DataError(where + cols[i].name + " '" + brief_text(cell) + "' is not " + (cols[i].integer ? "an integer" : "a number"));
            if (cols[i].integer) r.values[i] = static_cast<double>(k);
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::int64_t shard_size(std::int64_t total, int index, int count) {
    const std::int64_t first = index - 1;
    return first >= total ? 0 : (total - first + count - 1) / count;
}

FlatConfig grid_point_config(const FlatConfig& base, const std::vector<SweepAxis>& axes, const std::vector<json>& values) {
    FlatConfig f = base;
    for (std::size_t a = 0; a < axes.size() && a < values.size(); ++a) f[axes[a].key] = values[a];
    f.erase("sweep.grid");
    f["train.seed"] = 1;
    return f;
}

std::string sweep_manifest_text(const SweepManifest& m) {
    json j = {{"format", "snapscope-sweep"}, {"version", 1}, {"definition", m.def.to_json()}, {"shard", {m.shard_index, m.shard_count}}};
    return dump_json(j);
}

SweepManifest read_sweep_manifest(const std::string& path) {
    const json j = read_json_file(path, "sweep definition (sweep.json)");
    if (!j.is_object() || j.value("format", json()) != "snapscope-sweep")
        throw ConfigError("format", path + ": not a snapscope sweep definition (\"format\": \"snapscope-sweep\")");
    if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<std::int64_t>() != 1)
        throw ConfigError("version", path + ": key 'version': this snapscope reads version 1");
    SweepManifest m;
    if (!j.contains("definition")) throw ConfigError("definition", path + ": key 'definition': missing");
    m.def = SweepDefinition::from_json(j["definition"], path);
    const json& sh = j.value("shard", json());
    if (!sh.is_array() || sh.size() != 2 || !sh[0].is_number_integer() || !sh[1].is_number_integer() || sh[1].get<std::int64_t>() < 1 ||
        sh[0].get<std::int64_t>() < 1 || sh[0].get<std::int64_t>() > sh[1].get<std::int64_t>() || sh[1].get<std::int64_t>() > 1000000)
        throw ConfigError("shard", path + ": key 'shard': expected [I, N] with 1 <= I <= N");
    m.shard_index = sh[0].get<int>();
    m.shard_count = sh[1].get<int>();
    return m;
}

std::string sweep_summary_csv(const SweepDefinition& def, const std::vector<SweepResult>& rows_in) {
    // Index order, so the sums (and their last bits) do not depend on which run finished first.
    std::vector<SweepResult> rows = rows_in;
    std::sort(rows.begin(), rows.end(), [](const SweepResult& a, const SweepResult& b) { return a.point.index < b.point.index; });
    const std::vector<SweepColumn>& cols = def.lab().sweep_columns;
    struct Acc {
        std::int64_t first_index = 0;
        std::vector<json> values;
        std::vector<double> loss;
        std::vector<std::vector<double>> col;
        std::int64_t runs = 0, diverged = 0;
    };
    std::map<std::string, Acc> groups;
    for (const SweepResult& r : rows) {
        std::string k;
        for (const json& v : r.point.values) k += value_text(v) + "|";
        auto [it, added] = groups.try_emplace(k);
        Acc& a = it->second;
        if (added || r.point.index < a.first_index) a.first_index = r.point.index;
        a.values = r.point.values;
        a.col.resize(cols.size());
        ++a.runs;
        // A diverged run (loss not finite) counts in `runs` and `diverged`, not in the means.
        if (!std::isfinite(r.loss)) {
            ++a.diverged;
            continue;
        }
        a.loss.push_back(r.loss);
        for (std::size_t i = 0; i < cols.size() && i < r.values.size(); ++i) {
            const double v = r.values[i];
            if (cols[i].integer ? v >= 0 : std::isfinite(v)) a.col[i].push_back(v);
        }
    }
    std::vector<const Acc*> order;
    for (const auto& [k, a] : groups) order.push_back(&a);
    std::sort(order.begin(), order.end(), [](const Acc* x, const Acc* y) { return x->first_index < y->first_index; });
    auto mean_sd = [](const std::vector<double>& v) {
        if (v.empty()) return std::string("nan,nan");
        double m = 0;
        for (double x : v) m += x;
        m /= static_cast<double>(v.size());
        double s = 0;
        for (double x : v) s += (x - m) * (x - m);
        s = v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0;
        return format_double(m) + "," + format_double(s);
    };
    std::string out;
    for (std::size_t i = 0; i < def.axes.size(); ++i) out += def.axes[i].key + ",";
    out += "runs,loss_mean,loss_sd";
    for (const SweepColumn& c : cols) out += "," + c.name + "_mean," + c.name + "_sd";
    for (const SweepColumn& c : cols)
        if (!c.count_name.empty()) out += "," + c.count_name;
    out += ",diverged\n";
    for (const Acc* a : order) {
        for (const json& v : a->values) out += csv_field(value_text(v)) + ",";
        out += std::to_string(a->runs) + "," + mean_sd(a->loss);
        for (std::size_t i = 0; i < cols.size(); ++i) out += "," + mean_sd(a->col[i]);
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (!cols[i].count_name.empty()) out += "," + std::to_string(a->col[i].size());
        out += "," + std::to_string(a->diverged) + "\n";
    }
    return out;
}

}  // namespace snapscope
