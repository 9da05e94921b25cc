#include "movie.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "snapscope/files.hpp"
#include "snapscope/raster.hpp"

extern char** environ;

namespace snapscope::gui {

namespace {

bool ends_with(const std::string& s, const char* tail) {
    const std::size_t n = std::strlen(tail);
    if (s.size() < n) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - n + i])) != tail[i]) return false;
    return true;
}

std::string read_small(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    if (s.size() > 600) s = "..." + s.substr(s.size() - 600);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

}  // namespace

MovieFormat movie_format(const std::string& path) {
    if (ends_with(path, ".mp4")) return MovieFormat::Mp4;
    if (ends_with(path, ".gif")) return MovieFormat::Gif;
    return MovieFormat::PngSequence;
}

bool ffmpeg_available() {
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= p.size()) {
        const std::size_t end = p.find(':', start);
        const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty() && ::access((dir + "/ffmpeg").c_str(), X_OK) == 0) return true;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return false;
}

MovieWriter::MovieWriter(std::string path, double fps) : path_(std::move(path)), format_(movie_format(path_)), fps_(fps) {
    if (path_.empty()) throw IoError("movie: no output path");
    if (!(fps_ > 0) || fps_ > 240) throw IoError("movie: frames per second must be in (0, 240]");
    namespace fs = std::filesystem;
    std::error_code ec;
    if (format_ == MovieFormat::PngSequence) {
        fs::create_directories(path_, ec);
        if (ec || !fs::is_directory(path_)) throw IoError("movie: cannot make the folder '" + path_ + "' for the frames: " + ec.message());
        return;
    }
    if (!ffmpeg_available())
        throw IoError("movie: '" + path_ + "' needs ffmpeg for " + (format_ == MovieFormat::Mp4 ? "MP4" : "GIF") +
                      ", which is not installed (apt-get install ffmpeg); a folder name writes a PNG sequence instead");
    const fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty()) {
        fs::create_directories(parent, ec);
        if (ec) throw IoError("movie: cannot make the folder '" + parent.string() + "': " + ec.message());
    }
    temp_ = path_ + ".part-" + std::to_string(::getpid());
    log_ = temp_ + ".log";
    // Said now, and about the folder, not later as an ffmpeg failure: the movie's folder must take a file.
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        const std::string why = std::strerror(errno);
        temp_.clear();
        log_.clear();
        throw IoError("movie: cannot write '" + path_ + "' (" + why + ")");
    }
    ::close(fd);
}

MovieWriter::~MovieWriter() {
    if (!done_) cancel();
}

void MovieWriter::start_ffmpeg() {
    // ffmpeg reads raw RGBA frames on its stdin; H.264 (yuv420p) needs even sizes, so odd ones are padded by a pixel.
    const std::string size = std::to_string(width_) + "x" + std::to_string(height_);
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.6g", fps_);
    std::vector<std::string> args = {"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba",
                                     "-s", size, "-framerate", rate, "-i", "pipe:0"};
    if (format_ == MovieFormat::Mp4) {
        for (const char* a : {"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-movflags", "+faststart", "-f", "mp4"})
            args.emplace_back(a);
    } else {
        for (const char* a : {"-vf", "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse", "-f", "gif"}) args.emplace_back(a);
    }
    args.push_back(temp_);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(std::string("movie: cannot make a pipe to ffmpeg: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawnp(&child_, "ffmpeg", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[0]);
    if (rc != 0) {
        ::close(fds[1]);
        child_ = -1;
        throw IoError(std::string("movie: cannot start ffmpeg: ") + std::strerror(rc));
    }
    pipe_ = fds[1];
    ::signal(SIGPIPE, SIG_IGN);  // a dead ffmpeg is a write error here, not the end of the app
}

void MovieWriter::add(int width, int height, const std::vector<unsigned char>& rgba) {
    if (done_) throw IoError("movie: already finished");
    if (width <= 0 || height <= 0 || rgba.size() != static_cast<std::size_t>(width) * height * 4) {
        cancel();
        throw IoError("movie: a frame of " + std::to_string(width) + " x " + std::to_string(height) + " px has the wrong number of bytes");
    }
    if (frames_ == 0) {
        width_ = width;
        height_ = height;
    } else if (width != width_ || height != height_) {
        cancel();
        throw IoError("movie: frame " + std::to_string(frames_ + 1) + " is " + std::to_string(width) + " x " + std::to_string(height) +
                      " px, the movie " + std::to_string(width_) + " x " + std::to_string(height_) + " (the window was resized?)");
    }
    if (format_ == MovieFormat::PngSequence) {
        char name[32];
        std::snprintf(name, sizeof name, "frame-%06d.png", frames_ + 1);
        const std::string file = (std::filesystem::path(path_) / name).string();
        write_png_file(file, RgbaImage::from_rgba(width, height, rgba));  // (atomic)
        written_.push_back(file);
        ++frames_;
        return;
    }
    if (pipe_ < 0) start_ffmpeg();
    const unsigned char* p = rgba.data();
    std::size_t left = rgba.size();
    while (left > 0) {
        const ssize_t n = ::write(pipe_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string err = n < 0 ? std::strerror(errno) : "no progress";
            const std::string log = read_small(log_);
            cancel();
            throw IoError("movie: ffmpeg stopped taking frames (" + err + ")" + (log.empty() ? "" : ": " + log));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    ++frames_;
}

void MovieWriter::finish() {
    if (done_) return;
    if (frames_ == 0) {
        cancel();
        throw IoError("movie: no frames to write");
    }
    if (format_ == MovieFormat::PngSequence) {
        done_ = true;
        return;
    }
    ::close(pipe_);
    pipe_ = -1;
    int status = 0;
    while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
    child_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const std::string log = read_small(log_);
        cancel();
        throw IoError("movie: ffmpeg failed writing '" + path_ + "'" + (log.empty() ? "" : ": " + log));
    }
    std::error_code ec;
    std::filesystem::rename(temp_, path_, ec);
    std::filesystem::remove(log_);
    if (ec) {
        std::filesystem::remove(temp_);
        done_ = true;
        throw IoError("movie: cannot move the movie to '" + path_ + "': " + ec.message());
    }
    done_ = true;
}

void MovieWriter::cancel() {
    if (done_) return;
    done_ = true;
    if (pipe_ >= 0) {
        ::close(pipe_);
        pipe_ = -1;
    }
    if (child_ > 0) {
        ::kill(child_, SIGTERM);
        int status = 0;
        while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
        }
        child_ = -1;
    }
    std::error_code ec;
    if (!temp_.empty()) std::filesystem::remove(temp_, ec);
    if (!log_.empty()) std::filesystem::remove(log_, ec);
    for (const std::string& f : written_) std::filesystem::remove(f, ec);
    written_.clear();
}

}  // namespace snapscope::gui
