#include "snapscope/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "snapscope/data.hpp"
#include "snapscope/output.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

json parse_value(const std::string& t) {
    try {
        return json::parse(t);
    } catch (const json::exception&) {
        return t;  // a bare word (or an unusable number, which the config check then names)
    }
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
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

}  // namespace

std::string SweepPoint::key() const {
    std::string k;
    for (const json& v : values) k += value_text(v) + "|";
    return k + "seed=" + std::to_string(seed);
}

SweepAxis parse_grid_axis(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) throw ConfigError("", "--grid '" + text + "': expected key=v1,v2,...");
    SweepAxis a;
    a.key = trim(text.substr(0, eq));
    if (!find_key(a.key)) throw ConfigError(a.key, "--grid: key '" + a.key + "': unknown key (snapscope-cli keys lists them)");
    if (a.key == "train.seed") throw ConfigError(a.key, "--grid: key 'train.seed': use --seeds for seeds");
    for (const std::string& v : split(text.substr(eq + 1), ',')) {
        const std::string t = trim(v);
        if (t.empty()) throw ConfigError(a.key, "--grid: key '" + a.key + "': empty value in '" + text + "'");
        a.values.push_back(parse_value(t));
    }
    return a;
}

std::vector<SweepAxis> parse_grid(const std::string& text) {
    std::vector<SweepAxis> axes;
    for (const std::string& part : split(text, ';'))
        if (!trim(part).empty()) axes.push_back(parse_grid_axis(trim(part)));
    return axes;
}

std::vector<SweepPoint> expand_sweep(const std::vector<SweepAxis>& axes, int num_seeds) {
    std::vector<SweepPoint> out;
    std::vector<std::size_t> idx(axes.size(), 0);
    int index = 0;
    while (true) {
        for (int s = 1; s <= num_seeds; ++s) {
            SweepPoint p;
            p.index = index++;
            for (std::size_t a = 0; a < axes.size(); ++a) p.values.push_back(axes[a].values[idx[a]]);
            p.seed = static_cast<std::uint64_t>(s);
            out.push_back(std::move(p));
        }
        // Odometer, last axis fastest.
        int a = static_cast<int>(axes.size()) - 1;
        while (a >= 0 && ++idx[a] == axes[a].values.size()) idx[a--] = 0;
        if (a < 0) break;
    }
    return out;
}

std::int64_t snap_step(const std::vector<std::int64_t>& steps, const std::vector<const std::vector<double>*>& attention, double tol,
                       int window) {
    const std::size_t n = steps.size();
    if (n == 0) return -1;
    // One backward pass, O(records x tokens): keep each coordinate's min and max over the later records; record s
    // is frozen when its values are within tol of all of them.
    const std::size_t A = attention[0]->size();
    std::vector<double> lo(A, INFINITY), hi(A, -INFINITY);
    std::int64_t best = -1;
    for (std::size_t k = n; k-- > 0;) {
        const auto& base = *attention[k];
        bool frozen = true;
        for (std::size_t i = 0; i < A && frozen; ++i)
            frozen = !(hi[i] - base[i] >= tol) && !(base[i] - lo[i] >= tol);
        if (frozen && steps.back() >= steps[k] + window) best = steps[k];  // the smallest such step wins
        for (std::size_t i = 0; i < A; ++i) {
            lo[i] = std::min(lo[i], base[i]);
            hi[i] = std::max(hi[i], base[i]);
        }
    }
    return best;
}

std::int64_t snap_step(const std::vector<const MatrixRecord*>& records, double tol, int window) {
    std::vector<std::int64_t> steps;
    std::vector<const std::vector<double>*> att;
    for (const MatrixRecord* r : records) {
        steps.push_back(r->step);
        att.push_back(&r->attention);
    }
    return snap_step(steps, att, tol, window);
}

SweepResult run_sweep_point(const FlatConfig& base, const std::vector<SweepAxis>& axes, const SweepPoint& p, double snap_tol,
                            int snap_window) {
    FlatConfig flat = base;
    for (std::size_t a = 0; a < axes.size(); ++a) flat[axes[a].key] = p.values[a];
    flat["train.seed"] = p.seed;
    flat.erase("sweep.grid");
    flat.erase("sweep.seeds");
    Config cfg = resolve_config(flat, "sweep point " + p.key());
    if (cfg.model.kind != "scan_snap") throw ConfigError("model.kind", "sweeps run the scan_snap model");
    // Keep every step's attention for the snap detection (runs are short).
    cfg.history.capacity = static_cast<int>(std::max<std::int64_t>(cfg.history.capacity, cfg.train.steps + 2));
    ScanSnapRun run(cfg);
    run.run(cfg.train.steps);
    run.record_now();
    SweepResult r;
    r.point = p;
    const ScalarRecord& last = run.scalars().back();
    r.loss = last.loss;
    double e = 0, m = 0;
    for (double v : last.distinct_entropy) e += v;
    for (double v : last.common_mass) m += v;
    const double K = static_cast<double>(last.distinct_entropy.size());
    r.distinct_entropy = K > 0 ? e / K : 0;
    r.common_mass = K > 0 ? m / K : 0;
    std::vector<const MatrixRecord*> recs;
    for (const MatrixRecord& mr : run.matrices()) recs.push_back(&mr);
    r.snap_step = snap_step(recs, snap_tol, snap_window);
    if (run.diverged()) r.loss = NAN;
    return r;
}

std::string sweep_results_csv(const std::vector<SweepAxis>& axes, const std::vector<SweepResult>& rows_in) {
    std::vector<SweepResult> rows = rows_in;
    std::sort(rows.begin(), rows.end(), [](const SweepResult& a, const SweepResult& b) { return a.point.index < b.point.index; });
    std::string out = "index";
    for (const auto& a : axes) out += "," + a.key;
    out += ",seed,loss,distinct_entropy,common_mass,snap_step\n";
    for (const SweepResult& r : rows) {
        out += std::to_string(r.point.index);
        for (const json& v : r.point.values) out += "," + value_text(v);
        out += "," + std::to_string(r.point.seed) + "," + format_double(r.loss) + "," + format_double(r.distinct_entropy) + "," +
               format_double(r.common_mass) + "," + std::to_string(r.snap_step) + "\n";
    }
    return out;
}

std::vector<SweepResult> read_sweep_results(const std::string& text, const std::string& source, std::vector<std::string>& axis_keys) {
    std::vector<SweepResult> rows;
    std::istringstream in(text);
    std::string line;
    std::size_t line_no = 0;
    std::size_t ncols = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const std::vector<std::string> cells = split(line, ',');
        if (line_no == 1) {
            if (cells.size() < 6 || cells[0] != "index" || cells[cells.size() - 5] != "seed")
                throw DataError(source + ":1: not a sweep results.csv header");
            axis_keys.assign(cells.begin() + 1, cells.end() - 5);
            ncols = cells.size();
            continue;
        }
        if (cells.size() != ncols)
            throw DataError(source + ":" + std::to_string(line_no) + ": expected " + std::to_string(ncols) + " columns, got " +
                            std::to_string(cells.size()));
        try {
            SweepResult r;
            r.point.index = std::stoi(cells[0]);
            for (std::size_t a = 0; a < axis_keys.size(); ++a) r.point.values.push_back(parse_value(cells[1 + a]));
            const std::size_t b = 1 + axis_keys.size();
            r.point.seed = std::stoull(cells[b]);
            r.loss = cells[b + 1] == "nan" ? NAN : std::stod(cells[b + 1]);
            r.distinct_entropy = std::stod(cells[b + 2]);
            r.common_mass = std::stod(cells[b + 3]);
            r.snap_step = std::stoll(cells[b + 4]);
            rows.push_back(std::move(r));
        } catch (const std::exception&) {
            throw DataError(source + ":" + std::to_string(line_no) + ": a value is not a number");
        }
    }
    return rows;
}

std::string sweep_summary_csv(const std::vector<SweepAxis>& axes, const std::vector<SweepResult>& rows_in) {
    // Index order, so the sums (and their last bits) do not depend on which run finished first.
    std::vector<SweepResult> rows = rows_in;
    std::sort(rows.begin(), rows.end(), [](const SweepResult& a, const SweepResult& b) { return a.point.index < b.point.index; });
    struct Acc {
        int first_index = 0;
        std::vector<json> values;
        std::vector<double> loss, ent, mass, snap;
    };
    std::map<std::string, Acc> groups;
    for (const SweepResult& r : rows) {
        std::string k;
        for (const json& v : r.point.values) k += value_text(v) + "|";
        auto [it, added] = groups.try_emplace(k);
        Acc& a = it->second;
        if (added || r.point.index < a.first_index) a.first_index = r.point.index;
        a.values = r.point.values;
        a.loss.push_back(r.loss);
        a.ent.push_back(r.distinct_entropy);
        a.mass.push_back(r.common_mass);
        if (r.snap_step >= 0) a.snap.push_back(static_cast<double>(r.snap_step));
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
    for (std::size_t i = 0; i < axes.size(); ++i) out += axes[i].key + ",";
    out += "runs,loss_mean,loss_sd,distinct_entropy_mean,distinct_entropy_sd,common_mass_mean,common_mass_sd,snap_step_mean,snap_step_sd,snapped\n";
    for (const Acc* a : order) {
        for (const json& v : a->values) out += value_text(v) + ",";
        out += std::to_string(a->ent.size()) + "," + mean_sd(a->loss) + "," + mean_sd(a->ent) + "," + mean_sd(a->mass) + "," +
               mean_sd(a->snap) + "," + std::to_string(a->snap.size()) + "\n";
    }
    return out;
}

}  // namespace snapscope
