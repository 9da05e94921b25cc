// What the window remembers between runs, per user: its size, presenter mode, the presenter font scale, the theme and
// the layout (the splitters between the panels, where the floating windows were), in
// $XDG_CONFIG_HOME/snapscope/settings.json (default ~/.config/snapscope/settings.json). Every value is type- and
// range-checked when read (a wrong one is ignored with a warning naming the file and the key); the file is written
// atomically. Command-line flags win over it; --screenshot and --movie neither read nor write it (their pictures do
// not depend on the last session).
#pragma once

#include <string>
#include <vector>

namespace snapscope::gui {

struct UserSettings {
    int width = 1280, height = 800;
    bool presenter = false;   // presenter mode (large font, mouse highlight, advanced controls hidden)
    float font_scale = 1.6f;  // presenter mode's text size over the normal 15 px, 1.5 to 2.5
    int theme = 0;            // 0 auto (light in presenter mode), 1 dark, 2 light: "auto", "dark", "light" in the file
    // The layout: the Controls panel's width and the top panels' height as fractions of the window (0: the default),
    // "controls_width" and "top_height" in the file; and each floating window's place, "windows": {name: [x, y, w, h]}.
    float controls_fraction = 0, top_fraction = 0;
    struct Place {
        std::string name;
        float x = 0, y = 0, w = 0, h = 0;
    };
    std::vector<Place> windows;
};
constexpr std::size_t kMaxRememberedWindows = 64;
constexpr float kMinFontScale = 1.5f, kMaxFontScale = 2.5f;

// The settings file's path ("" if neither XDG_CONFIG_HOME nor HOME is set).
std::string user_settings_path();
// Reads `path`; a missing file gives the defaults and no warning. Never throws.
UserSettings load_user_settings(const std::string& path, std::vector<std::string>& warnings);
// Writes atomically (the folder made). Throws snapscope::IoError.
void save_user_settings(const std::string& path, const UserSettings& s);

}  // namespace snapscope::gui
