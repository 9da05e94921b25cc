// libFuzzer target: what a sweep reads back from its folder (results.csv with RFC 4180 quoting, sweep.json's
// definition). Any input must either be read or give a DataError / ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapscope/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const snapscope::SweepDefinition def = [] {
        snapscope::SweepDefinition d;
        d.axes = snapscope::parse_grid("train.lr_z=0.5,1;description=\"a,b\",c");
        d.seeds = 3;
        d.base["model.kind"] = "scan_snap";
        return d;
    }();
    try {
        const auto rows = snapscope::read_sweep_results(text, "fuzz.csv", def);
        // Rows that were read are runs of the definition and write back to a file that reads the same.
        const std::string again = snapscope::sweep_results_csv(def, rows);
        const auto back = snapscope::read_sweep_results(again, "rt.csv", def);
        if (back.size() != rows.size() || snapscope::sweep_results_csv(def, back) != again) __builtin_trap();
        (void)snapscope::sweep_summary_csv(def, rows);
    } catch (const snapscope::DataError&) {
    }
    try {
        const auto d = snapscope::SweepDefinition::from_json(snapscope::parse_json_text(text, "fuzz.json"), "fuzz.json");
        (void)d.size();
        if (!snapscope::SweepDefinition::from_json(d.to_json(), "rt").difference(d).empty()) __builtin_trap();
    } catch (const snapscope::InputError&) {
    }
    return 0;
}
