#include "commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "snapscope/config.hpp"
#include "snapscope/data.hpp"
#include "snapscope/output.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/scansnap_run.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope::cli {

namespace {

using Clock = std::chrono::steady_clock;

int error(const std::string& msg) {
    std::fprintf(stderr, "snapscope-cli: error: %s\n", msg.c_str());
    return 1;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Config build_config(const RunOptions& opt) {
    FlatConfig flat = opt.config_file.empty() ? preset_config(opt.preset.empty() ? kDefaultPreset : opt.preset)
                                              : load_config_file(opt.config_file);
    for (const auto& s : opt.sets) apply_assignment(flat, s, "--set");
    if (opt.steps) flat["train.steps"] = *opt.steps;
    if (opt.seed) flat["train.seed"] = *opt.seed;
    const std::string source = opt.config_file.empty() ? "preset " + (opt.preset.empty() ? std::string(kDefaultPreset) : opt.preset)
                                                       : opt.config_file;
    return resolve_config(flat, source);
}

double last_loss(const ScanSnapRun& r) { return r.scalars().empty() ? NAN : r.scalars().back().loss; }
double last_loss(const TpgRun& r) { return r.history().empty() ? NAN : r.history().back().loss; }

// Runs `steps` steps, drawing a progress line on a terminal at most 5 times a second.
template <class Run>
std::int64_t train(Run& run, std::int64_t steps, bool progress) {
    const auto t0 = Clock::now();
    auto last_draw = t0;
    std::int64_t done = 0;
    const std::int64_t chunk = 64;
    bool drew = false;
    while (done < steps) {
        const std::int64_t n = std::min(chunk, steps - done);
        const std::int64_t k = run.run(n);
        done += k;
        if (k < n) break;  // diverged
        if (progress) {
            const auto now = Clock::now();
            if (std::chrono::duration<double>(now - last_draw).count() > 0.2) {
                last_draw = now;
                const double el = std::chrono::duration<double>(now - t0).count();
                const double rate = done / std::max(el, 1e-9);
                const double eta = (steps - done) / std::max(rate, 1e-9);
                std::fprintf(stderr, "\rstep %lld/%lld (%3.0f%%)  loss %-10.4g  %.0f steps/s  ETA %.0fs   ",
                             static_cast<long long>(done), static_cast<long long>(steps), 100.0 * done / steps,
                             last_loss(run), rate, eta);
                std::fflush(stderr);
                drew = true;
            }
        }
    }
    if (drew) std::fprintf(stderr, "\r%*s\r", 79, "");
    return done;
}

}  // namespace

namespace {

std::filesystem::path prepare_out(const RunOptions& opt, const Config& cfg) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) throw IoError(opt.out_dir + ": cannot create the output folder: " + ec.message());
    const fs::path out(opt.out_dir);
    // The resolved config first: rerunning it reproduces the run exactly.
    write_file_atomic((out / "config.json").string(), dump_json(config_to_json(cfg)));
    return out;
}

// Trains `cfg` for train.steps steps and writes the three run files; `summary` prints the run's result lines.
template <class Run, class Summary>
int train_and_write(const RunOptions& opt, const Config& cfg, Summary summary) {
    Run run(cfg);
    prepare_out(opt, cfg);
    const bool progress = !opt.quiet && ::isatty(STDERR_FILENO);
    const auto t0 = Clock::now();
    const std::int64_t done = train(run, cfg.train.steps, progress);
    const double elapsed = seconds_since(t0);
    const double sps = elapsed > 0 ? done / elapsed : 0.0;
    run.record_now();
    write_run_files(opt.out_dir, run, sps, elapsed);
    if (run.diverged()) return error(run.divergence_message() + "; wrote the history up to there to " + opt.out_dir);
    if (!opt.quiet) {
        std::printf("%lld steps in %.3f s (%.0f steps/s); ", static_cast<long long>(done), elapsed, sps);
        summary(run);
        std::printf("wrote %s/{config.json, trajectory.csv, final.json}\n", opt.out_dir.c_str());
    }
    return 0;
}

int run_scan_snap(const RunOptions& opt, const Config& cfg) {
    return train_and_write<ScanSnapRun>(opt, cfg, [](const ScanSnapRun& run) {
        const auto& last = run.scalars().back();
        std::printf("final loss %.6g; M = %d\n", last.loss, run.vocab_size());
        for (std::size_t c = 0; c < last.common_mass.size(); ++c)
            std::printf("class %zu (query %d -> %d): common mass %.4f, distinct entropy %.4f nats\n", c,
                        run.data().classes()[c].query, run.data().classes()[c].label, last.common_mass[c],
                        last.distinct_entropy[c]);
    });
}

int run_tpg(const RunOptions& opt, const Config& cfg) {
    return train_and_write<TpgRun>(opt, cfg, [](const TpgRun& run) {
        const TpgMetrics& m = run.history().back().metrics;
        std::printf("final loss %.6g; K = %d, d = %d, %zu samples\n", run.history().back().loss, run.data().K, run.model().d(),
                    run.data().samples.size());
        std::printf("corr(W, W_svm) %.4f; corr(W, R W_svm + W_fin) %.4f (R %.3g); |Pi W - W_fin| %.4g; top-SCC mass %.4f\n",
                    m.corr_svm, m.corr_fit, m.fit_R, m.proj_dist, m.top_scc_mass);
        if (!run.svm().skipped.empty()) std::printf("note: %s\n", run.svm().skipped.c_str());
        else if (!run.svm().converged) std::printf("warning: the graph-SVM QP did not converge (infeasible constraints?)\n");
    });
}

}  // namespace

int cmd_run(const RunOptions& opt) {
    try {
        const Config cfg = build_config(opt);
        return cfg.model.kind == "tpg" ? run_tpg(opt, cfg) : run_scan_snap(opt, cfg);
    } catch (const std::exception& e) {
        return error(e.what());
    }
}

int cmd_graph(const std::string& path, int vocab_size) {
    try {
        const TpgDataset data = load_tpg_file(path, vocab_size);
        const auto graphs = token_priority_graphs(data);
        nlohmann::json j;
        j["K"] = data.K;
        j["graphs"] = tpg_graphs_json(graphs);
        const SvmResult svm = graph_svm(data, graphs, Eigen::MatrixXd(), true);  // token coordinates = onehot
        if (data.K <= 1000) {
            Eigen::MatrixXd W = Eigen::MatrixXd::Zero(data.K, data.K);
            for (const SvmColumn& c : svm.columns)
                for (const auto& [t, h] : c.values) W(t, c.query) = h;
            nlohmann::json rows = nlohmann::json::array();
            for (int r = 0; r < data.K; ++r) {
                nlohmann::json row = nlohmann::json::array();
                for (int c = 0; c < data.K; ++c) row.push_back(W(r, c));
                rows.push_back(row);
            }
            j["W_svm"] = rows;  // onehot embeddings: W_svm[j][k] = (e_j)^T W_svm e_k
        } else {
            // A dense K x K matrix would be too large to print: its non-zero columns instead.
            nlohmann::json cols = nlohmann::json::array();
            for (const SvmColumn& c : svm.columns) {
                nlohmann::json vals = nlohmann::json::array();
                for (const auto& [t, h] : c.values) vals.push_back({t, h});
                cols.push_back({{"query", c.query}, {"values", vals}});
            }
            j["W_svm_columns"] = cols;
        }
        j["svm_converged"] = svm.converged;
        std::fputs(dump_json(j).c_str(), stdout);
        return 0;
    } catch (const std::exception& e) {
        return error(e.what());
    }
}

int cmd_presets() {
    for (const auto& p : presets()) std::printf("%-12s %s\n", p.name.c_str(), p.description.c_str());
    return 0;
}

int cmd_keys() {
    for (const auto& s : config_schema()) {
        std::string def = s.default_value.is_null() ? "unset" : s.default_value.dump();
        std::printf("%-28s %-12s %s\n", s.key.c_str(), def.c_str(), s.help.c_str());
    }
    return 0;
}

int cmd_bench(const std::vector<std::string>& names, std::int64_t steps) {
    try {
        std::printf("%-12s %6s %8s %12s %12s\n", "preset", "M|K", "steps", "seconds", "steps/s");
        for (const auto& name : names) {
            FlatConfig flat = preset_config(name);
            const Config cfg = resolve_config(flat, "preset " + name);
            if (cfg.model.kind == "tpg") {
                TpgRun run(cfg);
                const std::int64_t n = steps > 0 ? steps : cfg.train.steps;
                const auto t0 = Clock::now();
                const std::int64_t done = run.run(n);
                const double el = seconds_since(t0);
                std::printf("%-12s %6d %8lld %12.3f %12.1f\n", name.c_str(), run.data().K, static_cast<long long>(done), el, done / el);
                continue;
            }
            ScanSnapRun run(cfg);
            std::int64_t n = steps;
            if (n <= 0) {
                // Calibrate: about 3 seconds of work.
                const auto t0 = Clock::now();
                std::int64_t k = 0;
                while (seconds_since(t0) < 0.3) k += run.run(8);
                n = std::max<std::int64_t>(8, static_cast<std::int64_t>(k * 10));
            }
            const auto t0 = Clock::now();
            const std::int64_t done = run.run(n);
            const double el = seconds_since(t0);
            std::printf("%-12s %6d %8lld %12.3f %12.1f\n", name.c_str(), run.vocab_size(), static_cast<long long>(done), el,
                        done / el);
        }
        return 0;
    } catch (const std::exception& e) {
        return error(e.what());
    }
}

}  // namespace snapscope::cli
