#include "tasks.hpp"

#include <algorithm>

namespace snapscope::gui {

TaskRunner::TaskRunner(unsigned bulk_threads) : bulk_(std::max(1u, bulk_threads)) {
    for (unsigned i = 0; i < bulk_; ++i) threads_.emplace_back([this] { loop(false); });
    threads_.emplace_back([this] { loop(true); });
}

TaskRunner::~TaskRunner() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

TaskRunner& TaskRunner::shared() {
    static TaskRunner runner(std::max(1u, std::thread::hardware_concurrency()));
    return runner;
}

void TaskRunner::submit(std::function<void()> work, TaskKind kind) {
    {
        std::lock_guard<std::mutex> lk(mu_);
        (kind == TaskKind::Interactive ? interactive_ : bulk_queue_).push_back(std::move(work));
    }
    cv_.notify_all();
}

std::size_t TaskRunner::queued() const {
    std::lock_guard<std::mutex> lk(mu_);
    return interactive_.size() + bulk_queue_.size();
}

void TaskRunner::loop(bool interactive_only) {
    while (true) {
        std::function<void()> work;
        {
            std::unique_lock<std::mutex> lk(mu_);
            cv_.wait(lk, [&] { return !interactive_.empty() || (!interactive_only && !bulk_queue_.empty()) || stop_; });
            // Interactive work first, on any thread; at exit, the queues are worked off before the threads end
            // (their owners have cancelled them, so each ends at its first check).
            if (!interactive_.empty()) {
                work = std::move(interactive_.front());
                interactive_.pop_front();
            } else if (!interactive_only && !bulk_queue_.empty()) {
                work = std::move(bulk_queue_.front());
                bulk_queue_.pop_front();
            } else {
                return;  // stop_, nothing left for this thread
            }
        }
        work();  // (work catches its own exceptions: see Task and SweepJob)
    }
}

}  // namespace snapscope::gui
