// Training speed of the Scan-and-Snap engine. Reports steps per second ("items_per_second").
//   build/tests/snapscope_bench
// fig4:  the paper's Fig 4 run (M = 34, L = 128, batch 128).
// large: 20 queries x 5 next tokens (M = 1130), L = 512, batch 256, uniform init.
#include <benchmark/benchmark.h>

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

BENCHMARK_MAIN();
