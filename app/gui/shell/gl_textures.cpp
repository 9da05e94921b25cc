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
    u_step_ = glGetUniformLocation(program_, "u_step");
    glGenVertexArrays(1, &vao_);
}

GlTextures::~GlTextures() {
    for (auto& [k, s] : slots_) {
        glDeleteTextures(1, &s.data_tex);
        glDeleteTextures(1, &s.color_tex);
        glDeleteFramebuffers(1, &s.fbo);
    }
    if (vao_) glDeleteVertexArrays(1, &vao_);
    if (program_) glDeleteProgram(program_);
}

ImTextureID GlTextures::heatmap(const std::string& key, int rows, int cols, const float* data, Colormap map, float vmin, float vmax,
                                int max_rows, int max_cols) {
    if (rows <= 0 || cols <= 0) return nullptr;
    const int out_rows = max_rows > 0 ? std::min(rows, max_rows) : rows;
    const int out_cols = max_cols > 0 ? std::min(cols, max_cols) : cols;
    GLint max_size = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
    if (rows > max_size || cols > max_size) return nullptr;
    GLint prev_fbo = 0, prev_viewport[4], prev_program = 0, prev_vao = 0, prev_tex = 0, prev_unpack = 4;
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev_fbo);
    glGetIntegerv(GL_VIEWPORT, prev_viewport);
    glGetIntegerv(GL_CURRENT_PROGRAM, &prev_program);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &prev_vao);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &prev_tex);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &prev_unpack);

    Slot& s = slots_[key];
    if (s.rows != rows || s.cols != cols || s.out_rows != out_rows || s.out_cols != out_cols) {
        if (!s.data_tex) {
            glGenTextures(1, &s.data_tex);
            glGenTextures(1, &s.color_tex);
            glGenFramebuffers(1, &s.fbo);
        }
        glBindTexture(GL_TEXTURE_2D, s.data_tex);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, cols, rows, 0, GL_RED, GL_FLOAT, nullptr);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glBindTexture(GL_TEXTURE_2D, s.color_tex);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, out_cols, out_rows, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glBindFramebuffer(GL_FRAMEBUFFER, s.fbo);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, s.color_tex, 0);
        s.rows = rows;
        s.cols = cols;
        s.out_rows = out_rows;
        s.out_cols = out_cols;
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, s.data_tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, cols, rows, GL_RED, GL_FLOAT, data);
    glBindFramebuffer(GL_FRAMEBUFFER, s.fbo);
    glViewport(0, 0, out_cols, out_rows);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(program_);
    glUniform1i(u_data_, 0);
    glUniform1i(u_map_, static_cast<int>(map));
    glUniform1f(u_min_, vmin);
    glUniform1f(u_max_, vmax);
    glUniform2f(u_step_, static_cast<float>(static_cast<double>(cols) / out_cols), static_cast<float>(static_cast<double>(rows) / out_rows));
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLES, 0, 3);

    glBindVertexArray(prev_vao);
    glUseProgram(prev_program);
    glBindFramebuffer(GL_FRAMEBUFFER, prev_fbo);
    glViewport(prev_viewport[0], prev_viewport[1], prev_viewport[2], prev_viewport[3]);
    glBindTexture(GL_TEXTURE_2D, prev_tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, prev_unpack);
    return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(s.color_tex));
}

std::vector<unsigned char> GlTextures::read_back(const std::string& key, int& rows, int& cols) const {
    auto it = slots_.find(key);
    if (it == slots_.end()) { rows = cols = 0; return {}; }
    rows = it->second.out_rows;
    cols = it->second.out_cols;
    std::vector<unsigned char> px(static_cast<std::size_t>(rows) * cols * 4);
    GLint prev_fbo = 0;
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, it->second.fbo);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, cols, rows, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    glBindFramebuffer(GL_FRAMEBUFFER, prev_fbo);
    return px;
}

}  // namespace snapscope::gui
