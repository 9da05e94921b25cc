#include "png.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include "snapscope/files.hpp"

namespace snapscope::gui {

namespace {
void append(void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}
}  // namespace

void write_png(const std::string& path, int width, int height, const std::vector<unsigned char>& rgba) {
    std::string bytes;
    if (!stbi_write_png_to_func(append, &bytes, width, height, 4, rgba.data(), width * 4))
        throw IoError(path + ": PNG encoding failed");
    write_file_atomic(path, bytes);
}

bool read_png(const std::string& path, int& width, int& height, std::vector<unsigned char>& rgba) {
    int n = 0;
    unsigned char* p = stbi_load(path.c_str(), &width, &height, &n, 4);
    if (!p) return false;
    rgba.assign(p, p + static_cast<std::size_t>(width) * height * 4);
    stbi_image_free(p);
    return true;
}

}  // namespace snapscope::gui
