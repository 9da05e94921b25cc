// snapscope-cli sweep and merge: many runs, in parallel, resumable, shardable.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "snapscope/data.hpp"
#include "snapscope/output.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/sweep.hpp"

namespace snapscope::cli {

namespace {

int fail(const std::string& msg) {
    std::fprintf(stderr, "snapscope-cli: error: %s\n", msg.c_str());
    return 1;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_outputs(const std::filesystem::path& dir, const std::vector<SweepAxis>& axes, const std::vector<SweepResult>& rows) {
    write_file_atomic((dir / "results.csv").string(), sweep_results_csv(axes, rows));
    write_file_atomic((dir / "summary.csv").string(), sweep_summary_csv(axes, rows));
}

}  // namespace

int cmd_sweep(const SweepOptions& opt) {
    namespace fs = std::filesystem;
    try {
        FlatConfig flat = opt.config_file.empty() ? preset_config(opt.preset.empty() ? "fig6-sweep" : opt.preset) : load_config_file(opt.config_file);
        for (const auto& s : opt.sets) apply_assignment(flat, s, "--set");
        const Config base = resolve_config(flat, "sweep base");
        std::vector<SweepAxis> axes = parse_grid(base.sweep_grid);
        for (const auto& g : opt.grids) {
            SweepAxis a = parse_grid_axis(g);
            auto it = std::find_if(axes.begin(), axes.end(), [&](const SweepAxis& x) { return x.key == a.key; });
            if (it != axes.end()) *it = a;  // --grid replaces the preset's axis
            else axes.push_back(a);
        }
        const int seeds = opt.seeds > 0 ? opt.seeds : base.sweep_seeds;
        if (opt.shard_count < 1 || opt.shard_index < 1 || opt.shard_index > opt.shard_count)
            return fail("--shard I/N needs 1 <= I <= N");
        // Validate every axis value against the schema before running anything.
        std::vector<SweepPoint> all = expand_sweep(axes, seeds);
        for (const SweepAxis& a : axes)
            for (const auto& v : a.values) {
                FlatConfig probe = flat;
                probe[a.key] = v;
                resolve_config(probe, "--grid " + a.key);
            }
        std::vector<SweepPoint> mine;
        for (const SweepPoint& p : all)
            if (p.index % opt.shard_count == opt.shard_index - 1) mine.push_back(p);

        std::error_code ec;
        fs::create_directories(opt.out_dir, ec);
        if (ec) return fail(opt.out_dir + ": cannot create the output folder: " + ec.message());
        const fs::path out(opt.out_dir);
        // Resume: runs already in results.csv (same axes) are kept and skipped.
        std::vector<SweepResult> done;
        std::set<std::string> have;
        if (fs::exists(out / "results.csv")) {
            std::vector<std::string> keys;
            done = read_sweep_results(slurp(out / "results.csv"), (out / "results.csv").string(), keys);
            std::vector<std::string> want;
            for (const auto& a : axes) want.push_back(a.key);
            if (keys != want) return fail((out / "results.csv").string() + ": written by a sweep over other keys; use another --out");
            for (const auto& r : done) have.insert(r.point.key());
        }
        std::vector<SweepPoint> todo;
        for (const SweepPoint& p : mine)
            if (!have.count(p.key())) todo.push_back(p);
        write_file_atomic((out / "config.json").string(), dump_json(config_to_json(base)));

        const int jobs = std::max(1, opt.jobs);
        std::atomic<std::size_t> next{0};
        std::mutex mu;
        std::string first_error;
        std::size_t finished = 0;
        const auto t0 = std::chrono::steady_clock::now();
        const bool progress = !opt.quiet && ::isatty(STDERR_FILENO);
        auto last_write = t0;
        auto worker = [&] {
            while (true) {
                const std::size_t i = next++;
                if (i >= todo.size()) return;
                try {
                    SweepResult r = run_sweep_point(flat, axes, todo[i], opt.snap_tol, opt.snap_window);
                    std::lock_guard<std::mutex> lk(mu);
                    done.push_back(std::move(r));
                    ++finished;
                    const auto now = std::chrono::steady_clock::now();
                    // Save progress now and then, so an interrupted sweep resumes where it stopped.
                    if (std::chrono::duration<double>(now - last_write).count() > 2.0) {
                        write_outputs(out, axes, done);
                        last_write = now;
                    }
                    if (progress) {
                        const double el = std::chrono::duration<double>(now - t0).count();
                        const double eta = el / finished * (todo.size() - finished);
                        const int width = 30;
                        const int fill = static_cast<int>(width * finished / std::max<std::size_t>(1, todo.size()));
                        std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu runs  %.1fs  ETA %.0fs   ", fill, "##############################",
                                     width - fill, "", finished, todo.size(), el, eta);
                        std::fflush(stderr);
                    }
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lk(mu);
                    if (first_error.empty()) first_error = "run " + todo[i].key() + ": " + e.what();
                    next = todo.size();  // stop handing out runs
                }
            }
        };
        std::vector<std::thread> pool;
        for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
        if (progress) std::fprintf(stderr, "\r%*s\r", 79, "");
        write_outputs(out, axes, done);
        if (!first_error.empty()) return fail(first_error + " (results so far saved; rerun to resume)");
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!opt.quiet)
            std::printf("%zu runs (%zu were already done) in %.1f s with %d jobs; shard %d/%d of %zu runs\nwrote %s/{results.csv, summary.csv, config.json}\n",
                        todo.size(), mine.size() - todo.size(), el, jobs, opt.shard_index, opt.shard_count, all.size(), opt.out_dir.c_str());
        return 0;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

int cmd_merge(const std::vector<std::string>& dirs, const std::string& out_dir) {
    namespace fs = std::filesystem;
    try {
        std::vector<std::string> keys;
        std::vector<SweepResult> rows;
        std::set<std::string> have;
        for (const auto& d : dirs) {
            const fs::path p = fs::path(d) / "results.csv";
            if (!fs::exists(p)) return fail(p.string() + ": no results.csv to merge");
            std::vector<std::string> k;
            for (auto& r : read_sweep_results(slurp(p), p.string(), k)) {
                if (!keys.empty() && k != keys) return fail(p.string() + ": a sweep over other keys");
                if (have.insert(r.point.key()).second) rows.push_back(std::move(r));
            }
            keys = k;
        }
        std::vector<SweepAxis> axes;
        for (const auto& k : keys) axes.push_back({k, {}});
        std::error_code ec;
        fs::create_directories(out_dir, ec);
        if (ec) return fail(out_dir + ": cannot create the output folder: " + ec.message());
        write_outputs(out_dir, axes, rows);
        std::printf("merged %zu runs from %zu folders into %s/{results.csv, summary.csv}\n", rows.size(), dirs.size(), out_dir.c_str());
        return 0;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

}  // namespace snapscope::cli
