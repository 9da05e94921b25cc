// Background work for the UI thread. A task runs a function on its own thread; the UI polls it at the start of a
// frame (ready(), take()) and never waits for it, so the window stays live however long the work takes. A task can
// be cancelled cooperatively (the function checks ctx.cancelled()) and reports progress in [0, 1]. Dropping a task
// cancels it without waiting: its thread finishes on its own (it owns what it works on).
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace snapscope::gui {

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
    explicit Task(std::function<R(TaskContext&)> fn) : state_(std::make_shared<State>()) {
        std::thread([st = state_, fn = std::move(fn)] {
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
        }).detach();
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
