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
#include "snapscope/data.hpp"
#include "snapscope/scansnap_run.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope::gui {

// One recorded step of a run, shared between snapshots (never modified once made).
struct Frame {
    std::int64_t step = 0;
    double loss = 0, lr_z = 0, lr_y = 0;
    std::vector<double> common_mass, distinct_entropy;  // per class
    std::vector<double> attention;                       // K x M row-major: c_n(l)
    std::vector<double> zrows;                           // Q x M row-major: Z(query_q, l)
    // Token-priority-graph lab.
    TpgMetrics tpg;
    std::vector<double> W;                              // d x d, column-major
    std::vector<std::vector<double>> sample_attention;  // per sample, per position
};
using FramePtr = std::shared_ptr<const Frame>;

// Facts about the data that do not change during a run.
struct RunInfo {
    Config config;
    int M = 0;
    std::vector<TokenInfo> tokens;
    std::vector<ClassInfo> classes;
    std::vector<int> queries;
    std::vector<std::string> token_labels;  // "12 distinct c0"
};

// Samples whose attention each frame keeps (and the Samples panel lists).
constexpr std::size_t kTpgShownSamples = 200;

// The token-priority-graph lab's fixed facts: the training set and what the paper predicts for it.
struct TpgInfo {
    TpgDataset data;
    std::vector<QueryGraph> graphs;
    Eigen::MatrixXd E, W_svm, W_fin;
    SvmResult svm;
    std::string fin_note;  // why W_fin is approximate, if it is
    bool orthonormal = false;
    int d = 0;
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
    std::uint64_t serial = 0;       // increases with every publication
    std::uint64_t commands_applied = 0;  // commands applied before this publication
    std::uint64_t run_id = 0;       // changes when the run restarts (reset, new config)
    std::shared_ptr<const RunInfo> info;
    std::shared_ptr<const TpgInfo> tpg;  // set when the lab is the token-priority graph
    std::int64_t step = 0;
    bool playing = false;           // stepping (playing, or working off a Step n)
    bool free_running = false;      // Play is on
    bool diverged = false;
    std::string message;            // text for the user (divergence, errors, "wrote ...")
    bool message_is_error = false;
    double lr_z = 0, lr_y = 0;
    bool ratio_locked = false;
    bool mean_field_on = false;
    SpeedMode speed = SpeedMode::Unlimited;
    double speed_value = 0;
    double steps_per_second = 0;    // measured over the last second of stepping
    std::uint64_t seed = 0;
    std::vector<FramePtr> frames;        // the bounded history, oldest first; back() is the live state
    std::vector<FramePtr> mean_field;    // the mean-field twin's history (empty when off)
    EventList events;
    std::shared_ptr<const nlohmann::json> session_data;  // what a session of this run holds beyond config and events
    // A session being replayed to its step (in slices, so the window stays live and Cancel works).
    bool loading = false;
    std::int64_t load_target = 0;  // the step the replay goes to
    double load_rate = 0;          // replay steps per second so far
    // Bytes the frames may take (their share of history.budget_mb) and how many fit.
    std::size_t frame_capacity = 0;
    std::int64_t stop_at = 0;      // the step where Play pauses (0: never)
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace snapscope::gui
