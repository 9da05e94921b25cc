// libFuzzer target: the JSON Lines dataset readers (Scan-and-Snap file data and token-priority graphs).
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapscope/data.hpp"
#include "snapscope/tpg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto d = snapscope::FileData::from_text(text, "fuzz", 0);
        snapscope::Rng rng(1);
        snapscope::SparseBatch b;
        if (d->vocab_size() < 5000) d->next_batch(3, rng, b);
    } catch (const snapscope::DataError&) {
    }
    try {
        const snapscope::TpgDataset t = snapscope::read_tpg_jsonl(text, "fuzz", 0);
        if (t.K < 5000) (void)snapscope::token_priority_graphs(t);
    } catch (const snapscope::DataError&) {
    }
    return 0;
}
