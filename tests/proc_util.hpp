// Running snapscope's programs from tests: exit status, output, peak memory (RSS), a time limit and an optional
// address-space limit. The binary under test can be swapped with an environment variable
// (SNAPSCOPE_CLI_UNDER_TEST, SNAPSCOPE_GUI_UNDER_TEST), so the same tests can be run against an older build to
// see them fail there.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace snapscope::test {

struct ProcResult {
    int status = -1;        // exit status (when it exited)
    int signal = 0;         // the signal that ended it (0 if it exited)
    bool timed_out = false;  // killed by the time limit
    long peak_kb = 0;       // peak resident memory
    double seconds = 0;
    std::string out, err;
};

inline std::string slurp_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::filesystem::path test_dir(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::filesystem::path d =
        std::filesystem::path(::testing::TempDir()) / ("snapscope_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + name);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

// Runs `sh -c "exec <cmd>"` with stdout/stderr to files (or stdout to `stdout_path` when given). `address_space_mb`
// > 0 sets RLIMIT_AS in the child. Kills it after `timeout_s` seconds. `on_start(pid)` runs in the parent right
// after the fork (e.g. to send a signal later).
template <class OnStart>
ProcResult run_process(const std::string& cmd, double timeout_s, long address_space_mb, const std::string& stdout_path,
                       OnStart on_start) {
    static int calls = 0;
    const std::filesystem::path dir = test_dir("proc" + std::to_string(calls++));
    const std::string out = stdout_path.empty() ? (dir / "out").string() : stdout_path;
    const std::string err = (dir / "err").string();
    ProcResult r;
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        if (address_space_mb > 0) {
            struct rlimit rl;
            rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(address_space_mb) << 20;
            ::setrlimit(RLIMIT_AS, &rl);
        }
        const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo >= 0) ::dup2(fo, 1);
        if (fe >= 0) ::dup2(fe, 2);
        const std::string full = "exec " + cmd;
        ::execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    on_start(pid);
    int st = 0;
    struct rusage ru {};
    while (true) {
        const pid_t w = ::wait4(pid, &st, WNOHANG, &ru);
        if (w == pid) break;
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (el > timeout_s && !r.timed_out) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (WIFEXITED(st)) r.status = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) r.signal = WTERMSIG(st);
    r.peak_kb = ru.ru_maxrss;
    if (stdout_path.empty()) r.out = slurp_file(out);
    r.err = slurp_file(err);
    return r;
}

inline ProcResult run_process(const std::string& cmd, double timeout_s = 120, long address_space_mb = 0, const std::string& stdout_path = "") {
    return run_process(cmd, timeout_s, address_space_mb, stdout_path, [](pid_t) {});
}

// Waits (up to `timeout_s`) until process `pid` catches signal `sig` (its handler is installed, as /proc/PID/status
// shows in SigCgt), so a test can send the signal without sleeping for a guessed time. False if it never does.
// While the process is still the shell that run_process starts it with, it does not count: dash catches SIGINT
// itself and, sent one before its exec, dies of it (the program never sees the signal). Nor does the moment inside
// the shell's execve when /proc/PID/exe already names the program but the shell's handlers are not yet reset (the
// kernel replaces the executable before it flushes the handlers): a SIGINT sent then reaches the program with the
// default action and kills it before it installs its own (a CI run saw exactly that: status -1, nothing written).
// The shells (dash, bash) catch SIGCHLD and our programs do not, so a mask that catches SIGCHLD is the shell's, and
// the handler must be seen in two reads in a row.
inline bool wait_for_handler(pid_t pid, int sig, double timeout_s = 60) {
    std::error_code ec;
    const std::filesystem::path shell = std::filesystem::canonical("/bin/sh", ec);
    const auto t0 = std::chrono::steady_clock::now();
    int seen = 0;  // reads in a row that showed the handler
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < timeout_s) {
        const std::string proc = "/proc/" + std::to_string(pid);
        std::error_code ec_exe;
        const std::filesystem::path exe = std::filesystem::read_symlink(proc + "/exe", ec_exe);
        if (ec_exe || (!shell.empty() && exe == shell)) {
            seen = 0;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            continue;
        }
        std::ifstream in(proc + "/status");
        std::string line;
        bool catches = false;
        while (std::getline(in, line))
            if (line.rfind("SigCgt:", 0) == 0) {
                const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
                catches = (mask & (1ULL << (sig - 1))) && !(mask & (1ULL << (SIGCHLD - 1)));
            }
        if (catches && ++seen >= 2) return true;
        if (!catches) seen = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

// The program under test: the build's own, unless the environment names another.
inline std::string program(const char* env, const char* built) {
    const char* e = std::getenv(env);
    return e && *e ? e : built;
}

// Writes `text` to `p` as it is (binary).
inline void write_file(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

#ifdef SNAPSCOPE_CLI
// snapscope-cli under test (SNAPSCOPE_CLI_UNDER_TEST=/path/to/another/build swaps it), and a run of it.
inline std::string cli() { return program("SNAPSCOPE_CLI_UNDER_TEST", SNAPSCOPE_CLI); }
inline ProcResult run_cli(const std::string& args, double timeout = 120, long as_mb = 0) {
    return run_process(cli() + " " + args, timeout, as_mb);
}

// One error line, short enough to read, naming what it must name.
inline void expect_clear_error(const ProcResult& r, const std::string& needle, const std::string& what) {
    EXPECT_FALSE(r.timed_out) << what << ": hung";
    EXPECT_EQ(r.signal, 0) << what << ": killed by signal " << r.signal << "\n" << r.err.substr(0, 2000);
    EXPECT_TRUE(r.status == 1 || r.status == 2) << what << ": status " << r.status << "\n" << r.err.substr(0, 2000);
    EXPECT_NE(r.err.find("error"), std::string::npos) << what << "\n" << r.err.substr(0, 2000);
    EXPECT_NE(r.err.find(needle), std::string::npos) << what << ": no '" << needle << "' in\n" << r.err.substr(0, 2000);
    EXPECT_LT(r.err.size(), 1200u) << what << ": a message of " << r.err.size() << " bytes";
}
#endif

// A sanitizer build reserves terabytes of address space and inflates memory: limits and RSS bounds are skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

}  // namespace snapscope::test
