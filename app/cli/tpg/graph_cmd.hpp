// snapscope-cli graph: the token-priority graphs, their SCCs and W_svm of a JSON Lines dataset (the tpg lab's
// command).
#pragma once

#include <memory>

#include "lab_commands.hpp"

namespace snapscope::cli {

std::unique_ptr<LabCommand> tpg_graph_command();

}  // namespace snapscope::cli
