// The window's themes: the dark one it is drawn in, and a light high-contrast one for projectors (on in presenter
// mode unless the dark one is chosen). The light theme is the dark frame's colours mapped once the frame is built:
// greys are inverted (white text on near-black becomes black text on white), colours that would be faint on white
// are darkened to keep their hue, and data colours keep their values: heatmap textures, and what a lab draws inside
// a DataColours scope (a colour map's cells, a colour bar, the numbers written on them).
#pragma once

#include <imgui.h>

namespace snapscope::gui {

struct ViewState;

enum class Theme { Auto = 0, Dark = 1, Light = 2 };  // Auto: light in presenter mode
bool light_theme(const ViewState& view);

// The light theme's colour for a dark-theme colour (alpha kept).
ImU32 light_colour(ImU32 dark);
ImVec4 light_colour(const ImVec4& dark);

// Geometry added to `dl` while this lives keeps its colours in the light theme (it shows data).
class DataColours {
public:
    explicit DataColours(ImDrawList* dl);
    ~DataColours();
    DataColours(const DataColours&) = delete;
    DataColours& operator=(const DataColours&) = delete;

private:
    ImDrawList* dl_;
    int start_;
};

// Forgets the data ranges of the last frame (call before a frame is built).
void begin_theme_frame();
// Maps every vertex colour of `dd` to the light theme's, except those of textured draws other than `font_texture`
// (heatmaps) and of DataColours scopes.
void lighten_draw_data(ImDrawData* dd, ImTextureID font_texture);

}  // namespace snapscope::gui
