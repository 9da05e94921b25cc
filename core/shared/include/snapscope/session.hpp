// A session record: the resolved config (seed included), the log of changes made
// during the run (learning rates moved between steps), the lab's data, the step reached, the companion runs and
// speed of the window, and the GUI's view settings as an opaque object. Saved and loaded as JSON; replaying
// it reproduces the run's trajectory exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/config.hpp"
#include "snapscope/lab.hpp"

namespace snapscope {

constexpr int kSessionFormatVersion = 1;

struct Session {
    Config config;
    std::vector<RunEvent> events;
    nlohmann::json data;  // the lab's own state beyond config and events (LabRun::session_data), or null
    std::int64_t step = 0;
    nlohmann::json view = nlohmann::json::object();
    // The window's companion runs switched on (names from LabSpec::companions; replayed alongside) and its training
    // speed: mode "unlimited", "steps_per_second" or "steps_per_frame" ("" when the session does not say) and value.
    std::vector<std::string> companions;
    std::string speed_mode;
    double speed_value = 0;
};

nlohmann::json session_to_json(const Session& s);
// Throws ConfigError naming the source and key on a malformed or newer-format record.
Session session_from_json(const nlohmann::json& j, const std::string& source);
Session load_session_file(const std::string& path);
void save_session_file(const std::string& path, const Session& s);  // atomic

// Builds the run of `s` (its lab from the config, with s.data) and replays it to `until_step` (s.step when
// negative), applying each event before the step it was made at. Throws like the lab's make function.
std::unique_ptr<LabRun> replay_session(const Session& s, std::int64_t until_step = -1, RunUse use = RunUse::Cli);

}  // namespace snapscope
