// Heatmap textures on the GPU: the data goes up as an R32F texture and
// shaders/heatmap.frag colours it into an RGBA8 texture (one texel per cell),
// which ImGui draws and which offscreen exports read back.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "textures.hpp"

namespace snapscope::gui {

class GlTextures final : public HeatmapTextures {
public:
    GlTextures();  // needs a current GL 3.3 context; throws std::runtime_error if the shaders do not build
    ~GlTextures() override;
    ImTextureID heatmap(const std::string& key, int rows, int cols, const float* data, Colormap map, float vmin, float vmax,
                        int max_rows = 0, int max_cols = 0) override;
    // RGBA8 pixels of a heatmap's colour texture, row 0 first (for tests).
    std::vector<unsigned char> read_back(const std::string& key, int& rows, int& cols) const;

private:
    struct Slot {
        unsigned data_tex = 0, color_tex = 0, fbo = 0;
        int rows = 0, cols = 0;          // the data
        int out_rows = 0, out_cols = 0;  // the colour texture
    };
    std::map<std::string, Slot> slots_;
    unsigned program_ = 0, vao_ = 0;
    int u_map_ = -1, u_min_ = -1, u_max_ = -1, u_data_ = -1, u_step_ = -1;
};

}  // namespace snapscope::gui
