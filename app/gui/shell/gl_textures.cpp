#include "gl_textures.hpp"

#include <algorithm>
#include <stdexcept>

#include <glad/gl.h>

#include "shaders_data.hpp"

namespace snapscope::gui {

namespace {

unsigned compile(GLenum type, const char* src, const char* name) {
    const GLuint s = glCreateShader(type);
    glShaderSource(s, 1, &src, nullptr);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048];
        glGetShaderInfoLog(s, sizeof log, nullptr, log);
        glDeleteShader(s);
        throw std::runtime_error(std::string("shader ") + name + " does not compile: " + log);
    }
    return s;
}

}  // namespace

GlTextures::GlTextures() {
    const GLuint vs = compile(GL_VERTEX_SHADER, kShaderHeatmapVert, "heatmap.vert");
    const GLuint fs = compile(GL_FRAGMENT_SHADER, kShaderHeatmapFrag, "heatmap.frag");
    program_ = glCreateProgram();
    glAttachShader(program_, vs);
    glAttachShader(program_, fs);
    glLinkProgram(program_);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program_, GL_LINK_STATUS, &ok);
    if (!ok) throw std::runtime_error("heatmap shader program does not link");
    u_map_ = glGetUniformLocation(program_, "u_map");
    u_min_ = glGetUniformLocation(program_, "u_min");
    u_max_ = glGetUniformLocation(program_, "u_max");
    u_data_ = glGetUniformLocation(program_, "u_data");
    u_rect_ = glGetUniformLocation(program_, "u_rect");
    glGenVertexArrays(1, &vao_);
}

GlTextures::~GlTextures() {
    for (auto& [k, s] : slots_) glDeleteTextures(2, s.tex);
    if (vao_) glDeleteVertexArrays(1, &vao_);
    if (program_) glDeleteProgram(program_);
}

bool GlTextures::upload(const std::string& key, int rows, int cols, const float* data, Colormap map, float vmin, float vmax) {
    if (rows <= 0 || cols <= 0) return false;
    GLint max_size = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
    if (rows > max_size || cols > max_size) return false;
    GLint prev_tex = 0, prev_unpack = 4;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev_tex);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &prev_unpack);
    Slot& s = slots_[key];
    if (s.rows != rows || s.cols != cols) {
        if (!s.tex[0]) glGenTextures(2, s.tex);
        for (unsigned t : s.tex) {
            glBindTexture(GL_TEXTURE_2D, t);
            glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, cols, rows, 0, GL_RED, GL_FLOAT, nullptr);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        }
        s.rows = rows;
        s.cols = cols;
    }
    s.current ^= 1;
    glBindTexture(GL_TEXTURE_2D, s.tex[s.current]);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, cols, rows, GL_RED, GL_FLOAT, data);
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(prev_tex));
    glPixelStorei(GL_UNPACK_ALIGNMENT, prev_unpack);
    s.map = map;
    s.vmin = vmin;
    s.vmax = vmax;
    return true;
}

bool GlTextures::draw(ImDrawList* dl, ImVec2 a, ImVec2 b, const std::string& key, int rows, int cols, const float* data, Colormap map,
                      float vmin, float vmax) {
    if (!upload(key, rows, cols, data, map, vmin, vmax)) return false;
    Slot& s = slots_[key];
    s.box = ImVec4(a.x, a.y, b.x, b.y);
    // The calls of this frame and of the one before stay alive (see DrawCall).
    const int frame = ImGui::GetFrameCount();
    if (frame != calls_frame_) {
        calls_[1].swap(calls_[0]);
        calls_[0].clear();
        calls_frame_ = frame;
    }
    auto call = std::make_unique<DrawCall>();
    call->self = this;
    call->tex = s.tex[s.current];
    call->map = map;
    call->vmin = vmin;
    call->vmax = vmax;
    call->a = a;
    call->b = b;
    dl->AddCallback(&GlTextures::on_draw, call.get());
    dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);  // ImGui's backend sets its own state up again
    calls_[0].push_back(std::move(call));
    return true;
}

void GlTextures::on_draw(const ImDrawList*, const ImDrawCmd* cmd) {
    const DrawCall& c = *static_cast<const DrawCall*>(cmd->UserCallbackData);
    const ImDrawData* dd = ImGui::GetDrawData();
    if (!dd || dd->DisplaySize.x <= 0 || dd->DisplaySize.y <= 0) return;
    // ImGui's projection (DisplayPos at the top-left) and its scissor for this command, as its OpenGL backend computes them.
    const ImVec2 pos = dd->DisplayPos, size = dd->DisplaySize, scale = dd->FramebufferScale;
    const float fb_h = size.y * scale.y;
    const ImVec4 clip = cmd->ClipRect;
    const float x0 = (clip.x - pos.x) * scale.x, y0 = (clip.y - pos.y) * scale.y;
    const float x1 = (clip.z - pos.x) * scale.x, y1 = (clip.w - pos.y) * scale.y;
    if (x1 <= x0 || y1 <= y0) return;
    glEnable(GL_SCISSOR_TEST);
    glScissor(static_cast<GLint>(x0), static_cast<GLint>(fb_h - y1), static_cast<GLsizei>(x1 - x0), static_cast<GLsizei>(y1 - y0));
    const float rect[4] = {2 * (c.a.x - pos.x) / size.x - 1, 1 - 2 * (c.a.y - pos.y) / size.y, 2 * (c.b.x - pos.x) / size.x - 1,
                           1 - 2 * (c.b.y - pos.y) / size.y};
    c.self->draw_quad(c.tex, c.map, c.vmin, c.vmax, rect);
}

void GlTextures::draw_quad(unsigned tex, Colormap map, float vmin, float vmax, const float rect[4]) {
    glDisable(GL_BLEND);  // opaque: no read of the pixels underneath
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, tex);
    glUseProgram(program_);
    glUniform1i(u_data_, 0);
    glUniform1i(u_map_, static_cast<int>(map));
    glUniform1f(u_min_, vmin);
    glUniform1f(u_max_, vmax);
    glUniform4f(u_rect_, rect[0], rect[1], rect[2], rect[3]);
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

std::vector<unsigned char> GlTextures::render(const std::string& key, int out_rows, int out_cols) {
    auto it = slots_.find(key);
    if (it == slots_.end() || out_rows <= 0 || out_cols <= 0) return {};
    const Slot& s = it->second;
    GLint prev_fbo = 0, prev_viewport[4], prev_program = 0, prev_vao = 0, prev_tex = 0;
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev_fbo);
    glGetIntegerv(GL_VIEWPORT, prev_viewport);
    glGetIntegerv(GL_CURRENT_PROGRAM, &prev_program);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &prev_vao);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev_tex);
    const GLboolean blend = glIsEnabled(GL_BLEND), scissor = glIsEnabled(GL_SCISSOR_TEST);
    GLuint fbo = 0, color = 0;
    glGenFramebuffers(1, &fbo);
    glGenTextures(1, &color);
    glBindTexture(GL_TEXTURE_2D, color);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, out_cols, out_rows, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color, 0);
    std::vector<unsigned char> px;
    if (glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE) {
        glViewport(0, 0, out_cols, out_rows);
        glDisable(GL_SCISSOR_TEST);
        const float rect[4] = {-1, 1, 1, -1};
        draw_quad(s.tex[s.current], s.map, s.vmin, s.vmax, rect);
        px.resize(static_cast<std::size_t>(out_rows) * out_cols * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, out_cols, out_rows, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
        const std::size_t row = static_cast<std::size_t>(out_cols) * 4;
        for (int r = 0; r < out_rows / 2; ++r)  // GL rows are bottom-up: row 0 of the picture is the top
            std::swap_ranges(px.begin() + static_cast<std::ptrdiff_t>(r * row), px.begin() + static_cast<std::ptrdiff_t>((r + 1) * row),
                             px.begin() + static_cast<std::ptrdiff_t>((out_rows - 1 - r) * row));
    }
    glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(prev_fbo));
    glDeleteFramebuffers(1, &fbo);
    glDeleteTextures(1, &color);
    glViewport(prev_viewport[0], prev_viewport[1], prev_viewport[2], prev_viewport[3]);
    glUseProgram(static_cast<GLuint>(prev_program));
    glBindVertexArray(static_cast<GLuint>(prev_vao));
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(prev_tex));
    if (blend) glEnable(GL_BLEND);
    if (scissor) glEnable(GL_SCISSOR_TEST);
    return px;
}

ImVec4 GlTextures::last_box(const std::string& key) const {
    auto it = slots_.find(key);
    return it == slots_.end() ? ImVec4(0, 0, 0, 0) : it->second.box;
}

}  // namespace snapscope::gui
