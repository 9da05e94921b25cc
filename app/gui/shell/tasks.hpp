// Background work for the UI thread, all on one task runner. The runner has a thread per core for bulk work (the
// phase diagram's sweep runs) and one more for interactive work (the graph-SVM after a training-set edit, the snap
// step of a long history), so a long sweep never delays what the user just asked for. The UI polls a task at the
// start of a frame (ready(), take()) and never waits for it, so the window stays live however long the work takes.
// A task can be cancelled cooperatively (the function checks ctx.cancelled()) and reports progress in [0, 1].
// Dropping a task cancels it without waiting: the work finishes on its own (it owns what it works on).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace snapscope::gui {

enum class TaskKind { Interactive, Bulk };

// The window's one pool of background threads (TaskRunner::shared()).
class TaskRunner {
public:
    // `bulk_threads` threads take bulk and interactive work; one more takes interactive work only.
    explicit TaskRunner(unsigned bulk_threads);
    ~TaskRunner();  // finishes the work queued and running, then joins (work is cancelled by its owners first)
    TaskRunner(const TaskRunner&) = delete;
    TaskRunner& operator=(const TaskRunner&) = delete;

    void submit(std::function<void()> work, TaskKind kind);
    // Items queued and not started (for tests).
    std::size_t queued() const;

    static TaskRunner& shared();

private:
    void loop(bool interactive_only);
    unsigned bulk_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> interactive_, bulk_queue_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

class TaskContext {
public:
    bool cancelled() const { return cancel_.load(std::memory_order_relaxed); }
    void progress(double p) { progress_.store(p, std::memory_order_relaxed); }
    std::function<bool()> cancel_check() const {
        return [this] { return cancelled(); };
    }

private:
    template <class R>
    friend class Task;
    std::atomic<bool> cancel_{false};
    std::atomic<double> progress_{0};
};

template <class R>
class Task {
public:
    explicit Task(std::function<R(TaskContext&)> fn, TaskKind kind = TaskKind::Interactive) : state_(std::make_shared<State>()) {
        TaskRunner::shared().submit([st = state_, fn = std::move(fn)] {
            try {
                R r = fn(st->ctx);
                std::lock_guard<std::mutex> lk(st->mu);
                st->result = std::move(r);
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lk(st->mu);
                st->error = e.what();
            } catch (...) {
                std::lock_guard<std::mutex> lk(st->mu);
                st->error = "unknown error";
            }
            st->done = true;
        }, kind);
    }
    ~Task() { state_->ctx.cancel_ = true; }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

    void cancel() { state_->ctx.cancel_ = true; }
    bool ready() const { return state_->done.load(); }
    double progress() const { return state_->ctx.progress_.load(std::memory_order_relaxed); }
    // The result once ready() (empty if it failed: see error()).
    std::optional<R> take() {
        std::lock_guard<std::mutex> lk(state_->mu);
        return std::move(state_->result);
    }
    std::string error() const {
        std::lock_guard<std::mutex> lk(state_->mu);
        return state_->error;
    }

private:
    struct State {
        TaskContext ctx;
        std::atomic<bool> done{false};
        std::mutex mu;
        std::optional<R> result;
        std::string error;
    };
    std::shared_ptr<State> state_;
};

}  // namespace snapscope::gui
