#include "host.hpp"
#include "user_settings.hpp"

#include <algorithm>
#include <cmath>
#include <cfloat>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <sys/resource.h>

#include <glad/gl.h>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include "app_ui.hpp"
#include "keys.hpp"
#include "open_data.hpp"
#include "theme.hpp"
#include "snapscope/config.hpp"
#include "snapscope/limits.hpp"

namespace snapscope::gui {

namespace {

std::string g_glfw_error;
GLFWkeyfun g_imgui_key_callback = nullptr;

// Every press reaches the shortcut queue, even one released before the next frame polls the keys.
void on_key(GLFWwindow* w, int key, int scancode, int action, int mods) {
    if (g_imgui_key_callback) g_imgui_key_callback(w, key, scancode, action, mods);
    if (action == GLFW_PRESS) key_queue_push(key, false);
    else if (action == GLFW_REPEAT) key_queue_push(key, true);
}

// Files dropped on the window since the last frame (GLFW calls this from glfwPollEvents, on the UI thread).
std::vector<std::string> g_dropped;
void on_drop(GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count && i < 64; ++i)
        if (paths[i]) g_dropped.emplace_back(paths[i]);
}

// Whether the frame last built is in the light theme (its clear colour too).
bool g_light = false;
ImVec4 clear_colour() { return g_light ? light_colour(frame_clear_colour()) : frame_clear_colour(); }
// After ImGui::Render(): the light theme's colours, when it is on.
void finish_frame(const ViewState& view) {
    g_light = light_theme(view);
    if (g_light) lighten_draw_data(ImGui::GetDrawData(), ImGui::GetIO().Fonts->TexID);
}

void on_glfw_error(int code, const char* what) { g_glfw_error = "GLFW error " + std::to_string(code) + ": " + (what ? what : "?"); }

void apply_style() {
    ImGui::StyleColorsDark();
    ImGuiStyle& s = ImGui::GetStyle();
    s.WindowRounding = 0;
    s.FrameRounding = 3;
    s.GrabRounding = 3;
    s.WindowBorderSize = 1;
    s.ItemSpacing = ImVec2(7, 5);
    ImVec4* c = s.Colors;
    c[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
    c[ImGuiCol_TitleBg] = c[ImGuiCol_TitleBgActive] = ImVec4(0.13f, 0.15f, 0.19f, 1.0f);
    c[ImGuiCol_FrameBg] = ImVec4(0.15f, 0.17f, 0.21f, 1.0f);
    c[ImGuiCol_Button] = ImVec4(0.20f, 0.32f, 0.48f, 1.0f);
    c[ImGuiCol_ButtonHovered] = ImVec4(0.27f, 0.42f, 0.62f, 1.0f);
    c[ImGuiCol_PlotHistogram] = ImVec4(0.55f, 0.75f, 1.0f, 1.0f);
}

}  // namespace

Image Image::crop(int x, int y, int w, int h) const {
    Image out;
    x = std::max(0, x);
    y = std::max(0, y);
    w = std::min(w, width - x);
    h = std::min(h, height - y);
    if (w <= 0 || h <= 0) return out;
    out.width = w;
    out.height = h;
    out.rgba.resize(static_cast<std::size_t>(w) * h * 4);
    for (int r = 0; r < h; ++r)
        std::copy_n(rgba.begin() + (static_cast<std::size_t>(y + r) * width + x) * 4, static_cast<std::size_t>(w) * 4,
                    out.rgba.begin() + static_cast<std::size_t>(r) * w * 4);
    return out;
}

Host::Host(int width, int height, bool visible) {
    const char* d = std::getenv("DISPLAY");
    const char* wl = std::getenv("WAYLAND_DISPLAY");
    glfwSetErrorCallback(on_glfw_error);
    if ((!d || !*d) && (!wl || !*wl))
        throw HostError("no display (DISPLAY is not set). The GUI needs a desktop session; on a server use the headless tool, "
                        "e.g. `snapscope-cli run --preset fig4 --out DIR`, or run the GUI under `xvfb-run -a`.");
    if (!glfwInit())
        throw HostError("cannot open a window (" + g_glfw_error + "). Check DISPLAY, or use the headless tool "
                        "`snapscope-cli run --preset fig4 --out DIR`.");
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
    window_ = glfwCreateWindow(width, height, "snapscope", nullptr, nullptr);
    if (!window_) {
        glfwTerminate();
        throw HostError("cannot create an OpenGL 3.3 window (" + g_glfw_error + "). Use the headless tool `snapscope-cli`.");
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(1);
    if (!gladLoadGL(glfwGetProcAddress)) throw HostError("cannot load OpenGL 3.3 functions");

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini in the working folder: the layout is kept in the user settings (window_places)
    apply_style();
    build_fonts(1.6f);
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    g_imgui_key_callback = glfwSetKeyCallback(window_, on_key);  // chained: ImGui's callback still runs first
    glfwSetDropCallback(window_, on_drop);
    key_queue_enable(true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    textures_ = std::make_unique<GlTextures>();
}

Host::~Host() {
    textures_.reset();
    key_queue_enable(false);
    if (window_) {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
        glfwDestroyWindow(window_);
        glfwTerminate();
    }
}

std::string Host::renderer() const {
    const GLubyte* r = glGetString(GL_RENDERER);
    return r ? reinterpret_cast<const char*>(r) : "unknown";
}

int Host::lower_rasterizer_priority(int nice) const {
    int n = 0;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator("/proc/self/task", ec)) {
        std::FILE* f = std::fopen((t.path() / "comm").c_str(), "r");
        if (!f) continue;
        char comm[32] = {0};
        const bool ok = std::fgets(comm, sizeof comm, f) != nullptr;
        std::fclose(f);
        if (!ok || std::strncmp(comm, "llvmpipe-", 9) != 0) continue;
        const long tid = std::strtol(t.path().filename().c_str(), nullptr, 10);
        if (tid > 0 && setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) == 0) ++n;
    }
    return n;
}

void Host::build_fonts(float presenter_scale) {
    // DejaVu Sans (Debian's fonts-dejavu-core) rasterised at each size it is drawn at: 15 px and the presenter size, at
    // 1x, 2x and 4x (exports), so text stays crisp at any presenter scale; ImGui's bitmap font when it is missing.
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    const char* ttf = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    const bool have_ttf = std::filesystem::exists(ttf);
    for (int k = 0; k < 3; ++k) {
        const float scale = static_cast<float>(1 << k);
        for (int big = 0; big < 2; ++big) {
            const float px = std::round((big ? 15.0f * presenter_scale : 15.0f) * scale);
            fonts_[k][big] = nullptr;
            if (have_ttf) {
                ImFontConfig fc;
                fc.OversampleH = k == 0 ? 2 : 1;
                fonts_[k][big] = io.Fonts->AddFontFromFileTTF(ttf, px, &fc);
            }
            if (!fonts_[k][big]) {
                ImFontConfig fc;
                fc.SizePixels = 13.0f * scale * (big ? presenter_scale : 1.0f);
                fonts_[k][big] = io.Fonts->AddFontDefault(&fc);
            }
        }
    }
    font_scale_ = presenter_scale;
}

void Host::ensure_fonts(float presenter_scale) {
    if (presenter_scale == font_scale_) return;
    build_fonts(presenter_scale);
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
}

std::pair<int, int> Host::window_size() const {
    int w = 0, h = 0;
    glfwGetWindowSize(window_, &w, &h);
    return {w, h};
}

bool Host::should_close() const { return glfwWindowShouldClose(window_); }

void Host::set_title(const std::string& t) { glfwSetWindowTitle(window_, t.c_str()); }

double Host::frame(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host) {
    glfwPollEvents();
    key_queue_new_frame();
    // A file dropped on the window opens as data (the first one, if several: one run at a time).
    if (!g_dropped.empty()) {
        const std::string path = g_dropped.front();
        g_dropped.clear();
        if (ImGui::GetCurrentContext()) open_data_path(snap, view, send, path);
    }
    const auto t0 = std::chrono::steady_clock::now();
    ensure_fonts(std::clamp(view.font_scale, kMinFontScale, kMaxFontScale));
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    ImGui::PushFont(static_cast<ImFont*>(fonts_[0][view.large_font ? 1 : 0]));
    begin_theme_frame();
    draw_app(snap, view, send, textures_.get(), host);
    ImGui::PopFont();
    ImGui::Render();
    finish_frame(view);
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, w, h);
    const ImVec4 bg = clear_colour();  // the tiled windows draw no background of their own
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    glfwSwapBuffers(window_);
    return spent;
}

namespace {

// Refuses a picture this OpenGL driver cannot render, or whose pixels would not fit in memory (the texture, which a
// software renderer keeps in RAM, the image read back, and the PNG encoder's copy), before anything is drawn.
void check_picture(double width, double height) {
    GLint max_tex = 0, vp[2] = {0, 0};
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_tex);
    glGetIntegerv(GL_MAX_VIEWPORT_DIMS, vp);
    const double most = std::min({static_cast<double>(max_tex), static_cast<double>(vp[0]), static_cast<double>(vp[1])});
    char buf[400];
    if (most > 0 && (width > most || height > most)) {
        std::snprintf(buf, sizeof buf,
                      "the picture would be %.0f x %.0f pixels; this OpenGL driver renders at most %.0f x %.0f: lower the scale (--scale, "
                      "or the export scale) or the window size (--width/--height)",
                      width, height, most, most);
        throw HostError(buf);
    }
    const double need = width * height * 4 * 3;
    const double limit = static_cast<double>(memory_limit_bytes(Config{}));
    if (need > limit) {
        std::snprintf(buf, sizeof buf,
                      "the picture would be %.0f x %.0f pixels and need about %s, more than the memory limit of %s: lower the scale "
                      "(--scale, or the export scale) or the window size (--width/--height)",
                      width, height, format_bytes(need).c_str(), format_bytes(limit).c_str());
        throw HostError(buf);
    }
}

// Renders draw data into a new RGBA image of its display size times `scale`.
Image rasterise(ImDrawData* dd, int scale) {
    check_picture(static_cast<double>(dd->DisplaySize.x) * scale, static_cast<double>(dd->DisplaySize.y) * scale);
    Image img;
    const ImVec2 keep = dd->FramebufferScale;
    dd->FramebufferScale = ImVec2(static_cast<float>(scale), static_cast<float>(scale));
    img.width = static_cast<int>(dd->DisplaySize.x * scale);
    img.height = static_cast<int>(dd->DisplaySize.y * scale);
    GLuint fbo = 0, tex = 0;
    glGenFramebuffers(1, &fbo);
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, img.width, img.height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
    if (glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE) {
        glViewport(0, 0, img.width, img.height);
        const ImVec4 bg = clear_colour();
        glClearColor(bg.x, bg.y, bg.z, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(dd);
        img.rgba.resize(static_cast<std::size_t>(img.width) * img.height * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, img.width, img.height, GL_RGBA, GL_UNSIGNED_BYTE, img.rgba.data());
        const std::size_t row = static_cast<std::size_t>(img.width) * 4;
        for (int r = 0; r < img.height / 2; ++r)  // GL rows are bottom-up: flip in place
            std::swap_ranges(img.rgba.begin() + static_cast<std::ptrdiff_t>(r * row), img.rgba.begin() + static_cast<std::ptrdiff_t>((r + 1) * row),
                             img.rgba.begin() + static_cast<std::ptrdiff_t>((img.height - 1 - r) * row));
        for (std::size_t i = 3; i < img.rgba.size(); i += 4) img.rgba[i] = 255;
    } else {
        img = Image{};
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &fbo);
    glDeleteTextures(1, &tex);
    dd->FramebufferScale = keep;
    return img;
}

}  // namespace

Image Host::render_scaled(int scale, const Snapshot& snap, const ViewState& view_in, ImVec4 panels[3], bool figure) {
    const int k = scale >= 4 ? 2 : scale >= 2 ? 1 : 0;
    scale = 1 << k;
    ImGuiIO& io = ImGui::GetIO();
    check_picture(static_cast<double>(io.DisplaySize.x) * scale, static_cast<double>(io.DisplaySize.y) * scale);
    const ImVec2 keep_size = io.DisplaySize, keep_mouse = io.MousePos;
    const ImGuiStyle keep_style = ImGui::GetStyle();
    ImGui::GetStyle().ScaleAllSizes(static_cast<float>(scale));
    io.DisplaySize = ImVec2(keep_size.x * scale, keep_size.y * scale);
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);  // nothing hovered in the picture
    ViewState view = view_in;
    view.figure = figure;
    view.still = true;  // a picture: no animation
    ensure_fonts(std::clamp(view.font_scale, kMinFontScale, kMaxFontScale));
    HostRequests ignored;
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    ImGui::PushFont(static_cast<ImFont*>(fonts_[k][view.large_font ? 1 : 0]));
    begin_theme_frame();
    draw_app(snap, view, [](Command) {}, textures_.get(), ignored);
    ImGui::PopFont();
    ImGui::Render();
    finish_frame(view);
    Image img;
    try {
        img = rasterise(ImGui::GetDrawData(), 1);
    } catch (...) {
        ImGui::GetStyle() = keep_style;
        io.DisplaySize = keep_size;
        io.MousePos = keep_mouse;
        throw;
    }
    for (int p = 0; p < 3; ++p)
        panels[p] = figure ? view.panel_content[p] : ImVec4(view.panel_pos[p].x, view.panel_pos[p].y, view.panel_size[p].x, view.panel_size[p].y);
    ImGui::GetStyle() = keep_style;
    io.DisplaySize = keep_size;
    io.MousePos = keep_mouse;
    return img;
}

Image Host::render_offscreen(int scale) {
    ImDrawData* dd = ImGui::GetDrawData();
    if (!dd || !dd->Valid) return Image{};
    return rasterise(dd, scale);
}

}  // namespace snapscope::gui
