#include "commands.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <set>

#include "snapscope/config.hpp"
#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/session.hpp"

namespace snapscope::cli {

volatile std::sig_atomic_t g_stop_signal = 0;

namespace {

using Clock = std::chrono::steady_clock;

extern "C" void on_stop_signal(int sig) {
    g_stop_signal = sig;
    // A second signal ends the process at once (its temporary files are cleaned up by the next writer).
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

// The loading bar on stderr: "loading the data [#########           ]  45%", redrawn at most 10 times a second;
// cleared when done.
class LoadBar {
public:
    explicit LoadBar(bool on) : on_(on) {}
    ~LoadBar() { clear(); }
    void show(double f) {
        if (!on_ || !(f >= 0)) return;
        const auto now = Clock::now();
        const bool last = f >= 1.0;
        if (!last && drew_ && std::chrono::duration<double>(now - last_).count() < 0.1) return;
        last_ = now;
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(std::min(f, 1.0) * kWidth);
        std::fprintf(stderr, "\rloading the data [%s%s] %3.0f%%", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(), 100.0 * std::min(f, 1.0));
        std::fflush(stderr);
        drew_ = true;
    }
    void clear() {
        if (drew_) std::fprintf(stderr, "\r%*s\r", 60, "");
        drew_ = false;
    }

private:
    bool on_, drew_ = false;
    Clock::time_point last_;
};

}  // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns, the loop sees the flag
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int stopped_status() { return 128 + static_cast<int>(g_stop_signal); }

int error(const std::string& msg) {
    std::fprintf(stderr, "snapscope-cli: error: %s\n", message_text(msg).c_str());
    return 1;
}

std::uint64_t parse_seed(const std::string& text, const std::string& option) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size())
        throw std::invalid_argument(option + " '" + brief_text(text) + "': expected an integer from 0 to 18446744073709551615" +
                                    (r.ec == std::errc::result_out_of_range ? " (this one is too large)" : ""));
    return v;
}

namespace {

Config build_config(const RunOptions& opt) {
    FlatConfig flat = opt.config_file.empty() ? preset_config(opt.preset.empty() ? kDefaultPreset : opt.preset)
                                              : load_config_file(opt.config_file);
    const auto base_kind = flat.find("data.kind");
    const bool base_file = base_kind != flat.end() && base_kind->second == "file";
    std::set<std::string> set_keys;
    for (const auto& s : opt.sets) {
        apply_assignment(flat, s, "--set");
        set_keys.insert(s.substr(0, s.find('=')));
    }
    // A file dataset given to a preset made for the generator: the generator's sizes (K, and d = K's preset value)
    // describe another dataset, so they come from the file instead, unless set on the command line.
    const auto kind = flat.find("data.kind");
    if (!base_file && kind != flat.end() && kind->second == "file")
        for (const char* key : {"data.vocab_size", "model.dim"})
            if (!set_keys.count(key)) flat.erase(key);
    if (opt.steps) flat["train.steps"] = *opt.steps;
    if (opt.seed) flat["train.seed"] = *opt.seed;
    const std::string source = opt.config_file.empty() ? "preset " + (opt.preset.empty() ? std::string(kDefaultPreset) : opt.preset)
                                                       : opt.config_file;
    return resolve_config(flat, source);
}

}  // namespace

Config build_run_config(const RunOptions& opt) { return build_config(opt); }

namespace {

// Runs up to `steps` steps, one at a time so a stop signal is seen at the next step; draws a progress line on a
// terminal at most 5 times a second. Stops early on divergence. The events (a session's learning-rate changes) are
// applied before the step they were made at.
std::int64_t train(LabRun& run, std::int64_t steps, bool progress, const std::vector<RunEvent>& events = {}) {
    std::size_t next_event = 0;
    const auto t0 = Clock::now();
    auto last_draw = t0;
    std::int64_t done = 0;
    bool drew = false;
    while (done < steps && !g_stop_signal) {
        apply_due_events(run, events, next_event);
        if (!run.step()) break;  // diverged
        ++done;
        if (progress && (done & 15) == 0) {
            const auto now = Clock::now();
            if (std::chrono::duration<double>(now - last_draw).count() > 0.2) {
                last_draw = now;
                const double el = std::chrono::duration<double>(now - t0).count();
                const double rate = done / std::max(el, 1e-9);
                const double eta = (steps - done) / std::max(rate, 1e-9);
                std::fprintf(stderr, "\rstep %lld/%lld (%3.0f%%)  loss %-10.4g  %.0f steps/s  ETA %.0fs   ",
                             static_cast<long long>(done), static_cast<long long>(steps), 100.0 * static_cast<double>(done) / static_cast<double>(steps),
                             run.last_loss(), rate, eta);
                std::fflush(stderr);
                drew = true;
            }
        }
    }
    if (drew) std::fprintf(stderr, "\r%*s\r", 79, "");
    apply_due_events(run, events, next_event);  // a change made at the last step still shows in the files
    return done;
}

// Trains `cfg` (its lab from model.kind; `data` a session's lab data) for `steps` steps (train.steps when negative)
// and writes the three run files as a set, then prints the run's result lines. The output folder is checked
// (created, writable, room for the files) before training starts.
int train_and_write(const RunOptions& opt, const Config& cfg, const std::vector<RunEvent>& events = {}, std::int64_t steps = -1,
                    const nlohmann::json& data = nullptr) {
    const bool progress = !opt.quiet && (opt.progress || ::isatty(STDERR_FILENO));
    std::unique_ptr<LabRun> owned;
    {
        // Building the run reads its data (a corpus of hundreds of MB takes a while): a bar while it does; SIGINT or
        // SIGTERM stops the load (nothing is written).
        LoadBar bar(progress);
        LoadMonitor monitor([&bar](double f) { bar.show(f); }, [] { return g_stop_signal != 0; });
        try {
            owned = make_lab_run(cfg, RunUse::Cli, data);
        } catch (const LoadCancelled&) {
            bar.clear();
            std::fprintf(stderr, "snapscope-cli: stopped by %s while loading the data; nothing written\n", signal_name(g_stop_signal));
            return stopped_status();
        }
    }
    LabRun& run = *owned;
    for (const std::string& n : run.notes()) std::fprintf(stderr, "snapscope-cli: note: %s\n", message_text(n).c_str());
    const OutputFolder folder = run.prepare_folder(opt.out_dir);  // locked while training, so no sweep starts writing here meanwhile
    const auto t0 = Clock::now();
    const std::int64_t done = train(run, steps >= 0 ? steps : cfg.train.steps, progress, events);
    const double elapsed = seconds_since(t0);
    RunTiming t;
    t.elapsed_seconds = elapsed;
    t.steps_per_second = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    t.interrupted = g_stop_signal != 0;
    run.write_results(folder, t);
    std::string names;
    for (const std::string& n : run.output_files()) names += (names.empty() ? "" : ", ") + n;
    if (t.interrupted) {
        std::fprintf(stderr, "snapscope-cli: stopped by %s at step %lld; wrote what was trained to %s/{%s}\n", signal_name(g_stop_signal),
                     static_cast<long long>(run.step_index()), message_text(opt.out_dir).c_str(), names.c_str());
        return stopped_status();
    }
    if (run.diverged()) return error(run.divergence_message() + "; wrote the history up to there to " + opt.out_dir);
    if (!opt.quiet) {
        std::printf("%lld steps in %.3f s (%.0f steps/s); ", static_cast<long long>(done), elapsed, t.steps_per_second);
        run.print_summary(stdout);
        std::printf("wrote %s/{%s}\n", opt.out_dir.c_str(), names.c_str());
        StreamSink out(stdout, "standard output");
        out.finish();
    }
    return 0;
}

}  // namespace

int cmd_run(const RunOptions& opt) {
    install_stop_handlers();  // from the start: a stop before training begins still ends cleanly (nothing written)
    return guarded([&] {
        if (!opt.session_file.empty()) {
            // A session saved in the window: its config (seed included) and its learning-rate changes, replayed to
            // its step (or to --steps), so a run explored live reruns on a server exactly.
            const Session s = load_session_file(opt.session_file);
            const std::int64_t steps = opt.steps ? *opt.steps : s.step;
            return train_and_write(opt, s.config, s.events, steps, s.data);
        }
        return train_and_write(opt, build_config(opt));
    });
}


int cmd_presets() {
    return guarded([] {
        StreamSink out(stdout, "standard output");
        char buf[512];
        for (const auto& p : presets()) {
            std::snprintf(buf, sizeof buf, "%-18s %s\n", p.name.c_str(), p.description.c_str());
            out.write(std::string(buf));
        }
        out.finish();
        return 0;
    });
}

int cmd_keys() {
    return guarded([] {
        StreamSink out(stdout, "standard output");
        for (const auto& s : config_schema()) {
            const std::string def = s.default_value.is_null() ? "unset" : s.default_value.dump();
            char buf[128];
            std::snprintf(buf, sizeof buf, "%-28s %-12s ", s.key.c_str(), def.c_str());
            out.write(std::string(buf) + s.help + "\n");
        }
        out.finish();
        return 0;
    });
}

int cmd_bench(const std::vector<std::string>& names, std::int64_t steps, const std::vector<std::string>& sets) {
    return guarded([&] {
        std::printf("%-18s %22s %8s %12s %12s\n", "preset", "size", "steps", "seconds", "steps/s");
        for (const auto& name : names) {
            FlatConfig flat = preset_config(name);
            for (const std::string& s : sets) apply_assignment(flat, s, "--set");
            const Config cfg = resolve_config(flat, "preset " + name);
            const std::unique_ptr<LabRun> owned = make_lab_run(cfg, RunUse::Cli);  // as `run` trains
            LabRun& run = *owned;
            std::int64_t n = steps;
            if (n <= 0) {
                // Calibrate: about 3 seconds of work.
                const auto t0 = Clock::now();
                std::int64_t k = 0;
                while (seconds_since(t0) < 0.3) k += run.run(8);
                n = std::max<std::int64_t>(8, static_cast<std::int64_t>(k * 10));
            }
            const auto t0 = Clock::now();
            const std::int64_t done = run.run(n);
            const double el = seconds_since(t0);
            std::printf("%-18s %22s %8lld %12.3f %12.1f\n", name.c_str(), run.size_text().c_str(), static_cast<long long>(done), el,
                        done / el);
        }
        StreamSink out(stdout, "standard output");
        out.finish();
        return 0;
    });
}

}  // namespace snapscope::cli
