// Writing files safely. Nothing snapscope writes is ever seen half-written:
//  - AtomicFile writes to PATH.tmp.PID and renames it into place only when it is complete (fsync first); if it is
//    abandoned (an error, an exception) the temporary file is removed;
//  - JsonWriter streams a JSON document into an AtomicFile, so a large matrix never exists as a JSON tree in memory;
//  - FileSet stages several files in a private folder and moves them into place together (a run's config.json,
//    trajectory.csv and final.json), so a folder never mixes the files of two runs;
//  - temporary files of processes that no longer run are cleaned up by the next writer of that folder.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace snapscope {

// JSON text with a fixed layout and a newline at the end; indent -1 is compact.
std::string dump_json(const nlohmann::json& j, int indent = 2);

class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Where bytes go: a file (AtomicFile) or a stream (StreamSink).
class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(const char* data, std::size_t n) = 0;
    void write(const std::string& s) { write(s.data(), s.size()); }
    virtual const std::string& path() const = 0;
};

// Standard output (or any FILE*): a write error (a full disk, a closed pipe) throws IoError naming `name`.
class StreamSink final : public ByteSink {
public:
    StreamSink(std::FILE* f, std::string name) : f_(f), name_(std::move(name)) {}
    using ByteSink::write;
    void write(const char* data, std::size_t n) override;
    void finish();  // flushes; throws IoError if anything failed
    const std::string& path() const override { return name_; }

private:
    std::FILE* f_;
    std::string name_;
};

class AtomicFile final : public ByteSink {
public:
    // Creates PATH.tmp.PID. Throws IoError.
    explicit AtomicFile(std::string path);
    ~AtomicFile();  // removes the temporary file unless commit() succeeded
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    using ByteSink::write;
    void write(const char* data, std::size_t n) override;
    // Flushes, fsyncs, closes and renames into place. Throws IoError (then nothing is left behind).
    void commit();
    const std::string& path() const override { return path_; }

private:
    void flush();
    std::string path_, tmp_;
    int fd_ = -1;
    std::vector<char> buf_;
    bool committed_ = false;
};

// Writes `content` to `path` atomically (temp file + fsync + rename). Throws IoError.
void write_file_atomic(const std::string& path, const std::string& content);

// Shortest text that reads back as the same double ("nan", "inf", "-inf" for non-finite values).
std::string format_double(double x);

// A compact JSON document written as it is produced. Numbers are written like nlohmann's dump (shortest
// round-trip doubles, integral doubles with ".0"); non-finite doubles become null.
class JsonWriter {
public:
    explicit JsonWriter(ByteSink& out) : out_(out) {}
    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }
    JsonWriter& key(const std::string& k);
    JsonWriter& value(double v);
    JsonWriter& value(std::int64_t v);
    JsonWriter& value(std::uint64_t v);
    JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
    JsonWriter& value(bool v);
    JsonWriter& value(const std::string& v);
    JsonWriter& value(const char* v) { return value(std::string(v)); }
    JsonWriter& value(const nlohmann::json& v);  // a small value, dumped whole
    // A matrix as an array of rows: element (r, c) at data[r * row_stride + c * col_stride].
    JsonWriter& matrix(const double* data, std::int64_t rows, std::int64_t cols, std::int64_t row_stride, std::int64_t col_stride);
    JsonWriter& numbers(const double* data, std::size_t n);
    JsonWriter& numbers(const std::vector<double>& v) { return numbers(v.data(), v.size()); }
    JsonWriter& numbers(const std::vector<int>& v);
    void finish();  // checks the document is closed and ends it with a newline

private:
    void before_value();
    JsonWriter& open(char bracket);
    JsonWriter& close(char bracket);
    template <class Int>
    JsonWriter& integer(Int v);
    ByteSink& out_;
    std::vector<bool> first_;  // per open container: no element written yet
    bool after_key_ = false;
};

// Creates `dir` and its parents. A dangling symbolic link, a file in the way or a missing permission is an
// IoError that says so.
void make_output_dir(const std::string& dir);

// Removes temporary files (NAME.tmp.PID) and staging folders (.snapscope-staging.PID) in `dir` whose process
// no longer runs (left by a crash, SIGKILL or power loss). Returns how many it removed.
int remove_stale_temporaries(const std::string& dir);

// Free bytes on the file system holding `dir` (UINT64_MAX if unknown).
std::uint64_t free_disk_bytes(const std::string& dir);
// Throws IoError when `bytes` would not fit on the file system of `dir`.
void check_disk_space(const std::string& dir, double bytes, const std::string& what);

// An exclusive lock on a folder (flock on DIR/.snapscope.lock), held while the object lives, so two processes do
// not write the same output folder at once. Released by the kernel if the process dies. Throws IoError naming the
// holder (pid, host and what it writes, as it wrote them) when another process holds it. `what` says what this one
// writes ("a sweep", "a run's files"). Within one process a folder already locked is locked again at no cost (the
// run writer inside a command that holds the lock); the outer lock must outlive the inner ones.
class DirLock {
public:
    DirLock(const std::string& dir, const std::string& what);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

private:
    std::string key_;
    int fd_ = -1;
};

// What an output folder is for. A run's folder (config.json, trajectory.csv, final.json) and a sweep's or merge's
// (sweep.json, results.csv, summary.csv, config.json) must not share a folder: both write config.json, and a reader
// could not tell the files apart. Throws IoError naming the file that shows the other use.
enum class FolderUse { Run, Sweep };
void check_folder_use(const std::string& dir, FolderUse use);

// An output folder made ready to write, held while the object lives: created, locked (DirLock, for `what`), checked
// for its use, its stale temporaries removed and, when `bytes` > 0, checked for room for them (`bytes_what`).
class OutputFolder {
public:
    OutputFolder(const std::string& dir, FolderUse use, const std::string& what, double bytes = 0, const std::string& bytes_what = "");
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    DirLock lock_;
};

// Several files written together. Each is written with open(name) into DIR/.snapscope-staging.PID/; commit()
// removes the files of the same names from DIR (in reverse order), then moves the new ones in (in order), so at no
// moment does DIR hold files of two sets, and the last file (e.g. final.json) appears only when the set is
// complete. Destroyed without commit(), it removes the staging folder and leaves DIR as it was.
class FileSet {
public:
    explicit FileSet(std::string dir);
    ~FileSet();
    FileSet(const FileSet&) = delete;
    FileSet& operator=(const FileSet&) = delete;
    AtomicFile& open(const std::string& name);
    void commit();

private:
    std::string dir_, staging_;
    std::vector<std::string> names_;
    std::vector<std::unique_ptr<AtomicFile>> files_;
};

}  // namespace snapscope
