// Training speed of the Scan-and-Snap engine. Reports steps per second ("items_per_second").
//   build/tests/snapscope_bench
// fig4:  the paper's Fig 4 run (M = 34, L = 128, batch 128).
// large: 20 queries x 5 next tokens (M = 1130), L = 512, batch 256, uniform init.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "snapscope/presets.hpp"
#include "snapscope/scansnap_run.hpp"

using namespace snapscope;

static void train_preset(benchmark::State& state, const char* name, const char* mode) {
    FlatConfig flat = preset_config(name);
    flat["train.mode"] = mode;
    const Config cfg = resolve_config(flat, name);
    ScanSnapRun run(cfg);
    for (auto _ : state) {
        if (!run.step()) state.SkipWithError("diverged");
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["M"] = run.vocab_size();
}

BENCHMARK_CAPTURE(train_preset, fig4, "fig4", "sampled")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(train_preset, fig4_mean_field, "fig4", "mean_field")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(train_preset, large, "large", "sampled")->Unit(benchmark::kMillisecond);

// Floors: what one step cannot go below on this machine, for comparing the engine's rate with what is possible.
// floor_large_momentum: one SGD-momentum pass over Y (M x M, M = 1130) and its buffer, the gradient a constant in
//   a register (no gradient array read): the memory traffic every large step must do, since nearly every entry of
//   Y has a non-zero gradient or momentum each step (softmax rows are dense; ~92 % of columns are in a batch).
// floor_fig4_gemm: the arithmetic of one Fig 4 step's forward and backward as three Eigen GEMMs per class group
//   (2 groups of 64 samples, support 20, M = 34), without sampling, softmax or the attention.
static void floor_large_momentum(benchmark::State& state) {
    const std::size_t n = 1130 * 1130;
    std::vector<double> w(n, 0.01), b(n, 0.0);
    const double lr = 1e-9, mu = 0.9, g = 1e-9;
    for (auto _ : state) {
        double* __restrict wp = w.data();
        double* __restrict bp = b.data();
        for (std::size_t i = 0; i < n; ++i) {
            const double bi = mu * bp[i] + g;
            bp[i] = bi;
            wp[i] -= lr * bi;
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(4 * 8 * n));
}

static void floor_fig4_gemm(benchmark::State& state) {
    const int M = 34, k = 20, n = 64;
    Eigen::MatrixXd Ys = Eigen::MatrixXd::Random(M, k), U = Eigen::MatrixXd::Random(k, n), O(M, n), dYs(M, k), DU(k, n);
    for (auto _ : state) {
        for (int group = 0; group < 2; ++group) {
            O.noalias() = Ys * U;
            dYs.noalias() = O * U.transpose();
            DU.noalias() = Ys.transpose() * O;
        }
        benchmark::DoNotOptimize(dYs.data());
        benchmark::DoNotOptimize(DU.data());
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(floor_large_momentum)->Unit(benchmark::kMillisecond);
BENCHMARK(floor_fig4_gemm)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
