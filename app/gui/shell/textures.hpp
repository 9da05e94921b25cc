// Where heatmap images come from. The GUI uses GlTextures (colour-mapped on the
// GPU by shaders/heatmap.frag as the frame is rendered); windowless tests use no
// backend and panels draw a placeholder, so UI logic runs without GL.
#pragma once

#include <string>

#include <imgui.h>

#include "colormap.hpp"

namespace snapscope::gui {

class HeatmapTextures {
public:
    virtual ~HeatmapTextures() = default;
    // Draws a rows x cols row-major image (row 0 at the top) into the rectangle [a, b] of `dl`, under `key` (one key
    // per image on screen), coloured with `map` over [vmin, vmax]: each pixel gets the colour of the cell under its
    // centre, so the work is the pixels drawn, whatever the image's size. Returns false when this renderer cannot
    // draw it (an image larger than a texture may be); the caller then draws a placeholder.
    virtual bool draw(ImDrawList* dl, ImVec2 a, ImVec2 b, const std::string& key, int rows, int cols, const float* data,
                      Colormap map, float vmin, float vmax) = 0;
};

}  // namespace snapscope::gui
