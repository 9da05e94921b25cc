// A lab: one model the product trains (one per paper). The shared machinery (the
// command-line tool's run and bench, sessions and their replay) works through LabRun and the registry below and
// knows no lab by name; a lab is its own files plus one line in lab_registry() (core/src/labs.cpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/config.hpp"
#include "snapscope/files.hpp"

namespace snapscope {

// A change made between steps (e.g. a learning rate moved by a slider): the name of a learning-rate group.
struct RunEvent {
    std::int64_t step = 0;
    std::string name;
    double old_value = 0, new_value = 0;
};

// What final.json says about how the run went, beyond its state.
struct RunTiming {
    double steps_per_second = 0, elapsed_seconds = 0;
    bool interrupted = false;  // stopped early by SIGINT/SIGTERM
};

// A learning rate the user may change between any two steps.
struct LrGroup {
    std::string name;  // the event name ("lr_z"); also the config key train.<name>
    std::string label;  // for people ("eta_Z")
    double value = 0;
    double lo = 1e-3, hi = 100;  // the range a slider offers (log scale)
};

// A column of a sweep's results.csv after "loss" (the lab's final measures of a run), and how summary.csv sums it up:
// its mean and standard deviation over the seeds' runs that have a value (NaN has none; in an integer column a
// negative value is "none", e.g. a run that never snapped), then, for a column with a count_name, a column of that
// name counting the runs that have a value.
struct SweepColumn {
    std::string name;
    bool integer = false;
    std::string count_name;
};

// The settings of a sweep's definition that a lab's measures may use (the snap step's tolerance and window).
constexpr double kSnapTolerance = 0.05;  // relative: later movement at most 5% of the distance moved so far
constexpr int kSnapWindow = 10;
struct SweepMeasure {
    double snap_tol = kSnapTolerance;
    int snap_window = kSnapWindow;
};

// What a run is built for: its histories are sized for it (the command-line run keeps the whole trajectory, a sweep
// point the records its summary needs, the window its own frames).
enum class RunUse { Cli, Sweep, Window };

class LabRun {
public:
    virtual ~LabRun() = default;

    virtual const Config& config() const = 0;
    // Optimiser steps taken so far (the current parameters are "at step_index()").
    virtual std::int64_t step_index() const = 0;
    // One step: records the state it starts from, then updates. False, changing nothing, on divergence.
    virtual bool step() = 0;
    // Up to n steps; stops early on divergence. Returns the steps taken.
    virtual std::int64_t run(std::int64_t n) = 0;
    // Records the current state if it is not recorded yet.
    virtual void record_now() = 0;
    // The newest recorded loss (NaN before the first record).
    virtual double last_loss() const = 0;

    virtual std::vector<LrGroup> lr_groups() const = 0;
    // Sets group `name` from the next step on and logs the change (see events()); throws ConfigError naming the
    // group if the lab has none of that name.
    virtual void set_lr(const std::string& name, double value) = 0;
    virtual const std::vector<RunEvent>& events() const = 0;

    virtual bool diverged() const = 0;
    virtual const std::string& divergence_message() const = 0;
    virtual void clear_divergence() = 0;

    // The newest record's scalar metrics, by name (what trajectory.csv has beyond step and loss).
    virtual std::vector<std::pair<std::string, double>> scalar_metrics() const = 0;
    // The sizes a reader wants first ("M 34", "K 6, d 6"), for tables such as `snapscope-cli bench`.
    virtual std::string size_text() const = 0;

    // The output folder made ready for this run's three files (config.json, trajectory.csv, final.json: their size
    // checked against the disk), and the files written there as a set. Throw IoError.
    virtual OutputFolder prepare_folder(const std::string& dir) const = 0;
    virtual void write_results(const OutputFolder& folder, const RunTiming& t) = 0;
    // The names of the files write_results writes.
    virtual std::vector<std::string> output_files() const { return {"config.json", "trajectory.csv", "final.json"}; }
    // The result lines `snapscope-cli run` prints after training.
    virtual void print_summary(std::FILE* out) const = 0;

    // The values of the lab's sweep columns (LabSpec::sweep_columns) for the run as it stands: what a sweep records
    // after the last step. A diverged run has none: NaN (-1 in integer columns).
    virtual std::vector<double> sweep_values(const SweepMeasure& m) const = 0;

    // What a session must hold beyond the config and the events to replay this run (e.g. an edited training set);
    // null when the config says it all. Read back by the lab's make function.
    virtual nlohmann::json session_data() const { return nullptr; }

    // What the user should know about this run before it trains (e.g. weights it starts from that were trained with
    // other settings); the command-line tool prints them as notes. Empty for most runs.
    virtual std::vector<std::string> notes() const { return {}; }
};

struct LabSpec {
    std::string kind;   // the value of model.kind that picks this lab
    std::string title;  // for people
    // The learning-rate groups the lab's runs have (the names of the events a session may hold).
    std::vector<std::string> lr_names;
    std::vector<std::string> lr_labels;  // the same groups for people ("eta_Z")
    // Checks a session's "data" (what session_data() returns) when the session is read, naming `source` and the
    // key; throws ConfigError. Null: the lab keeps no data in a session (a session with "data" is refused).
    void (*check_session_data)(const nlohmann::json& data, const std::string& source);
    // Builds a run of `cfg`; `session_data` is what session_data() returned (null: none). Throws ConfigError,
    // DataError (naming the key or the file line) or MemoryLimitError.
    std::unique_ptr<LabRun> (*make)(const Config& cfg, RunUse use, const nlohmann::json& session_data);
    // What a sweep of this lab records per run after "loss" (see SweepColumn).
    std::vector<SweepColumn> sweep_columns;
    // The companion runs the window can train alongside a run of this lab (their names, as sessions record them).
    std::vector<std::string> companions;
    // The config keys only this lab reads (the schema is the shared keys plus every lab's), and its rules that
    // involve more than one key, checked when model.kind picks it (throws ConfigError via config_fail).
    std::vector<KeyBinding> config_keys;
    void (*check_config)(const Config& c, const std::string& source) = nullptr;
};

// Every lab, one line each (core/src/labs.cpp).
const std::vector<LabSpec>& lab_registry();
// The lab model.kind names; throws ConfigError naming model.kind if none.
const LabSpec& lab_for(const Config& cfg);
const LabSpec& lab_of_kind(const std::string& kind);
// The label of learning-rate group `name` of `lab` ("eta_Z"), or the name if the lab has no such group.
const std::string& lr_label(const LabSpec& lab, const std::string& name);
std::unique_ptr<LabRun> make_lab_run(const Config& cfg, RunUse use, const nlohmann::json& session_data = nullptr);

// A run's output folder, ready for its three files of about `bytes` bytes (checked against the disk). Throws IoError.
OutputFolder run_output_folder(const std::string& dir, double bytes);
// Writes a run's three files as a set: config.json (its config), then trajectory.csv and final.json by the lab's
// writers. The current state is recorded first (a rate changed since the last step shows in the trajectory too).
// `extra`, when given, opens and writes the lab's further files of the set (before final.json, which comes last).
void write_run_file_set(const OutputFolder& folder, LabRun& run, const std::function<void(ByteSink&)>& trajectory,
                        const std::function<void(ByteSink&)>& final_json, const std::function<void(FileSet&)>& extra = nullptr);

// Applies one logged event (a learning-rate change) to a run; unknown names throw ConfigError.
void apply_event(LabRun& run, const RunEvent& e);
// Applies events[next..] made at or before the run's current step (events in step order), advancing `next`.
void apply_due_events(LabRun& run, const std::vector<RunEvent>& events, std::size_t& next);

}  // namespace snapscope
