// A sweep running in the background for the phase-diagram view: its own threads (one per core), results
// collected as runs finish, cancellable at any time. The UI reads a copy of the results each frame.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "snapscope/sweep.hpp"

namespace snapscope::gui {

class SweepJob {
public:
    SweepJob(FlatConfig base, std::vector<SweepAxis> axes, int seeds, int jobs);
    ~SweepJob();  // cancels and joins
    void cancel() { cancel_ = true; }
    bool finished() const { return finished_threads_.load() == static_cast<int>(threads_.size()); }
    std::size_t total() const { return points_.size(); }
    std::vector<SweepResult> results() const;
    std::string error() const;
    const std::vector<SweepAxis>& axes() const { return axes_; }
    const FlatConfig& base() const { return base_; }

private:
    FlatConfig base_;
    std::vector<SweepAxis> axes_;
    std::vector<SweepPoint> points_;
    std::atomic<std::size_t> next_{0};
    std::atomic<bool> cancel_{false};
    std::atomic<int> finished_threads_{0};
    mutable std::mutex mu_;
    std::vector<SweepResult> results_;
    std::string error_;
    std::vector<std::thread> threads_;
};

}  // namespace snapscope::gui
