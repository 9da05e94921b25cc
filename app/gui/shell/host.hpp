// The window: GLFW + OpenGL 3.3 core (glad) + Dear ImGui. Renders frames to the
// screen and, for exports, re-renders the last frame offscreen at 1x, 2x or 4x.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app_ui.hpp"
#include "gl_textures.hpp"

struct GLFWwindow;

namespace snapscope::gui {

class HostError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Image {
    int width = 0, height = 0;
    std::vector<unsigned char> rgba;  // row 0 = top
    Image crop(int x, int y, int w, int h) const;
};

class Host {
public:
    // Throws HostError with a message for the user (e.g. no display).
    Host(int width, int height, bool visible);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    bool should_close() const;
    // One frame: events, UI from `snap`, draw to the window. Returns seconds spent building and drawing.
    double frame(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host);
    // The last frame drawn again into an offscreen buffer `scale` times larger (bitmap-scaled text). This and
    // render_scaled throw HostError, before drawing, for a picture larger than the driver renders or than memory holds.
    Image render_offscreen(int scale);
    // A fresh frame laid out and rasterised at `scale` times the window's size, with fonts and sizes scaled, so
    // text and lines stay sharp (for 2x and 4x exports). `view` is copied; panel rectangles of that frame are
    // returned in `panels` (in pixels of the image).
    // With `figure`, the panels are drawn as figures (no title bars, scrollbars or widgets) and `panels` holds their
    // content rectangles: crop to one for a panel export.
    Image render_scaled(int scale, const Snapshot& snap, const ViewState& view, ImVec4 panels[3], bool figure = false);
    GlTextures& textures() { return *textures_; }
    // The OpenGL renderer's name (GL_RENDERER), e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
    std::string renderer() const;
    // Sets the nice value of this process's software-rasteriser threads (Mesa's llvmpipe-N, started with the GL
    // context) to `nice`, so they run on what the training thread leaves free. Returns how many it lowered (0 with a
    // hardware driver).
    int lower_rasterizer_priority(int nice) const;
    void set_title(const std::string& t);
    // The window's size in screen coordinates.
    std::pair<int, int> window_size() const;

private:
    void build_fonts(float presenter_scale);
    void ensure_fonts(float presenter_scale);  // rebuilds the font atlas (between frames) when the presenter scale changed
    float font_scale_ = 0;
    GLFWwindow* window_ = nullptr;
    std::unique_ptr<GlTextures> textures_;
    // Fonts at 1x, 2x and 4x: [scale index][normal, large].
    void* fonts_[3][2] = {{nullptr, nullptr}, {nullptr, nullptr}, {nullptr, nullptr}};
};

}  // namespace snapscope::gui
