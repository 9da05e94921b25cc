#include "sweep_job.hpp"

namespace snapscope::gui {

SweepJob::SweepJob(FlatConfig base, std::vector<SweepAxis> axes, int seeds, int jobs)
    : base_(std::move(base)), axes_(std::move(axes)), points_(expand_sweep(axes_, seeds)) {
    for (int j = 0; j < std::max(1, jobs); ++j)
        threads_.emplace_back([this] {
            while (!cancel_) {
                const std::size_t i = next_++;
                if (i >= points_.size()) break;
                try {
                    SweepResult r = run_sweep_point(base_, axes_, points_[i], 0.01, 10);
                    std::lock_guard<std::mutex> lk(mu_);
                    results_.push_back(std::move(r));
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
