// libFuzzer target: the session reader (format, version, config, events, view). Any input must either be read or
// give a ConfigError (InputError for the JSON text itself); what it writes it must read back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapscope/input.hpp"
#include "snapscope/session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    nlohmann::json j;
    try {
        j = snapscope::parse_json_text(text, "fuzz");
    } catch (const snapscope::InputError&) {
        return 0;
    }
    try {
        const snapscope::Session s = snapscope::session_from_json(j, "fuzz");
        // What we write, we read back as the same session (compared through the written text).
        const nlohmann::json written = snapscope::session_to_json(s);
        const nlohmann::json again = snapscope::session_to_json(snapscope::session_from_json(written, "rt"));
        if (again.dump() != written.dump()) __builtin_trap();
    } catch (const snapscope::ConfigError&) {
    }
    return 0;
}
