// A session record: the resolved config (seed included), the log of changes made
// during the run (learning rates moved between steps), the step reached, and
// the GUI's view settings as an opaque object. Saved and loaded as JSON; replaying
// it reproduces the run's trajectory exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/config.hpp"
#include "snapscope/scansnap_run.hpp"

namespace snapscope {

constexpr int kSessionFormatVersion = 1;

struct Session {
    Config config;
    std::vector<RunEvent> events;
    std::int64_t step = 0;
    nlohmann::json view = nlohmann::json::object();
};

nlohmann::json session_to_json(const Session& s);
// Throws ConfigError naming the source and key on a malformed or newer-format record.
Session session_from_json(const nlohmann::json& j, const std::string& source);
Session load_session_file(const std::string& path);
void save_session_file(const std::string& path, const Session& s);  // atomic

// Builds the run of `s` and replays it to `until_step` (s.step when negative), applying each event
// before the step it was made at. Throws like ScanSnapRun's constructor.
std::unique_ptr<ScanSnapRun> replay_session(const Session& s, std::int64_t until_step = -1);

// Applies one logged event to a run (lr_z, lr_y). Unknown names throw ConfigError.
void apply_event(ScanSnapRun& run, const RunEvent& e);
// Applies events[next..] made at or before the run's current step (events in step order), advancing `next`.
void apply_due_events(ScanSnapRun& run, const std::vector<RunEvent>& events, std::size_t& next);

}  // namespace snapscope
