// Work that core code may split across threads the application provides: the library starts no thread of its own.
// An application that has cores to spare (snapscope-cli run) installs a runner; without one, everything runs on the
// calling thread. Results never depend on it: code that uses it splits its work the same way whatever runs it.
#pragma once

#include <functional>

namespace snapscope {

class ParallelRunner {
public:
    virtual ~ParallelRunner() = default;
    virtual int threads() const = 0;
    // Runs task(0) .. task(n - 1), as many at once as it has threads, and returns when all are done. The tasks must
    // not throw.
    virtual void run(int n, const std::function<void(int)>& task) = 0;
};

// The installed runner (null: none). Installing is not thread-safe: do it before any work starts.
void set_parallel_runner(ParallelRunner* r);
ParallelRunner* parallel_runner();

// task(0) .. task(n - 1) on the installed runner, or one after another on this thread.
void parallel_for(int n, const std::function<void(int)>& task);

}  // namespace snapscope
