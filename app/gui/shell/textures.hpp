// Where heatmap images come from. The GUI uses GlTextures (colour-mapped on the
// GPU by shaders/heatmap.frag); windowless tests use no backend and panels draw
// a placeholder, so UI logic runs without GL.
#pragma once

#include <string>

#include <imgui.h>

#include "colormap.hpp"

namespace snapscope::gui {

class HeatmapTextures {
public:
    virtual ~HeatmapTextures() = default;
    // Uploads a rows x cols row-major image (row 0 drawn at the top) under `key` and returns a texture holding
    // its colour-mapped pixels, one texel per cell; or, when the image has more rows (columns) than `max_rows`
    // (`max_cols`, 0: no limit: the pixels it is drawn on), that many texels, each the colour of the cell at its centre
    // (what nearest-neighbour sampling would show), so a 3000-row image is not coloured in full every frame.
    virtual ImTextureID heatmap(const std::string& key, int rows, int cols, const float* data, Colormap map, float vmin,
                                float vmax, int max_rows = 0, int max_cols = 0) = 0;
};

}  // namespace snapscope::gui
