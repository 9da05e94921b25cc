// snapscope: the desktop lab. Trains in a worker thread and draws what the paper proves, live.
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <csignal>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

#include <malloc.h>

#include <new>

#include <CLI/CLI.hpp>
#include <imgui.h>

#include "host.hpp"
#include "png.hpp"
#include "snapscope/input.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/session.hpp"
#include "snapscope/tours.hpp"
#include "movie_job.hpp"
#include "open_data.hpp"
#include "sweep_job.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/sweep_folder.hpp"
#include "tour_panel.hpp"
#include "user_settings.hpp"
#include "window_places.hpp"
#include "worker.hpp"

using namespace snapscope;
using namespace snapscope::gui;

namespace {

int fail(const std::string& msg) {
    std::fprintf(stderr, "snapscope: error: %s\n", msg.c_str());
    return 1;
}

std::string timestamp() {
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
    return buf;
}

void save_png(const Image& img, const std::string& path, ViewState& view) {
    if (img.width == 0) {
        view.say("Export failed: nothing rendered", true);
        return;
    }
    try {
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent);
        write_png(path, img.width, img.height, img.rgba);
        view.say("Wrote " + path + " (" + std::to_string(img.width) + "x" + std::to_string(img.height) + ")", false);
    } catch (const std::exception& e) {
        view.say(std::string("Export failed: ") + e.what(), true);
    }
}

volatile std::sig_atomic_t g_quit_signal = 0;
extern "C" void on_quit_signal(int sig) { g_quit_signal = sig; }

std::string join_warnings(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& x : w) s += (s.empty() ? "" : "\n") + x;
    return s;
}

// The session being loaded (replayed in the background): while it loads, the autosave writes it rather than the
// half-replayed run, so quitting during a long load loses nothing.
std::optional<Session> g_loading;

// The session to save or autosave: the one still loading, if any (not its half-replayed run), else the live run.
Session current_session(const Snapshot& snap, const ViewState& view) {
    if (snap.loading && g_loading) return *g_loading;
    Session s;
    s.config = snap.info->config;
    s.events = snap.events;
    if (snap.session_data) s.data = *snap.session_data;
    s.step = snap.step;
    s.view = view.to_json();
    for (const CompanionFrames& c : snap.companions) s.companions.push_back(c.name);
    s.speed_mode = speed_mode_name(snap.speed);
    s.speed_value = snap.speed_value;
    return s;
}

// Carries out what the UI asked for this frame.
void serve(HostRequests& req, Host& host, Worker& worker, const Snapshot& snap, ViewState& view) {
    // The trajectory CSV is the whole run (named by its live step); a window or panel PNG pictures the step shown.
    const std::string when = timestamp();
    const std::string stem = view.export_dir + "/snapscope-step" + std::to_string(snap.step) + "-" + when;
    const std::string png_stem = view.export_dir + "/snapscope-step" + std::to_string(shown_step(snap, view)) + "-" + when;
    if (req.screenshot) {
        // A fresh frame laid out at the export scale: sharp text and lines at 2x and 4x.
        ImVec4 panels[3];
        try {
            save_png(host.render_scaled(view.export_scale, snap, view, panels), png_stem + ".png", view);
        } catch (const HostError& e) {
            view.say(std::string("Export failed: ") + e.what(), true);
        }
    }
    if (req.panel_export >= 0 && req.panel_export < static_cast<int>(Panel::Count)) {
        // A panel as a figure: its content only (no title bar, scrollbar or widgets).
        ImVec4 panels[3];
        try {
            const Image all = host.render_scaled(view.export_scale, snap, view, panels, true);
            const ImVec4 r = panels[req.panel_export];
            save_png(all.crop(static_cast<int>(r.x), static_cast<int>(r.y), static_cast<int>(r.z), static_cast<int>(r.w)),
                     png_stem + "-" + panel_name(static_cast<Panel>(req.panel_export)) + ".png", view);
        } catch (const HostError& e) {
            view.say(std::string("Export failed: ") + e.what(), true);
        }
    }
    if (req.export_csv) worker.post(Command::export_to(stem));
    if (req.save_session) {
        const Session s = current_session(snap, view);
        try {
            const auto parent = std::filesystem::path(view.session_path).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent);
            save_session_file(view.session_path, s);
            view.say("Saved the session to " + view.session_path, false);
        } catch (const std::exception& e) {
            view.say(std::string("Save failed: ") + e.what(), true);
        }
    }
    if (req.load_session) {
        try {
            Session s = load_session_file(view.session_path);
            const auto warnings = view.from_json(s.view, view.session_path);
            g_loading = s;
            worker.post(Command::load_session(std::move(s)));
            view.say(warnings.empty() ? "Loading " + view.session_path : join_warnings(warnings), !warnings.empty());
        } catch (const std::exception& e) {
            view.say(std::string("Load failed: ") + e.what(), true);
        }
    }
    req = HostRequests{};
}

// The Movie button's job: started on request, one frame rendered per window frame, finished or cancelled.
void serve_movie(std::unique_ptr<MovieJob>& job, bool start, Host& host, const SnapshotPtr& snap, ViewState& view) {
    MovieView& mv = view.movie;
    if (start && !job) {
        const char* ext[] = {".mp4", ".gif", ""};
        MovieRequest r;
        r.path = view.export_dir + "/snapscope-movie-step" + std::to_string(snap->step) + "-" + timestamp() + ext[std::clamp(mv.format, 0, 2)];
        r.every = mv.every;
        r.panel = mv.panel;
        r.scale = view.export_scale;
        try {
            job = std::make_unique<MovieJob>(r, snap);
            mv.active = true;
            mv.cancel = false;
            mv.path = r.path;
            mv.done = 0;
            mv.total = job->total();
        } catch (const std::exception& e) {
            view.say(std::string("Movie: ") + e.what(), true);
        }
        return;  // (the first frame is rendered at the next window frame)
    }
    if (!job) return;
    try {
        if (mv.cancel) {
            job->cancel();
            view.say("Movie cancelled: nothing was written", false);
        } else if (job->step(host, view)) {
            mv.done = job->done();
            return;
        } else {
            job->finish();
            view.say(job->summary(), false);
        }
    } catch (const std::exception& e) {
        job->cancel();
        view.say(std::string("Movie failed: ") + e.what(), true);
    }
    job.reset();
    MovieView fresh;  // (the settings stay, the progress goes)
    fresh.every = mv.every;
    fresh.format = mv.format;
    fresh.panel = mv.panel;
    mv = fresh;
}

}  // namespace

int main(int argc, char** argv) {
    // Per-frame buffers of a few hundred KB would otherwise be mmapped and unmapped every frame (page faults).
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    CLI::App app{"snapscope: watch a 1-layer transformer learn, live (one lab per paper)"};
    std::string preset, session_path, config_path, screenshot, speed = "25";
    std::optional<std::int64_t> steps;
    int frames = 3, width = 1280, height = 800, scale = 1;
    double seconds = 0, max_fps = 60;
    int rasterizer_nice = 19;
    bool large_font = false, stats = false, restore = false;
    std::string autosave_path;
    {
        const char* home = std::getenv("HOME");
        autosave_path = std::string(home && *home ? home : ".") + "/.local/state/snapscope/autosave.json";
    }
    auto* p = app.add_option("--preset", preset, "Start on a built-in preset (default fig4; see snapscope-cli presets)");
    auto* sess = app.add_option("--session", session_path, "Open a saved session (replayed to its step)")->excludes(p);
    app.add_option("--config", config_path, "Start on a config file (JSON, as snapscope-cli run takes)")->excludes(p)->excludes(sess);
    app.add_option("--steps", steps,
                   "Steps to train: with --screenshot, before the picture; otherwise training pauses there (0: never). "
                   "Default: the config's train.steps")
        ->check(CLI::Range(0LL, 1000000000LL));
    app.add_option("--screenshot", screenshot, "Train, render --frames frames, write this PNG and exit");
    app.add_option("--frames", frames, "Frames to render before the screenshot")->check(CLI::Range(1, 1000));
    app.add_option("--scale", scale, "With --screenshot: 1, 2 or 4 times the window's resolution")->check(CLI::IsMember({1, 2, 4}));
    auto* width_opt = app.add_option("--width", width, "Window width (default: as last time, else 1280)")->check(CLI::Range(320, 16384));
    auto* height_opt = app.add_option("--height", height, "Window height (default: as last time, else 800)")->check(CLI::Range(240, 16384));
    auto* speed_opt = app.add_option("--speed", speed, "Training speed: 'unlimited' or steps per second (default 25; a session's own otherwise)");
    auto* large_opt = app.add_flag("--large-font,--presenter", large_font,
                                   "Presenter mode for projectors: large text, the mouse ringed, advanced controls hidden (F11 toggles)");
    std::string theme_name;
    auto* theme_opt = app.add_option("--theme", theme_name, "auto (light in presenter mode; the default unless remembered), dark or light (F10 toggles)")
                          ->check(CLI::IsMember({"auto", "dark", "light"}));
    float font_scale = 1.6f;
    auto* font_opt = app.add_option("--font-scale", font_scale, "Presenter mode's text size, 1.5 to 2.5 times the normal 15 px (default: as last time, else 1.6)")
                         ->check(CLI::Range(1.5, 2.5));
    app.add_option("--seconds", seconds, "Quit after this many seconds (for scripted measurements)")
        ->check(CLI::Validator(
            [](std::string& t) {
                double v = 0;
                const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
                if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || !std::isfinite(v) || v < 0)
                    return std::string("expected a number of seconds, 0 or more, got '" + (t.size() > 40 ? t.substr(0, 40) + "..." : t) + "'");
                return std::string();
            },
            "SECONDS"));
    app.add_option("--max-fps", max_fps,
                   "Frames drawn per second at most (default 60; 0: as many as the machine can). Without a display that waits "
                   "for its refresh (Xvfb, some drivers), an unlimited frame rate takes the CPU that training needs")
        ->check(CLI::Range(0.0, 1000.0));
    app.add_option("--rasterizer-nice", rasterizer_nice,
                   "With a software OpenGL renderer (Mesa's llvmpipe: no GPU, e.g. under Xvfb), run its threads at this nice "
                   "value (default 19, the lowest priority; 0: unchanged): frames then use the cores training leaves free, "
                   "instead of taking half of the training thread's")
        ->check(CLI::Range(0, 19));
    app.add_flag("--stats", stats, "Print frame-time and training-rate statistics on exit");
    app.add_option("--autosave", autosave_path, "Where the running session is saved every minute and on exit ('' to turn off)");
    app.add_flag("--restore", restore, "Reopen the last autosaved session (after a crash or a kill)");
    std::string movie_path, movie_panel = "window";
    std::int64_t movie_every = 0;
    double movie_fps = 25;
    auto* movie_opt = app.add_option("--movie", movie_path,
                                     "Train (or replay --session), then write a movie of the run's recorded steps and exit: *.mp4 or "
                                     "*.gif (needs ffmpeg), or a folder for numbered PNG frames")
                         ->excludes("--screenshot");
    app.add_option("--movie-every", movie_every, "With --movie: one frame per this many steps (default 0: every recorded step)")
        ->check(CLI::Range(0LL, 1000000000LL))
        ->needs(movie_opt);
    app.add_option("--movie-panel", movie_panel, "With --movie: window (default), attention, curves or controls (a panel as a figure)")
        ->check(CLI::IsMember({"window", "attention", "curves", "controls"}))
        ->needs(movie_opt);
    app.add_option("--movie-fps", movie_fps, "With --movie: frames per second of the MP4 or GIF (default 25)")->check(CLI::Range(0.1, 240.0))->needs(movie_opt);
    std::string sweep_dir;
    auto* sweep_opt = app.add_option("--open-sweep", sweep_dir,
                                     "Show a sweep folder (snapscope-cli sweep's or merge's --out: sweep.json and results.csv) in its lab's sweep "
                                     "view, the phase diagram; starts on the sweep's first grid point unless --preset is given")
                          ->excludes(sess);
    std::string tour_name;
    int tour_step = 1;
    auto* tour_opt = app.add_option("--tour", tour_name, "Start a guided tour: a shipped tour's name (see the T key's list) or a tour file (JSON)")
                         ->excludes(sess);
    app.add_option("--tour-step", tour_step, "With --tour and --screenshot: set up steps 1 to N of the tour (each trained to its pause) first")
        ->check(CLI::Range(1, 200))
        ->needs(tour_opt);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string msg = e.what();
        for (char& c : msg)
            if (c == '\n' || c == '\r') c = ' ';
        if (msg.size() > 600) msg = msg.substr(0, 600) + "...";
        std::fprintf(stderr, "snapscope: error: %s (usage: snapscope --help)\n", msg.c_str());
        return 2;
    }

    // What the window remembered from the last run (not for pictures: --screenshot and --movie are reproducible).
    if (movie_opt->count() > 0) {
        // A movie is *.mp4, *.gif, or a folder (no extension): another extension is a typo, not a folder to make.
        const std::string name = std::filesystem::path(movie_path).filename().string();
        const auto dot = name.rfind('.');
        if (movie_path.empty()) return fail("--movie: an empty path (give NAME.mp4, NAME.gif, or a folder for PNG frames)");
        if (movie_format(movie_path) == MovieFormat::PngSequence && dot != std::string::npos && dot > 0)
            return fail("--movie: '" + brief_text(movie_path) + "': a movie is NAME.mp4 (H.264) or NAME.gif, or a folder name (no extension) for PNG frames");
    }
    const bool interactive = screenshot.empty() && movie_opt->count() == 0;
    const std::string settings_path = interactive ? user_settings_path() : "";
    std::vector<std::string> settings_warnings;
    const UserSettings remembered = load_user_settings(settings_path, settings_warnings);
    for (const std::string& w : settings_warnings) std::fprintf(stderr, "snapscope: warning: %s\n", w.c_str());
    if (interactive) {
        if (width_opt->count() == 0) width = remembered.width;
        if (height_opt->count() == 0) height = remembered.height;
        if (font_opt->count() == 0) font_scale = remembered.font_scale;
    }
    Config cfg;
    std::optional<Session> session;
    std::shared_ptr<const Tour> tour;
    if (!tour_name.empty()) {
        try {
            if (const Tour* t = find_tour(tour_name)) tour = std::make_shared<const Tour>(*t);
            else if (std::filesystem::exists(tour_name)) tour = std::make_shared<const Tour>(load_tour_file(tour_name));
            else {
                std::string list;
                for (const Tour& t : tours()) list += (list.empty() ? "" : ", ") + t.name;
                const bool file = tour_name.find('/') != std::string::npos ||
                                  (tour_name.size() > 5 && tour_name.compare(tour_name.size() - 5, 5, ".json") == 0);
                if (file) return fail("--tour: no tour file at '" + brief_text(tour_name) + "'");
                return fail("--tour: '" + brief_text(tour_name) + "' is neither a shipped tour (" + list + ") nor a tour file");
            }
        } catch (const std::exception& e) {
            return fail(std::string("--tour: ") + e.what());
        }
        if (tour_step > static_cast<int>(tour->steps.size()))
            return fail("--tour-step: " + std::to_string(tour_step) + " is past the tour's last step (" + std::to_string(tour->steps.size()) + ")");
    }
    if (restore) {
        if (autosave_path.empty() || !std::filesystem::exists(autosave_path)) return fail("--restore: no autosaved session at '" + autosave_path + "'");
        session_path = autosave_path;
    }
    // The sweep folder to show (read once: it also gives the run to start on).
    std::optional<SweepFolder> sweep;
    if (sweep_opt->count() > 0) {
        try {
            sweep = read_sweep_folder(sweep_dir, SweepJob::kMaxRuns, memory_limit_bytes(cfg));
        } catch (const std::exception& e) {
            return fail(std::string("--open-sweep: ") + e.what());
        }
    }
    try {
        if (!session_path.empty()) {
            session = load_session_file(session_path);
            cfg = session->config;
        } else if (!config_path.empty()) {
            cfg = resolve_config(load_config_file(config_path), config_path);
        } else if (sweep && preset.empty()) {
            cfg = resolve_config(first_grid_point(sweep->manifest.def), sweep->dir + "/sweep.json");  // (shown once the window is up)
        } else {
            const std::string name = preset.empty() ? kDefaultPreset : preset;
            cfg = resolve_config(preset_config(name), "preset " + name);
            // A tour starts on its first step's run (the worker builds it once).
            if (tour && preset.empty()) cfg = tour_step_config(tour->steps[0], cfg, "tour '" + tour->name + "' step 1");
        }
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    SpeedMode mode = SpeedMode::StepsPerSecond;
    double rate = 25;
    const bool speed_given = speed_opt->count() > 0;
    if (speed == "unlimited") mode = SpeedMode::Unlimited;
    else {
        const auto r = std::from_chars(speed.data(), speed.data() + speed.size(), rate);
        if (speed.empty() || r.ec != std::errc() || r.ptr != speed.data() + speed.size() || !std::isfinite(rate) || !(rate > 0) || rate > 1e9)
            return fail("--speed: expected 'unlimited' or a number of steps per second (more than 0, at most 1e9), got '" + brief_text(speed) + "'");
    }

    // SIGINT and SIGTERM end the main loop like closing the window, so the exit autosave runs (a signal that comes
    // before the loop starts ends it at once).
    {
        struct sigaction sa {};
        sa.sa_handler = on_quit_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
    }
    std::unique_ptr<Host> host;
    try {
        host = std::make_unique<Host>(width, height, screenshot.empty());
    } catch (const HostError& e) {
        return fail(e.what());
    }
    // A software renderer's threads yield to the training thread (see --rasterizer-nice).
    const int lowered = rasterizer_nice > 0 ? host->lower_rasterizer_priority(rasterizer_nice) : 0;
    std::unique_ptr<Worker> worker;
    try {
        worker = std::make_unique<Worker>(cfg);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    ViewState view;
    view.still = !interactive;
    view.large_font = large_font || (interactive && remembered.presenter);
    view.font_scale = font_scale;
    if (!settings_warnings.empty()) view.say(settings_warnings.front(), true);
    if (session) {
        const std::vector<std::string> warnings = view.from_json(session->view, session_path);
        for (const std::string& w : warnings) std::fprintf(stderr, "snapscope: warning: %s\n", w.c_str());
        if (!warnings.empty()) view.say(join_warnings(warnings), true);
        g_loading = *session;
        worker->post(Command::load_session(*session));
    }
    // Flags given on the command line win over the session's view settings.
    if (large_opt->count() > 0) view.large_font = large_font;
    if (font_opt->count() > 0) view.font_scale = font_scale;
    if (interactive && !session) view.theme = remembered.theme;
    if (interactive) {  // the layout (not a session's: it is the user's)
        view.controls_fraction = remembered.controls_fraction;
        view.top_fraction = remembered.top_fraction;
        place_remembered_windows(remembered.windows, static_cast<float>(width), static_cast<float>(height));
    }
    if (theme_opt->count() > 0) view.theme = theme_name == "dark" ? 1 : theme_name == "light" ? 2 : 0;
    HostRequests req;
    const CommandSink send = [&](Command c) { worker->post(std::move(c)); };
    if (sweep) {
        std::string why;
        if (!show_sweep_folder(*worker->snapshot(), view, send, std::move(*sweep), &why)) return fail("--open-sweep: " + brief_text(sweep_dir) + ": " + why);
        worker->sync();  // (a switch to the sweep's lab, when --preset named another)
    }

    if (movie_opt->count() > 0) {
        if (!session) worker->post(Command::step(steps ? *steps : cfg.train.steps));
        worker->sync();
        while (session && worker->snapshot()->loading && !g_quit_signal) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const SnapshotPtr s = worker->snapshot();
        for (int k = 0; k < 3; ++k) {  // (windows settle in a frame or two)
            host->frame(*s, view, send, req);
            req = HostRequests{};
        }
        MovieRequest mr;
        mr.path = movie_path;
        mr.every = movie_every;
        mr.scale = scale;
        mr.fps = movie_fps;
        mr.panel = movie_panel == "attention" ? static_cast<int>(Panel::Attention)
                   : movie_panel == "curves"  ? static_cast<int>(Panel::Curves)
                   : movie_panel == "controls" ? static_cast<int>(Panel::Controls)
                                               : -1;
        try {
            MovieJob job(mr, s);
            const bool tty = ::isatty(2);
            while (job.step(*host, view)) {
                if (g_quit_signal) {
                    job.cancel();
                    return fail("--movie: stopped by a signal; nothing was left behind");
                }
                if (tty) std::fprintf(stderr, "\rsnapscope: movie frame %zu of %zu", job.done(), job.total());
            }
            if (tty) std::fprintf(stderr, "\n");
            job.finish();
            std::printf("%s\n", job.summary().c_str());
        } catch (const std::exception& e) {
            return fail(std::string("--movie: ") + e.what());
        }
        return 0;
    }

    if (!screenshot.empty()) {
        if (tour) {
            // Each step set up in turn and trained to its pause (as fast as the machine goes), then drawn.
            view.tour.tour = tour;
            for (int i = 0; i < tour_step && !g_quit_signal; ++i) {
                apply_tour_step(*worker->snapshot(), view, send, i);
                worker->post(Command::set_speed(SpeedMode::Unlimited, 0));
                worker->sync();
                while (worker->snapshot()->free_running && !g_quit_signal) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        } else if (!session) {
            worker->post(Command::step(steps ? *steps : cfg.train.steps));
        }
        worker->sync();
        // A session is replayed in the background: the picture is of the session at its step.
        while (session && worker->snapshot()->loading && !g_quit_signal) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        for (int k = 0; k < frames; ++k) {
            const SnapshotPtr s = worker->snapshot();
            host->frame(*s, view, send, req);
            req = HostRequests{};
        }
        ImVec4 panels[3];
        const SnapshotPtr last = worker->snapshot();
        Image img;
        try {
            img = scale == 1 ? host->render_offscreen(1) : host->render_scaled(scale, *last, view, panels);
        } catch (const HostError& e) {
            return fail(std::string("--screenshot: ") + e.what());
        }
        if (img.width == 0) return fail("--screenshot: the offscreen framebuffer could not be created (the OpenGL driver refused it)");
        try {
            const auto parent = std::filesystem::path(screenshot).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent);
            write_png(screenshot, img.width, img.height, img.rgba);
        } catch (const std::exception& e) {
            return fail(e.what());
        }
        std::printf("wrote %s (%dx%d) at step %lld\n", screenshot.c_str(), img.width, img.height,
                    static_cast<long long>(worker->snapshot()->step));
        if (view.tour.tour) {
            const ImVec4 r = view.tour.panel_rect;
            std::printf("tour '%s' step %d of %zu; its panel at x %.0f y %.0f, %.0f x %.0f px (window pixels); %zu highlight(s) not on screen\n",
                        view.tour.tour->name.c_str(), view.tour.step + 1, view.tour.tour->steps.size(), r.x, r.y, r.z - r.x, r.w - r.y,
                        view.tour.missing.size());
        }
        return 0;
    }

    // The speed flag wins over the session's speed; without it, a session trains at its own.
    if (!session || session->speed_mode.empty() || speed_given) worker->post(Command::set_speed(mode, rate));
    if (tour) {
        view.tour.start = tour;  // the first frame sets up its first step
    } else if (!session) {
        worker->post(Command::stop_at(steps ? *steps : cfg.train.steps));
        worker->post(Command::play());
    }
    std::vector<double> build_ms, interval_ms, vertices;
    auto last = std::chrono::steady_clock::now();
    const auto start = last;
    auto last_autosave = last;
    // The running session, saved atomically every minute and on exit, so a crashed or killed run can be restored.
    auto autosave = [&] {
        if (autosave_path.empty()) return;
        try {
            const Session a = current_session(*worker->snapshot(), view);
            const auto parent = std::filesystem::path(autosave_path).parent_path();
            if (!parent.empty()) std::filesystem::create_directories(parent);
            save_session_file(autosave_path, a);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "snapscope: autosave failed: %s\n", e.what());
        }
    };
    std::int64_t first_step = -1;
    std::unique_ptr<MovieJob> movie;  // a movie being written, one frame per window frame
    try {
    // Frames start at most max_fps times a second (a frame that took longer starts the next one at once).
    const auto frame_period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(max_fps > 0 ? 1.0 / max_fps : 0.0));
    auto next_frame = std::chrono::steady_clock::now();
    while (!host->should_close() && !g_quit_signal) {
        if (max_fps > 0) {
            const auto now = std::chrono::steady_clock::now();
            if (now < next_frame) std::this_thread::sleep_until(next_frame);
            next_frame = std::max(next_frame + frame_period, now);
        }
        worker->post(Command::frame_tick());
        const SnapshotPtr s = worker->snapshot();
        if (first_step < 0) first_step = s->step;
        build_ms.push_back(1000 * host->frame(*s, view, send, req));
        vertices.push_back(ImGui::GetIO().MetricsRenderVertices);
        const bool want_movie = req.movie;
        serve(req, *host, *worker, *s, view);
        serve_movie(movie, want_movie, *host, s, view);
        const auto now = std::chrono::steady_clock::now();
        interval_ms.push_back(std::chrono::duration<double, std::milli>(now - last).count());
        last = now;
        if (std::chrono::duration<double>(now - last_autosave).count() > 60) {
            autosave();
            last_autosave = now;
        }
        if (seconds > 0 && std::chrono::duration<double>(now - start).count() > seconds) break;
    }
    } catch (const std::bad_alloc&) {
        autosave();
        return fail("out of memory while drawing; the session was autosaved" + (autosave_path.empty() ? std::string() : " to " + autosave_path));
    } catch (const std::exception& e) {
        autosave();
        return fail(std::string(e.what()) + "; the session was autosaved" + (autosave_path.empty() ? std::string() : " to " + autosave_path));
    }
    autosave();
    if (!settings_path.empty()) {
        UserSettings now;
        std::tie(now.width, now.height) = host->window_size();
        now.presenter = view.large_font;
        now.font_scale = view.font_scale;
        now.theme = view.theme;
        now.controls_fraction = view.controls_fraction;
        now.top_fraction = view.top_fraction;
        now.windows = remembered_window_places();
        try {
            save_user_settings(settings_path, now);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "snapscope: could not remember the window's settings: %s\n", e.what());
        }
    }
    if (g_quit_signal)
        std::fprintf(stderr, "snapscope: stopped by signal %d; %s%s\n", static_cast<int>(g_quit_signal),
                     autosave_path.empty() ? "autosave is off, so the session was not saved" : "the session was autosaved to ", autosave_path.c_str());
    if (stats && !build_ms.empty()) {
        auto report = [](const char* name, std::vector<double> v) {
            std::sort(v.begin(), v.end());
            std::printf("%s: median %.2f ms, p99 %.2f ms, worst %.2f ms over %zu frames\n", name, v[v.size() / 2],
                        v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back(), v.size());
        };
        std::printf("renderer: %s%s\n", host->renderer().c_str(),
                    lowered > 0 ? (" (" + std::to_string(lowered) + " rasteriser threads at nice " + std::to_string(rasterizer_nice) + ")").c_str() : "");
        report("frame build+draw", build_ms);
        if (interval_ms.size() > 1) report("frame interval", std::vector<double>(interval_ms.begin() + 1, interval_ms.end()));
        std::sort(vertices.begin(), vertices.end());
        std::printf("vertices drawn per frame: median %.0f, most %.0f\n", vertices[vertices.size() / 2], vertices.back());
        const SnapshotPtr s = worker->snapshot();
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("training: %lld steps in %.1f s (%.0f steps/s overall; worker's last measured rate %.0f steps/s)\n",
                    static_cast<long long>(s->step - first_step), el, (s->step - first_step) / el, s->steps_per_second);
    }
    return 0;
}
