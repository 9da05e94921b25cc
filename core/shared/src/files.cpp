#include "snapscope/files.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace snapscope {

namespace {

namespace fs = std::filesystem;

const std::string& host_name() {
    static const std::string name = [] {
        char buf[256] = {0};
        if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return std::string("localhost");
        std::string s(buf);
        for (char& c : s)
            if (c == '/' || c == ' ') c = '_';
        return s;
    }();
    return name;
}

// "HOST.PID.SEQ": a temporary name no other process (on this or another host sharing the folder) uses.
std::string temp_tag() {
    static std::atomic<unsigned> seq{0};
    return host_name() + "." + std::to_string(::getpid()) + "." + std::to_string(seq++);
}

void fsync_dir(const std::string& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

std::string parent_of(const std::string& path) {
    const std::string p = fs::path(path).parent_path().string();
    return p.empty() ? "." : p;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    tmp_ = path_ + ".tmp." + temp_tag();
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError(path_ + ": cannot create the file: " + std::strerror(errno));
    buf_.reserve(1 << 20);
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        if (fd_ >= 0) ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

void AtomicFile::flush() {
    std::size_t off = 0;
    while (off < buf_.size()) {
        const ssize_t w = ::write(fd_, buf_.data() + off, buf_.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            const std::string err = std::strerror(errno);
            ::close(fd_);
            fd_ = -1;
            ::unlink(tmp_.c_str());
            throw IoError(path_ + ": write failed: " + err);
        }
        off += static_cast<std::size_t>(w);
    }
    buf_.clear();
}

void AtomicFile::write(const char* data, std::size_t n) {
    if (fd_ < 0) throw IoError(path_ + ": write after the file was closed");
    if (buf_.size() + n > buf_.capacity()) flush();
    if (n >= buf_.capacity()) {
        buf_.assign(data, data + n);
        flush();
        return;
    }
    buf_.insert(buf_.end(), data, data + n);
}

void AtomicFile::commit() {
    if (committed_) return;
    flush();
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
        const std::string err = std::strerror(errno);
        fd_ = -1;
        ::unlink(tmp_.c_str());
        throw IoError(path_ + ": write failed: " + err);
    }
    fd_ = -1;
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const std::string err = std::strerror(errno);
        ::unlink(tmp_.c_str());
        throw IoError(path_ + ": cannot move the finished file into place: " + err);
    }
    committed_ = true;
    fsync_dir(parent_of(path_));
}

void StreamSink::write(const char* data, std::size_t n) {
    if (n && std::fwrite(data, 1, n, f_) != n) throw IoError(name_ + ": write failed: " + std::strerror(errno));
}

void StreamSink::finish() {
    if (std::fflush(f_) != 0 || std::ferror(f_)) throw IoError(name_ + ": write failed: " + std::strerror(errno ? errno : EIO));
}

void write_file_atomic(const std::string& path, const std::string& content) {
    AtomicFile f(path);
    f.write(content);
    f.commit();
}

std::string format_double(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
}

// ---- JsonWriter ------------------------------------------------------------------------------------------------

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_.write(",", 1);
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::open(char bracket) {
    before_value();
    out_.write(&bracket, 1);
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
    first_.pop_back();
    out_.write(&bracket, 1);
    return *this;
}

JsonWriter& JsonWriter::key(const std::string& k) {
    before_value();
    out_.write(nlohmann::json(k).dump());
    out_.write(":", 1);
    after_key_ = true;
    return *this;
}

namespace {

// A double as nlohmann writes it: shortest round-trip text, with ".0" when that text looks like an integer.
std::size_t put_double(char* buf, double v) {
    if (!std::isfinite(v)) {
        std::memcpy(buf, "null", 4);
        return 4;
    }
    auto r = std::to_chars(buf, buf + 40, v);
    std::size_t n = static_cast<std::size_t>(r.ptr - buf);
    bool integral = true;
    for (std::size_t i = 0; i < n; ++i)
        if (buf[i] == '.' || buf[i] == 'e') integral = false;
    if (integral) {
        buf[n++] = '.';
        buf[n++] = '0';
    }
    return n;
}

}  // namespace

JsonWriter& JsonWriter::value(double v) {
    before_value();
    char buf[48];
    out_.write(buf, put_double(buf, v));
    return *this;
}

template <class Int>
JsonWriter& JsonWriter::integer(Int v) {
    before_value();
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.write(buf, static_cast<std::size_t>(r.ptr - buf));
    return *this;
}

JsonWriter& JsonWriter::value(std::int64_t v) { return integer(v); }
JsonWriter& JsonWriter::value(std::uint64_t v) { return integer(v); }

JsonWriter& JsonWriter::value(bool v) {
    before_value();
    out_.write(v ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::value(const std::string& v) {
    before_value();
    out_.write(nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return *this;
}

JsonWriter& JsonWriter::value(const nlohmann::json& v) {
    before_value();
    out_.write(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return *this;
}

JsonWriter& JsonWriter::numbers(const double* data, std::size_t n) {
    before_value();
    out_.write("[", 1);
    char buf[48];
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out_.write(",", 1);
        out_.write(buf, put_double(buf, data[i]));
    }
    out_.write("]", 1);
    return *this;
}

JsonWriter& JsonWriter::numbers(const std::vector<int>& v) {
    before_value();
    out_.write("[", 1);
    char buf[16];
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out_.write(",", 1);
        auto r = std::to_chars(buf, buf + sizeof buf, v[i]);
        out_.write(buf, static_cast<std::size_t>(r.ptr - buf));
    }
    out_.write("]", 1);
    return *this;
}

JsonWriter& JsonWriter::matrix(const double* data, std::int64_t rows, std::int64_t cols, std::int64_t row_stride, std::int64_t col_stride) {
    begin_array();
    std::vector<double> row(static_cast<std::size_t>(cols));
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) row[static_cast<std::size_t>(c)] = data[r * row_stride + c * col_stride];
        numbers(row.data(), row.size());
    }
    return end_array();
}

void JsonWriter::finish() {
    if (!first_.empty() || after_key_) throw IoError(out_.path() + ": internal error: an unfinished JSON document");
    out_.write("\n", 1);
}

// ---- Folders -----------------------------------------------------------------------------------------------------

void make_output_dir(const std::string& dir) {
    if (dir.empty()) throw IoError("no output folder given");
    struct stat lst {};
    if (::lstat(dir.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) {
            char target[4096];
            const ssize_t n = ::readlink(dir.c_str(), target, sizeof target - 1);
            throw IoError(dir + ": the output folder is a symbolic link to '" +
                          (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string("?")) +
                          "', which does not exist; create the target or choose another folder");
        }
    }
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw IoError(dir + ": the output folder is a file, not a folder");
    fs::create_directories(dir, ec);
    if (ec) throw IoError(dir + ": cannot create the output folder: " + ec.message());
    if (::access(dir.c_str(), W_OK | X_OK) != 0) throw IoError(dir + ": cannot write into the output folder: " + std::strerror(errno));
    // access() trusts the mode bits; a pseudo file system (/sys, /proc) or a read-only mount says no only when a
    // file is created and written, so try one before any work is done.
    const std::string probe = (fs::path(dir) / (".snapscope-probe.tmp." + temp_tag())).string();
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(dir + ": cannot create files in the output folder: " + std::strerror(errno));
    const bool wrote = ::write(fd, "x", 1) == 1;
    const int werr = errno;
    const bool closed = ::close(fd) == 0;
    const int cerr = errno;
    ::unlink(probe.c_str());
    if (!wrote || !closed)
        throw IoError(dir + ": cannot write files in the output folder: " + std::strerror(!wrote ? werr : cerr));
}

namespace {

// True if NAME ends in ".tmp.HOST.PID.SEQ" (or is ".snapscope-staging.HOST.PID.SEQ") of a process on this host that
// no longer runs.
bool stale(const std::string& name) {
    std::size_t at = name.rfind(".tmp.");
    std::size_t skip = 5;
    if (name.rfind(".snapscope-staging.", 0) == 0) {
        at = 0;
        skip = std::strlen(".snapscope-staging.");
    }
    if (at == std::string::npos) return false;
    const std::string tag = name.substr(at + skip);  // HOST.PID.SEQ
    const std::size_t d2 = tag.rfind('.');
    if (d2 == std::string::npos || d2 == 0) return false;
    const std::size_t d1 = tag.rfind('.', d2 - 1);
    if (d1 == std::string::npos) return false;
    const std::string host = tag.substr(0, d1), pid_text = tag.substr(d1 + 1, d2 - d1 - 1);
    if (host != host_name() || pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) return false;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) return false;
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

int remove_stale_temporaries(const std::string& dir) {
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!stale(name)) continue;
        std::error_code rm;
        fs::remove_all(it->path(), rm);
        if (!rm) ++removed;
    }
    return removed;
}

std::uint64_t free_disk_bytes(const std::string& dir) {
    struct statvfs s {};
    if (::statvfs(dir.empty() ? "." : dir.c_str(), &s) != 0) return UINT64_MAX;
    return static_cast<std::uint64_t>(s.f_bavail) * static_cast<std::uint64_t>(s.f_frsize);
}

void check_disk_space(const std::string& dir, double bytes, const std::string& what) {
    const std::uint64_t free = free_disk_bytes(dir);
    if (free == UINT64_MAX || bytes <= static_cast<double>(free)) return;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s would take about %.1f MiB, but only %.1f MiB are free there", what.c_str(), bytes / 1048576.0,
                  static_cast<double>(free) / 1048576.0);
    throw IoError(dir + ": " + buf);
}

// ---- DirLock -----------------------------------------------------------------------------------------------------

namespace {

// Folders this process holds a lock on (canonical path -> nesting depth): a run's writer may lock the folder its
// command already locked.
std::mutex g_locks_mu;
std::map<std::string, int>& held_locks() {
    static std::map<std::string, int> m;
    return m;
}

std::string lock_key(const std::string& dir) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    return ec ? dir : c.string();
}

}  // namespace

DirLock::DirLock(const std::string& dir, const std::string& what) : key_(lock_key(dir)) {
    std::lock_guard<std::mutex> lk(g_locks_mu);
    auto it = held_locks().find(key_);
    if (it != held_locks().end()) {
        ++it->second;  // this process holds it already
        return;
    }
    const std::string path = (fs::path(dir) / ".snapscope.lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError(path + ": cannot create the lock file: " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char buf[256] = {0};
        const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
        ::close(fd_);
        fd_ = -1;
        std::string who;
        for (ssize_t i = 0; i < n; ++i)
            if (buf[i] >= 32 && buf[i] < 127) who += buf[i];
        if (who.empty()) who = "another process";
        if (err == EWOULDBLOCK)
            throw IoError(dir + ": another snapscope (" + who + ") is using this folder; wait for it to finish, or use another folder for " +
                          what);
        throw IoError(path + ": cannot lock the folder: " + std::strerror(err));
    }
    const std::string me = "pid " + std::to_string(::getpid()) + " on " + host_name() + ", writing " + what + "\n";
    if (::ftruncate(fd_, 0) == 0) {
        const ssize_t w = ::pwrite(fd_, me.data(), me.size(), 0);
        (void)w;
    }
    held_locks()[key_] = 1;
}

DirLock::~DirLock() {
    std::lock_guard<std::mutex> lk(g_locks_mu);
    auto it = held_locks().find(key_);
    if (fd_ < 0) {
        if (it != held_locks().end() && --it->second == 0) held_locks().erase(it);  // (never: the owner outlives nested locks)
        return;
    }
    if (it != held_locks().end()) held_locks().erase(it);
    if (::ftruncate(fd_, 0) != 0) {
    }
    ::close(fd_);  // releases the lock
}

// ---- What a folder holds -------------------------------------------------------------------------------------------

void check_folder_use(const std::string& dir, FolderUse use) {
    std::error_code ec;
    auto has = [&](const char* name) { return fs::exists(fs::path(dir) / name, ec); };
    if (use == FolderUse::Run) {
        for (const char* f : {"sweep.json", "results.csv", "summary.csv"})
            if (has(f))
                throw IoError(dir + " holds a sweep's results (" + f + "); a run's files would be mixed with them: use another folder");
        return;
    }
    for (const char* f : {"final.json", "trajectory.csv"})
        if (has(f))
            throw IoError(dir + " holds a run's files (" + f + "); a sweep's results would be mixed with them: use another folder");
}

namespace {
const std::string& made(const std::string& dir) {
    make_output_dir(dir);
    return dir;
}
}  // namespace

OutputFolder::OutputFolder(const std::string& dir, FolderUse use, const std::string& what, double bytes, const std::string& bytes_what)
    : dir_(made(dir)), lock_(dir, what) {
    check_folder_use(dir_, use);
    remove_stale_temporaries(dir_);
    if (bytes > 0) check_disk_space(dir_, bytes, bytes_what);
}

// ---- FileSet -----------------------------------------------------------------------------------------------------

FileSet::FileSet(std::string dir) : dir_(std::move(dir)) {
    staging_ = (fs::path(dir_) / (".snapscope-staging." + temp_tag())).string();
    std::error_code ec;
    fs::create_directory(staging_, ec);
    if (ec) throw IoError(staging_ + ": cannot create a staging folder: " + ec.message());
}

FileSet::~FileSet() {
    files_.clear();  // removes uncommitted temporaries
    std::error_code ec;
    fs::remove_all(staging_, ec);
}

AtomicFile& FileSet::open(const std::string& name) {
    names_.push_back(name);
    files_.push_back(std::make_unique<AtomicFile>((fs::path(staging_) / name).string()));
    return *files_.back();
}

void FileSet::commit() {
    for (auto& f : files_) f->commit();
    // Old files out (last first: final.json disappears before the files it belongs with), new files in (first
    // first: final.json comes last, when the set is complete).
    for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
        const std::string target = (fs::path(dir_) / *it).string();
        if (::unlink(target.c_str()) != 0 && errno != ENOENT)
            throw IoError(target + ": cannot replace the file: " + std::strerror(errno));
    }
    for (const std::string& n : names_) {
        const std::string from = (fs::path(staging_) / n).string(), to = (fs::path(dir_) / n).string();
        if (std::rename(from.c_str(), to.c_str()) != 0) throw IoError(to + ": cannot move the finished file into place: " + std::strerror(errno));
    }
    fsync_dir(dir_);
}

std::string dump_json(const nlohmann::json& j, int indent) {
    // Non-finite numbers become null in JSON; callers report divergence separately.
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace snapscope
