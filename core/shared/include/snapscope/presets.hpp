// Presets: the config files of assets/presets/, compiled into the library so
// every binary has them without finding the source tree.
#pragma once

#include <string>
#include <vector>

#include "snapscope/config.hpp"

namespace snapscope {

struct Preset {
    std::string name;
    std::string description;
    std::string text;  // the JSON file's contents
};

const std::vector<Preset>& presets();
const Preset* find_preset(const std::string& name);
// Throws ConfigError ("unknown preset 'x' (available: ...)").
FlatConfig preset_config(const std::string& name);
constexpr const char* kDefaultPreset = "fig4";

}  // namespace snapscope
