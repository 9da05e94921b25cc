// libFuzzer target: the transformer lab's readers, the JSON Lines sequence files (both line formats) and the weights
// of model.init_from. Any input must either be read or give a DataError / ConfigError; nothing else may escape,
// crash, hang or exhaust memory. What is read is used: a few batches are drawn, and weights read are run.
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapscope/input.hpp"
#include "snapscope/transformer_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    for (bool last : {false, true}) {
        try {
            auto lines = snapscope::read_sequence_lines(text, "fuzz", last, 64ULL << 20);
            const std::size_t n = lines.size();
            snapscope::FileSequences f(std::move(lines), last, 0, "fuzz");
            snapscope::Rng rng(1);
            snapscope::SeqBatch b;
            f.next_batch(3, rng, b);
            // Every sequence of a batch has a target, and as many targets as tokens.
            if (b.targets.size() != b.tokens.size() || b.size() != 3 || n == 0) __builtin_trap();
            for (std::int32_t t : b.tokens)
                if (t < 0 || t >= f.vocab()) __builtin_trap();
        } catch (const snapscope::DataError&) {
        }
    }
    try {
        const nlohmann::json doc = snapscope::parse_json_text(text, "fuzz");
        snapscope::TransformerSpec s;
        s.vocab = 3;
        s.d = 2;
        s.ffn = 2;
        s.max_len = 4;
        s.pe = snapscope::PosEncoding::Learned;
        const std::vector<double> p = snapscope::transformer_params_from_json(doc, s, "fuzz");
        snapscope::Transformer<double> m(s);
        m.params.assign(p.begin(), p.end());
        snapscope::SeqBatch b;
        b.add({0, 1, 2}, {1, 2, 0});
        const double loss = m.forward(b);
        (void)loss;
    } catch (const snapscope::InputError&) {
    } catch (const snapscope::ConfigError&) {
    }
    return 0;
}
