// Commands from the UI to the worker. They are queued and applied between two
// training steps, in the order they were posted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "snapscope/config.hpp"
#include "snapscope/session.hpp"

namespace snapscope::gui {

enum class SpeedMode { Unlimited, StepsPerSecond, StepsPerFrame };
// As sessions write them: "unlimited", "steps_per_second", "steps_per_frame".
inline const char* speed_mode_name(SpeedMode m) {
    return m == SpeedMode::StepsPerSecond ? "steps_per_second" : m == SpeedMode::StepsPerFrame ? "steps_per_frame" : "unlimited";
}
inline SpeedMode speed_mode_of(const std::string& name) {
    return name == "steps_per_second" ? SpeedMode::StepsPerSecond : name == "steps_per_frame" ? SpeedMode::StepsPerFrame : SpeedMode::Unlimited;
}

// A command only one lab understands, defined in that lab's folder (e.g. "restart on this edited training set");
// the worker hands it to the run's WindowRun::apply between two steps.
struct LabCommand {
    virtual ~LabCommand() = default;
};

struct Command {
    enum class Kind {
        Play,
        Pause,
        Step,          // count = number of steps
        Reset,         // seed: restart the current config with this seed
        SetLr,         // name, value: learning-rate group `name` of the lab
        LockRatio,     // flag: keep the ratio of the first two learning-rate groups fixed when either moves
        SetSpeed,      // speed, value (steps/s or steps/frame)
        FrameTick,     // one UI frame passed (drives StepsPerFrame)
        LoadConfig,    // config (restarts); flag: keep the run's current learning rates
        SetCompanion,  // name, flag: run the lab's companion run `name` alongside
        LoadSession,   // session: restart on its config and replay its events to its step (paused)
        Export,        // path: write config.json, trajectory.csv, final.json of the live run into this folder
        StopAt,        // count: pause when the run reaches this step (0: never)
        Lab,           // lab: a command of the lab's own type (e.g. its training-set editor's), applied by its WindowRun
        CancelLoad,    // stop a run being built (the run shown stays) or a session replay (it stays at the step reached)
    };
    explicit Command(Kind k) : kind(k) {}
    Kind kind;
    double value = 0;
    std::int64_t count = 0;
    std::uint64_t seed = 0;
    bool flag = false;
    SpeedMode speed = SpeedMode::Unlimited;
    std::shared_ptr<const Config> config;
    std::shared_ptr<const Session> session;
    std::string path;
    std::string name;
    std::shared_ptr<const LabCommand> lab;

    static Command play() { return Command(Kind::Play); }
    static Command pause() { return Command(Kind::Pause); }
    static Command step(std::int64_t n) { Command c(Kind::Step); c.count = n; return c; }
    static Command reset(std::uint64_t seed) { Command c(Kind::Reset); c.seed = seed; return c; }
    static Command set_lr(std::string group, double v) { Command c(Kind::SetLr); c.name = std::move(group); c.value = v; return c; }
    static Command lock_ratio(bool on) { Command c(Kind::LockRatio); c.flag = on; return c; }
    static Command set_speed(SpeedMode m, double v) { Command c(Kind::SetSpeed); c.speed = m; c.value = v; return c; }
    static Command frame_tick() { return Command(Kind::FrameTick); }
    // keep_rates: start with the learning rates the run has now (the settings' Apply), not the config's.
    static Command load_config(Config cfg, bool keep_rates = false) {
        Command c(Kind::LoadConfig);
        c.config = std::make_shared<const Config>(std::move(cfg));
        c.flag = keep_rates;
        return c;
    }
    static Command set_companion(std::string name, bool on) { Command c(Kind::SetCompanion); c.name = std::move(name); c.flag = on; return c; }
    static Command load_session(Session s) { Command c(Kind::LoadSession); c.session = std::make_shared<const Session>(std::move(s)); return c; }
    static Command export_to(std::string dir) { Command c(Kind::Export); c.path = std::move(dir); return c; }
    static Command stop_at(std::int64_t step) { Command c(Kind::StopAt); c.count = step; return c; }
    static Command cancel_load() { return Command(Kind::CancelLoad); }
    static Command lab_command(std::shared_ptr<const LabCommand> l) { Command c(Kind::Lab); c.lab = std::move(l); return c; }
};

}  // namespace snapscope::gui
