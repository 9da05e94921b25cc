// Pictures without a GPU: an RGBA image, filled rectangles, text in DejaVu Sans (Debian's fonts-dejavu-core, drawn
// with stb_truetype), PNG encoding (stb_image_write). The headless tool draws its figures with these.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace snapscope {

struct Rgba {
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
};

class RgbaImage {
public:
    // Throws std::length_error beyond 16384 px a side.
    RgbaImage(int width, int height, Rgba background = {255, 255, 255, 255});
    // Adopts RGBA8 pixels, row 0 at the top (width * height * 4 bytes, else std::invalid_argument).
    static RgbaImage from_rgba(int width, int height, std::vector<std::uint8_t> rgba);
    int width() const { return w_; }
    int height() const { return h_; }
    const std::vector<std::uint8_t>& rgba() const { return px_; }
    Rgba at(int x, int y) const;
    // Clipped to the image: [x0, x1) x [y0, y1).
    void fill_rect(int x0, int y0, int x1, int y1, Rgba c);
    // Blends `c` over (x, y) with coverage `alpha` in [0, 1]; outside the image nothing happens.
    void blend(int x, int y, Rgba c, float alpha);

private:
    int w_, h_;
    std::vector<std::uint8_t> px_;
};

// A TrueType font. Text is UTF-8 (an invalid byte draws as U+FFFD); glyphs the font lacks draw as its missing glyph.
class Font {
public:
    // Throws IoError when the file cannot be read or is not a font.
    explicit Font(const std::string& path);
    ~Font();
    Font(const Font&) = delete;
    Font& operator=(const Font&) = delete;

    // DejaVu Sans from fonts-dejavu-core, loaded once; nullptr when it is not installed (pictures then carry no text).
    static const Font* sans();
    static const char* sans_path();

    // Width in pixels of `text` at `px` pixels a line; ascent above the baseline.
    int text_width(const std::string& text, float px) const;
    int ascent(float px) const;
    // Draws `text` with its baseline's left end at (x, baseline). Vertical: reads bottom to top (rotated 90° counter-
    // clockwise), the baseline a column at x, starting at y = baseline and going up.
    void draw(RgbaImage& img, int x, int baseline, const std::string& text, float px, Rgba c, bool vertical = false) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// UTF-8 to code points (an invalid byte becomes U+FFFD).
std::vector<std::uint32_t> utf8_code_points(const std::string& s);

// PNG bytes of the image; writes them atomically (temp file + rename). Throw IoError.
std::string encode_png(const RgbaImage& img);
void write_png_file(const std::string& path, const RgbaImage& img);

}  // namespace snapscope
