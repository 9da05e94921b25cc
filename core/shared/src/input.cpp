#include "snapscope/input.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace snapscope {

using nlohmann::json;

namespace {

std::string mib(std::uint64_t bytes) {
    char buf[64];
    if (bytes < (1ULL << 20)) std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    return buf;
}

const char* kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a folder, not a file";
    if (S_ISFIFO(m)) return "a FIFO (named pipe), not a regular file";
    if (S_ISCHR(m)) return "a character device, not a regular file";
    if (S_ISBLK(m)) return "a block device, not a regular file";
    if (S_ISSOCK(m)) return "a socket, not a regular file";
    return "not a regular file";
}

}  // namespace

std::size_t find_nul(const std::string& text) { return text.find('\0'); }

namespace {

// The end of reading line `line_no` of `source`: a trailing CR dropped, a NUL byte refused (the message says the
// file, named `what` when given, is not a text file). Builds no text unless it throws.
void finish_line(std::string& line, const std::string& source, std::size_t line_no, const std::string* what, std::uint64_t offset) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t z = find_nul(line);
    if (z != std::string::npos)
        throw InputError(source + ":" + std::to_string(line_no) + ": a NUL byte at column " + std::to_string(z + 1) + " (byte offset " +
                         std::to_string(offset + z) + "): " +
                         (what ? "the " + *what + " is not a text file" : std::string("not a text file")));
}

}  // namespace

bool StringLines::next_line(std::string& line, std::size_t max_line) {
    if (pos_ >= text_.size()) return false;
    std::size_t nl = text_.find('\n', pos_);
    if (nl == std::string::npos) nl = text_.size();
    ++line_;
    if (nl - pos_ > max_line) throw InputError(source_ + ":" + std::to_string(line_) + ": a line longer than " + std::to_string(max_line) + " bytes");
    line.assign(text_, pos_, nl - pos_);
    start_ = pos_;
    pos_ = nl + 1;
    finish_line(line, source_, line_, nullptr, start_);
    return true;
}

namespace {
thread_local LoadMonitor* g_monitor = nullptr;
thread_local double g_stage_base = 0, g_stage_share = 1;
}

LoadMonitor::Stage::Stage(double base, double share) : base_(g_stage_base), share_(g_stage_share) {
    g_stage_base = base_ + share_ * base;
    g_stage_share = share_ * share;
}

LoadMonitor::Stage::~Stage() {
    g_stage_base = base_;
    g_stage_share = share_;
}

LoadMonitor::LoadMonitor(std::function<void(double)> progress, std::function<bool()> cancelled)
    : progress_(std::move(progress)), cancelled_(std::move(cancelled)), previous_(g_monitor) {
    g_monitor = this;
}

LoadMonitor::~LoadMonitor() { g_monitor = previous_; }

void LoadMonitor::report(std::uint64_t done, std::uint64_t total, const std::string& what) {
    LoadMonitor* m = g_monitor;
    if (!m) return;
    if (m->cancelled_ && m->cancelled_()) throw LoadCancelled("stopped reading " + what + " (cancelled)");
    const double f = total > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 1.0;
    if (m->progress_) m->progress_(g_stage_base + g_stage_share * f);
}

InputFile::InputFile(const std::string& path, const std::string& what, std::uint64_t max_bytes)
    : path_(path), what_(what), max_bytes_(max_bytes) {
    if (path.empty()) throw InputError("no " + what + " given (an empty path)");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        struct stat lst {};
        if (err == ENOENT && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
            char target[4096];
            const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
            const std::string to = n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?";
            throw InputError(path + ": cannot open the " + what + ": it is a symbolic link to '" + brief_text(to, 200) +
                             "', which does not exist");
        }
        throw InputError(path + ": cannot open the " + what + ": " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) throw InputError(path + ": cannot read the " + what + ": it is " + kind_of(st.st_mode));
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it still cannot block.
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw InputError(path + ": cannot open the " + what + ": " + std::strerror(errno));
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd_);
        fd_ = -1;
        throw InputError(path + ": cannot read the " + what + ": it is " + kind_of(st.st_mode));
    }
    const int fl = ::fcntl(fd_, F_GETFL);
    if (fl >= 0) ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ > max_bytes_) {
        ::close(fd_);
        fd_ = -1;
        throw InputError(path + ": the " + what + " is " + mib(size_) + ", more than the " + mib(max_bytes_) + " it may have");
    }
    buf_.reset(new char[1 << 16]);
}

InputFile::~InputFile() {
    if (fd_ >= 0) ::close(fd_);
}

bool InputFile::fill() {
    if (eof_) return false;
    while (true) {
        const ssize_t n = ::read(fd_, buf_.get(), 1 << 16);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw InputError(path_ + ": read error in the " + what_ + ": " + std::strerror(errno));
        }
        if (n == 0) {
            eof_ = true;
            return false;
        }
        read_ += static_cast<std::uint64_t>(n);
        if (read_ > max_bytes_)
            throw InputError(path_ + ": the " + what_ + " grew to more than the " + mib(max_bytes_) + " it may have while it was read");
        LoadMonitor::report(read_, size_, path_);
        pos_ = 0;
        len_ = static_cast<std::size_t>(n);
        return true;
    }
}

bool InputFile::next_line(std::string& line, std::size_t max_line) {
    line.clear();
    bool any = false;
    while (true) {
        if (pos_ == len_ && !fill()) {
            if (!any) return false;
            break;
        }
        any = true;
        const char* start = buf_.get() + pos_;
        const void* nl = std::memchr(start, '\n', len_ - pos_);
        const std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
        if (line.size() + take > max_line)
            throw InputError(path_ + ":" + std::to_string(line_ + 1) + ": a line longer than " + mib(max_line) + " in the " + what_);
        line.append(start, take);
        pos_ += take;
        if (nl) {
            ++pos_;
            break;
        }
    }
    ++line_;
    start_ = consumed_;
    consumed_ += line.size() + 1;  // the newline (one byte too many after a last line without one: never read)
    finish_line(line, path_, line_, &what_, start_);
    return true;
}

std::string InputFile::read_all() {
    std::string out;
    out.reserve(static_cast<std::size_t>(size_));
    out.append(buf_.get() + pos_, len_ - pos_);
    pos_ = len_;
    while (fill()) {
        out.append(buf_.get(), len_);
        pos_ = len_;
    }
    return out;
}

std::string read_input_file(const std::string& path, const std::string& what, std::uint64_t max_bytes) {
    InputFile f(path, what, max_bytes);
    return f.read_all();
}

namespace {

// Line and column (1-based) of a byte offset.
std::pair<std::size_t, std::size_t> line_col(const std::string& text, std::size_t offset) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

// Thrown from the parser callback; turned into an InputError with the source by parse_json_text.
struct JsonRuleBroken {
    std::string what;
};

}  // namespace

json parse_json_text(const std::string& text, const std::string& source, int max_depth, std::size_t line_of_file) {
    // A line of a larger file names its line in every message; a whole document names line:column of syntax errors.
    const std::size_t first_line = line_of_file > 0 ? line_of_file : 1;
    const std::string where = line_of_file > 0 ? source + ":" + std::to_string(line_of_file) : source;
    const std::size_t z = find_nul(text);
    if (z != std::string::npos) {
        const auto [l, c] = line_col(text, z);
        throw InputError(source + ":" + std::to_string(l + first_line - 1) + ":" + std::to_string(c) + ": a NUL byte (byte offset " + std::to_string(z) +
                         "): not JSON text");
    }
    // Depth and duplicate keys are checked by the parser's callback as the document is read (the parser itself
    // keeps its own stack, so a deep document never recurses before the callback stops it).
    std::vector<std::set<std::string>> keys;
    int depth = 0;
    const json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
        switch (ev) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                if (++depth > max_depth)
                    throw JsonRuleBroken{"nesting deeper than " + std::to_string(max_depth) + " levels"};
                if (ev == json::parse_event_t::object_start) keys.emplace_back();
                break;
            case json::parse_event_t::object_end:
                --depth;
                keys.pop_back();
                break;
            case json::parse_event_t::array_end:
                --depth;
                break;
            case json::parse_event_t::key: {
                const std::string k = parsed.get<std::string>();
                if (!keys.empty() && !keys.back().insert(k).second)
                    throw JsonRuleBroken{"the key '" + brief_text(k) + "' is given twice in one object"};
                break;
            }
            default:
                break;
        }
        return true;
    };
    try {
        return json::parse(text, cb);
    } catch (const JsonRuleBroken& e) {
        throw InputError(where + ": invalid JSON: " + e.what);
    } catch (const json::parse_error& e) {
        const auto [l, c] = line_col(text, e.byte > 0 ? e.byte - 1 : 0);
        std::string msg = e.what();
        const auto pos = msg.find("syntax error");
        if (pos != std::string::npos) msg = msg.substr(pos);
        throw InputError(source + ":" + std::to_string(l + first_line - 1) + ":" + std::to_string(c) + ": invalid JSON: " + brief_text(msg, 200));
    } catch (const json::exception& e) {
        // e.g. a number too large for a double (1e999)
        std::string msg = e.what();
        const auto p = msg.find(']');
        throw InputError(where + ": invalid JSON: " + brief_text(p == std::string::npos ? msg : msg.substr(p + 2), 200));
    }
}

std::string brief_text(const std::string& s, std::size_t max_chars) {
    if (s.size() <= max_chars) return s;
    // Cut at a UTF-8 character boundary.
    std::size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "… (" + std::to_string(s.size()) + " characters)";
}

namespace {

// Length of the valid UTF-8 sequence at s[i] (0 if it is not one).
std::size_t utf8_length(const std::string& s, std::size_t i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    return n;
}

}  // namespace

std::string message_text(const std::string& s, std::size_t max_bytes) {
    // Escape first, then cut long words (at character boundaries), then the whole.
    std::string safe;
    safe.reserve(std::min<std::size_t>(s.size(), 4 * max_bytes));
    for (std::size_t i = 0; i < s.size() && safe.size() < 8 * max_bytes;) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7F) {
            safe += static_cast<char>(c);
            ++i;
        } else if (c >= 0x80 && utf8_length(s, i) > 0) {
            const std::size_t n = utf8_length(s, i);
            safe.append(s, i, n);
            i += n;
        } else if (c == '\n' || c == '\t') {
            safe += ' ';
            ++i;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            safe += buf;
            ++i;
        }
    }
    std::string out;
    for (std::size_t i = 0; i < safe.size();) {
        std::size_t j = safe.find(' ', i);
        if (j == std::string::npos) j = safe.size();
        const std::size_t len = j - i;
        if (len > 120) {
            std::size_t head = i + 60, tail = j - 40;
            while (head > i && (static_cast<unsigned char>(safe[head]) & 0xC0) == 0x80) --head;
            while (tail < j && (static_cast<unsigned char>(safe[tail]) & 0xC0) == 0x80) ++tail;
            out.append(safe, i, head - i);
            out += "…";
            out.append(safe, tail, j - tail);
        } else {
            out.append(safe, i, len);
        }
        if (j < safe.size()) out += ' ';
        i = j + 1;
    }
    if (out.size() > max_bytes) {
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out = out.substr(0, cut) + "…";
    }
    return out;
}

namespace {

void brief_into(const json& v, std::string& out, std::size_t budget, int depth) {
    if (out.size() >= budget) return;
    if (v.is_array() || v.is_object()) {
        if (depth > 3) {
            out += v.is_array() ? "[…]" : "{…}";
            return;
        }
        out += v.is_array() ? "[" : "{";
        std::size_t i = 0;
        for (auto it = v.begin(); it != v.end(); ++it, ++i) {
            if (out.size() >= budget) {
                out += "…";
                break;
            }
            if (i) out += ", ";
            if (v.is_object()) out += json(brief_text(it.key(), 20)).dump() + ": ";
            brief_into(*it, out, budget, depth + 1);
        }
        out += v.is_array() ? "]" : "}";
        return;
    }
    if (v.is_string()) {
        out += json(brief_text(v.get<std::string>(), budget > out.size() ? budget - out.size() : 8)).dump();
        return;
    }
    out += v.dump();
}

}  // namespace

std::string brief(const json& v, std::size_t max_chars) {
    std::string out;
    brief_into(v, out, max_chars, 0);
    if ((v.is_array() || v.is_object()) && out.size() > max_chars) out += " (" + std::to_string(v.size()) + " items)";
    return out;
}

}  // namespace snapscope
