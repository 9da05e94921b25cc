// A sweep running in the background for the phase-diagram view, on the window's task runner (bulk work): `jobs`
// chains of runs, each run one item on the runner, so interactive work (a graph-SVM after an edit) never waits for
// the sweep. Results are collected as runs finish; cancellable at any time. The UI reads a copy of the results each
// frame.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "snapscope/sweep.hpp"
#include "snapscope/sweep_folder.hpp"

namespace snapscope::gui {

class SweepJob {
public:
    // The phase diagram keeps every result in memory: at most this many runs.
    static constexpr std::int64_t kMaxRuns = 1000000;
    // Throws ConfigError when the sweep has more than kMaxRuns runs.
    // `memory_mb`: the limit the runs share (limits.memory_mb of the window's config; 0 = three quarters of RAM).
    SweepJob(SweepDefinition def, int jobs, double memory_mb = 0);
    // A sweep already run (a sweep folder read back): finished from the start, its results those of the folder.
    explicit SweepJob(SweepFolder folder);
    ~SweepJob();  // cancels; the runs in flight end at their next check, without the window waiting for them
    void cancel() { state_->cancel = true; }
    bool finished() const { return state_->chains_done.load() == state_->chains; }
    std::size_t total() const { return static_cast<std::size_t>(state_->total); }
    std::vector<SweepResult> results() const;
    // The same without a copy when nothing changed since the last call (a view that reads them every frame).
    std::shared_ptr<const std::vector<SweepResult>> shared_results() const;
    // The folder it was read from ("" for a sweep run here) and what it holds (SweepFolder::describe).
    const std::string& source() const { return state_->source; }
    const std::string& source_note() const { return state_->source_note; }
    std::string error() const;
    const std::vector<SweepAxis>& axes() const { return state_->def.axes; }
    const FlatConfig& base() const { return state_->def.base; }
    const SweepDefinition& definition() const { return state_->def; }

private:
    struct State {
        SweepDefinition def;
        std::int64_t total = 0;
        int chains = 0, jobs = 1;
        double memory_mb = 0;
        std::atomic<std::int64_t> next{0};
        std::atomic<bool> cancel{false};
        std::atomic<int> chains_done{0};
        mutable std::mutex mu;
        std::vector<SweepResult> results;
        mutable std::shared_ptr<const std::vector<SweepResult>> shared;  // a copy of results, while it is current
        std::string error;
        std::string source, source_note;
    };
    // One run of a chain, then the chain's next run queued behind the other work.
    static void run_one(const std::shared_ptr<State>& st);
    std::shared_ptr<State> state_;
};

}  // namespace snapscope::gui
