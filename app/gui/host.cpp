#include "host.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <glad/gl.h>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

namespace snapscope::gui {

namespace {

std::string g_glfw_error;

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
    io.IniFilename = nullptr;  // the layout is fixed; sessions carry view settings
    apply_style();
    const char* ttf = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    if (std::filesystem::exists(ttf)) {
        ImFontConfig fc;
        fc.OversampleH = 2;
        font_normal_ = io.Fonts->AddFontFromFileTTF(ttf, 15.0f, &fc);
        font_large_ = io.Fonts->AddFontFromFileTTF(ttf, 24.0f, &fc);
    }
    if (!font_normal_) {
        font_normal_ = io.Fonts->AddFontDefault();
        ImFontConfig big;
        big.SizePixels = 26;
        font_large_ = io.Fonts->AddFontDefault(&big);
    }
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    textures_ = std::make_unique<GlTextures>();
}

Host::~Host() {
    textures_.reset();
    if (window_) {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
        glfwDestroyWindow(window_);
        glfwTerminate();
    }
}

bool Host::should_close() const { return glfwWindowShouldClose(window_); }

void Host::set_title(const std::string& t) { glfwSetWindowTitle(window_, t.c_str()); }

double Host::frame(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host) {
    glfwPollEvents();
    const auto t0 = std::chrono::steady_clock::now();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    ImGui::PushFont(static_cast<ImFont*>(view.large_font ? font_large_ : font_normal_));
    draw_app(snap, view, send, textures_.get(), host);
    ImGui::PopFont();
    ImGui::Render();
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, w, h);
    glClearColor(0.06f, 0.07f, 0.08f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    glfwSwapBuffers(window_);
    return spent;
}

Image Host::render_offscreen(int scale) {
    ImDrawData* dd = ImGui::GetDrawData();
    Image img;
    if (!dd || !dd->Valid) return img;
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
        glClearColor(0.06f, 0.07f, 0.08f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(dd);
        std::vector<unsigned char> px(static_cast<std::size_t>(img.width) * img.height * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, img.width, img.height, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
        img.rgba.resize(px.size());
        const std::size_t row = static_cast<std::size_t>(img.width) * 4;
        for (int r = 0; r < img.height; ++r)  // GL rows are bottom-up
            std::copy_n(px.begin() + (img.height - 1 - r) * row, row, img.rgba.begin() + r * row);
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

}  // namespace snapscope::gui
