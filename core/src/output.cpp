#include "snapscope/output.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace snapscope {

using nlohmann::json;

void write_file_atomic(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(path + ": cannot create the file: " + std::strerror(errno));
    std::size_t off = 0;
    while (off < content.size()) {
        const ssize_t w = ::write(fd, content.data() + off, content.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            const std::string err = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw IoError(path + ": write failed: " + err);
        }
        off += static_cast<std::size_t>(w);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string err = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw IoError(path + ": write failed: " + err);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string err = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw IoError(path + ": cannot move the finished file into place: " + err);
    }
}

std::string format_double(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
}

std::string trajectory_csv(const ScanSnapRun& run) {
    const std::size_t K = run.data().classes().size();
    std::string out = "step,loss,lr_z,lr_y";
    for (std::size_t c = 0; c < K; ++c)
        out += ",common_mass_" + std::to_string(c) + ",distinct_entropy_" + std::to_string(c);
    out += '\n';
    for (const ScalarRecord& r : run.scalars()) {
        out += std::to_string(r.step);
        out += ',' + format_double(r.loss) + ',' + format_double(r.lr_z) + ',' + format_double(r.lr_y);
        for (std::size_t c = 0; c < K; ++c) out += ',' + format_double(r.common_mass[c]) + ',' + format_double(r.distinct_entropy[c]);
        out += '\n';
    }
    return out;
}

namespace {

json rows_of(const double* data, int rows, int cols, bool row_major) {
    json a = json::array();
    for (int r = 0; r < rows; ++r) {
        json row = json::array();
        for (int c = 0; c < cols; ++c) row.push_back(row_major ? data[static_cast<std::size_t>(r) * cols + c] : data[static_cast<std::size_t>(c) * rows + r]);
        a.push_back(std::move(row));
    }
    return a;
}

}  // namespace

json final_json(ScanSnapRun& run, double steps_per_second, double elapsed_seconds) {
    run.record_now();
    const int M = run.vocab_size();
    const ScalarRecord& last = run.scalars().back();
    json j;
    j["step"] = run.step_index();
    j["loss"] = last.loss;
    j["M"] = M;
    j["seed"] = run.config().train.seed;
    j["lr_z"] = run.lr_z();
    j["lr_y"] = run.lr_y();
    j["Z"] = rows_of(run.model().Z.data(), M, M, true);
    j["Y"] = rows_of(run.model().Y.data(), M, M, false);
    const ClassMetrics cm = run.class_metrics();
    json classes = json::array();
    const auto& cl = run.data().classes();
    for (std::size_t c = 0; c < cl.size(); ++c) {
        json e;
        e["query"] = cl[c].query;
        e["label"] = cl[c].label;
        e["attention"] = std::vector<double>(cm.attention.begin() + c * M, cm.attention.begin() + (c + 1) * M);
        e["common_mass"] = cm.common_mass[c];
        e["distinct_entropy"] = cm.distinct_entropy[c];
        e["distinct_tokens"] = cl[c].distinct;
        e["common_tokens"] = cl[c].common;
        classes.push_back(std::move(e));
    }
    j["classes"] = std::move(classes);
    json ev = json::array();
    for (const RunEvent& e : run.events()) ev.push_back({{"step", e.step}, {"name", e.name}, {"old", e.old_value}, {"new", e.new_value}});
    j["events"] = std::move(ev);
    if (run.diverged()) j["diverged"] = run.divergence_message();
    j["steps_per_second"] = steps_per_second;
    j["elapsed_seconds"] = elapsed_seconds;
    return j;
}

std::string dump_json(const json& j, int indent) {
    // Non-finite numbers become null in JSON; callers report divergence separately.
    return j.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace snapscope
