#include "worker.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "snapscope/scansnap_output.hpp"
#include "snapscope/tpg_output.hpp"

namespace snapscope::gui {

using Clock = std::chrono::steady_clock;

namespace {

std::shared_ptr<const RunInfo> make_info(const ScanSnapRun& run) {
    auto info = std::make_shared<RunInfo>();
    info->config = run.config();
    info->M = run.vocab_size();
    info->tokens = run.data().tokens();
    info->classes = run.data().classes();
    info->queries = run.data().queries();
    for (int t = 0; t < info->M; ++t) info->token_labels.push_back(run.data().describe_token(t));
    return info;
}

double frame_bytes(const ScanSnapRun& run) {
    const double K = static_cast<double>(run.data().classes().size()), Q = static_cast<double>(run.data().queries().size());
    return sizeof(Frame) + 8 * (2 * K + (K + Q) * run.vocab_size()) + 256;
}

double frame_bytes(const TpgRun& run) {
    double att = 0;
    const std::size_t n = std::min(run.data().samples.size(), kTpgShownSamples);
    for (std::size_t i = 0; i < n; ++i) att += 8.0 * static_cast<double>(run.data().samples[i].tokens.size()) + 24;
    return sizeof(Frame) + 8.0 * run.model().d() * run.model().d() + att + 256;
}

// The mean-field twin of `run` (config `cfg`) and, in `cap`, how many frames it may keep (a quarter of
// history.budget_mb, at most `capacity`). The twin is a second model of the same size: both must fit in
// limits.memory_mb together, else a ConfigError says so.
std::unique_ptr<ScanSnapRun> make_twin(const Config& cfg, const ScanSnapRun& run, std::size_t capacity, std::size_t& cap) {
    Config m = cfg;
    m.train.mode = "mean_field";
    const double both =
        scansnap_memory(cfg, run.shape(), RunHistoryPlan{0.2, 0}).total() + scansnap_memory(m, run.shape(), RunHistoryPlan{0.05, 0}).total();
    const std::uint64_t limit = memory_limit_bytes(cfg);
    if (both > static_cast<double>(limit))
        throw ConfigError("limits.memory_mb", "the run and its mean-field twin would need about " + format_bytes(both) +
                                                  " together, more than limits.memory_mb (" + format_bytes(static_cast<double>(limit)) +
                                                  "); turn the twin off or make the run smaller");
    cap = std::min(capacity, history_records(m, 0.25, frame_bytes(run), "the mean-field twin's frames"));
    return std::make_unique<ScanSnapRun>(m, RunHistoryPlan{0.05, 0});
}

}  // namespace

FramePtr Worker::make_frame(const ScanSnapRun& run) {
    const ScalarRecord& s = run.scalars().back();
    const MatrixRecord& m = run.matrices().back();
    auto f = std::make_shared<Frame>();
    f->step = s.step;
    f->loss = s.loss;
    f->lr_z = s.lr_z;
    f->lr_y = s.lr_y;
    f->common_mass = s.common_mass;
    f->distinct_entropy = s.distinct_entropy;
    f->attention = m.attention;
    f->zrows = m.zrows;
    return f;
}

FramePtr Worker::make_tpg_frame(const TpgRun& run) {
    const TpgRecord& r = run.history().back();
    auto f = std::make_shared<Frame>();
    f->step = r.step;
    f->loss = r.loss;
    f->lr_z = r.lr;
    f->tpg = r.metrics;
    f->W.assign(run.model().W.data(), run.model().W.data() + run.model().W.size());
    // Per-sample attention for the first kTpgShownSamples samples only: the history keeps thousands of frames.
    const std::size_t n = std::min(run.data().samples.size(), kTpgShownSamples);
    for (std::size_t i = 0; i < n; ++i) f->sample_attention.push_back(run.model().attention(run.data().samples[i].tokens));
    return f;
}

void Worker::restart_tpg(const Config& cfg, const TpgDataset* data) {
    Config c = cfg;
    c.history.capacity = static_cast<int>(std::max<std::size_t>(capacity_, 16));
    auto run = data ? std::make_unique<TpgRun>(c, *data) : std::make_unique<TpgRun>(c);  // may throw: the old lab stays
    // The frames' share of history.budget_mb (throws, keeping the old lab, when not even 4 frames fit).
    const std::size_t cap = std::min(capacity_, history_records(c, 0.5, frame_bytes(*run), "the window's frames"));
    replay_.reset();
    frames_.set_capacity(cap);
    tpg_ = std::move(run);
    run_.reset();
    twin_run_.reset();
    mean_field_ = false;
    auto ti = std::make_shared<TpgInfo>();
    ti->data = tpg_->data();
    ti->graphs = tpg_->graphs();
    ti->E = tpg_->model().E();
    ti->W_svm = tpg_->svm().W;
    ti->W_fin = tpg_->fin().W_fin;
    ti->svm = tpg_->svm();
    ti->fin_note = tpg_->fin().note;
    ti->orthonormal = tpg_->orthonormal();
    ti->d = tpg_->model().d();
    tpg_info_ = ti;
    const nlohmann::json sd = tpg_->session_data();
    session_data_ = sd.is_null() ? nullptr : std::make_shared<const nlohmann::json>(sd);
    auto info = std::make_shared<RunInfo>();
    info->config = tpg_->config();
    info->M = tpg_->data().K;
    info->tokens.assign(info->M, TokenInfo{});
    for (int t = 0; t < info->M; ++t) info->token_labels.push_back(std::to_string(t));
    info_ = info;
    frames_.clear();
    twin_frames_.clear();
    tpg_->record_now();
    frames_.push(make_tpg_frame(*tpg_));
    message_.clear();
    steps_owed_ = 0;
    ++run_id_;
    dirty_ = true;
}

Worker::Worker(const Config& cfg, std::size_t history_capacity)
    : capacity_(history_capacity), frames_(history_capacity), twin_frames_(history_capacity) {
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

void Worker::restart(const Config& cfg, const nlohmann::json* session_data) {
    if (cfg.model.kind == "tpg") {
        if (session_data && !session_data->is_null()) {
            const TpgDataset data = tpg_dataset_from_json(*session_data, "session");
            restart_tpg(cfg, &data);
        } else {
            restart_tpg(cfg, nullptr);
        }
        return;
    }
    Config c = cfg;
    c.history.capacity = static_cast<int>(std::max<std::size_t>(capacity_, 16));
    // The run keeps its trajectory (a fifth of history.budget_mb); the frames below keep the matrices (half of it;
    // the mean-field twin's frames a quarter). Any of these may throw: the old run stays.
    auto run = std::make_unique<ScanSnapRun>(c, RunHistoryPlan{0.2, 0});
    const std::size_t cap = std::min(capacity_, history_records(c, 0.5, frame_bytes(*run), "the window's frames"));
    std::size_t twin_cap = 4;
    std::unique_ptr<ScanSnapRun> twin;
    if (mean_field_) twin = make_twin(c, *run, capacity_, twin_cap);
    replay_.reset();
    run_ = std::move(run);
    twin_run_ = std::move(twin);
    frames_.set_capacity(cap);
    twin_frames_.set_capacity(twin_cap);
    tpg_.reset();
    tpg_info_.reset();
    session_data_.reset();
    info_ = make_info(*run_);
    frames_.clear();
    twin_frames_.clear();
    frames_seen_ = twin_frames_seen_ = 0;
    catch_up();
    ratio_ = run_->lr_z() > 0 ? run_->lr_y() / run_->lr_z() : 1.0;
    message_.clear();
    steps_owed_ = 0;
    ++run_id_;
    dirty_ = true;
}

bool Worker::replay_slice(std::chrono::steady_clock::duration budget) {
    Replay& r = *replay_;
    const auto t0 = Clock::now();
    while (true) {
        const std::size_t from = r.next;
        apply_due_events(lab(), r.events, r.next);
        if (twin_run_)
            for (std::size_t i = from; i < r.next; ++i) apply_event(*twin_run_, r.events[i]);
        if (step_index() >= r.target) return true;
        if (!step_once()) return true;  // diverged: step_once said so
        if (quit_.load(std::memory_order_relaxed) || pending_.load(std::memory_order_relaxed) || Clock::now() - t0 > budget) return false;
    }
}

bool Worker::step_once() {
    if (tpg_) {
        if (!tpg_->step()) {
            say(tpg_->divergence_message(), true);
            playing_ = false;
            steps_owed_ = 0;
            dirty_ = true;
            return false;
        }
        tpg_->record_now();
        frames_.push(make_tpg_frame(*tpg_));
        ++rate_steps_;
        dirty_ = true;
        if (stop_at_ > 0 && tpg_->step_index() == stop_at_ && playing_) {
            playing_ = false;
            say("Reached step " + std::to_string(stop_at_) + " (train.steps). Press Play to continue.", false);
        }
        return true;
    }
    if (!run_->step()) {
        say(run_->divergence_message(), true);
        playing_ = false;
        steps_owed_ = 0;
        dirty_ = true;
        return false;
    }
    take_frame(*run_, frames_, frames_seen_);  // the state this step started from
    if (twin_run_ && twin_run_->step()) take_frame(*twin_run_, twin_frames_, twin_frames_seen_);
    ++rate_steps_;
    dirty_ = true;
    if (stop_at_ > 0 && run_->step_index() == stop_at_ && playing_) {
        playing_ = false;
        say("Reached step " + std::to_string(stop_at_) + " (train.steps). Press Play to continue.", false);
    }
    return true;
}

void Worker::apply(const Command& c) {
    using K = Command::Kind;
    if (c.kind == K::SetTpgData) {
        try {
            Config cfg = config();
            if (cfg.model.kind != "tpg") throw ConfigError("model.kind", "the training-set editor belongs to the tpg lab");
            restart_tpg(cfg, c.tpg_data.get());
            say("Restarted on the edited training set (" + std::to_string(c.tpg_data->samples.size()) + " samples)", false);
        } catch (const std::exception& e) {
            say(e.what(), true);
        }
        playing_ = false;
        dirty_ = true;
        return;
    }
    if (tpg_) {
        // The token-priority-graph lab: one learning rate, no mean-field twin (sessions: below, for both labs).
        switch (c.kind) {
            case K::Play:
                tpg_->clear_divergence();
                message_.clear();
                playing_ = true;
                budget_ = 0;
                budget_t_ = Clock::now();
                break;
            case K::Step:
                tpg_->clear_divergence();
                playing_ = false;
                steps_owed_ += std::max<std::int64_t>(c.count, 0);
                break;
            case K::Reset: {
                Config cfg = tpg_->config();
                cfg.train.seed = c.seed;
                cfg.train.lr = tpg_->lr();
                const TpgDataset data = tpg_->data();
                // Same training set (it may have been edited); new initial W from the seed.
                restart_tpg(cfg, &data);
                break;
            }
            case K::SetLrZ:
                tpg_->set_lr(std::max(0.0, c.value));
                break;
            case K::Export:
                try {
                    write_run_files(c.path, *tpg_, RunTiming{rate_, 0.0, false});
                    say("Wrote " + c.path + "/{config.json, trajectory.csv, final.json}", false);
                } catch (const std::exception& e) {
                    say(std::string("Export failed: ") + e.what(), true);
                }
                break;
            case K::SetLrY:
            case K::LockRatio:
            case K::SetMeanField:
                break;  // not part of this lab
            case K::LoadSession:
            case K::CancelLoad:
                break;  // handled below (it may switch labs)
            default:
                goto common;
        }
        if (c.kind != K::LoadSession && c.kind != K::CancelLoad) {
            dirty_ = true;
            return;
        }
    }
common:
    switch (c.kind) {
        case K::Play:
            if (run_->diverged()) run_->clear_divergence();
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
            if (run_->diverged()) {
                run_->clear_divergence();
                message_.clear();
            }
            playing_ = false;
            steps_owed_ += std::max<std::int64_t>(c.count, 0);
            break;
        case K::Reset: {
            Config cfg = run_->config();
            cfg.train.seed = c.seed;
            cfg.train.lr_z = run_->lr_z();
            cfg.train.lr_y = run_->lr_y();
            cfg.train.lr_y_over_z.reset();
            restart(cfg);
            break;
        }
        case K::SetLrZ: {
            const double v = std::max(0.0, c.value);
            run_->set_lr_z(v);
            if (twin_run_) twin_run_->set_lr_z(v);
            if (ratio_locked_) {
                run_->set_lr_y(v * ratio_);
                if (twin_run_) twin_run_->set_lr_y(v * ratio_);
            }
            break;
        }
        case K::SetLrY: {
            const double v = std::max(0.0, c.value);
            if (ratio_locked_ && run_->lr_z() > 0) {
                // Keep the ratio: move lr_z with lr_y.
                const double z = v / ratio_;
                run_->set_lr_z(z);
                if (twin_run_) twin_run_->set_lr_z(z);
            }
            run_->set_lr_y(v);
            if (twin_run_) twin_run_->set_lr_y(v);
            break;
        }
        case K::LockRatio:
            ratio_locked_ = c.flag;
            ratio_ = run_->lr_z() > 0 ? run_->lr_y() / run_->lr_z() : 1.0;
            break;
        case K::SetSpeed:
            speed_ = c.speed;
            speed_value_ = std::max(c.value, 0.0);
            budget_ = 0;
            budget_t_ = Clock::now();
            break;
        case K::FrameTick:
            if (playing_ && speed_ == SpeedMode::StepsPerFrame) steps_owed_ += static_cast<std::int64_t>(std::max(1.0, speed_value_));
            break;
        case K::LoadConfig:
            try {
                restart(*c.config);
                stop_at_ = c.config->train.steps;  // a new config (another lab, a preset) pauses at its own train.steps
            } catch (const std::exception& e) {
                say(e.what(), true);
            }
            playing_ = false;
            break;
        case K::LoadSession:
            try {
                restart(c.session->config, &c.session->data);
                stop_at_ = c.session->config.train.steps;
                // The replay runs in slices from the loop, so the window stays live, Cancel works and quitting is
                // immediate, whatever the session's step.
                auto r = std::make_unique<Replay>();
                r->events = c.session->events;
                r->target = c.session->step;
                r->start_step = step_index();
                r->t0 = Clock::now();
                replay_ = std::move(r);
                say("Loading a session: replaying to step " + std::to_string(c.session->step), false);
            } catch (const std::exception& e) {
                say(e.what(), true);
            }
            playing_ = false;
            break;
        case K::CancelLoad:
            if (replay_) {
                say("Stopped loading at step " + std::to_string(step_index()) + " of " + std::to_string(replay_->target) +
                        "; press Play to go on from here",
                    false);
                replay_.reset();
            }
            break;
        case K::Export:
            try {
                write_run_files(c.path, *run_, RunTiming{rate_, 0.0, false});
                say("Wrote " + c.path + "/{config.json, trajectory.csv, final.json}", false);
            } catch (const std::exception& e) {
                say(std::string("Export failed: ") + e.what(), true);
            }
            break;
        case K::StopAt:
            stop_at_ = c.count;
            break;
        case K::SetTpgData:
            break;  // handled above
        case K::SetMeanField:
            if (c.flag != mean_field_) {
                mean_field_ = c.flag;
                // The twin must have seen the same learning-rate history: replay it from the start.
                if (mean_field_) {
                    try {
                        std::size_t cap = 4;
                        twin_run_ = make_twin(run_->config(), *run_, capacity_, cap);
                        twin_frames_.set_capacity(cap);
                    } catch (const std::exception& e) {
                        say(std::string("Cannot run the mean-field twin: ") + e.what(), true);
                        mean_field_ = false;
                        break;
                    }
                    twin_frames_.clear();
                    twin_frames_seen_ = 0;
                    std::size_t next = 0;
                    const auto& ev = run_->events();
                    while (true) {
                        apply_due_events(*twin_run_, ev, next);
                        twin_run_->record_now();
                        take_frame(*twin_run_, twin_frames_, twin_frames_seen_);
                        if (twin_run_->step_index() >= run_->step_index() || !twin_run_->step()) break;
                    }
                } else {
                    twin_run_.reset();
                    twin_frames_.clear();
                }
            }
            break;
    }
    dirty_ = true;
}

void Worker::take_frame(const ScanSnapRun& run, ThinningHistory<FramePtr>& frames, std::uint64_t& seen) {
    if (run.record_count() == seen || run.scalars().empty()) return;
    seen = run.record_count();
    frames.push(make_frame(run));  // a record of a step already shown (a rate changed) replaces its frame
}

void Worker::catch_up() {
    // The newest state, recorded now that it is shown (the loss of the batch its next step will use).
    if (run_) {
        run_->record_now();
        take_frame(*run_, frames_, frames_seen_);
    }
    if (twin_run_) {
        twin_run_->record_now();
        take_frame(*twin_run_, twin_frames_, twin_frames_seen_);
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
    s->mean_field_on = mean_field_;
    s->diverged = diverged();
    s->tpg = tpg_info_;
    s->message = message_;
    s->message_is_error = message_error_;
    s->lr_z = tpg_ ? tpg_->lr() : run_->lr_z();
    s->lr_y = tpg_ ? 0.0 : run_->lr_y();
    s->ratio_locked = ratio_locked_;
    s->steps_per_second = rate_;
    s->seed = config().train.seed;
    s->frames = frames_.items();
    s->mean_field = twin_frames_.items();
    s->frame_capacity = frames_.capacity();
    s->stop_at = stop_at_;
    if (replay_) {
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
            if (replay_ && (c.kind == K::Reset || c.kind == K::LoadConfig || c.kind == K::LoadSession || c.kind == K::SetTpgData))
                replay_.reset();
        }
        if (replay_) {
            // Apply the Cancel (if any) at once; keep the rest for after the load.
            for (auto it = backlog_.begin(); it != backlog_.end();) {
                if (it->kind == K::CancelLoad) {
                    apply(*it);
                    it = backlog_.erase(it);
                    ++applied_;
                } else {
                    ++it;
                }
            }
        }
        bool applied_any = false;
        while (!backlog_.empty() && steps_owed_ == 0 && !replay_) {
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

        // 2. A session replay: a slice of it, then publish the progress.
        if (replay_) {
            if (replay_slice(std::chrono::milliseconds(8))) {
                if (!run_ || !run_->diverged()) say("Loaded a session at step " + std::to_string(step_index()), false);
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

        // 3. Step for at most ~4 ms, stopping early when a command arrives.
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

        // 3. Measure the rate once a second.
        const auto now = Clock::now();
        const double el = std::chrono::duration<double>(now - rate_t0_).count();
        if (el >= 1.0) {
            rate_ = rate_steps_ / el;
            rate_steps_ = 0;
            rate_t0_ = now;
            dirty_ = true;
        }

        // 4. Publish at most ~60 times a second while stepping; at once when idle.
        const bool busy = (playing_ && speed_ != SpeedMode::StepsPerFrame) || steps_owed_ > 0 || !backlog_.empty();  // (a replay returned above)
        if (dirty_ && (!busy || now - last_publish_ > std::chrono::milliseconds(16))) publish();

        // 5. Idle: sleep until a command arrives (or the rate limiter allows a step).
        if (!busy || (speed_ == SpeedMode::StepsPerSecond && budget_ < 1.0)) {
            std::unique_lock<std::mutex> lk(queue_mu_);
            const auto wait = busy ? std::chrono::milliseconds(2) : std::chrono::milliseconds(250);
            queue_cv_.wait_for(lk, wait, [&] { return pending_.load() || quit_.load(); });
        }
    }
}

}  // namespace snapscope::gui
