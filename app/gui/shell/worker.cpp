#include "worker.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "snapscope/limits.hpp"

namespace snapscope::gui {

using Clock = std::chrono::steady_clock;

Worker::Worker(const Config& cfg, std::size_t history_capacity)
    : capacity_(history_capacity), frames_(history_capacity) {
    restart(cfg);
    publish();
    thread_ = std::thread([this] { loop(); });
}

Worker::~Worker() {
    quit_ = true;
    {
        std::lock_guard<std::mutex> lk(queue_mu_);
        pending_ = true;
    }
    queue_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Worker::post(Command c) {
    {
        std::lock_guard<std::mutex> lk(queue_mu_);
        queue_.push_back(std::move(c));
        ++posted_;
        pending_ = true;
    }
    queue_cv_.notify_all();
}

SnapshotPtr Worker::snapshot() const {
    std::lock_guard<std::mutex> lk(snap_mu_);
    return snap_;
}

void Worker::sync() {
    std::uint64_t target;
    {
        std::unique_lock<std::mutex> lk(queue_mu_);
        target = posted_;
        synced_cv_.wait(lk, [&] { return applied_.load() >= target || quit_.load(); });
    }
    // Wait for a snapshot published after those commands; owed steps (Step n) finish shortly after: wait for them
    // too, unless the run is playing freely (then there is no end to wait for).
    for (int i = 0; i < 60000; ++i) {
        const SnapshotPtr s = snapshot();
        if (s->commands_applied >= target && !s->loading && (!s->playing || s->free_running)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

Worker::Built Worker::build(Config c, const nlohmann::json& data, const std::vector<std::string>& companions, bool strict,
                            std::size_t capacity) {
    c.history.capacity = static_cast<int>(std::max<std::size_t>(capacity, 16));
    Built b;
    b.run = make_window_run(c, data);
    b.cap = std::min(capacity, history_records(c, 0.5, b.run->frame_bytes(), "the window's frames"));
    // The companions named go on with the new run when its lab offers them.
    const std::vector<std::string> offered = b.run->companions();
    for (const std::string& name : companions) {
        if (std::find(offered.begin(), offered.end(), name) == offered.end()) continue;
        auto comp = std::make_unique<Companion>();
        comp->name = name;
        std::size_t ccap = 4;
        try {
            comp->run = b.run->make_companion(name, capacity, ccap);
        } catch (const std::exception& e) {
            if (strict) throw;
            b.warnings.push_back("Cannot run the companion '" + name + "': " + e.what());
            continue;
        }
        comp->frames.set_capacity(ccap);
        b.companions.push_back(std::move(comp));
    }
    return b;
}

void Worker::adopt(Built b) {
    replay_.reset();
    run_ = std::move(b.run);
    companions_ = std::move(b.companions);
    frames_.set_capacity(b.cap);
    frames_.clear();
    frames_seen_ = 0;
    info_ = run_->info();
    const nlohmann::json sd = lab().session_data();
    session_data_ = sd.is_null() ? nullptr : std::make_shared<const nlohmann::json>(sd);
    catch_up();
    const std::vector<LrGroup> g = lab().lr_groups();
    ratio_ = g.size() >= 2 && g[0].value > 0 ? g[1].value / g[0].value : 1.0;
    message_.clear();
    steps_owed_ = 0;
    ++run_id_;
    dirty_ = true;
}

void Worker::restart(const Config& cfg, const nlohmann::json* data) {
    // Any of these may throw: the old run stays.
    adopt(build(cfg, data ? *data : nlohmann::json(), companion_names(), true, capacity_));
}

void Worker::start_build(const Config& cfg, nlohmann::json data, std::vector<std::string> companions, bool strict, std::string what,
                         std::function<void()> then) {
    auto b = std::make_unique<Build>();
    b->what = std::move(what);
    b->then = std::move(then);
    b->t0 = Clock::now();
    // The task owns copies of what it reads; reading the data file reports its progress and stops when cancelled.
    b->task = std::make_shared<Task<Built>>(
        [cfg, data = std::move(data), companions = std::move(companions), strict, capacity = capacity_](TaskContext& ctx) {
            LoadMonitor monitor([&ctx](double p) { ctx.progress(p); }, [&ctx] { return ctx.cancelled(); });
            try {
                return build(cfg, data, companions, strict, capacity);
            } catch (const std::bad_alloc&) {
                throw std::runtime_error("Out of memory while preparing the run: make it smaller, or lower limits.memory_mb so "
                                         "such a run is refused up front");
            }
        });
    build_ = std::move(b);
    dirty_ = true;
}

bool Worker::finish_build() {
    if (!build_ || !build_->task->ready()) return false;
    std::unique_ptr<Build> b = std::move(build_);
    std::optional<Built> r = b->task->take();
    dirty_ = true;
    if (!r) {
        say(b->task->error(), true);  // the run shown stays
        return true;
    }
    std::vector<std::string> warnings = std::move(r->warnings);
    adopt(std::move(*r));
    if (b->then) b->then();
    if (!warnings.empty()) {
        std::string all;
        for (const std::string& w : warnings) all += (all.empty() ? "" : "; ") + w;
        say(all, true);
    }
    return true;
}

// What a build shows while it runs.
static std::string build_title(const Config& cfg) {
    return cfg.data.kind != "synthetic" && !cfg.data.path.empty() ? "Loading " + cfg.data.path : "Preparing the run";
}

void Worker::set_lr(const std::string& name, double value) {
    const double v = std::max(0.0, value);
    const std::vector<LrGroup> g = lab().lr_groups();
    // With the ratio lock, the first two groups move together (as the first, then the second, like the sliders).
    std::vector<std::pair<std::string, double>> changes;
    if (ratio_locked_ && g.size() >= 2 && name == g[0].name) changes = {{g[0].name, v}, {g[1].name, v * ratio_}};
    else if (ratio_locked_ && g.size() >= 2 && name == g[1].name && g[0].value > 0) changes = {{g[0].name, v / ratio_}, {g[1].name, v}};
    else changes = {{name, v}};
    try {
        for (const auto& [n, x] : changes) {
            lab().set_lr(n, x);
            for (auto& c : companions_) c->run->run().set_lr(n, x);
        }
    } catch (const std::exception& e) {
        say(e.what(), true);
    }
}

void Worker::set_companion(const std::string& name, bool on) {
    auto it = std::find_if(companions_.begin(), companions_.end(), [&](const auto& c) { return c->name == name; });
    if (!on) {
        if (it != companions_.end()) companions_.erase(it);
        return;
    }
    if (it != companions_.end()) return;
    auto comp = std::make_unique<Companion>();
    comp->name = name;
    try {
        std::size_t cap = 4;
        comp->run = run_->make_companion(name, capacity_, cap);
        comp->frames.set_capacity(cap);
    } catch (const std::exception& e) {
        say("Cannot run the companion '" + name + "': " + e.what(), true);
        return;
    }
    // The companion must have seen the same learning-rate history: replay it from the start.
    std::size_t next = 0;
    const std::vector<RunEvent>& ev = lab().events();
    LabRun& cr = comp->run->run();
    while (true) {
        apply_due_events(cr, ev, next);
        cr.record_now();
        take_frame(*comp->run, comp->frames, comp->seen);
        if (cr.step_index() >= step_index() || !cr.step()) break;
        comp->run->after_step();
    }
    companions_.push_back(std::move(comp));
}

bool Worker::replay_slice(std::chrono::steady_clock::duration budget) {
    Replay& r = *replay_;
    const auto t0 = Clock::now();
    while (true) {
        const std::size_t from = r.next;
        apply_due_events(lab(), r.events, r.next);
        for (auto& c : companions_)
            for (std::size_t i = from; i < r.next; ++i) apply_event(c->run->run(), r.events[i]);
        if (step_index() >= r.target) return true;
        if (!step_once()) return true;  // diverged: step_once said so
        if (quit_.load(std::memory_order_relaxed) || pending_.load(std::memory_order_relaxed) || Clock::now() - t0 > budget) return false;
    }
}

bool Worker::step_once() {
    LabRun& r = lab();
    if (!r.step()) {
        say(r.divergence_message(), true);
        playing_ = false;
        steps_owed_ = 0;
        dirty_ = true;
        return false;
    }
    run_->after_step();
    take_frame(*run_, frames_, frames_seen_);  // (see WindowRun::after_step)
    for (auto& c : companions_)
        if (c->run->run().step()) {
            c->run->after_step();
            take_frame(*c->run, c->frames, c->seen);
        }
    ++rate_steps_;
    dirty_ = true;
    if (stop_at_ > 0 && r.step_index() == stop_at_ && playing_) {
        playing_ = false;
        const auto info = run_->info();
        const bool end = info && stop_at_ == info->config.train.steps;
        say("Reached step " + std::to_string(stop_at_) + (end ? " (train.steps)" : " (the pause asked for)") + ". Press Play to continue.", false);
    }
    return true;
}

void Worker::apply(const Command& c) {
    using K = Command::Kind;
    switch (c.kind) {
        case K::Play:
            if (lab().diverged()) lab().clear_divergence();
            message_.clear();
            playing_ = true;
            budget_ = 0;
            budget_t_ = Clock::now();
            break;
        case K::Pause:
            playing_ = false;
            steps_owed_ = 0;
            break;
        case K::Step:
            if (lab().diverged()) {
                lab().clear_divergence();
                message_.clear();
            }
            playing_ = false;
            steps_owed_ += std::max<std::int64_t>(c.count, 0);
            break;
        case K::Reset: {
            // The same run (its rates as they are now, its lab data) with a new seed, built in the background.
            const Config cfg = run_->reset_config(c.seed);
            start_build(cfg, run_->reset_data(), companion_names(), true, build_title(cfg), nullptr);
            break;
        }
        case K::SetLr:
            set_lr(c.name, c.value);
            break;
        case K::LockRatio: {
            ratio_locked_ = c.flag;
            const std::vector<LrGroup> g = lab().lr_groups();
            ratio_ = g.size() >= 2 && g[0].value > 0 ? g[1].value / g[0].value : 1.0;
            break;
        }
        case K::SetSpeed:
            speed_ = c.speed;
            speed_value_ = std::max(c.value, 0.0);
            budget_ = 0;
            budget_t_ = Clock::now();
            break;
        case K::FrameTick:
            if (playing_ && speed_ == SpeedMode::StepsPerFrame) steps_owed_ += static_cast<std::int64_t>(std::max(1.0, speed_value_));
            break;
        case K::LoadConfig: {
            // Built in the background; a new config (another lab, a preset) pauses at its own train.steps.
            const Config cfg = c.flag ? run_->with_current_rates(*c.config) : *c.config;
            const std::int64_t stop = c.config->train.steps;
            start_build(cfg, nlohmann::json(), companion_names(), true, build_title(cfg), [this, stop] { stop_at_ = stop; });
            playing_ = false;
            break;
        }
        case K::LoadSession: {
            // Its run and companion runs (from step 0, so the replay steps them too) are built in the background; then
            // its speed, and the replay, which runs in slices from the loop, so the window stays live, Cancel works and
            // quitting is immediate, whatever the session's step.
            std::shared_ptr<const Session> session = c.session;
            start_build(session->config, session->data, session->companions, false, build_title(session->config), [this, session] {
                stop_at_ = session->config.train.steps;
                if (!session->speed_mode.empty()) {
                    speed_ = speed_mode_of(session->speed_mode);
                    speed_value_ = session->speed_value;
                }
                auto r = std::make_unique<Replay>();
                r->events = session->events;
                r->target = session->step;
                r->start_step = step_index();
                r->t0 = Clock::now();
                replay_ = std::move(r);
                say("Loading a session: replaying to step " + std::to_string(session->step), false);
            });
            playing_ = false;
            break;
        }
        case K::CancelLoad:
            if (build_) {
                say("Stopped: " + build_->what + " (cancelled); the run shown stays", false);
                build_.reset();  // cancels the task; it ends on its own
            }
            if (replay_) {
                say("Stopped loading at step " + std::to_string(step_index()) + " of " + std::to_string(replay_->target) +
                        "; press Play to go on from here",
                    false);
                replay_.reset();
            }
            break;
        case K::Export:
            try {
                lab().write_results(lab().prepare_folder(c.path), RunTiming{rate_, 0.0, false});
                say("Wrote " + c.path + "/{config.json, trajectory.csv, final.json}", false);
            } catch (const std::exception& e) {
                say(std::string("Export failed: ") + e.what(), true);
            }
            break;
        case K::StopAt:
            stop_at_ = c.count;
            break;
        case K::Lab:
            try {
                const WindowRun::LabCommandResult r = run_->apply(*c.lab);
                if (r.restart) restart(config(), &r.data);
                if (!r.message.empty()) say(r.message, false);
            } catch (const std::exception& e) {
                say(e.what(), true);
            }
            playing_ = false;
            break;
        case K::SetCompanion:
            set_companion(c.name, c.flag);
            break;
    }
    dirty_ = true;
}

void Worker::take_frame(const WindowRun& run, ThinningHistory<FramePtr>& frames, std::uint64_t& seen) {
    const std::uint64_t n = run.record_count();
    if (n == seen || n == 0) return;
    seen = n;
    frames.push(run.frame());  // a record of a step already shown (a rate changed) replaces its frame
}

void Worker::catch_up() {
    // The newest state, recorded now that it is shown.
    lab().record_now();
    take_frame(*run_, frames_, frames_seen_);
    for (auto& c : companions_) {
        c->run->run().record_now();
        take_frame(*c->run, c->frames, c->seen);
    }
}

void Worker::publish() {
    catch_up();
    auto s = std::make_shared<Snapshot>();
    s->serial = ++serial_;
    s->commands_applied = applied_.load();
    s->run_id = run_id_;
    s->info = info_;
    s->step = step_index();
    s->playing = playing_ || steps_owed_ > 0;
    s->free_running = playing_;
    s->speed = speed_;
    s->speed_value = speed_value_;
    s->diverged = diverged();
    s->message = message_;
    s->message_is_error = message_error_;
    s->lrs = lab().lr_groups();
    s->ratio_locked = ratio_locked_;
    s->companions_offered = run_->companions();
    s->steps_per_second = rate_;
    s->seed = config().train.seed;
    s->frames = frames_.items();
    s->live = run_->live();
    for (const auto& c : companions_) s->companions.push_back({c->name, c->frames.items()});
    s->frame_capacity = frames_.capacity();
    s->stop_at = stop_at_;
    if (build_) {
        s->loading = true;
        s->load_what = build_->what;
        s->load_fraction = build_->task->progress();
        s->load_seconds = std::chrono::duration<double>(Clock::now() - build_->t0).count();
    } else if (replay_) {
        s->loading = true;
        s->load_target = replay_->target;
        const double el = std::chrono::duration<double>(Clock::now() - replay_->t0).count();
        s->load_rate = el > 0 ? static_cast<double>(step_index() - replay_->start_step) / el : 0.0;
    }
    s->session_data = session_data_;
    {
        const std::vector<RunEvent>& ev = lab().events();
        const auto same = [](const RunEvent& a, const RunEvent& b) {
            return a.step == b.step && a.name == b.name && a.old_value == b.old_value && a.new_value == b.new_value;
        };
        if (!events_shared_ || events_shared_->size() != ev.size() || (!ev.empty() && !same(events_shared_->back(), ev.back())))
            events_shared_ = std::make_shared<const std::vector<RunEvent>>(ev);
        s->events = EventList(events_shared_);
    }
    {
        std::lock_guard<std::mutex> lk(snap_mu_);
        snap_ = std::move(s);
    }
    last_publish_ = Clock::now();
    dirty_ = false;
}

void Worker::loop() {
    // Yield the CPU to the UI thread when both want it: a frame must not wait for training.
    setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 5);
    rate_t0_ = Clock::now();
    while (!quit_) {
        // Nothing may escape the thread (that would end the program): running out of memory, or any other failure,
        // pauses the run with a message and keeps the window alive.
        try {
            loop_once();
        } catch (const std::bad_alloc&) {
            recover("Out of memory: the run is paused. Lower limits.memory_mb so such a run is refused up front, make it "
                    "smaller, or close other programs.");
        } catch (const std::exception& e) {
            recover(std::string("Stopped: ") + e.what());
        }
    }
}

void Worker::recover(const std::string& msg) {
    playing_ = false;
    steps_owed_ = 0;
    replay_.reset();
    build_.reset();
    backlog_.clear();
    say(msg, true);
    try {
        publish();
    } catch (...) {
    }
    applied_ = posted_snapshot();
    std::lock_guard<std::mutex> lk(queue_mu_);
    synced_cv_.notify_all();
}

std::uint64_t Worker::posted_snapshot() {
    std::lock_guard<std::mutex> lk(queue_mu_);
    return posted_ - queue_.size();
}

void Worker::loop_once() {
    {
        // 1. Apply queued commands in order. A command posted after "Step n" waits until those n steps are done,
        //    except Pause, Reset and loads, which cancel the steps still owed.
        {
            std::lock_guard<std::mutex> lk(queue_mu_);
            for (auto& c : queue_) backlog_.push_back(std::move(c));
            queue_.clear();
            pending_ = false;
        }
        using K = Command::Kind;
        for (const Command& c : backlog_) {
            if (c.kind == K::Pause || c.kind == K::Reset || c.kind == K::LoadConfig || c.kind == K::LoadSession) steps_owed_ = 0;
            // These end a session load (Cancel too: applied below); everything else waits until the load is done.
            if (replay_ && (c.kind == K::Reset || c.kind == K::LoadConfig || c.kind == K::LoadSession || c.kind == K::Lab))
                replay_.reset();
            // A newer restart replaces a run still being built.
            if (build_ && (c.kind == K::Reset || c.kind == K::LoadConfig || c.kind == K::LoadSession)) build_.reset();
        }
        bool applied_any = false;
        if (replay_ || build_) {
            // Apply the Cancel (if any) at once; keep the rest for after the load.
            for (auto it = backlog_.begin(); it != backlog_.end();) {
                if (it->kind == K::CancelLoad) {
                    apply(*it);
                    it = backlog_.erase(it);
                    ++applied_;
                    applied_any = true;
                } else {
                    ++it;
                }
            }
        }
        while (!backlog_.empty() && steps_owed_ == 0 && !replay_ && !build_) {
            apply(backlog_.front());
            backlog_.pop_front();
            ++applied_;
            applied_any = true;
        }
        if (applied_any) {
            publish();
            std::lock_guard<std::mutex> lk(queue_mu_);
            synced_cv_.notify_all();
        }

        // 2. A run being built: take it when it is done, else show the progress and wait a little.
        if (build_) {
            if (!finish_build()) {
                if (Clock::now() - last_publish_ > std::chrono::milliseconds(50)) publish();
                std::unique_lock<std::mutex> lk(queue_mu_);
                queue_cv_.wait_for(lk, std::chrono::milliseconds(5), [&] { return pending_.load() || quit_.load(); });
                return;
            }
            publish();
            std::lock_guard<std::mutex> lk(queue_mu_);
            synced_cv_.notify_all();
            if (!replay_) return;
        }

        // 3. A session replay: a slice of it, then publish the progress.
        if (replay_) {
            if (replay_slice(std::chrono::milliseconds(8))) {
                if (!lab().diverged()) say("Loaded a session at step " + std::to_string(step_index()), false);
                replay_.reset();
                steps_owed_ = 0;
            }
            dirty_ = true;
            const auto now = Clock::now();
            if (now - last_publish_ > std::chrono::milliseconds(16) || !replay_) {
                publish();
                std::lock_guard<std::mutex> lk(queue_mu_);
                synced_cv_.notify_all();
            }
            return;
        }

        // 4. Step for at most ~4 ms, stopping early when a command arrives.
        const auto t0 = Clock::now();
        // (Checked afresh at every step: reaching train.steps or diverging pauses the run mid-loop.)
        auto free_running = [&] { return playing_ && speed_ != SpeedMode::StepsPerFrame; };
        if (free_running() || steps_owed_ > 0) {
            while (!pending_.load(std::memory_order_relaxed) && Clock::now() - t0 < std::chrono::milliseconds(4)) {
                if (steps_owed_ > 0) {
                    if (!step_once()) break;
                    --steps_owed_;
                    if (steps_owed_ == 0 && (!free_running() || !backlog_.empty())) break;
                    continue;
                }
                if (!free_running()) break;
                if (speed_ == SpeedMode::StepsPerSecond) {
                    const auto now = Clock::now();
                    budget_ = std::min(budget_ + speed_value_ * std::chrono::duration<double>(now - budget_t_).count(),
                                       std::max(1.0, speed_value_ * 0.1));
                    budget_t_ = now;
                    if (budget_ < 1.0) break;
                    budget_ -= 1.0;
                }
                if (!step_once()) break;
            }
        }

        // 5. Measure the rate once a second.
        const auto now = Clock::now();
        const double el = std::chrono::duration<double>(now - rate_t0_).count();
        if (el >= 1.0) {
            rate_ = rate_steps_ / el;
            rate_steps_ = 0;
            rate_t0_ = now;
            dirty_ = true;
        }

        // 6. Publish at most ~60 times a second while stepping; at once when idle.
        const bool busy = (playing_ && speed_ != SpeedMode::StepsPerFrame) || steps_owed_ > 0 || !backlog_.empty();  // (a replay returned above)
        if (dirty_ && (!busy || now - last_publish_ > std::chrono::milliseconds(16))) publish();

        // 7. Idle: sleep until a command arrives (or the rate limiter allows a step).
        if (!busy || (speed_ == SpeedMode::StepsPerSecond && budget_ < 1.0)) {
            std::unique_lock<std::mutex> lk(queue_mu_);
            const auto wait = busy ? std::chrono::milliseconds(2) : std::chrono::milliseconds(250);
            queue_cv_.wait_for(lk, wait, [&] { return pending_.load() || quit_.load(); });
        }
    }
}

}  // namespace snapscope::gui
