#include "snapscope/raster.hpp"

#include <stb_image_write.h>
#include <stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>

#include "snapscope/files.hpp"

namespace snapscope {

RgbaImage::RgbaImage(int width, int height, Rgba background) : w_(width), h_(height) {
    if (width < 1 || height < 1 || width > 16384 || height > 16384)
        throw std::length_error("an image of " + std::to_string(width) + " x " + std::to_string(height) + " px (1 to 16384 a side)");
    px_.resize(static_cast<std::size_t>(width) * height * 4);
    for (std::size_t i = 0; i < px_.size(); i += 4) {
        px_[i] = background.r;
        px_[i + 1] = background.g;
        px_[i + 2] = background.b;
        px_[i + 3] = background.a;
    }
}

RgbaImage RgbaImage::from_rgba(int width, int height, std::vector<std::uint8_t> rgba) {
    RgbaImage img(width, height);
    if (rgba.size() != img.px_.size()) throw std::invalid_argument("RGBA pixels of the wrong size for the image");
    img.px_ = std::move(rgba);
    return img;
}

Rgba RgbaImage::at(int x, int y) const {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return {0, 0, 0, 0};
    const std::uint8_t* p = &px_[(static_cast<std::size_t>(y) * w_ + x) * 4];
    return {p[0], p[1], p[2], p[3]};
}

void RgbaImage::fill_rect(int x0, int y0, int x1, int y1, Rgba c) {
    x0 = std::max(x0, 0), y0 = std::max(y0, 0), x1 = std::min(x1, w_), y1 = std::min(y1, h_);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            std::uint8_t* p = &px_[(static_cast<std::size_t>(y) * w_ + x) * 4];
            p[0] = c.r, p[1] = c.g, p[2] = c.b, p[3] = c.a;
        }
}

void RgbaImage::blend(int x, int y, Rgba c, float alpha) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_ || !(alpha > 0)) return;
    alpha = std::min(alpha, 1.f) * (c.a / 255.f);
    std::uint8_t* p = &px_[(static_cast<std::size_t>(y) * w_ + x) * 4];
    const auto mix = [alpha](std::uint8_t under, std::uint8_t over) {
        return static_cast<std::uint8_t>(std::lround(under + (over - under) * alpha));
    };
    p[0] = mix(p[0], c.r), p[1] = mix(p[1], c.g), p[2] = mix(p[2], c.b);
    p[3] = static_cast<std::uint8_t>(std::lround(p[3] + (255 - p[3]) * alpha));
}

std::vector<std::uint32_t> utf8_code_points(const std::string& s) {
    std::vector<std::uint32_t> out;
    out.reserve(s.size());
    const auto* b = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = b[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        bool ok = len > 0 && i + len <= n;
        for (int k = 1; ok && k < len; ++k) {
            if ((b[i + k] & 0xC0) != 0x80) ok = false;
            else cp = (cp << 6) | (b[i + k] & 0x3Fu);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                   (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = false;
        out.push_back(ok ? cp : 0xFFFDu);
        i += ok ? len : 1;
    }
    return out;
}

struct Font::Impl {
    std::vector<unsigned char> bytes;
    stbtt_fontinfo info{};
};

Font::Font(const std::string& path) : impl_(std::make_unique<Impl>()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open the font");
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size <= 0 || size > (64 << 20)) throw IoError(path + ": not a font file (" + std::to_string(size) + " bytes)");
    in.seekg(0);
    impl_->bytes.resize(static_cast<std::size_t>(size));
    if (!in.read(reinterpret_cast<char*>(impl_->bytes.data()), size)) throw IoError(path + ": cannot read the font");
    const int offset = stbtt_GetFontOffsetForIndex(impl_->bytes.data(), 0);
    if (offset < 0 || !stbtt_InitFont(&impl_->info, impl_->bytes.data(), offset)) throw IoError(path + ": not a TrueType font");
}

Font::~Font() = default;

const char* Font::sans_path() { return "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"; }

const Font* Font::sans() {
    static std::once_flag once;
    static std::unique_ptr<Font> font;
    std::call_once(once, [] {
        try {
            font = std::make_unique<Font>(sans_path());
        } catch (const IoError&) {
        }
    });
    return font.get();
}

int Font::ascent(float px) const {
    int asc = 0, desc = 0, gap = 0;
    stbtt_GetFontVMetrics(&impl_->info, &asc, &desc, &gap);
    return static_cast<int>(std::ceil(asc * stbtt_ScaleForPixelHeight(&impl_->info, px)));
}

int Font::text_width(const std::string& text, float px) const {
    const float scale = stbtt_ScaleForPixelHeight(&impl_->info, px);
    const std::vector<std::uint32_t> cps = utf8_code_points(text);
    float w = 0;
    for (std::size_t i = 0; i < cps.size(); ++i) {
        int adv = 0, lsb = 0;
        stbtt_GetCodepointHMetrics(&impl_->info, static_cast<int>(cps[i]), &adv, &lsb);
        w += adv * scale;
        if (i + 1 < cps.size())
            w += scale * stbtt_GetCodepointKernAdvance(&impl_->info, static_cast<int>(cps[i]), static_cast<int>(cps[i + 1]));
    }
    return static_cast<int>(std::ceil(w));
}

void Font::draw(RgbaImage& img, int x, int baseline, const std::string& text, float px, Rgba c, bool vertical) const {
    if (!(px > 0) || px > 512) return;
    const float scale = stbtt_ScaleForPixelHeight(&impl_->info, px);
    const std::vector<std::uint32_t> cps = utf8_code_points(text);
    float pen = 0;
    std::vector<unsigned char> glyph;
    for (std::size_t i = 0; i < cps.size(); ++i) {
        const int cp = static_cast<int>(cps[i]);
        int adv = 0, lsb = 0;
        stbtt_GetCodepointHMetrics(&impl_->info, cp, &adv, &lsb);
        const float shift = pen - std::floor(pen);
        int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        stbtt_GetCodepointBitmapBoxSubpixel(&impl_->info, cp, scale, scale, shift, 0, &x0, &y0, &x1, &y1);
        const int gw = x1 - x0, gh = y1 - y0;
        if (gw > 0 && gh > 0 && gw < 4096 && gh < 4096) {
            glyph.assign(static_cast<std::size_t>(gw) * gh, 0);
            stbtt_MakeCodepointBitmapSubpixel(&impl_->info, glyph.data(), gw, gh, gw, scale, scale, shift, 0, cp);
            const int ox = static_cast<int>(std::floor(pen)) + x0;  // along the text
            for (int gy = 0; gy < gh; ++gy)
                for (int gx = 0; gx < gw; ++gx) {
                    const unsigned char a = glyph[static_cast<std::size_t>(gy) * gw + gx];
                    if (!a) continue;
                    const int along = ox + gx, across = y0 + gy;  // across: below the baseline is positive
                    if (vertical) img.blend(x + across, baseline - along, c, a / 255.f);
                    else img.blend(x + along, baseline + across, c, a / 255.f);
                }
        }
        pen += adv * scale;
        if (i + 1 < cps.size()) pen += scale * stbtt_GetCodepointKernAdvance(&impl_->info, cp, static_cast<int>(cps[i + 1]));
    }
}

namespace {
void append(void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}
}  // namespace

std::string encode_png(const RgbaImage& img) {
    std::string bytes;
    if (!stbi_write_png_to_func(append, &bytes, img.width(), img.height(), 4, img.rgba().data(), img.width() * 4))
        throw IoError("PNG encoding failed");
    return bytes;
}

void write_png_file(const std::string& path, const RgbaImage& img) {
    std::string bytes;
    try {
        bytes = encode_png(img);
    } catch (const IoError& e) {
        throw IoError(path + ": " + e.what());
    }
    write_file_atomic(path, bytes);
}

}  // namespace snapscope
