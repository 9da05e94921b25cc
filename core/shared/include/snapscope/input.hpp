// Reading what users hand us: files and JSON text. Every reader of a user's file goes through here, so the
// same rules hold everywhere:
//  - only regular files are read: a directory, FIFO, device or socket is refused before a byte is read (so
//    /dev/zero cannot fill memory and a FIFO without a writer cannot block);
//  - a file larger than the caller's cap is refused, naming its size and the cap;
//  - a NUL byte is refused with its offset (the JSON library would silently stop reading there);
//  - JSON nesting deeper than kMaxJsonDepth is refused while parsing, so nothing recursive (copies, dumps,
//    flatteners) ever sees a deep document;
//  - a key given twice in one JSON object is refused (the JSON library would silently keep the last one);
//  - values and keys quoted in messages are cut to a readable length.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace snapscope {

// A problem with something the user gave us. key() names the config key it concerns ("" if none); what() is a
// complete one-line message that names the file (and line, where there is one).
class InputError : public std::runtime_error {
public:
    explicit InputError(const std::string& msg, std::string key = "") : std::runtime_error(msg), key_(std::move(key)) {}
    const std::string& key() const { return key_; }

private:
    std::string key_;
};

// Bad data (e.g. a malformed line of a dataset file or a results.csv). what() names the file and line.
class DataError : public InputError {
public:
    explicit DataError(const std::string& msg, std::string key = "") : InputError(msg, std::move(key)) {}
};

constexpr int kMaxJsonDepth = 64;
// A long load stopped on request (LoadMonitor).
class LoadCancelled : public InputError {
public:
    using InputError::InputError;
};

// Progress and cancel of a long load on the current thread (a run built in the background: reading its dataset
// file). While a LoadMonitor is in scope, every InputFile read on this thread reports the fraction of the file read
// so far and throws LoadCancelled once `cancelled` says so. Without one, reading reports nothing.
class LoadMonitor {
public:
    LoadMonitor(std::function<void(double)> progress, std::function<bool()> cancelled);
    ~LoadMonitor();  // the previous monitor of this thread (if any) is back
    LoadMonitor(const LoadMonitor&) = delete;
    LoadMonitor& operator=(const LoadMonitor&) = delete;
    // Called by readers: `done` of `total` bytes read from `what`. Throws LoadCancelled naming `what`.
    static void report(std::uint64_t done, std::uint64_t total, const std::string& what);

    // Within a LoadStage, a reader's fraction f is reported as base + share * f (a load of several files or passes
    // reports one rising fraction for the whole).
    class Stage {
    public:
        Stage(double base, double share);
        ~Stage();
        Stage(const Stage&) = delete;
        Stage& operator=(const Stage&) = delete;

    private:
        double base_, share_;
    };

private:
    std::function<void(double)> progress_;
    std::function<bool()> cancelled_;
    LoadMonitor* previous_;
};

// Config and session files are small; a larger file is refused before it is read.
constexpr std::uint64_t kMaxConfigFileBytes = 64ULL << 20;

// Lines of a text, one at a time (a file or a string). A NUL byte in a line throws InputError naming the line.
class LineSource {
public:
    virtual ~LineSource() = default;
    // Next line without its '\n' (and without a trailing '\r'); false at the end. A line longer than `max_line`
    // bytes throws InputError naming the line.
    virtual bool next_line(std::string& line, std::size_t max_line) = 0;
    virtual std::size_t line_number() const = 0;  // of the line last returned (1-based)
    virtual std::uint64_t line_offset() const = 0;  // byte offset of the start of the line last returned
};

class StringLines final : public LineSource {
public:
    StringLines(const std::string& text, std::string source) : text_(text), source_(std::move(source)) {}
    bool next_line(std::string& line, std::size_t max_line) override;
    std::size_t line_number() const override { return line_; }
    std::uint64_t line_offset() const override { return start_; }

private:
    const std::string& text_;
    std::string source_;
    std::size_t pos_ = 0, line_ = 0, start_ = 0;
};

// Opens `path` if it is a regular file (after following symbolic links) and reads it line by line. `what` names
// the file in messages ("config file", "dataset file (data.path)"). Throws InputError: missing file, dangling
// link, directory, FIFO, device, unreadable, larger than `max_bytes`.
class InputFile final : public LineSource {
public:
    InputFile(const std::string& path, const std::string& what, std::uint64_t max_bytes);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    std::uint64_t size() const { return size_; }
    const std::string& path() const { return path_; }
    bool next_line(std::string& line, std::size_t max_line) override;
    std::size_t line_number() const override { return line_; }
    std::uint64_t line_offset() const override { return start_; }
    // The whole (remaining) content.
    std::string read_all();

private:
    bool fill();
    int fd_ = -1;
    std::string path_, what_;
    std::uint64_t size_ = 0, max_bytes_ = 0, read_ = 0;
    std::unique_ptr<char[]> buf_;
    std::size_t pos_ = 0, len_ = 0, line_ = 0;
    std::uint64_t consumed_ = 0, start_ = 0;  // bytes before the next line, and before the line last returned
    bool eof_ = false;
};

// The whole content of a regular file of at most `max_bytes` bytes. Throws InputError.
std::string read_input_file(const std::string& path, const std::string& what, std::uint64_t max_bytes);

// Parses one JSON document. Throws InputError "SOURCE:LINE:COL: ..." for a syntax error, a NUL byte, nesting
// deeper than `max_depth` or a key given twice in one object. For a document that is one line of a larger file,
// `line_of_file` (1-based) is that line, and every message names it.
nlohmann::json parse_json_text(const std::string& text, const std::string& source, int max_depth = kMaxJsonDepth,
                               std::size_t line_of_file = 0);

// A value as it may be quoted in a message: at most about `max_chars` characters ("[1, 2, 3, …] (40 items)").
std::string brief(const nlohmann::json& v, std::size_t max_chars = 60);
// A piece of text cut to at most about `max_chars` characters, with "…" and its full length when cut.
std::string brief_text(const std::string& s, std::size_t max_chars = 60);

// A message made safe to print on a terminal or in the window: control characters and bytes that are not UTF-8
// as \xNN escapes (a file name cannot clear the screen), words longer than 120 bytes (paths, values) cut in the
// middle, and the whole at most `max_bytes`.
std::string message_text(const std::string& s, std::size_t max_bytes = 1000);

// Byte offset of the first NUL in `text`, or npos.
std::size_t find_nul(const std::string& text);

}  // namespace snapscope
