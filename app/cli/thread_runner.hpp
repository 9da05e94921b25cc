// The command-line tool's threads for work a lab splits (snapscope::ParallelRunner): task 0 on the calling thread,
// the others on threads started for the call.
#pragma once

#include <algorithm>
#include <thread>
#include <vector>

#include "snapscope/parallel.hpp"

namespace snapscope::cli {

class ThreadRunner final : public ParallelRunner {
public:
    explicit ThreadRunner(int threads) : threads_(std::max(1, threads)) {}
    int threads() const override { return threads_; }
    void run(int n, const std::function<void(int)>& task) override {
        // Tasks i, i + threads, ... on worker i (worker 0 is this thread).
        const int workers = std::min(threads_, n);
        std::vector<std::thread> pool;
        for (int w = 1; w < workers; ++w)
            pool.emplace_back([&, w] {
                for (int i = w; i < n; i += workers) task(i);
            });
        for (int i = 0; i < n; i += workers) task(i);
        for (std::thread& t : pool) t.join();
    }

private:
    int threads_;
};

}  // namespace snapscope::cli
