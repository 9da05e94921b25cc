// libFuzzer target: the config parser and validator. Any input must either resolve or throw ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapscope/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const snapscope::Config c = snapscope::resolve_config(snapscope::parse_config_text(text, "fuzz"), "fuzz");
        // A resolved config must round-trip: what it writes reads back as the same config.
        const nlohmann::json written = snapscope::config_to_json(c);
        const snapscope::Config back = snapscope::resolve_config(snapscope::flatten_config(written, "rt"), "rt");
        if (snapscope::config_to_json(back) != written) __builtin_trap();
    } catch (const snapscope::ConfigError&) {
    }
    return 0;
}
