#include "snapscope/session.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "snapscope/files.hpp"

namespace snapscope {

using nlohmann::json;

namespace {
std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "\"" : "|\"") + n + "\"";
    return out;
}
}  // namespace

json session_to_json(const Session& s) {
    json j;
    j["format"] = "snapscope-session";
    j["version"] = kSessionFormatVersion;
    j["config"] = config_to_json(s.config);
    json ev = json::array();
    for (const RunEvent& e : s.events) ev.push_back({{"step", e.step}, {"name", e.name}, {"old", e.old_value}, {"new", e.new_value}});
    j["events"] = std::move(ev);
    j["step"] = s.step;
    if (!s.data.is_null()) j["data"] = s.data;
    if (!s.companions.empty()) j["companions"] = s.companions;
    if (!s.speed_mode.empty()) j["speed"] = {{"mode", s.speed_mode}, {"value", s.speed_value}};
    j["view"] = s.view;
    return j;
}

Session session_from_json(const json& j, const std::string& source) {
    auto bad = [&](const std::string& key, const std::string& what) { return ConfigError(key, source + ": key '" + key + "': " + what); };
    if (!j.is_object()) throw ConfigError("", source + ": a session must be a JSON object");
    if (!j.contains("format") || j["format"] != "snapscope-session") throw bad("format", "not a snapscope session (expected \"snapscope-session\")");
    if (!j.contains("version") || !(j["version"].is_number_integer() || j["version"].is_number_unsigned()))
        throw bad("version", "missing or not an integer" + (j.contains("version") ? " (got " + brief(j["version"]) + ")" : std::string()));
    if (j["version"].is_number_unsigned() ? j["version"].get<std::uint64_t>() > static_cast<std::uint64_t>(kSessionFormatVersion)
                                          : j["version"].get<std::int64_t>() > kSessionFormatVersion)
        throw bad("version", "format version " + brief(j["version"]) + " is newer than this snapscope reads (" +
                                 std::to_string(kSessionFormatVersion) + ")");
    if (j["version"].get<std::int64_t>() < 1) throw bad("version", "format version " + brief(j["version"]) + " is not a version (1 or more)");
    if (!j.contains("config")) throw bad("config", "missing");
    Session s;
    s.config = resolve_config(flatten_config(j["config"], source + " config"), source + " config");
    const LabSpec& lab = lab_for(s.config);
    const std::vector<std::string>& names = lab.lr_names;
    if (j.contains("data") && !j["data"].is_null()) {
        if (!lab.check_session_data) throw bad("data", "the " + lab.title + " lab keeps no data in a session (remove the key)");
        lab.check_session_data(j["data"], source);  // names the file and the key
        s.data = j["data"];
    }
    if (j.contains("events")) {
        if (!j["events"].is_array()) throw bad("events", "must be an array");
        std::int64_t last = 0;
        for (std::size_t i = 0; i < j["events"].size(); ++i) {
            const json& e = j["events"][i];
            const std::string key = "events[" + std::to_string(i) + "]";
            const std::string shape = "expected {\"step\": int, \"name\": " + join(names) + ", \"old\": number, \"new\": number}";
            if (!e.is_object()) throw bad(key, std::string(shape) + ", got " + brief(e));
            if (!e.contains("step") || !e["step"].is_number_integer()) throw bad(key + ".step", std::string("missing or not an integer; ") + shape);
            if (!e.contains("name") || !e["name"].is_string()) throw bad(key + ".name", std::string("missing or not a string; ") + shape);
            if (!e.contains("new") || !e["new"].is_number()) throw bad(key + ".new", std::string("missing or not a number; ") + shape);
            if (e.contains("old") && !e["old"].is_number()) throw bad(key + ".old", "not a number (got " + brief(e["old"]) + "); " + shape);
            if (e["step"].is_number_unsigned() && e["step"].get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
                throw bad(key + ".step", "too large");
            RunEvent r;
            r.step = e["step"].get<std::int64_t>();
            r.name = e["name"].get<std::string>();
            r.old_value = e.contains("old") ? e["old"].get<double>() : 0.0;
            r.new_value = e["new"].get<double>();
            if (std::find(names.begin(), names.end(), r.name) == names.end())
                throw bad(key, "unknown event '" + brief_text(r.name) + "' (the " + lab.title + " lab's learning rates: " +
                                             join(names) + ")");
            if (r.step < 0) throw bad(key + ".step", "must be a non-negative step");
            if (r.step < last) throw bad(key, "events must be in step order");
            if (!(r.new_value >= 0) || !std::isfinite(r.new_value)) throw bad(key, "learning rate must be finite and >= 0");
            last = r.step;
            s.events.push_back(r);
        }
    }
    if (j.contains("step")) {
        const json& st = j["step"];
        if (!(st.is_number_integer() || st.is_number_unsigned()) || (st.is_number_unsigned() && st.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) ||
            st.get<std::int64_t>() < 0)
            throw bad("step", "must be a non-negative integer, got " + brief(st));
        s.step = st.get<std::int64_t>();
    }
    if (j.contains("view")) {
        if (!j["view"].is_object()) throw bad("view", "must be an object");
        s.view = j["view"];
    }
    if (j.contains("companions")) {
        const json& c = j["companions"];
        if (!c.is_array()) throw bad("companions", "must be an array of names, got " + brief(c));
        for (std::size_t i = 0; i < c.size(); ++i) {
            const std::string key = "companions[" + std::to_string(i) + "]";
            if (!c[i].is_string()) throw bad(key, "must be a string, got " + brief(c[i]));
            const std::string name = c[i].get<std::string>();
            if (std::find(lab.companions.begin(), lab.companions.end(), name) == lab.companions.end())
                throw bad(key, "the " + lab.title + " lab has no companion run '" + brief_text(name) + "'" +
                                   (lab.companions.empty() ? std::string(" (it has none)") : " (it has: " + join(lab.companions) + ")"));
            if (std::find(s.companions.begin(), s.companions.end(), name) != s.companions.end()) throw bad(key, "'" + name + "' is listed twice");
            s.companions.push_back(name);
        }
    }
    if (j.contains("speed")) {
        const json& sp = j["speed"];
        const std::string shape = "expected {\"mode\": \"unlimited\"|\"steps_per_second\"|\"steps_per_frame\", \"value\": number}";
        if (!sp.is_object() || !sp.contains("mode") || !sp["mode"].is_string()) throw bad("speed", shape + ", got " + brief(sp));
        const std::string mode = sp["mode"].get<std::string>();
        if (mode != "unlimited" && mode != "steps_per_second" && mode != "steps_per_frame")
            throw bad("speed.mode", "'" + brief_text(mode) + "' is not a speed; " + shape);
        double value = 0;
        if (sp.contains("value")) {
            if (!sp["value"].is_number() || !std::isfinite(sp["value"].get<double>()) || sp["value"].get<double>() < 0 || sp["value"].get<double>() > 1e9)
                throw bad("speed.value", "must be a number from 0 to 1e9, got " + brief(sp["value"]));
            value = sp["value"].get<double>();
        }
        s.speed_mode = mode;
        s.speed_value = value;
    }
    return s;
}

Session load_session_file(const std::string& path) { return session_from_json(read_json_file(path, "session file"), path); }

void save_session_file(const std::string& path, const Session& s) { write_file_atomic(path, dump_json(session_to_json(s))); }

std::unique_ptr<LabRun> replay_session(const Session& s, std::int64_t until_step, RunUse use) {
    auto run = make_lab_run(s.config, use, s.data);
    const std::int64_t target = until_step < 0 ? s.step : until_step;
    std::size_t next = 0;
    while (true) {
        apply_due_events(*run, s.events, next);
        if (run->step_index() >= target || !run->step()) break;
    }
    return run;
}

}  // namespace snapscope
