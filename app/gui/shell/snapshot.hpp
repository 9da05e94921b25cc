// What the UI draws: an immutable picture of the run, published by the worker.
// The UI takes a shared_ptr<const Snapshot> once per frame; nothing in it changes
// after publication, so drawing needs no lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "snapscope/config.hpp"
#include "snapscope/lab.hpp"

namespace snapscope::gui {

// The lab's part of a frame and of a run's fixed facts: immutable objects only that lab's panels read (they
// down-cast with Frame::lab_as / RunInfo::lab_as; the shell never looks inside).
struct LabFrame {
    virtual ~LabFrame() = default;
};
struct LabInfo {
    virtual ~LabInfo() = default;
};

// One recorded step of a run, shared between snapshots (never modified once made).
struct Frame {
    std::int64_t step = 0;
    double loss = 0;
    std::vector<double> lrs;              // the learning rates in effect, in the order of the lab's lr_groups()
    std::shared_ptr<const LabFrame> lab;  // what the lab's panels draw (attention, weights, metrics)
    template <class T>
    const T* lab_as() const { return dynamic_cast<const T*>(lab.get()); }
};
using FramePtr = std::shared_ptr<const Frame>;

// Facts about the run that do not change while it trains.
struct RunInfo {
    Config config;
    int M = 0;                              // vocabulary size
    std::vector<std::string> token_labels;  // per token, for people ("12 distinct c0")
    std::shared_ptr<const LabInfo> lab;     // the lab's own facts (its data, what its paper predicts)
    template <class T>
    const T* lab_as() const { return dynamic_cast<const T*>(lab.get()); }
};

// A companion run's frames (a second run on the same data and rates, stepped with the main one).
struct CompanionFrames {
    std::string name;
    std::vector<FramePtr> frames;
};

// The run's learning-rate changes, shared by the snapshots that see the same list (a session may hold 10^5 of them:
// copied once when one is added, not at every publication).
class EventList {
public:
    EventList() = default;
    explicit EventList(std::shared_ptr<const std::vector<RunEvent>> p) : p_(std::move(p)) {}
    std::size_t size() const { return p_ ? p_->size() : 0; }
    bool empty() const { return size() == 0; }
    const RunEvent& operator[](std::size_t i) const { return (*p_)[i]; }
    std::vector<RunEvent>::const_iterator begin() const { return list().begin(); }
    std::vector<RunEvent>::const_iterator end() const { return list().end(); }
    const std::vector<RunEvent>& list() const {
        static const std::vector<RunEvent> none;
        return p_ ? *p_ : none;
    }
    operator const std::vector<RunEvent>&() const { return list(); }
    const void* identity() const { return p_.get(); }  // the same list <=> the same pointer (for caches)

private:
    std::shared_ptr<const std::vector<RunEvent>> p_;
};

struct Snapshot {
    // The companion `name`'s frames, or null when it is off.
    const std::vector<FramePtr>* companion(const std::string& name) const {
        for (const CompanionFrames& c : companions)
            if (c.name == name) return &c.frames;
        return nullptr;
    }
    // The value of learning-rate group `name` (0 if the lab has none of that name).
    double lr(const std::string& name) const {
        for (const LrGroup& g : lrs)
            if (g.name == name) return g.value;
        return 0.0;
    }

    std::uint64_t serial = 0;       // increases with every publication
    std::uint64_t commands_applied = 0;  // commands applied before this publication
    std::uint64_t run_id = 0;       // changes when the run restarts (reset, new config)
    std::shared_ptr<const RunInfo> info;
    std::int64_t step = 0;
    bool playing = false;           // stepping (playing, or working off a Step n)
    bool free_running = false;      // Play is on
    bool diverged = false;
    std::string message;            // text for the user (divergence, errors, "wrote ...")
    bool message_is_error = false;
    std::vector<LrGroup> lrs;       // the lab's learning-rate groups and their values (one slider each)
    bool ratio_locked = false;      // the first two groups move together (labs with two groups)
    std::vector<std::string> companions_offered;  // companion runs the lab can run alongside (their names)
    SpeedMode speed = SpeedMode::Unlimited;
    double speed_value = 0;
    double steps_per_second = 0;    // measured over the last second of stepping
    std::uint64_t seed = 0;
    std::vector<FramePtr> frames;        // the bounded history, oldest first; back() is the live state
    // The lab's picture of the run as it is now, not kept in the history (e.g. the weights, for a panel that runs the
    // model on what the user types); null for a lab that has none. Immutable, like frames.
    std::shared_ptr<const LabFrame> live;
    std::vector<CompanionFrames> companions;  // the companion runs switched on, with their histories
    EventList events;
    std::shared_ptr<const nlohmann::json> session_data;  // what a session of this run holds beyond config and events
    // Loading: a new run being built in the background (its data file read; the run shown stays until it is in), or a
    // session being replayed to its step (in slices). Either way the window stays live and Cancel works.
    bool loading = false;
    std::string load_what;         // a build: what is being loaded ("" while replaying)
    double load_fraction = 0;      // a build: the fraction done (of the data file read)
    double load_seconds = 0;       // a build: how long it has taken so far
    std::int64_t load_target = 0;  // the step the replay goes to
    double load_rate = 0;          // replay steps per second so far
    // Bytes the frames may take (their share of history.budget_mb) and how many fit.
    std::size_t frame_capacity = 0;
    std::int64_t stop_at = 0;      // the step where Play pauses (0: never)
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace snapscope::gui
