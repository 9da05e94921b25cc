// snapscope-cli symmetry: the symmetry facts of Zuo and Guerzhoy measured on a model (the transformer lab's command).
#pragma once

#include <memory>

#include "lab_commands.hpp"

namespace snapscope::cli {

std::unique_ptr<LabCommand> transformer_symmetry_command();

}  // namespace snapscope::cli
