// libFuzzer target: the JSON Lines dataset readers (Scan-and-Snap file data and token-priority graphs). Any input
// must either be read or give a DataError; nothing else may escape, crash, hang or exhaust memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapscope/data.hpp"
#include "snapscope/tpg.hpp"
#include "snapscope/tpg_analysis.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const snapscope::JsonlData d = snapscope::read_jsonl_text(text, "fuzz", 0, 64ULL << 20);
        // Read again with the vocabulary it implied: the same samples.
        const snapscope::JsonlData again = snapscope::read_jsonl_text(text, "fuzz", d.K, 64ULL << 20);
        if (again.samples.size() != d.samples.size() || again.K != d.K) __builtin_trap();
        // The token table is of size K: the run checks its memory first; so does this target.
        if (d.K < 1000000) {
            snapscope::FileData f(d);
            snapscope::Rng rng(1);
            snapscope::SparseBatch b;
            f.next_batch(3, rng, b);
            f.mean_field_batch(b);
        }
    } catch (const snapscope::DataError&) {
    }
    try {
        const snapscope::TpgDataset t = snapscope::read_tpg_jsonl(text, "fuzz", 0);
        // Graphs hold only the tokens their queries saw: any K is fine.
        const auto graphs = snapscope::token_priority_graphs(t);
        (void)snapscope::graph_svm(t, graphs, Eigen::MatrixXd(), true);
    } catch (const snapscope::DataError&) {
    }
    return 0;
}
