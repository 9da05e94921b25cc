#include "lab_window.hpp"

#include "scansnap/scansnap_window.hpp"
#include "tpg/tpg_window.hpp"
#include "transformer/transformer_window.hpp"

namespace snapscope::gui {

std::unique_ptr<WindowRun> WindowRun::make_companion(const std::string& name, std::size_t, std::size_t&) const {
    throw ConfigError("", "the " + lab_for(run().config()).title + " lab has no companion run '" + name + "'");
}

WindowRun::LabCommandResult WindowRun::apply(const LabCommand&) {
    throw ConfigError("", "the " + lab_for(run().config()).title + " lab does not take this command");
}

const std::vector<WindowLab>& window_labs() {
    // One line per lab.
    static const std::vector<WindowLab> labs = {
        scansnap_window_lab(),
        tpg_window_lab(),
        transformer_window_lab(),
    };
    return labs;
}

std::unique_ptr<WindowRun> make_window_run(const Config& cfg, const nlohmann::json& data) {
    const LabSpec& spec = lab_for(cfg);  // (throws naming model.kind for an unknown lab)
    for (const WindowLab& w : window_labs())
        if (w.kind == spec.kind) return w.make(cfg, data);
    throw ConfigError("model.kind", "the window has no view of the " + spec.title + " lab");
}

}  // namespace snapscope::gui
