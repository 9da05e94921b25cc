#include "sweep_job.hpp"

#include <new>

#include "tasks.hpp"

namespace snapscope::gui {

SweepJob::SweepJob(SweepDefinition def, int jobs, double memory_mb) : state_(std::make_shared<State>()) {
    State& st = *state_;
    st.def = std::move(def);
    st.total = st.def.size();
    if (st.total > kMaxRuns)
        throw ConfigError("sweep.grid", "the phase diagram would run " + std::to_string(st.total) + " runs; at most " + std::to_string(kMaxRuns) +
                                            " fit in the window (use snapscope-cli sweep for larger grids)");
    st.jobs = std::max(1, jobs);
    st.chains = st.jobs;
    st.memory_mb = memory_mb;
    for (int j = 0; j < st.chains; ++j) TaskRunner::shared().submit([s = state_] { run_one(s); }, TaskKind::Bulk);
}

SweepJob::SweepJob(SweepFolder folder) : state_(std::make_shared<State>()) {
    State& st = *state_;
    st.source_note = folder.describe();  // (before its definition is moved out: the note names the sweep's size)
    st.def = std::move(folder.manifest.def);
    st.total = folder.expected;
    st.source = folder.dir;
    st.results = std::move(folder.results);
    st.chains = 0;  // nothing to run: finished
}

SweepJob::~SweepJob() { state_->cancel = true; }

void SweepJob::run_one(const std::shared_ptr<State>& st) {
    const std::int64_t i = st->cancel ? st->total : st->next++;
    if (i >= st->total) {
        ++st->chains_done;
        return;
    }
    try {
        SweepResult r = run_sweep_point(st->def, st->def.point(i), [s = st.get()] { return s->cancel.load(); }, st->jobs, st->memory_mb);
        if (!r.cancelled) {
            std::lock_guard<std::mutex> lk(st->mu);
            st->results.push_back(std::move(r));
            st->shared.reset();
        }
    } catch (const std::bad_alloc&) {
        std::lock_guard<std::mutex> lk(st->mu);
        if (st->error.empty()) st->error = "out of memory: lower limits.memory_mb or the run's size";
        st->cancel = true;
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lk(st->mu);
        if (st->error.empty()) st->error = e.what();
        st->cancel = true;
    }
    TaskRunner::shared().submit([st] { run_one(st); }, TaskKind::Bulk);
}

std::vector<SweepResult> SweepJob::results() const {
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->results;
}

std::shared_ptr<const std::vector<SweepResult>> SweepJob::shared_results() const {
    std::lock_guard<std::mutex> lk(state_->mu);
    if (!state_->shared) state_->shared = std::make_shared<const std::vector<SweepResult>>(state_->results);
    return state_->shared;
}

std::string SweepJob::error() const {
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->error;
}

}  // namespace snapscope::gui
