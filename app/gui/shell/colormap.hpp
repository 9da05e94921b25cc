// The colour maps live in the core (snapscope/colormap.hpp), shared with the headless tool's figures.
#pragma once

#include "snapscope/colormap.hpp"

namespace snapscope::gui {
using snapscope::Colormap;
using snapscope::colormap_rgb;
}  // namespace snapscope::gui
