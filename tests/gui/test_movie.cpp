// Movies: numbered PNG frames, MP4 and GIF through ffmpeg (checked with ffprobe), and nothing left behind when a movie
// fails or is cancelled.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "movie.hpp"
#include "snapscope/files.hpp"
#include "png.hpp"

using namespace snapscope;
using namespace snapscope::gui;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("snapscope-movie-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A frame whose colour says its number: red = 10 k, a white bar of k pixels' width on the left.
std::vector<unsigned char> frame(int w, int h, int k) {
    std::vector<unsigned char> px(static_cast<std::size_t>(w) * h * 4);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            unsigned char* p = &px[(static_cast<std::size_t>(y) * w + x) * 4];
            const bool bar = x < k;
            p[0] = bar ? 255 : static_cast<unsigned char>(10 * k);
            p[1] = bar ? 255 : 40;
            p[2] = bar ? 255 : 90;
            p[3] = 255;
        }
    return px;
}

std::string output_of(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
    return out;
}

std::size_t files_in(const fs::path& d) {
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(d); it != fs::directory_iterator(); ++it) ++n;
    return n;
}

}  // namespace

TEST(Movie, AFolderGetsNumberedPngFramesAndCancelRemovesThem) {
    const fs::path d = fresh_dir("png") / "frames";
    EXPECT_EQ(movie_format(d.string()), MovieFormat::PngSequence);
    EXPECT_EQ(movie_format("a/b.MP4"), MovieFormat::Mp4);
    EXPECT_EQ(movie_format("b.gif"), MovieFormat::Gif);
    {
        MovieWriter m(d.string(), 10);
        for (int k = 0; k < 3; ++k) m.add(32, 16, frame(32, 16, k + 1));
        m.finish();
        EXPECT_EQ(m.frames(), 3);
    }
    ASSERT_TRUE(fs::exists(d / "frame-000001.png"));
    ASSERT_TRUE(fs::exists(d / "frame-000003.png"));
    int w = 0, h = 0;
    std::vector<unsigned char> px;
    ASSERT_TRUE(read_png((d / "frame-000003.png").string(), w, h, px));
    ASSERT_EQ(w, 32);
    ASSERT_EQ(h, 16);
    EXPECT_EQ(px[(5 * 32 + 2) * 4], 255);   // inside the bar (3 px)
    EXPECT_EQ(px[(5 * 32 + 10) * 4], 30);   // 10 k
    // A frame of another size stops the movie and removes what it wrote.
    const fs::path e = d.parent_path() / "resized";
    {
        MovieWriter m(e.string(), 10);
        m.add(32, 16, frame(32, 16, 1));
        m.add(32, 16, frame(32, 16, 2));
        EXPECT_THROW(m.add(40, 16, frame(40, 16, 3)), IoError);
    }
    EXPECT_EQ(files_in(e), 0u);
    {
        MovieWriter m(e.string(), 10);
        m.add(32, 16, frame(32, 16, 1));
        m.cancel();
    }
    EXPECT_EQ(files_in(e), 0u);
    {  // an unfinished movie is cancelled when it goes
        MovieWriter m(e.string(), 10);
        m.add(32, 16, frame(32, 16, 1));
    }
    EXPECT_EQ(files_in(e), 0u);
    // Wrong byte counts and an empty movie are errors.
    {
        MovieWriter m(e.string(), 10);
        EXPECT_THROW(m.add(32, 16, std::vector<unsigned char>(10)), IoError);
    }
    {
        MovieWriter m(e.string(), 10);
        EXPECT_THROW(m.finish(), IoError);
    }
    EXPECT_THROW(MovieWriter(e.string(), 0), IoError);
    fs::remove_all(d.parent_path());
}

TEST(Movie, WithoutFfmpegAnMp4IsRefusedWithWhatToInstall) {
    const char* old = std::getenv("PATH");
    const std::string keep = old ? old : "";
    const fs::path empty = fresh_dir("nopath");
    ::setenv("PATH", empty.c_str(), 1);
    EXPECT_FALSE(ffmpeg_available());
    try {
        MovieWriter m((empty / "x.mp4").string(), 25);
        ADD_FAILURE() << "an MP4 was started without ffmpeg";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("apt-get install ffmpeg"), std::string::npos) << e.what();
    }
    ::setenv("PATH", keep.c_str(), 1);
    EXPECT_EQ(files_in(empty), 0u);
    fs::remove_all(empty);
}

TEST(Movie, Mp4AndGifThroughFfmpegHaveEveryFrameAtTheirSize) {
    if (!ffmpeg_available() || output_of("command -v ffprobe").empty()) GTEST_SKIP() << "ffmpeg/ffprobe not installed (apt-get install ffmpeg)";
    const fs::path d = fresh_dir("ff");
    for (const char* name : {"run.mp4", "run.gif"}) {
        SCOPED_TRACE(name);
        const fs::path out = d / name;
        {
            MovieWriter m(out.string(), 20);
            for (int k = 0; k < 30; ++k) m.add(63, 41, frame(63, 41, k));  // (odd sizes: the MP4 is padded to even)
            m.finish();
        }
        ASSERT_TRUE(fs::exists(out));
        const std::string probe = output_of("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                                            "stream=codec_name,nb_read_frames,width,height -of default=nw=1 '" + out.string() + "'");
        EXPECT_NE(probe.find("nb_read_frames=30"), std::string::npos) << probe;
        if (std::string(name) == "run.mp4") {
            EXPECT_NE(probe.find("codec_name=h264"), std::string::npos) << probe;
            EXPECT_NE(probe.find("width=64"), std::string::npos) << probe;
            EXPECT_NE(probe.find("height=42"), std::string::npos) << probe;
            const std::string dur = output_of("ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 '" + out.string() + "'");
            EXPECT_NEAR(std::atof(dur.c_str()), 1.5, 0.06) << dur;  // 30 frames at 20 fps
        } else {
            EXPECT_NE(probe.find("width=63"), std::string::npos) << probe;
        }
    }
    EXPECT_EQ(files_in(d), 2u);  // the two movies, no temporary or log file
    // ffmpeg cannot write there: the error says so and nothing is left.
    const fs::path bad = d / "no-such" / "deeper";
    fs::create_directories(bad);
    fs::permissions(bad, fs::perms::owner_read | fs::perms::owner_exec);
    if (::access(bad.c_str(), W_OK) != 0) {  // (root may write anywhere)
        try {
            MovieWriter m((bad / "x.mp4").string(), 20);
            m.add(16, 16, frame(16, 16, 1));
            m.finish();
            ADD_FAILURE() << "a movie was written into a read-only folder";
        } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("cannot write"), std::string::npos) << e.what();
        }
        EXPECT_EQ(files_in(bad), 0u);
    }
    fs::permissions(bad, fs::perms::owner_all);
    fs::remove_all(d);
}
