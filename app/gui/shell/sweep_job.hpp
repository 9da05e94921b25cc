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
    // The phase diagram keeps every result in memory: at most this many runs.
    static constexpr std::int64_t kMaxRuns = 1000000;
    // Throws ConfigError when the sweep has more than kMaxRuns runs.
    // `memory_mb`: the limit the runs share (limits.memory_mb of the window's config; 0 = three quarters of RAM).
    SweepJob(SweepDefinition def, int jobs, double memory_mb = 0);
    ~SweepJob();  // cancels and joins
    void cancel() { cancel_ = true; }
    bool finished() const { return finished_threads_.load() == static_cast<int>(threads_.size()); }
    std::size_t total() const { return static_cast<std::size_t>(total_); }
    std::vector<SweepResult> results() const;
    std::string error() const;
    const std::vector<SweepAxis>& axes() const { return def_.axes; }
    const FlatConfig& base() const { return def_.base; }
    const SweepDefinition& definition() const { return def_; }

private:
    SweepDefinition def_;
    std::int64_t total_ = 0;
    std::atomic<std::int64_t> next_{0};
    std::atomic<bool> cancel_{false};
    std::atomic<int> finished_threads_{0};
    mutable std::mutex mu_;
    std::vector<SweepResult> results_;
    std::string error_;
    std::vector<std::thread> threads_;
};

}  // namespace snapscope::gui
