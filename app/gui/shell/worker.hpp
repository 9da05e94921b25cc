// The worker thread: owns the run and steps it as fast as allowed. The UI never
// touches the run: it posts Commands (applied between two steps, in order) and
// reads the latest Snapshot (a shared_ptr swap under a short lock).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "snapscope/history.hpp"
#include "lab_window.hpp"
#include "snapshot.hpp"
#include "tasks.hpp"

namespace snapscope::gui {

class Worker {
public:
    // Starts paused on `cfg` (any lab: model.kind). Throws like make_lab_run if the config cannot be run. The frames
    // kept for the views take at most half of history.budget_mb (a companion's a quarter more) and at most
    // `history_capacity` records.
    explicit Worker(const Config& cfg, std::size_t history_capacity = 4096);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void post(Command c);
    SnapshotPtr snapshot() const;

    // Blocks until every command posted so far has been applied and a snapshot
    // reflecting them is published (for tests and scripted runs).
    void sync();

    // Number of commands applied so far.
    std::uint64_t applied() const { return applied_.load(); }

private:
    void loop();
    void loop_once();
    void recover(const std::string& msg);
    std::uint64_t posted_snapshot();
    void apply(const Command& c);
    // Restarts on `cfg`; `data` is the lab's data (a session's or an edit's; LabRun::session_data), or null.
    void restart(const Config& cfg, const nlohmann::json* data = nullptr);
    LabRun& lab() { return run_->run(); }
    const LabRun& lab() const { return run_->run(); }
    std::shared_ptr<const nlohmann::json> session_data_;  // the lab's session data of this run (null: none)
    bool step_once();
    void publish();
    // Frames follow the run's records (see WindowRun::record_count); only the newest state, when it is about to be
    // shown, is recorded on purpose (catch_up).
    static void take_frame(const WindowRun& run, ThinningHistory<FramePtr>& frames, std::uint64_t& seen);
    void catch_up();
    // Sets learning-rate group `name` of the run and its companions (with the ratio lock); errors are said.
    void set_lr(const std::string& name, double value);
    // Turns companion `name` on (made and brought to the run's step with the same rate changes) or off.
    void set_companion(const std::string& name, bool on);
    std::uint64_t frames_seen_ = 0;

    // Shared with the UI thread.
    mutable std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<Command> queue_;
    std::atomic<bool> pending_{false};
    std::atomic<bool> quit_{false};
    std::atomic<std::uint64_t> applied_{0};
    std::uint64_t posted_ = 0;  // under queue_mu_
    std::condition_variable synced_cv_;
    mutable std::mutex snap_mu_;
    SnapshotPtr snap_;

    // Worker thread only.
    std::size_t capacity_;
    std::shared_ptr<const RunInfo> info_;
    std::unique_ptr<WindowRun> run_;  // the run being trained, through its lab's window side
    // Companion runs (stepped with the run, same rate changes) and their frames, in the order they were switched on.
    struct Companion {
        std::string name;
        std::unique_ptr<WindowRun> run;
        ThinningHistory<FramePtr> frames{4};
        std::uint64_t seen = 0;
    };
    std::vector<std::unique_ptr<Companion>> companions_;
    // A new run and its companions, made off the worker thread (see Build).
    struct Built {
        std::unique_ptr<WindowRun> run;
        std::vector<std::unique_ptr<Companion>> companions;
        std::size_t cap = 0;
        std::vector<std::string> warnings;  // companions that could not be made (when not `strict`)
    };
    // Makes the run of `cfg` (with the lab's `data`) and the companions named; with `strict`, a companion that cannot
    // be made fails the whole build, else it is left out with a warning. Throws like make_lab_run.
    static Built build(Config cfg, const nlohmann::json& data, const std::vector<std::string>& companions, bool strict,
                       std::size_t capacity);
    // Makes `b` the run shown (from step 0).
    void adopt(Built b);
    // A restart in progress: the new run is built on the task runner (reading a big data file takes a while), the run
    // shown stays and commands wait behind it (Cancel, and a newer restart, apply at once); `then` finishes the
    // command once the run is in.
    struct Build {
        std::shared_ptr<Task<Built>> task;
        std::function<void()> then;
        std::string what;
        std::chrono::steady_clock::time_point t0;
    };
    std::unique_ptr<Build> build_;
    std::vector<std::string> companion_names() const {
        std::vector<std::string> v;
        for (const auto& c : companions_) v.push_back(c->name);
        return v;
    }
    void start_build(const Config& cfg, nlohmann::json data, std::vector<std::string> companions, bool strict, std::string what,
                     std::function<void()> then);
    // Takes a finished build (true when there was one to take).
    bool finish_build();
    std::shared_ptr<const std::vector<RunEvent>> events_shared_;  // the last published event list (see EventList)
    const Config& config() const { return lab().config(); }
    std::int64_t step_index() const { return lab().step_index(); }
    bool diverged() const { return lab().diverged(); }
    ThinningHistory<FramePtr> frames_;
    bool playing_ = false, ratio_locked_ = false;
    SpeedMode speed_ = SpeedMode::Unlimited;
    double speed_value_ = 60;
    std::int64_t steps_owed_ = 0;  // from Step / FrameTick commands
    std::int64_t stop_at_ = 0;     // pause when reaching this step (0: never)
    std::deque<Command> backlog_;  // taken from the queue, waiting behind owed steps
    // A session replay in progress: events still to apply and the step to reach. Worked off in slices by loop().
    struct Replay {
        std::vector<RunEvent> events;
        std::size_t next = 0;
        std::int64_t target = 0;
        std::int64_t start_step = 0;
        std::chrono::steady_clock::time_point t0;
    };
    std::unique_ptr<Replay> replay_;
    // Advances the replay for about `budget`; true when it is finished (or cannot go on).
    bool replay_slice(std::chrono::steady_clock::duration budget);
    double ratio_ = 1;
    std::uint64_t serial_ = 0, run_id_ = 0;
    std::string message_;
    bool message_error_ = false;
    void say(std::string msg, bool error) { message_ = std::move(msg); message_error_ = error; }
    bool dirty_ = true;
    std::chrono::steady_clock::time_point last_publish_{}, rate_t0_{};
    std::int64_t rate_steps_ = 0;
    double rate_ = 0;
    double budget_ = 0;  // steps allowed by the StepsPerSecond limiter
    std::chrono::steady_clock::time_point budget_t_{};
    std::thread thread_;
};

}  // namespace snapscope::gui
