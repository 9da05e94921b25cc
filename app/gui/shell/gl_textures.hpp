// Heatmaps on the GPU: the data goes up as an R32F texture, and shaders/heatmap.frag colours it where the image is
// drawn, through a callback in ImGui's draw list (one pass over the pixels drawn, no render-to-texture pass: on a
// software renderer such a pass made every frame wait for the previous one to be rasterised). Offscreen exports render
// the same draw lists, so they go through the same shader.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "textures.hpp"

namespace snapscope::gui {

class GlTextures final : public HeatmapTextures {
public:
    GlTextures();  // needs a current GL 3.3 context; throws std::runtime_error if the shaders do not build
    ~GlTextures() override;
    bool draw(ImDrawList* dl, ImVec2 a, ImVec2 b, const std::string& key, int rows, int cols, const float* data, Colormap map,
              float vmin, float vmax) override;

    // Uploads an image under `key` without drawing it (what draw() does first). False if it is too large.
    bool upload(const std::string& key, int rows, int cols, const float* data, Colormap map, float vmin, float vmax);
    // The image last uploaded under `key`, coloured by the shader into an out_rows x out_cols picture (RGBA8, row 0
    // first), as it would be drawn in a box of that many pixels. Empty if there is none. For tests.
    std::vector<unsigned char> render(const std::string& key, int out_rows, int out_cols);
    // The rectangle (x0, y0, x1, y1) `key` was last drawn in, in ImGui's coordinates; zero if never drawn.
    ImVec4 last_box(const std::string& key) const;

private:
    // Two data textures per image, used in turn, so an upload never writes the texture an earlier draw that is
    // not rendered yet (or still being rendered) reads.
    struct Slot {
        unsigned tex[2] = {0, 0};
        int current = 0;  // the texture uploaded last
        int rows = 0, cols = 0;
        Colormap map = Colormap::Viridis;
        float vmin = 0, vmax = 1;
        ImVec4 box{0, 0, 0, 0};
    };
    // What one drawn image needs when its callback runs (kept for this frame and the one before, since an export
    // may render the previous frame's draw data again).
    struct DrawCall {
        GlTextures* self = nullptr;
        unsigned tex = 0;
        Colormap map = Colormap::Viridis;
        float vmin = 0, vmax = 1;
        ImVec2 a, b;
    };
    static void on_draw(const ImDrawList* dl, const ImDrawCmd* cmd);
    // Draws one image with the shader into the bound framebuffer; rect = top-left and bottom-right in clip space.
    void draw_quad(unsigned tex, Colormap map, float vmin, float vmax, const float rect[4]);
    std::map<std::string, Slot> slots_;
    std::vector<std::unique_ptr<DrawCall>> calls_[2];
    int calls_frame_ = -1;
    unsigned program_ = 0, vao_ = 0;
    int u_map_ = -1, u_min_ = -1, u_max_ = -1, u_data_ = -1, u_rect_ = -1;
};

}  // namespace snapscope::gui
