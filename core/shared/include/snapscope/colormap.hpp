// The colour maps of shaders/heatmap.frag, on the CPU (colour bars, the headless tool's PNG figures, tests).
#pragma once

#include <array>

namespace snapscope {

enum class Colormap { Viridis = 0, Diverging = 1 };

// RGB in [0, 1]. Viridis maps [vmin, vmax] to the ramp; Diverging maps [-m, m], m = max(|vmin|, |vmax|).
std::array<float, 3> colormap_rgb(Colormap map, float v, float vmin, float vmax);

}  // namespace snapscope
