#include "snapscope/presets.hpp"

#include "presets_data.hpp"

namespace snapscope {

const std::vector<Preset>& presets() {
    static const std::vector<Preset> all = [] {
        std::vector<Preset> v;
        for (std::size_t i = 0; i < kEmbeddedPresetCount; ++i) {
            Preset p;
            p.name = kEmbeddedPresets[i].name;
            p.text = kEmbeddedPresets[i].text;
            try {
                const auto flat = parse_config_text(p.text, "preset " + p.name);
                auto it = flat.find("description");
                if (it != flat.end() && it->second.is_string()) p.description = it->second.get<std::string>();
            } catch (const ConfigError&) {
                p.description = "(invalid preset file)";
            }
            v.push_back(std::move(p));
        }
        return v;
    }();
    return all;
}

const Preset* find_preset(const std::string& name) {
    for (const auto& p : presets())
        if (p.name == name) return &p;
    return nullptr;
}

FlatConfig preset_config(const std::string& name) {
    const Preset* p = find_preset(name);
    if (!p) {
        std::string list;
        for (const auto& q : presets()) list += (list.empty() ? "" : ", ") + q.name;
        throw ConfigError("", "unknown preset '" + name + "' (available: " + list + ")");
    }
    return parse_config_text(p->text, "preset " + name);
}

}  // namespace snapscope
