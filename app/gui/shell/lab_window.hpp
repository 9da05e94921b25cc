// What the window's worker needs from a lab beyond LabRun: the frames and fixed facts its panels draw, the size of a
// frame (the frames' byte budget), how to reset, and the companion runs it offers. One WindowRun per run; a lab is
// one line in window_labs() (app/gui/shell/window_labs.cpp). No ImGui here: this runs on the worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/lab.hpp"
#include "snapshot.hpp"

namespace snapscope::gui {

class WindowRun {
public:
    virtual ~WindowRun() = default;
    virtual LabRun& run() = 0;
    const LabRun& run() const { return const_cast<WindowRun*>(this)->run(); }

    // Called after every step: a lab whose frames show the state after the step records it here; a lab whose steps
    // record the state they start from needs nothing (its frames then cost no extra pass).
    virtual void after_step() {}
    // Records made so far (a new one means a new frame), and the frame of the newest record.
    virtual std::uint64_t record_count() const = 0;
    virtual FramePtr frame() const = 0;
    // Bytes one frame takes (the frames' share of history.budget_mb decides how many are kept).
    virtual double frame_bytes() const = 0;
    // The run's fixed facts for the panels.
    virtual std::shared_ptr<const RunInfo> info() const = 0;
    // The lab's live state for this publication (Snapshot::live: the newest only, never kept in the history); null
    // when the lab has none. Called at every publication: a lab may hand back the previous object when nothing it
    // shows changed.
    virtual std::shared_ptr<const LabFrame> live() { return nullptr; }

    // `cfg` with this run's learning rates as they are now (the settings' Apply keeps them).
    virtual Config with_current_rates(Config cfg) const = 0;
    // The config and lab data to restart with on Reset: the same run (its learning rates as they are now, its lab
    // data such as an edited training set) with a new seed.
    Config reset_config(std::uint64_t seed) const {
        Config c = with_current_rates(run().config());
        c.train.seed = seed;
        return c;
    }
    virtual nlohmann::json reset_data() const { return run().session_data(); }

    // A command of the lab's own type (Command::lab_command): what the worker is to do about it (restart on lab data,
    // say a message). Throws ConfigError when the lab does not take it.
    struct LabCommandResult {
        bool restart = false;
        nlohmann::json data;  // the lab data to restart on (as LabRun::session_data holds it)
        std::string message;
    };
    virtual LabCommandResult apply(const LabCommand& c);

    // Companion runs this lab can train alongside (names shown on their switches), and one of them made for this
    // run: `capacity` frames at most; `cap` receives how many its frames may keep. Throws ConfigError when it does
    // not fit limits.memory_mb together with this run.
    virtual std::vector<std::string> companions() const { return lab_for(run().config()).companions; }
    virtual std::unique_ptr<WindowRun> make_companion(const std::string& name, std::size_t capacity, std::size_t& cap) const;
};

struct WindowLab {
    std::string kind;  // model.kind
    // A run of `cfg` for the window (`data`: the lab data of a session or an edit, null for none). Throws like
    // make_lab_run.
    std::unique_ptr<WindowRun> (*make)(const Config& cfg, const nlohmann::json& data);
};

// Every lab's window side, one line each.
const std::vector<WindowLab>& window_labs();
std::unique_ptr<WindowRun> make_window_run(const Config& cfg, const nlohmann::json& data = nullptr);

}  // namespace snapscope::gui
