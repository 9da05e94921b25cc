#pragma once

#include <string>
#include <vector>

namespace snapscope::gui {

// Encodes RGBA8 pixels (row 0 = top) as PNG and writes them atomically. Throws snapscope::IoError.
void write_png(const std::string& path, int width, int height, const std::vector<unsigned char>& rgba);
// Reads a PNG as RGBA8 (row 0 = top). Returns false if it cannot.
bool read_png(const std::string& path, int& width, int& height, std::vector<unsigned char>& rgba);

}  // namespace snapscope::gui
