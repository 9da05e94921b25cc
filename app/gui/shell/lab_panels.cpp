#include "lab_panels.hpp"

#include "scansnap/scansnap_panels.hpp"
#include "tpg/tpg_panels.hpp"
#include "transformer/transformer_panels.hpp"

namespace snapscope::gui {

const std::vector<LabPanels>& lab_panels() {
    // One line per lab.
    static const std::vector<LabPanels> labs = {
        scansnap_panels(),
        tpg_panels(),
        transformer_panels(),
    };
    return labs;
}

const LabPanels& panels_for(const Snapshot& snap) {
    for (const LabPanels& p : lab_panels())
        if (snap.info && p.kind == snap.info->config.model.kind) return p;
    return lab_panels().front();
}

}  // namespace snapscope::gui
