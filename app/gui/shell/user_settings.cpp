#include "user_settings.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "snapscope/files.hpp"
#include "snapscope/input.hpp"

namespace snapscope::gui {

std::string user_settings_path() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/') return std::string(xdg) + "/snapscope/settings.json";
    const char* home = std::getenv("HOME");
    if (home && *home) return std::string(home) + "/.config/snapscope/settings.json";
    return "";
}

UserSettings load_user_settings(const std::string& path, std::vector<std::string>& warnings) {
    UserSettings s;
    if (path.empty()) return s;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return s;
    nlohmann::json j;
    try {
        j = parse_json_text(read_input_file(path, "settings file", 1 << 16), path);
    } catch (const std::exception& e) {
        warnings.push_back(std::string(e.what()) + "; the defaults are used");
        return s;
    }
    if (!j.is_object()) {
        warnings.push_back(path + ": expected an object, got " + brief(j) + "; the defaults are used");
        return s;
    }
    auto integer = [&](const char* key, int& out, int lo, int hi) {
        if (!j.contains(key)) return;
        const nlohmann::json& v = j[key];
        if ((v.is_number_integer() || v.is_number_unsigned()) && v.get<double>() >= lo && v.get<double>() <= hi) out = v.get<int>();
        else warnings.push_back(path + ": key '" + key + "': expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                                ", got " + brief(v) + "; ignored");
    };
    integer("width", s.width, 320, 16384);
    integer("height", s.height, 240, 16384);
    if (j.contains("presenter")) {
        if (j["presenter"].is_boolean()) s.presenter = j["presenter"].get<bool>();
        else warnings.push_back(path + ": key 'presenter': expected true or false, got " + brief(j["presenter"]) + "; ignored");
    }
    if (j.contains("font_scale")) {
        const nlohmann::json& v = j["font_scale"];
        if (v.is_number() && v.get<double>() >= kMinFontScale && v.get<double>() <= kMaxFontScale) s.font_scale = v.get<float>();
        else warnings.push_back(path + ": key 'font_scale': expected a number from 1.5 to 2.5, got " + brief(v) + "; ignored");
    }
    if (j.contains("theme")) {
        const nlohmann::json& v = j["theme"];
        const std::string t = v.is_string() ? v.get<std::string>() : "";
        if (t == "auto" || t == "dark" || t == "light") s.theme = t == "auto" ? 0 : t == "dark" ? 1 : 2;
        else warnings.push_back(path + ": key 'theme': expected \"auto\", \"dark\" or \"light\", got " + brief(v) + "; ignored");
    }
    auto fraction = [&](const char* key, float& out, double lo, double hi) {
        if (!j.contains(key)) return;
        const nlohmann::json& v = j[key];
        if (v.is_number() && (v.get<double>() == 0 || (v.get<double>() >= lo && v.get<double>() <= hi))) out = v.get<float>();
        else {
            char range[64];
            std::snprintf(range, sizeof range, "0 (the default) or a number from %g to %g", lo, hi);
            warnings.push_back(path + ": key '" + key + "': expected " + range + ", got " + brief(v) + "; ignored");
        }
    };
    fraction("controls_width", s.controls_fraction, 0.001, 0.999);
    fraction("top_height", s.top_fraction, 0.001, 0.999);
    if (j.contains("windows")) {
        const nlohmann::json& w = j["windows"];
        if (!w.is_object()) warnings.push_back(path + ": key 'windows': expected an object {name: [x, y, width, height]}, got " + brief(w) + "; ignored");
        else
            for (auto it = w.begin(); it != w.end(); ++it) {
                const std::string where = path + ": key 'windows' / '" + brief_text(it.key()) + "'";
                if (s.windows.size() >= kMaxRememberedWindows) {
                    warnings.push_back(path + ": key 'windows': more than " + std::to_string(kMaxRememberedWindows) + " windows; the rest ignored");
                    break;
                }
                const nlohmann::json& v = it.value();
                bool ok = !it.key().empty() && it.key().size() <= 200 && it.key().find('\0') == std::string::npos && v.is_array() && v.size() == 4;
                for (std::size_t k = 0; ok && k < 4; ++k) ok = v[k].is_number() && std::isfinite(v[k].get<double>()) && std::abs(v[k].get<double>()) <= 16384;
                if (ok) ok = v[2].get<double>() >= 20 && v[3].get<double>() >= 20;
                if (!ok) {
                    warnings.push_back(where + ": expected [x, y, width, height] in pixels (sizes from 20 to 16384), got " + brief(v) + "; ignored");
                    continue;
                }
                s.windows.push_back({it.key(), v[0].get<float>(), v[1].get<float>(), v[2].get<float>(), v[3].get<float>()});
            }
    }
    return s;
}

void save_user_settings(const std::string& path, const UserSettings& s) {
    if (path.empty()) return;
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw IoError("cannot make the folder '" + parent.string() + "': " + ec.message());
    nlohmann::json j = {{"width", s.width}, {"height", s.height}, {"presenter", s.presenter}, {"font_scale", std::round(static_cast<double>(s.font_scale) * 100) / 100},
                              {"theme", s.theme == 1 ? "dark" : s.theme == 2 ? "light" : "auto"}};
    // (To 1e-4 of the window: a tenth of a pixel on a 1280-pixel screen, so the panels come back where they were.)
    auto round4 = [](float v) { return std::round(static_cast<double>(v) * 10000) / 10000; };
    j["controls_width"] = round4(s.controls_fraction);
    j["top_height"] = round4(s.top_fraction);
    nlohmann::json windows = nlohmann::json::object();
    for (const UserSettings::Place& p : s.windows)
        if (windows.size() < kMaxRememberedWindows) windows[p.name] = {std::round(p.x), std::round(p.y), std::round(p.w), std::round(p.h)};
    j["windows"] = windows;
    write_file_atomic(path, dump_json(j));
}

}  // namespace snapscope::gui
