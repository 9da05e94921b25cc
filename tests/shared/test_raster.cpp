// Pictures without a GPU (snapscope/raster.hpp): UTF-8 decoding, rectangles, text in DejaVu Sans, PNG bytes.
#include <gtest/gtest.h>
#include <stb_image.h>

#include <algorithm>
#include <climits>

#include "snapscope/files.hpp"
#include "snapscope/raster.hpp"

using namespace snapscope;

namespace {
bool inked(const RgbaImage& img, int x, int y) { return img.at(x, y).r < 200; }

// The box around every pixel the text darkened, or an empty box.
struct Box {
    int x0 = INT_MAX, y0 = INT_MAX, x1 = INT_MIN, y1 = INT_MIN;
    bool empty() const { return x0 > x1; }
};
Box ink_box(const RgbaImage& img) {
    Box b;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            if (inked(img, x, y)) b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y), b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
    return b;
}
}  // namespace

TEST(Raster, Utf8CodePointsDecodeAndReplaceWhatIsNotUtf8) {
    EXPECT_EQ(utf8_code_points("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), (std::vector<std::uint32_t>{'a', 0xE9, 0x20AC, 0x1F600}));
    EXPECT_EQ(utf8_code_points("\xC0\x80"), (std::vector<std::uint32_t>{0xFFFD, 0xFFFD}));  // overlong NUL
    EXPECT_EQ(utf8_code_points("\xED\xA0\x80"), (std::vector<std::uint32_t>{0xFFFD, 0xFFFD, 0xFFFD}));  // a surrogate
    EXPECT_EQ(utf8_code_points("x\xE2\x82"), (std::vector<std::uint32_t>{'x', 0xFFFD, 0xFFFD}));  // cut short
    EXPECT_TRUE(utf8_code_points("").empty());
}

TEST(Raster, RectanglesAreClippedAndSizesBounded) {
    RgbaImage img(10, 6, {0, 0, 0, 255});
    img.fill_rect(-5, -5, 3, 2, {255, 0, 0, 255});
    img.fill_rect(8, 4, 100, 100, {0, 255, 0, 255});
    EXPECT_EQ(img.at(0, 0).r, 255);
    EXPECT_EQ(img.at(2, 1).r, 255);
    EXPECT_EQ(img.at(3, 1).r, 0);
    EXPECT_EQ(img.at(2, 2).r, 0);
    EXPECT_EQ(img.at(9, 5).g, 255);
    EXPECT_EQ(img.at(7, 5).g, 0);
    EXPECT_EQ(img.at(10, 0).a, 0);  // outside
    img.blend(-1, 0, {255, 255, 255, 255}, 1.f);  // outside: nothing, no crash
    img.blend(5, 0, {255, 255, 255, 255}, 0.5f);
    EXPECT_NEAR(img.at(5, 0).r, 128, 1);
    EXPECT_THROW(RgbaImage(0, 5), std::length_error);
    EXPECT_THROW(RgbaImage(20000, 5), std::length_error);
    EXPECT_THROW(RgbaImage::from_rgba(2, 2, std::vector<std::uint8_t>(15)), std::invalid_argument);
}

TEST(Raster, TextIsDrawnWhereItsMetricsSayAndReadsUpwardsWhenVertical) {
    const Font* font = Font::sans();
    ASSERT_NE(font, nullptr) << Font::sans_path() << " (Debian's fonts-dejavu-core, a build dependency) is missing";
    EXPECT_LT(font->text_width("iii", 14), font->text_width("WWW", 14));
    EXPECT_GT(font->text_width("WWW", 28), font->text_width("WWW", 14) * 3 / 2);
    EXPECT_EQ(font->text_width("", 14), 0);

    RgbaImage h(200, 60);
    const int w = font->text_width("Hello, world", 14);
    font->draw(h, 20, 40, "Hello, world", 14, {0, 0, 0, 255});
    const Box hb = ink_box(h);
    ASSERT_FALSE(hb.empty());
    EXPECT_GE(hb.x0, 20);
    EXPECT_LE(hb.x1, 20 + w);
    EXPECT_GT(hb.x1 - hb.x0, w * 3 / 4);
    EXPECT_GE(hb.y0, 40 - font->ascent(14));
    EXPECT_LE(hb.y1, 40 + 5);  // the comma's tail: a few pixels below the baseline

    // Vertical: the same run of ink turned a quarter to the left, going up from the baseline point.
    RgbaImage v(60, 200);
    font->draw(v, 30, 180, "Hello, world", 14, {0, 0, 0, 255}, true);
    const Box vb = ink_box(v);
    ASSERT_FALSE(vb.empty());
    EXPECT_NEAR(vb.y1 - vb.y0, hb.x1 - hb.x0, 1);
    EXPECT_NEAR(vb.x1 - vb.x0, hb.y1 - hb.y0, 1);
    EXPECT_LE(vb.y1, 180);
    EXPECT_LE(vb.x1, 30 + 5);  // the letters' tops to the left of the baseline column

    // Non-ASCII words and bytes that are not UTF-8 draw (as their glyphs and U+FFFD) and stay inside the image.
    RgbaImage u(200, 40);
    font->draw(u, 2, 30, "caf\xC3\xA9 \xFF \xE2\x82\xAC", 14, {0, 0, 0, 255});
    EXPECT_FALSE(ink_box(u).empty());
    RgbaImage edge(10, 10);
    font->draw(edge, -50, 5, "far outside to the left and beyond the right edge", 40, {0, 0, 0, 255});
    font->draw(edge, 0, 5, "x", 1e9f, {0, 0, 0, 255});  // an absurd size draws nothing rather than allocate
    EXPECT_THROW(Font("/nonexistent/font.ttf"), IoError);
    EXPECT_THROW(Font(SNAPSCOPE_SOURCE_DIR "/README.md"), IoError);
}

TEST(Raster, PngBytesDecodeToThePixels) {
    RgbaImage img(7, 3, {10, 20, 30, 255});
    img.fill_rect(2, 1, 4, 2, {200, 100, 50, 255});
    const std::string png = encode_png(img);
    int w = 0, h = 0, n = 0;
    unsigned char* p = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()), static_cast<int>(png.size()), &w, &h, &n, 4);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(w, 7);
    EXPECT_EQ(h, 3);
    EXPECT_TRUE(std::equal(p, p + 7 * 3 * 4, img.rgba().begin()));
    stbi_image_free(p);
}
