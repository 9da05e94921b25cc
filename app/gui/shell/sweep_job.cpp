#include "sweep_job.hpp"

#include <new>

namespace snapscope::gui {

SweepJob::SweepJob(SweepDefinition def, int jobs, double memory_mb) : def_(std::move(def)), total_(def_.size()) {
    jobs = std::max(1, jobs);
    if (total_ > kMaxRuns)
        throw ConfigError("sweep.grid", "the phase diagram would run " + std::to_string(total_) + " runs; at most " + std::to_string(kMaxRuns) +
                                            " fit in the window (use snapscope-cli sweep for larger grids)");
    for (int j = 0; j < jobs; ++j)
        threads_.emplace_back([this, jobs, memory_mb] {
            while (!cancel_) {
                const std::int64_t i = next_++;
                if (i >= total_) break;
                try {
                    SweepResult r = run_sweep_point(def_, def_.point(i), [this] { return cancel_.load(); }, jobs, memory_mb);
                    if (r.cancelled) break;
                    std::lock_guard<std::mutex> lk(mu_);
                    results_.push_back(std::move(r));
                } catch (const std::bad_alloc&) {
                    std::lock_guard<std::mutex> lk(mu_);
                    if (error_.empty()) error_ = "out of memory: lower limits.memory_mb or the run's size";
                    cancel_ = true;
                } catch (const std::exception& e) {
                    std::lock_guard<std::mutex> lk(mu_);
                    if (error_.empty()) error_ = e.what();
                    cancel_ = true;
                }
            }
            ++finished_threads_;
        });
}

SweepJob::~SweepJob() {
    cancel_ = true;
    for (auto& t : threads_) t.join();
}

std::vector<SweepResult> SweepJob::results() const {
    std::lock_guard<std::mutex> lk(mu_);
    return results_;
}

std::string SweepJob::error() const {
    std::lock_guard<std::mutex> lk(mu_);
    return error_;
}

}  // namespace snapscope::gui
