// A movie of a run: its recorded history replayed through the window (the step cursor moved from frame to frame,
// every view drawn at that step), one offscreen picture per movie frame, of the whole window or one panel as a
// figure, into a MovieWriter. The GUI renders one movie frame per window frame (the window stays live, with a progress
// bar and Cancel); `snapscope --movie` renders them all under xvfb-run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host.hpp"
#include "movie.hpp"

namespace snapscope::gui {

struct MovieRequest {
    std::string path;       // *.mp4, *.gif, or a folder for PNG frames
    std::int64_t every = 0; // one frame per this many steps (the first recorded step at or past each multiple); 0: every recorded step
    int panel = -1;         // -1: the whole window; else a Panel, drawn as a figure
    int scale = 1;          // 1, 2 or 4
    double fps = 25;
};

// The recorded steps a movie shows (at most `limit`; more is refused by MovieJob).
std::vector<std::int64_t> movie_steps(const Snapshot& snap, std::int64_t every);
constexpr std::size_t kMaxMovieFrames = 100000;

class MovieJob {
public:
    // Throws IoError (e.g. ffmpeg missing) or std::invalid_argument (no frames, too many).
    MovieJob(const MovieRequest& req, SnapshotPtr snap);
    // Renders and writes the next frame; false once every frame is written (then call finish()).
    bool step(Host& host, const ViewState& view);
    void finish() { writer_.finish(); }
    void cancel() { writer_.cancel(); }
    std::size_t done() const { return next_; }
    std::size_t total() const { return steps_.size(); }
    const std::string& path() const { return req_.path; }
    // "wrote PATH: N frames of W x H px at F fps (D s), steps A to B"
    std::string summary() const;

private:
    MovieRequest req_;
    SnapshotPtr snap_;
    std::vector<std::int64_t> steps_;
    std::size_t next_ = 0;
    MovieWriter writer_;
};

}  // namespace snapscope::gui
