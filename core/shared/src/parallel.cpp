#include "snapscope/parallel.hpp"

namespace snapscope {

namespace {
ParallelRunner* g_runner = nullptr;
}

void set_parallel_runner(ParallelRunner* r) { g_runner = r; }
ParallelRunner* parallel_runner() { return g_runner; }

void parallel_for(int n, const std::function<void(int)>& task) {
    if (g_runner && g_runner->threads() > 1 && n > 1) {
        g_runner->run(n, task);
        return;
    }
    for (int i = 0; i < n; ++i) task(i);
}

}  // namespace snapscope
