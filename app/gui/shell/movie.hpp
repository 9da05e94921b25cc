// Trajectory movies: frames (RGBA, row 0 = top) written as a numbered PNG sequence into a folder, or piped to ffmpeg
// as MP4 (H.264) or GIF. Nothing half-written is left: ffmpeg writes a temporary file that is renamed into place when
// it succeeds, and a cancelled or failed movie removes what it wrote. No GL here (tests drive it directly).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace snapscope::gui {

enum class MovieFormat { PngSequence, Mp4, Gif };
// From the path: *.mp4 and *.gif are movies, anything else a folder of frame-000001.png, ...
MovieFormat movie_format(const std::string& path);
// True when ffmpeg can be run (found on PATH).
bool ffmpeg_available();

class MovieWriter {
public:
    // Throws IoError: ffmpeg missing for an MP4 or a GIF, the folder or the temporary file cannot be made.
    MovieWriter(std::string path, double fps);
    ~MovieWriter();  // cancels an unfinished movie
    MovieWriter(const MovieWriter&) = delete;
    MovieWriter& operator=(const MovieWriter&) = delete;

    // Adds a frame. The first frame sets the size; a later frame of another size, or a write ffmpeg refuses, throws
    // IoError (the movie is then cancelled).
    void add(int width, int height, const std::vector<unsigned char>& rgba);
    // Completes the movie (ffmpeg's exit checked, the temporary file renamed to `path`). Throws IoError.
    void finish();
    // Stops and removes what was written.
    void cancel();

    int frames() const { return frames_; }
    int width() const { return width_; }
    int height() const { return height_; }
    const std::string& path() const { return path_; }
    MovieFormat format() const { return format_; }

private:
    void start_ffmpeg();
    std::string path_, temp_, log_;
    MovieFormat format_;
    double fps_;
    int frames_ = 0, width_ = 0, height_ = 0;
    int pipe_ = -1;
    pid_t child_ = -1;
    bool done_ = false;
    std::vector<std::string> written_;  // PNG frames, removed on cancel
};

}  // namespace snapscope::gui
