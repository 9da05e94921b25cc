// snapscope-cli sweep --emit slurm|parallel: instead of running a sweep, write the job script that runs it in shards
// on a Slurm cluster (an array job, one shard per task, and the merge as a job that waits for the array) or with GNU
// parallel (one command per shard), with the command that merges and checks the result. The requests (time, memory)
// come from a short timing run and the runs' own memory estimates; the script says how.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "commands.hpp"
#include "snapscope/files.hpp"
#include "snapscope/input.hpp"
#include "snapscope/lab.hpp"
#include "snapscope/limits.hpp"

namespace snapscope::cli {

namespace {

namespace fs = std::filesystem;

constexpr double kMiB = 1048576.0;

// The config of run `p` exactly as run_sweep_point builds it (core/shared/src/sweep.cpp).
Config point_config(const SweepDefinition& def, const SweepPoint& p, double memory_mb) {
    FlatConfig flat = def.base;
    for (std::size_t a = 0; a < def.axes.size(); ++a) flat[def.axes[a].key] = p.values[a];
    flat["train.seed"] = p.seed;
    Config cfg = resolve_config(flat, "sweep point " + brief_text(p.key(), 120));
    cfg.history.capacity = static_cast<int>(std::min<std::int64_t>(100000000, std::max<std::int64_t>(cfg.history.capacity, cfg.train.steps + 2)));
    cfg.limits.memory_mb = memory_mb;
    return cfg;
}

// The run's own memory estimate (the one limits.memory_mb is checked against), read through that check: the
// smallest limit the run is built under, found by bisection on a log scale to within 5%. Throws what building the
// run throws when it does not fit even `limit_mb`. (Once it is built under `limit_mb`, a refusal under a lower limit
// is the limit's doing whatever its type: a corpus reader, say, says so with a DataError.)
double estimated_run_bytes(const Config& cfg, double limit_mb) {
    auto fits = [&](double mb) {
        Config c = cfg;
        c.limits.memory_mb = mb;
        try {
            make_lab_run(c, RunUse::Sweep);
            return true;
        } catch (const std::exception&) {
            return false;
        }
    };
    {
        Config c = cfg;
        c.limits.memory_mb = limit_mb;
        make_lab_run(c, RunUse::Sweep);  // throws the run's own error if it does not fit at all
    }
    double lo = 1.0 / 1024, hi = limit_mb;  // 1 KiB .. the limit, in MiB
    if (fits(lo)) return lo * kMiB;
    while (hi / lo > 1.05) {
        const double mid = std::sqrt(lo * hi);
        (fits(mid) ? hi : lo) = mid;
    }
    return hi * kMiB;
}

double peak_rss_bytes() {
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) * 1024.0;
}

struct Timing {
    std::int64_t index = 0, steps = 0, steps_timed = 0;
    double build_s = 0, steps_s = 0, measure_s = 0, run_s = 0;
    bool whole = false;
    double rss_bytes = 0;  // this process's peak resident memory during the timing run, above what it held before
};

// Trains run `index` for up to `budget_s` seconds of steps (the whole run if it is done by then) and extrapolates
// the time of the whole run.
Timing time_run(const SweepDefinition& def, std::int64_t index, double memory_mb, double budget_s) {
    Timing t;
    t.index = index;
    const double rss0 = peak_rss_bytes();
    const Config cfg = point_config(def, def.point(index), memory_mb);
    t.steps = cfg.train.steps;
    const auto t0 = std::chrono::steady_clock::now();
    auto since = [](std::chrono::steady_clock::time_point a) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count(); };
    const std::unique_ptr<LabRun> run = make_lab_run(cfg, RunUse::Sweep);
    t.build_s = since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    while (t.steps_timed < t.steps && !g_stop_signal) {
        const std::int64_t n = std::min<std::int64_t>(16, t.steps - t.steps_timed);
        const std::int64_t k = run->run(n);
        t.steps_timed += k;
        if (k < n || since(t1) > budget_s) break;  // diverged, or long enough to know its pace
    }
    t.steps_s = since(t1);
    if (t.steps_timed >= t.steps || run->diverged()) {
        const auto t2 = std::chrono::steady_clock::now();
        run->record_now();
        (void)run->sweep_values(SweepMeasure{def.snap_tol, def.snap_window});
        t.measure_s = since(t2);
        t.whole = true;
    }
    const double per_step = t.steps_timed > 0 ? t.steps_s / static_cast<double>(t.steps_timed) : 0;
    t.run_s = t.build_s + per_step * static_cast<double>(t.steps) + t.measure_s;
    t.rss_bytes = std::max(0.0, peak_rss_bytes() - rss0);
    return t;
}

std::string mib_text(double bytes) {
    char b[64];
    std::snprintf(b, sizeof b, "%.1f MiB", bytes / kMiB);
    return b;
}

std::string seconds_text(double s) {
    char b[64];
    std::snprintf(b, sizeof b, s < 10 ? "%.2f s" : "%.0f s", s);
    return b;
}

// Slurm's [D-]HH:MM:SS.
std::string slurm_time(std::int64_t minutes) {
    char b[64];
    const std::int64_t d = minutes / 1440, h = minutes / 60 % 24, m = minutes % 60;
    if (d > 0)
        std::snprintf(b, sizeof b, "%lld-%02lld:%02lld:00", static_cast<long long>(d), static_cast<long long>(h), static_cast<long long>(m));
    else
        std::snprintf(b, sizeof b, "%02lld:%02lld:00", static_cast<long long>(h), static_cast<long long>(m));
    return b;
}

// Rounded up to a multiple of 16 MiB, in MiB.
std::int64_t round_mb(double bytes) { return static_cast<std::int64_t>(std::ceil(bytes / kMiB / 16.0)) * 16; }

std::string now_text() {
    const std::time_t now = std::time(nullptr);
    char b[64];
    std::strftime(b, sizeof b, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    return b;
}

std::string host_name() {
    char b[256] = {};
    if (::gethostname(b, sizeof b - 1) != 0) return "this machine";
    return b;
}

std::string join_words(const std::vector<std::string>& words) {
    std::string s;
    for (const std::string& w : words) s += (s.empty() ? "" : " ") + sh_quote(w);
    return s;
}

// "# " before every line of `text`.
std::string commented(const std::string& text) {
    std::string out = "# ";
    for (char c : text) {
        out += c;
        if (c == '\n') out += "# ";
    }
    return out + "\n";
}

}  // namespace

std::string sh_quote(const std::string& s) {
    const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::string("_./=:,+-@%").find(c) != std::string::npos;
    });
    if (plain) return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string this_program() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("snapscope-cli") : p.string();
}

int emit_sweep_script(const SweepOptions& opt, const SweepDefinition& def, const Config& base) {
    const bool slurm = opt.emit == "slurm";
    const std::int64_t total = def.size();
    if (opt.shards < 1) return error("--emit needs --shards N (the number of shards, 1 or more)");
    if (opt.shards > total)
        return error("--shards " + std::to_string(opt.shards) + ": the sweep has only " + std::to_string(total) + " runs; use at most " +
                     std::to_string(total) + " shards");
    const int jobs = std::max(1, opt.jobs);
    const std::string cli = this_program();
    fs::path out = fs::absolute(opt.out_dir).lexically_normal();
    if (!out.has_filename() && out.has_parent_path()) out = out.parent_path();
    const std::string cwd = fs::current_path().string();
    fs::path script_path;
    if (!opt.script.empty()) {
        script_path = fs::absolute(opt.script).lexically_normal();
        std::error_code ec;
        if (!fs::is_directory(script_path.parent_path(), ec))
            return error("--script " + opt.script + ": the folder " + script_path.parent_path().string() + " does not exist");
        if (fs::is_directory(script_path, ec)) return error("--script " + opt.script + ": is a folder; name the script file");
    }
    const std::string script_name = script_path.empty() ? std::string("THIS_SCRIPT") : script_path.string();

    // The words that define the sweep, then the shard's. Each becomes one sh word (a line break could not).
    std::vector<std::string> sweep_words = {cli, "sweep"};
    sweep_words.insert(sweep_words.end(), opt.args.begin(), opt.args.end());
    if (jobs > 1) {
        sweep_words.push_back("--jobs");
        sweep_words.push_back(std::to_string(jobs));
    }
    for (const std::string& w : sweep_words)
        if (w.find_first_of("\n\r") != std::string::npos || w.find('\0') != std::string::npos)
            return error("--emit: the argument '" + brief_text(w, 60) +
                         "' holds a line break, which a job script line cannot; write it as \\n inside a JSON string");
    for (const std::string& p : {out.string(), cwd, script_name})
        if (p.find_first_of("\n\r") != std::string::npos) return error("--emit: the path '" + brief_text(p, 60) + "' holds a line break");
    auto part_dir = [&](int i) { return (out / ("part-" + std::to_string(i))).string(); };
    std::vector<std::string> merge_words = {cli, "merge"};
    for (int i = 1; i <= opt.shards; ++i) merge_words.push_back(part_dir(i));
    merge_words.push_back("--out");
    merge_words.push_back((out / "merged").string());
    const std::string merge_cmd = join_words(merge_words);
    std::vector<std::string> status_words = merge_words;
    status_words.resize(status_words.size() - 2);
    status_words.insert(status_words.begin() + 2, "--status");
    const std::string status_cmd = join_words(status_words);

    // The estimates: a few runs spread over the grid (the first, the last, two between), each timed for up to a
    // second of steps and its memory estimate read.
    const double program_bytes = peak_rss_bytes();
    const double limit_mb = static_cast<double>(memory_limit_bytes(base)) / kMiB;
    const std::set<std::int64_t> sampled = {0, total / 3, 2 * total / 3, total - 1};
    std::vector<Timing> timings;
    double run_bytes = 0, mean_run_s = 0, rss_bytes = 0;
    std::int64_t largest = 0;
    for (std::int64_t i : sampled) {
        timings.push_back(time_run(def, i, limit_mb / jobs, 1.0));
        if (g_stop_signal) return stopped_status();
        mean_run_s += timings.back().run_s / static_cast<double>(sampled.size());
        rss_bytes = std::max(rss_bytes, timings.back().rss_bytes);
        const double b = estimated_run_bytes(point_config(def, def.point(i), limit_mb / jobs), limit_mb / jobs);
        if (b > run_bytes) run_bytes = b, largest = i;
    }
    std::string sampled_text;
    for (std::int64_t i : sampled) sampled_text += (sampled_text.empty() ? "" : ", ") + std::to_string(i);
    const double per_run = std::max(run_bytes, rss_bytes);
    const std::int64_t per_task_runs = shard_size(total, 1, opt.shards);  // (the first shard is the largest)
    const double results_bytes = static_cast<double>(per_task_runs) * (160.0 + 48.0 * static_cast<double>(def.axes.size())) * 3;
    const std::int64_t waves = (per_task_runs + jobs - 1) / jobs;
    const double task_s = static_cast<double>(waves) * mean_run_s;
    const std::int64_t time_min = static_cast<std::int64_t>(std::ceil((3 * task_s + 600) / 60));
    constexpr std::int64_t kMinMb = 256;  // the program's code and libraries, which no estimate counts
    const std::int64_t mem_mb = std::max(kMinMb, round_mb(1.5 * (program_bytes + jobs * per_run + results_bytes)));
    const double merge_rows_bytes = static_cast<double>(total) * (160.0 + 48.0 * static_cast<double>(def.axes.size())) * 4;
    const std::int64_t merge_mem_mb = std::max(kMinMb, round_mb(1.5 * (program_bytes + merge_rows_bytes)));
    const std::int64_t merge_min = 10 + total / 100000;

    std::string est;
    est += "How the requests were estimated (estimates: check the first tasks' logs and adjust if needed):\n";
    est += "  timing runs on " + host_name() + ", " + now_text() + ", each trained for up to a second of its steps:\n";
    for (const Timing& t : timings)
        est += "    run " + std::to_string(t.index) + " (" + brief_text(def.point(t.index).key(), 80) + "): " +
               (t.whole ? "trained in full (" + std::to_string(t.steps) + " steps) in " + seconds_text(t.run_s)
                        : std::to_string(t.steps_timed) + " of " + std::to_string(t.steps) + " steps in " + seconds_text(t.build_s + t.steps_s) +
                              ", about " + seconds_text(t.run_s) + " for the whole run") +
               "\n";
    est += "  A task runs at most " + std::to_string(per_task_runs) + (per_task_runs == 1 ? " run, " : " runs, ") + std::to_string(jobs) + " at a time (--jobs): " +
           std::to_string(waves) + " x " + seconds_text(mean_run_s) + " (the mean of those runs) = " + seconds_text(task_s) + ".\n";
    if (slurm)
        est += "  --time is 3 x that (slower cores, runs unlike the timed ones) + 10 minutes, rounded up to a minute.\n";
    est += "  memory estimate: snapscope's own estimate of a run (the one limits.memory_mb is checked against), the largest\n";
    est += "  of runs " + sampled_text + ": " + mib_text(run_bytes) + " (run " + std::to_string(largest) + "); measured peak of a timing run: " +
           mib_text(rss_bytes) + ".\n";
    if (slurm)
        est += "  --mem is 1.5 x (" + std::to_string(jobs) + (jobs == 1 ? " run x " : " runs x ") + mib_text(per_run) + " + the program itself, " + mib_text(program_bytes) +
               ", + the shard's results in memory, " + mib_text(results_bytes) + "), rounded up to 16 MiB, at least " + std::to_string(kMinMb) + " MiB.";
    else
        est += "  Memory per shard: about " + std::to_string(jobs) + " x " + mib_text(per_run) + " + " + mib_text(program_bytes) + ".";

    const std::string example = std::to_string(std::min(3, opt.shards));  // a shard the comments show
    std::string shown_cmd = join_words(sweep_words) + " --out " + sh_quote(out.string());
    std::string s;
    if (slurm) {
        s += "#!/bin/bash\n";
        s += "# A snapscope sweep as a Slurm array job: " + std::to_string(total) + " runs in " + std::to_string(opt.shards) +
             " shards, one shard per array task\n";
        s += "# (shard I runs the runs whose index is I-1 modulo " + std::to_string(opt.shards) + "), then the merge as a job that waits for every task.\n";
        s += "# Written by snapscope-cli sweep --emit slurm on " + host_name() + ", " + now_text() + ", for the sweep\n";
        s += commented("  " + shown_cmd);
        s += "#\n";
        s += "# Submit it from a login node (it submits the array job, then the merge job):\n";
        s += "#   bash " + sh_quote(script_name) + "\n";
        s += "# Rerun only some shards (those the merge names as missing; each resumes where it stopped), then merge again:\n";
        s += "#   bash " + sh_quote(script_name) + " " + std::to_string(std::min(3, opt.shards)) + (opt.shards > 3 ? " " + std::to_string(opt.shards) : std::string()) + "\n";
        s += "# Watch it:\n";
        s += "#   squeue --me        (the array's tasks as JOBID_TASK, the merge waiting with reason Dependency)\n";
        s += "#   tail " + sh_quote((out / "logs").string()) + "/shard-" + example + ".out " + sh_quote((out / "logs").string()) +
             "/shard-" + example + ".err   (task " + example + "'s output and errors)\n";
        s += "#   " + status_cmd + "\n";
        s += "#   (the runs done per shard, while the job runs; writes nothing)\n";
        s += "# Merge and check (what the merge job runs; it exits 1 naming any missing runs and the shards to rerun):\n";
        s += "# " + merge_cmd + "\n";
        s += "# The merged sweep is " + sh_quote((out / "merged").string()) + " (results.csv, summary.csv, sweep.json, config.json).\n";
        s += "#\n";
        s += commented(est);
        s += "#\n";
        s += "# Array task resources (a command line option of sbatch overrides these lines):\n";
        s += "#SBATCH --job-name=snapscope-sweep\n";
        s += "#SBATCH --array=1-" + std::to_string(opt.shards) + "\n";
        s += "#SBATCH --ntasks=1\n";
        s += "# One CPU per run in flight (--jobs " + std::to_string(jobs) + "):\n";
        s += "#SBATCH --cpus-per-task=" + std::to_string(jobs) + "\n";
        s += "#SBATCH --time=" + slurm_time(time_min) + "\n";
        s += "#SBATCH --mem=" + std::to_string(mem_mb) + "M\n";
        s += "\n";
        s += "# Edit these two, nothing else (empty: the cluster's default partition, your default account).\n";
        s += "PARTITION=\"\"\n";
        s += "ACCOUNT=\"\"\n";
        s += "\n";
        s += "set -euo pipefail\n";
        s += "if [ -n \"${SLURM_ARRAY_TASK_ID:-}\" ]; then\n";
        s += "  # An array task: shard $SLURM_ARRAY_TASK_ID of " + std::to_string(opt.shards) +
             ". Run again, it resumes (runs already in its results.csv are skipped).\n";
        s += "  exec " + join_words(sweep_words) + " --shard \"$SLURM_ARRAY_TASK_ID\"/" + std::to_string(opt.shards) + " --out " +
             sh_quote(out.string()) + "/part-\"$SLURM_ARRAY_TASK_ID\"\n";
        s += "fi\n";
        s += "\n";
        s += "# Submission (bash " + sh_quote(script_name) + " [SHARD...]).\n";
        s += "shards=" + std::to_string(opt.shards) + "\n";
        s += "array=\"1-$shards\"\n";
        s += "if [ $# -gt 0 ]; then\n";
        s += "  for i in \"$@\"; do\n";
        s += "    case $i in\n";
        s += "      '' | *[!0-9]*) echo \"$0: '$i' is not a shard number (1 to $shards)\" >&2; exit 2 ;;\n";
        s += "    esac\n";
        s += "    if [ \"$i\" -lt 1 ] || [ \"$i\" -gt \"$shards\" ]; then echo \"$0: shard $i: this sweep has shards 1 to $shards\" >&2; exit 2; fi\n";
        s += "  done\n";
        s += "  array=$(IFS=,; echo \"$*\")\n";
        s += "fi\n";
        s += "opts=()\n";
        s += "if [ -n \"$PARTITION\" ]; then opts+=(--partition=\"$PARTITION\"); fi\n";
        s += "if [ -n \"$ACCOUNT\" ]; then opts+=(--account=\"$ACCOUNT\"); fi\n";
        s += "logs=" + sh_quote((out / "logs").string()) + "\n";
        s += "mkdir -p \"$logs\"\n";
        s += "# Tasks run in the folder the sweep was written from (relative paths in its --set values stay right).\n";
        s += "jid=$(sbatch --parsable \"${opts[@]}\" --array=\"$array\" --chdir=" + sh_quote(cwd) +
             " --output=\"$logs/shard-%a.out\" --error=\"$logs/shard-%a.err\" \"${BASH_SOURCE[0]}\")\n";
        s += "jid=${jid%%;*}\n";
        s += "# The merge waits for every task to end (afterany: a failed task leaves runs missing, and the merge names them).\n";
        s += "mid=$(sbatch --parsable \"${opts[@]}\" --job-name=snapscope-merge --dependency=afterany:\"$jid\" --ntasks=1 --cpus-per-task=1 --mem=" +
             std::to_string(merge_mem_mb) + "M --time=" + slurm_time(merge_min) + " --chdir=" + sh_quote(cwd) +
             " --output=\"$logs/merge.out\" --error=\"$logs/merge.err\" <<'SNAPSCOPE_MERGE'\n";
        s += "#!/bin/sh\n";
        s += merge_cmd + " && exit 0\n";
        s += "status=$?\n";
        s += "echo \"the sweep is not complete: resubmit the shards named above as array tasks with: bash " + sh_quote(script_name) +
             " SHARD... (the commands above run a shard in the foreground of one machine instead)\" >&2\n";
        s += "exit $status\n";
        s += "SNAPSCOPE_MERGE\n";
        s += ")\n";
        s += "mid=${mid%%;*}\n";
        s += "echo \"submitted array job $jid (shards $array of $shards) and merge job $mid (after it)\"\n";
        s += "echo \"logs: $logs; progress: " + status_cmd + "\"\n";
        s += "echo \"merged sweep: \"" + sh_quote((out / "merged").string()) + "\n";
    } else {
        s += "#!/bin/bash\n";
        s += "# A snapscope sweep with GNU parallel: " + std::to_string(total) + " runs in " + std::to_string(opt.shards) +
             " shards, one command per shard (shard I runs the runs\n";
        s += "# whose index is I-1 modulo " + std::to_string(opt.shards) + "), then the merge.\n";
        s += "# Written by snapscope-cli sweep --emit parallel on " + host_name() + ", " + now_text() + ", for the sweep\n";
        s += commented("  " + shown_cmd);
        s += "#\n";
        s += "# Run it:  bash " + sh_quote(script_name) + "\n";
        s += "# Run it again after a failure: --resume-failed reruns only the shards that failed or never ran (each resumes\n";
        s += "# where it stopped), the joblog remembers the others.\n";
        s += "# Watch it:\n";
        s += "#   cat " + sh_quote((out / "logs" / "parallel.joblog").string()) + "   (one line per finished shard, with its exit status)\n";
        s += "#   tail " + sh_quote((out / "logs").string()) + "/shard-" + example + ".err   (shard " + example + "'s output and errors: shard-" + example +
             ".out, shard-" + example + ".err;\n";
        s += "#   a rerun appends to them, so an earlier failure's message stays)\n";
        s += "#   " + status_cmd + "\n";
        s += "#   (the runs done per shard, while it runs; writes nothing)\n";
        s += "# Merge and check (run at the end of this script; it exits 1 naming any missing runs):\n";
        s += "# " + merge_cmd + "\n";
        s += "# The merged sweep is " + sh_quote((out / "merged").string()) + " (results.csv, summary.csv, sweep.json, config.json).\n";
        s += "#\n";
        s += "# Several machines: add  -S host1,host2 --wd " + sh_quote(cwd) + "  to the parallel command (snapscope-cli at\n";
        s += "# " + sh_quote(cli) + " and " + sh_quote(out.string()) + " on a folder they share).\n";
        s += "#\n";
        s += commented(est);
        s += "\n";
        s += "set -uo pipefail\n";
        s += "cd " + sh_quote(cwd) + " || exit 1\n";
        s += "logs=" + sh_quote((out / "logs").string()) + "\n";
        s += "mkdir -p \"$logs\" || exit 1\n";
        s += "# Shards at once: each shard runs " + std::to_string(jobs) + " runs at a time (--jobs), so one shard per " + std::to_string(jobs) +
             " core(s).\n";
        s += "slots=$(( $(nproc) / " + std::to_string(jobs) + " ))\n";
        s += "if [ \"$slots\" -lt 1 ]; then slots=1; fi\n";
        s += "parallel --joblog \"$logs/parallel.joblog\" --resume-failed --jobs \"$slots\" <<'SNAPSCOPE_SHARDS'\n";
        for (int i = 1; i <= opt.shards; ++i) {
            const std::string tag = std::to_string(i);
            s += join_words(sweep_words) + " --shard " + tag + "/" + std::to_string(opt.shards) + " --out " + sh_quote(part_dir(i)) + " >>" +
                 sh_quote((out / "logs" / ("shard-" + tag + ".out")).string()) + " 2>>" + sh_quote((out / "logs" / ("shard-" + tag + ".err")).string()) +
                 "\n";
        }
        s += "SNAPSCOPE_SHARDS\n";
        s += "failed=$?\n";
        s += "if [ \"$failed\" -ne 0 ]; then echo \"$failed shard(s) failed (see $logs/parallel.joblog and their .err logs)\" >&2; fi\n";
        s += merge_cmd + "\n";
        s += "status=$?\n";
        // (A shard that succeeded and whose results were lost since is never rerun by --resume-failed: the joblog
        // says it is done. Set aside, every shard reruns, each resuming from its results.csv.)
        s += "if [ \"$status\" -ne 0 ] && [ \"$failed\" -ne 0 ]; then\n";
        s += "  echo \"the sweep is not complete: run bash \"" + sh_quote(script_name) + "\" again (it reruns only the failed shards)\" >&2\n";
        s += "elif [ \"$status\" -ne 0 ]; then\n";
        s += "  mv -f \"$logs/parallel.joblog\" \"$logs/parallel.joblog.old\"\n";
        s += "  echo \"every shard ran without an error but the sweep is not complete (results removed or changed since): the joblog was set \"\\\n";
        s += "\"aside as $logs/parallel.joblog.old; run bash \"" + sh_quote(script_name) +
             "\" again: every shard reruns, skipping the runs it already has\" >&2\nfi\n";
        s += "exit \"$status\"\n";
    }

    if (script_path.empty()) {
        StreamSink so(stdout, "standard output");
        so.write(s);
        so.finish();
    } else {
        write_file_atomic(script_path.string(), s);
        ::chmod(script_path.c_str(), 0755);
    }
    const std::string where = script_path.empty() ? std::string("the job script to standard output") : script_path.string();
    if (slurm)
        std::fprintf(stderr, "snapscope-cli: wrote %s: a Slurm array of %d shards (%lld runs; per task %s, %lld MiB, %d CPU%s) and its merge job; submit with: bash %s\n",
                     where.c_str(), opt.shards, static_cast<long long>(total), slurm_time(time_min).c_str(), static_cast<long long>(mem_mb), jobs,
                     jobs == 1 ? "" : "s",
                     sh_quote(script_name).c_str());
    else
        std::fprintf(stderr, "snapscope-cli: wrote %s: %d GNU parallel commands, one per shard (%lld runs), then the merge; run with: bash %s\n",
                     where.c_str(), opt.shards, static_cast<long long>(total), sh_quote(script_name).c_str());
    std::fprintf(stderr, "snapscope-cli: merge and check: %s\n", merge_cmd.c_str());
    return 0;
}

}  // namespace snapscope::cli
