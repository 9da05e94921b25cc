// snapscope-cli sweep and merge: many runs, in parallel, resumable, shardable, and checked.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <new>
#include <thread>

#include "commands.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/files.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/sweep.hpp"

namespace snapscope::cli {

namespace {

namespace fs = std::filesystem;

// Writes results.csv and summary.csv (each atomically).
void write_outputs(const fs::path& dir, const SweepDefinition& def, const std::vector<SweepResult>& rows) {
    write_file_atomic((dir / "results.csv").string(), sweep_results_csv(def, rows));
    write_file_atomic((dir / "summary.csv").string(), sweep_summary_csv(def, rows));
}

// "3, 7, 12-40, 51 (33 runs)"
std::string index_list(const std::vector<std::int64_t>& idx, std::size_t max_items = 12) {
    std::string out;
    std::size_t items = 0;
    for (std::size_t i = 0; i < idx.size() && items < max_items;) {
        std::size_t j = i;
        while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
        out += (out.empty() ? "" : ", ") + std::to_string(idx[i]) + (j > i ? "-" + std::to_string(idx[j]) : "");
        ++items;
        i = j + 1;
        if (items == max_items && i < idx.size()) out += ", …";
    }
    return out + " (" + std::to_string(idx.size()) + (idx.size() == 1 ? " run)" : " runs)");
}

// Bytes one result row takes in memory and in results.csv.
double row_bytes(const SweepDefinition& def) { return 160.0 + 48.0 * static_cast<double>(def.axes.size()); }

std::string slurp_checked(const fs::path& p, std::uint64_t max_bytes) { return read_input_file(p.string(), "sweep results file", max_bytes); }

// config.json of a sweep's folder: the sweep as one config (`sweep --config` of it is this sweep again), with the keys
// that do not change a run (description, limits.memory_mb) as `given` had them, when there is one.
std::string sweep_config_text(const SweepDefinition& def, const Config* given) {
    FlatConfig f = sweep_definition_config(def);
    if (given) {
        const nlohmann::json g = config_to_json(*given);
        for (const char* k : {"description", "limits.memory_mb"}) {
            bool axis = false;
            for (const SweepAxis& a : def.axes) axis = axis || a.key == k;
            if (!axis && g.contains(k)) f[k] = g[k];
        }
    }
    return dump_json(config_to_json(resolve_config(f, "the sweep's config")));
}

}  // namespace

int cmd_sweep(const SweepOptions& opt) {
    install_stop_handlers();
    try {
        SweepDefinition def;
        Config base;
        if (!opt.definition_file.empty()) {
            // A shard's sweep.json: the very sweep it belongs to (to run a shard that is missing).
            def = read_sweep_manifest(opt.definition_file).def;
            base = resolve_config(def.base, opt.definition_file);
        } else {
            FlatConfig flat = opt.config_file.empty() ? preset_config(opt.preset.empty() ? "fig6-sweep" : opt.preset) : load_config_file(opt.config_file);
            for (const auto& s : opt.sets) apply_assignment(flat, s, "--set");
            def = make_sweep_definition(flat, opt.grids, opt.seeds, opt.snap_tol, opt.snap_window);
            base = resolve_config(flat, "sweep base");
        }
        if (!opt.emit.empty()) return emit_sweep_script(opt, def, base);
        if (opt.shard_count < 1 || opt.shard_index < 1 || opt.shard_index > opt.shard_count)
            return error("--shard I/N needs 1 <= I <= N");
        const std::int64_t total = def.size();
        const std::int64_t mine = shard_size(total, opt.shard_index, opt.shard_count);
        // The results of this shard are held in memory (and rewritten to results.csv): check they fit.
        const double need = static_cast<double>(mine) * row_bytes(def) * 3;
        if (need > static_cast<double>(memory_limit_bytes(base)))
            return error("--grid/--seeds: this sweep has " + std::to_string(total) + " runs (" + std::to_string(mine) +
                         " in this shard); their results would need about " + format_bytes(need) + ", more than the memory limit of " +
                         format_bytes(static_cast<double>(memory_limit_bytes(base))) +
                         " (limits.memory_mb); use fewer axis values or seeds, or more shards (--shard I/N)");

        const OutputFolder folder(opt.out_dir, FolderUse::Sweep, "a sweep", static_cast<double>(mine) * row_bytes(def), "the sweep's results.csv");
        const fs::path out(opt.out_dir);

        // The folder's sweep: a resume continues it only if it is this very sweep (and shard).
        std::vector<SweepResult> done;
        const fs::path manifest_path = out / "sweep.json", results_path = out / "results.csv";
        if (fs::exists(manifest_path)) {
            const SweepManifest m = read_sweep_manifest(manifest_path.string());
            const std::string diff = def.difference(m.def);
            if (!diff.empty())
                return error(opt.out_dir + " holds the results of another sweep (" + diff +
                             "); use another --out, or remove its sweep.json and results.csv to start over");
            if (m.shard_index != opt.shard_index || m.shard_count != opt.shard_count)
                return error(opt.out_dir + " holds shard " + std::to_string(m.shard_index) + "/" + std::to_string(m.shard_count) +
                             " of this sweep; this is shard " + std::to_string(opt.shard_index) + "/" + std::to_string(opt.shard_count) +
                             ": use another --out");
            if (fs::exists(results_path)) {
                done = read_sweep_results(slurp_checked(results_path, memory_limit_bytes(base)), results_path.string(), def);
                for (const SweepResult& r : done)
                    if (r.point.index % opt.shard_count != opt.shard_index - 1)
                        return error(results_path.string() + ": run " + std::to_string(r.point.index) + " is not in shard " +
                                     std::to_string(opt.shard_index) + "/" + std::to_string(opt.shard_count));
            }
        } else if (fs::exists(results_path)) {
            return error(results_path.string() + " has no sweep.json beside it (an older snapscope, or not a sweep's folder), so it "
                                                  "cannot be resumed safely; use another --out");
        }
        std::vector<std::int64_t> have;
        for (const SweepResult& r : done) have.push_back(r.point.index);
        std::sort(have.begin(), have.end());
        if (std::adjacent_find(have.begin(), have.end()) != have.end())
            return error(results_path.string() + ": a run is listed twice; the file was edited or mixed");
        SweepManifest m;
        m.def = def;
        m.shard_index = opt.shard_index;
        m.shard_count = opt.shard_count;
        write_file_atomic(manifest_path.string(), sweep_manifest_text(m));
        write_file_atomic((out / "config.json").string(), sweep_config_text(def, &base));

        const int jobs = std::max(1, opt.jobs);
        std::atomic<std::int64_t> next{0};  // k-th run of this shard
        std::mutex mu;
        std::string first_error;
        std::int64_t finished = 0;
        const std::int64_t todo = mine - static_cast<std::int64_t>(have.size());
        const auto t0 = std::chrono::steady_clock::now();
        const bool progress = !opt.quiet && ::isatty(STDERR_FILENO);
        auto last_write = t0;
        auto worker = [&] {
            while (!g_stop_signal) {
                const std::int64_t k = next++;
                if (k >= mine) return;
                const std::int64_t index = opt.shard_index - 1 + k * opt.shard_count;
                if (std::binary_search(have.begin(), have.end(), index)) continue;
                const SweepPoint p = def.point(index);
                try {
                    SweepResult r = run_sweep_point(def, p, [] { return g_stop_signal != 0; }, jobs, base.limits.memory_mb);
                    if (r.cancelled || g_stop_signal) return;  // a run cut short by a stop is not a result
                    std::lock_guard<std::mutex> lk(mu);
                    done.push_back(std::move(r));
                    ++finished;
                    const auto now = std::chrono::steady_clock::now();
                    // Save progress now and then, so an interrupted sweep resumes where it stopped.
                    if (std::chrono::duration<double>(now - last_write).count() > 2.0) {
                        write_outputs(out, def, done);
                        last_write = now;
                    }
                    if (progress) {
                        const double el = std::chrono::duration<double>(now - t0).count();
                        const double eta = el / static_cast<double>(finished) * static_cast<double>(todo - finished);
                        const int width = 30;
                        const int fill = static_cast<int>(width * finished / std::max<std::int64_t>(1, todo));
                        std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld runs  %.1fs  ETA %.0fs   ", fill, "##############################",
                                     width - fill, "", static_cast<long long>(finished), static_cast<long long>(todo), el, eta);
                        std::fflush(stderr);
                    }
                } catch (const std::bad_alloc&) {
                    std::lock_guard<std::mutex> lk(mu);
                    if (first_error.empty()) first_error = "run " + std::to_string(index) + ": out of memory";
                    next = mine;
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lk(mu);
                    if (first_error.empty()) first_error = "run " + std::to_string(index) + " (" + brief_text(p.key(), 120) + "): " + e.what();
                    next = mine;  // stop handing out runs
                }
            }
        };
        std::vector<std::thread> pool;
        for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
        if (progress) std::fprintf(stderr, "\r%*s\r", 79, "");
        write_outputs(out, def, done);
        if (g_stop_signal) {
            std::fprintf(stderr, "snapscope-cli: sweep stopped by a signal after %lld new runs; results so far are in %s (rerun the same command to resume)\n",
                         static_cast<long long>(finished), message_text(opt.out_dir).c_str());
            return stopped_status();
        }
        if (!first_error.empty()) return error(first_error + " (results so far saved; rerun to resume)");
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!opt.quiet) {
            std::printf("%lld runs (%zu were already done) in %.1f s with %d job%s; shard %d/%d of %lld runs\nwrote %s/{results.csv, summary.csv, sweep.json, config.json}\n",
                        static_cast<long long>(todo), have.size(), el, jobs, jobs == 1 ? "" : "s", opt.shard_index, opt.shard_count, static_cast<long long>(total),
                        opt.out_dir.c_str());
            StreamSink so(stdout, "standard output");
            so.finish();
        }
        return 0;
    } catch (const std::bad_alloc&) {
        return error("out of memory while preparing the sweep; lower limits.memory_mb or the grid");
    } catch (const std::exception& e) {
        return error(e.what());
    }
}

namespace {

// The folder a shard's results would go to, when the given folders are named alike: every folder that holds a shard
// is PREFIX + its shard number (part-1, part-2, ...). Empty when they are not.
std::string guess_shard_folder(const std::vector<std::string>& dirs, const std::vector<int>& shard_of, int shard) {
    std::string prefix;
    bool any = false;
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        if (shard_of[i] < 1) continue;
        const std::string tag = std::to_string(shard_of[i]);
        std::string d = dirs[i];
        while (d.size() > 1 && d.back() == '/') d.pop_back();
        if (d.size() <= tag.size() || d.compare(d.size() - tag.size(), tag.size(), tag) != 0) return "";
        const std::string p = d.substr(0, d.size() - tag.size());
        if (!p.empty() && p.back() >= '0' && p.back() <= '9') return "";
        if (any && p != prefix) return "";
        prefix = p;
        any = true;
    }
    return any ? prefix + std::to_string(shard) : "";
}

std::string rerun_command(const std::string& manifest_dir, int shard, int count, const std::string& out) {
    return sh_quote(this_program()) + " sweep --definition " + sh_quote((fs::path(manifest_dir) / "sweep.json").string()) + " --shard " +
           std::to_string(shard) + "/" + std::to_string(count) + " --out " + (out.empty() ? std::string("FOLDER") : sh_quote(out));
}

}  // namespace

int cmd_merge(const MergeOptions& opt) {
    const std::vector<std::string>& dirs = opt.dirs;
    const std::string& out_dir = opt.out_dir;
    const bool allow_partial = opt.allow_partial;
    try {
        if (opt.status && !out_dir.empty()) return error("merge --status writes nothing and takes no --out; drop --out, or drop --status to merge");
        if (!opt.status && out_dir.empty()) return error("merge needs --out DIR (the folder for the merged sweep), or --status to report progress");
        std::vector<SweepManifest> parts;                // of the folders that hold a shard
        std::vector<std::size_t> part_dir;               // parts[k] is in dirs[part_dir[k]]
        std::vector<int> shard_of(dirs.size(), 0);       // per folder: its shard number, 0 if none (yet)
        std::vector<std::string> absent;                 // per folder: why it holds no shard ("" if it does)
        absent.resize(dirs.size());
        std::vector<SweepResult> rows;
        std::map<std::int64_t, std::size_t> owner;  // run index -> folder that holds it
        std::vector<std::int64_t> found_per_part;
        const Config defaults;
        for (std::size_t i = 0; i < dirs.size(); ++i) {
            const fs::path d(dirs[i]);
            const fs::path mp = d / "sweep.json", rp = d / "results.csv";
            std::error_code ec;
            if (!fs::exists(d, ec)) {
                // A shard whose task has not started, or never ran: reported with the shard it should hold.
                absent[i] = opt.status ? "not started (no such folder yet)" : "no such folder";
                continue;
            }
            if (!fs::is_directory(d, ec)) return error(dirs[i] + ": not a folder (merge takes the --out folders of sweep shards)");
            if (!fs::exists(mp)) {
                if (opt.status) {
                    absent[i] = "not started (no sweep.json yet)";
                    continue;
                }
                return error(dirs[i] + ": no sweep.json (not the output folder of snapscope-cli sweep, or written by an older version)");
            }
            SweepManifest m = read_sweep_manifest(mp.string());
            if (!parts.empty()) {
                const std::string diff = parts[0].def.difference(m.def);
                if (!diff.empty()) return error(dirs[i] + " is part of another sweep than " + dirs[part_dir[0]] + ": " + diff);
            }
            std::int64_t found = 0;
            if (fs::exists(rp)) {
                for (SweepResult& r : read_sweep_results(slurp_checked(rp, memory_limit_bytes(defaults)), rp.string(), m.def)) {
                    auto [it, added] = owner.emplace(r.point.index, i);
                    if (!added)
                        return error("run " + std::to_string(r.point.index) + " is in both " + dirs[it->second] + " and " + dirs[i] +
                                     " (the same shard given twice, or overlapping shards)");
                    rows.push_back(std::move(r));
                    ++found;
                }
            }
            shard_of[i] = m.shard_index;
            parts.push_back(std::move(m));
            part_dir.push_back(i);
            found_per_part.push_back(found);
        }
        if (parts.empty()) {
            if (opt.status) {
                for (std::size_t i = 0; i < dirs.size(); ++i) std::printf("%s: %s\n", dirs[i].c_str(), absent[i].c_str());
                std::printf("no shard has started yet: none of the %zu folders holds a sweep's sweep.json\n", dirs.size());
                StreamSink so(stdout, "standard output");
                so.finish();
                return 0;
            }
            return error("none of the folders holds a sweep (" + dirs[0] + ": " + absent[0] + ")");
        }
        const SweepDefinition& def = parts[0].def;
        const std::int64_t total = def.size();
        // Shards no folder holds: known when the parts agree on the number of shards.
        const int count = parts[0].shard_count;
        bool one_count = true;
        for (const SweepManifest& m : parts) one_count = one_count && m.shard_count == count;
        std::vector<int> not_held;
        if (one_count) {
            std::vector<bool> held(static_cast<std::size_t>(count) + 1, false);
            for (const SweepManifest& m : parts) held[static_cast<std::size_t>(m.shard_index)] = true;
            for (int k = 1; k <= count; ++k)
                if (!held[static_cast<std::size_t>(k)] && shard_size(total, k, count) > 0) not_held.push_back(k);
        }
        // Report: per folder, the runs it holds against the runs its shard defines (or why it holds none).
        for (std::size_t i = 0, k = 0; i < dirs.size(); ++i) {
            if (shard_of[i] == 0) {
                if (opt.status) std::printf("%s: %s\n", dirs[i].c_str(), absent[i].c_str());
                else std::fprintf(stderr, "snapscope-cli: %s %s: %s\n", allow_partial ? "note:" : "error:", message_text(dirs[i]).c_str(), absent[i].c_str());
                continue;
            }
            const std::int64_t want = shard_size(total, parts[k].shard_index, parts[k].shard_count);
            std::printf("%s (shard %d/%d): %lld of %lld runs\n", dirs[i].c_str(), parts[k].shard_index, parts[k].shard_count,
                        static_cast<long long>(found_per_part[k]), static_cast<long long>(want));
            ++k;
        }
        const std::int64_t missing_count = total - static_cast<std::int64_t>(rows.size());
        if (opt.status) {
            std::int64_t complete = 0;
            for (std::size_t k = 0; k < parts.size(); ++k)
                complete += found_per_part[k] == shard_size(total, parts[k].shard_index, parts[k].shard_count);
            std::printf("%lld of %lld runs done (%.1f%%); %lld of %s shards complete\n", static_cast<long long>(rows.size()),
                        static_cast<long long>(total), total > 0 ? 100.0 * static_cast<double>(rows.size()) / static_cast<double>(total) : 100.0,
                        static_cast<long long>(complete), one_count ? std::to_string(count).c_str() : "the");
            if (!not_held.empty()) {
                std::string list;
                for (std::size_t j = 0; j < not_held.size() && j < 20; ++j)
                    list += (j ? ", " : "") + std::to_string(not_held[j]) + "/" + std::to_string(count);
                if (not_held.size() > 20) list += ", …";
                std::printf("not started: shard %s\n", list.c_str());
            }
            StreamSink so(stdout, "standard output");
            so.finish();
            return 0;
        }
        std::vector<std::int64_t> missing;
        for (std::int64_t k = 0; k < total && static_cast<std::int64_t>(missing.size()) < std::min<std::int64_t>(1000, missing_count); ++k)
            if (!owner.count(k)) missing.push_back(k);
        bool gaps = false;
        if (missing_count > 0) {
            gaps = true;
            std::fprintf(stderr, "snapscope-cli: %s %lld of the sweep's %lld runs are missing: %s\n", allow_partial ? "note:" : "error:",
                         static_cast<long long>(missing_count), static_cast<long long>(total), index_list(missing).c_str());
            // Which shards to rerun (each command resumes where its shard stopped), and the ones no folder holds.
            const std::string first = dirs[part_dir[0]];
            for (std::size_t k = 0; k < parts.size(); ++k) {
                const std::int64_t want = shard_size(total, parts[k].shard_index, parts[k].shard_count);
                if (found_per_part[k] < want)
                    std::fprintf(stderr, "  shard %d/%d in %s has %lld of %lld runs; complete it with: %s\n", parts[k].shard_index, parts[k].shard_count,
                                 message_text(dirs[part_dir[k]]).c_str(), static_cast<long long>(found_per_part[k]), static_cast<long long>(want),
                                 message_text(rerun_command(dirs[part_dir[k]], parts[k].shard_index, parts[k].shard_count, dirs[part_dir[k]])).c_str());
            }
            for (std::size_t j = 0; j < not_held.size(); ++j) {
                if (j == 20) {
                    std::fprintf(stderr, "  … and %zu more shards\n", not_held.size() - 20);
                    break;
                }
                const int k = not_held[j];
                std::fprintf(stderr, "  shard %d/%d (%lld runs) is in none of the folders; run it with: %s\n", k, count,
                             static_cast<long long>(shard_size(total, k, count)),
                             message_text(rerun_command(first, k, count, guess_shard_folder(dirs, shard_of, k))).c_str());
            }
            std::fprintf(stderr, "  (these commands run one run at a time; add --jobs N to run N at once, as the sweep may have)\n");
        }
        bool unread = false;
        for (std::size_t i = 0; i < dirs.size(); ++i) unread = unread || shard_of[i] == 0;
        if ((gaps || unread) && !allow_partial) {
            std::fprintf(stderr, "snapscope-cli: nothing written; merge again when the runs are there, or pass --allow-partial\n");
            return 1;
        }
        const OutputFolder folder(out_dir, FolderUse::Sweep, "a merge");
        {
            // Into a new folder, or over an earlier merge of this same sweep; never over a shard or another sweep.
            std::error_code ec;
            for (const std::string& d : dirs)
                if (fs::equivalent(d, out_dir, ec))
                    return error(out_dir + " is one of the folders being merged; merge into a new folder");
            const fs::path mp = fs::path(out_dir) / "sweep.json";
            if (fs::exists(mp, ec)) {
                const SweepManifest there = read_sweep_manifest(mp.string());
                const std::string diff = def.difference(there.def);
                if (!diff.empty()) return error(out_dir + " holds the results of another sweep (" + diff + "); merge into a new folder");
                if (there.shard_count > 1)
                    return error(out_dir + " holds shard " + std::to_string(there.shard_index) + "/" + std::to_string(there.shard_count) +
                                 " of this sweep; merge into a new folder");
            } else if (fs::exists(fs::path(out_dir) / "results.csv", ec)) {
                return error(out_dir + " holds a results.csv without sweep.json (not a merge of this sweep); merge into a new folder");
            }
        }
        SweepManifest merged;
        merged.def = def;
        FileSet set(out_dir);
        set.open("config.json").write(sweep_config_text(def, nullptr));
        set.open("sweep.json").write(sweep_manifest_text(merged));
        set.open("summary.csv").write(sweep_summary_csv(def, rows));
        set.open("results.csv").write(sweep_results_csv(def, rows));
        set.commit();
        std::printf("merged %zu of %lld runs from %zu folders into %s/{results.csv, summary.csv, sweep.json, config.json}\n", rows.size(),
                    static_cast<long long>(total), dirs.size(), out_dir.c_str());
        StreamSink so(stdout, "standard output");
        so.finish();
        return 0;
    } catch (const std::bad_alloc&) {
        return error("out of memory while merging");
    } catch (const std::exception& e) {
        return error(e.what());
    }
}

}  // namespace snapscope::cli
