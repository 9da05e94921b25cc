#pragma once

#include <string>
#include <vector>

#include "snapscope/config.hpp"
#include "snapscope/presets.hpp"

namespace snapscope::test {

inline Config preset_with(const std::string& name, const std::vector<std::string>& sets = {}) {
    FlatConfig flat = preset_config(name);
    for (const auto& s : sets) apply_assignment(flat, s);
    return resolve_config(flat, "test");
}

}  // namespace snapscope::test
