#include "lab_commands.hpp"

#include "tpg/graph_cmd.hpp"
#include "transformer/symmetry_cmd.hpp"

namespace snapscope::cli {

std::vector<std::unique_ptr<LabCommand>> lab_commands() {
    std::vector<std::unique_ptr<LabCommand>> out;
    // One line per lab that adds commands.
    out.push_back(tpg_graph_command());
    out.push_back(transformer_symmetry_command());
    return out;
}

}  // namespace snapscope::cli
