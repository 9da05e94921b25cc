// The worker thread: owns the run and steps it as fast as allowed. The UI never
// touches the run: it posts Commands (applied between two steps, in order) and
// reads the latest Snapshot (a shared_ptr swap under a short lock).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "snapscope/history.hpp"
#include "snapshot.hpp"

namespace snapscope::gui {

class Worker {
public:
    // Starts paused on `cfg`. Throws like ScanSnapRun if the config cannot be run. The frames kept for the views take
    // at most half of history.budget_mb (a quarter more for the mean-field twin) and at most `history_capacity`
    // records.
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
    struct Twin;  // a run plus its frame history
    void loop();
    void loop_once();
    void recover(const std::string& msg);
    std::uint64_t posted_snapshot();
    void apply(const Command& c);
    // Restarts on `cfg`; `session_data` is a session's lab data (LabRun::session_data), or null.
    void restart(const Config& cfg, const nlohmann::json* session_data = nullptr);
    // The run being trained, as a lab (either lab's run).
    LabRun& lab() { return run_ ? static_cast<LabRun&>(*run_) : static_cast<LabRun&>(*tpg_); }
    std::shared_ptr<const nlohmann::json> session_data_;  // the lab's session data of this run (null: none)
    bool step_once();
    void publish();
    static FramePtr make_frame(const ScanSnapRun& run);
    // Frames follow the run's records: each step records the state it starts from, so stepping needs no extra pass;
    // only the newest state, when it is about to be shown, is recorded on purpose (catch_up).
    void take_frame(const ScanSnapRun& run, ThinningHistory<FramePtr>& frames, std::uint64_t& seen);
    void catch_up();
    std::uint64_t frames_seen_ = 0, twin_frames_seen_ = 0;

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
    std::unique_ptr<ScanSnapRun> run_, twin_run_;
    std::unique_ptr<TpgRun> tpg_;  // the token-priority-graph lab (then run_ is null)
    std::shared_ptr<const TpgInfo> tpg_info_;
    std::shared_ptr<const std::vector<RunEvent>> events_shared_;  // the last published event list (see EventList)
    static FramePtr make_tpg_frame(const TpgRun& run);
    void restart_tpg(const Config& cfg, const TpgDataset* data);
    const Config& config() const { return tpg_ ? tpg_->config() : run_->config(); }
    std::int64_t step_index() const { return tpg_ ? tpg_->step_index() : run_->step_index(); }
    bool diverged() const { return tpg_ ? tpg_->diverged() : run_->diverged(); }
    ThinningHistory<FramePtr> frames_, twin_frames_;  // see history_step below
    bool playing_ = false, ratio_locked_ = false, mean_field_ = false;
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
