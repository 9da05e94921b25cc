#include "movie_job.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace snapscope::gui {

std::vector<std::int64_t> movie_steps(const Snapshot& snap, std::int64_t every) {
    std::vector<std::int64_t> out;
    std::int64_t want = 0;
    for (const FramePtr& f : snap.frames) {
        if (every <= 0) {
            out.push_back(f->step);
            continue;
        }
        if (f->step < want) continue;
        out.push_back(f->step);
        want = (f->step / every + 1) * every;
    }
    return out;
}

namespace {
std::vector<std::int64_t> checked_steps(const Snapshot& snap, std::int64_t every) {
    std::vector<std::int64_t> s = movie_steps(snap, every);
    if (s.empty()) throw std::invalid_argument("movie: the run has no recorded steps yet");
    if (s.size() > kMaxMovieFrames)
        throw std::invalid_argument("movie: " + std::to_string(s.size()) + " frames; at most " + std::to_string(kMaxMovieFrames) +
                                    " (choose a larger step interval)");
    return s;
}
}  // namespace

MovieJob::MovieJob(const MovieRequest& req, SnapshotPtr snap)
    : req_(req), snap_(std::move(snap)), steps_(checked_steps(*snap_, req.every)), writer_(req.path, req.fps) {}

bool MovieJob::step(Host& host, const ViewState& view_in) {
    if (next_ >= steps_.size()) return false;
    // The run as it was at this step: its history up to there (curves and the Fig 4 image grow from frame to frame).
    const std::int64_t at = steps_[next_];
    auto upto = [at](const std::vector<FramePtr>& f) {
        auto it = std::upper_bound(f.begin(), f.end(), at, [](std::int64_t s, const FramePtr& p) { return s < p->step; });
        return std::vector<FramePtr>(f.begin(), it);
    };
    Snapshot past = *snap_;
    past.frames = upto(snap_->frames);
    for (CompanionFrames& c : past.companions) c.frames = upto(c.frames);
    past.step = at;
    past.serial = snap_->serial * 1000003 + next_ + 1;  // (caches keyed by the publication see a new one)
    past.playing = past.free_running = false;
    past.message.clear();
    ViewState view = view_in;
    view.live = true;
    view.preview_step = view.next_preview_step = -1;
    view.movie = MovieView{};  // the run alone: no progress window, tour, help or dialog in the picture
    view.tour = TourView{};
    view.show_help = false;
    view.open_data.open = false;
    ImVec4 panels[3];
    const bool figure = req_.panel >= 0 && req_.panel < static_cast<int>(Panel::Count);
    Image img = host.render_scaled(req_.scale, past, view, panels, figure);
    if (figure) {
        const ImVec4 r = panels[req_.panel];
        img = img.crop(static_cast<int>(r.x), static_cast<int>(r.y), static_cast<int>(r.z), static_cast<int>(r.w));
    }
    writer_.add(img.width, img.height, img.rgba);
    ++next_;
    return next_ < steps_.size();
}

std::string MovieJob::summary() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, ": %d frames of %d x %d px at %.4g fps (%.2f s), steps %lld to %lld", writer_.frames(), writer_.width(),
                  writer_.height(), req_.fps, writer_.frames() / req_.fps, static_cast<long long>(steps_.front()),
                  static_cast<long long>(steps_[next_ > 0 ? next_ - 1 : 0]));
    return "wrote " + req_.path + buf;
}

}  // namespace snapscope::gui
