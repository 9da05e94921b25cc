#include "png.hpp"

#include <stb_image.h>

#include "snapscope/raster.hpp"

namespace snapscope::gui {

void write_png(const std::string& path, int width, int height, const std::vector<unsigned char>& rgba) {
    write_png_file(path, RgbaImage::from_rgba(width, height, rgba));
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
