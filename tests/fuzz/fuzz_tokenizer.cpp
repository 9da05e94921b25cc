// libFuzzer target: the text tokenizer and the corpus reader. Any input must be read or refused with an
// InputError; the words must be well formed (non-empty, no white space, UTF-8 wherever the input was), the corpus's
// ids must index its vocabulary, and its token count must equal the words of its lines counted one by one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "snapscope/corpus.hpp"
#include "snapscope/input.hpp"
#include "snapscope/tokenizer.hpp"

using namespace snapscope;

namespace {

void check_words(const std::vector<std::string>& words, bool utf8) {
    for (const std::string& w : words) {
        if (w.empty()) __builtin_trap();
        for (char c : w)
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') __builtin_trap();
        if (utf8 && invalid_utf8_offset(w) != std::string::npos) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const bool utf8 = invalid_utf8_offset(text) == std::string::npos;
    std::uint64_t expected = 0;
    for (TextFormat f : {TextFormat::Plain, TextFormat::WikiText, TextFormat::WikiTextJoined}) {
        std::vector<std::string> words, again;
        tokenize_line(text, f, words);
        tokenize_line(text, f, again);
        if (words != again) __builtin_trap();
        check_words(words, utf8);
    }
    // The corpus: counted line by line as the reader splits them (at '\n', a trailing '\r' dropped).
    const char* formats[] = {"plain", "wikitext", "wikitext-joined"};
    const TextFormat fs[] = {TextFormat::Plain, TextFormat::WikiText, TextFormat::WikiTextJoined};
    const int k = size > 0 ? data[0] % 3 : 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> w;
        tokenize_line(line, fs[k], w);
        expected += w.size();
        pos = nl + 1;
    }
    CorpusOptions opt;
    opt.format = formats[k];
    opt.max_vocab = size > 1 ? data[1] % 8 : 0;
    if (opt.max_vocab == 1) opt.max_vocab = 0;
    opt.valid_fraction = size > 2 ? (data[2] % 10) / 10.0 : 0.1;
    opt.max_bytes = 64ULL << 20;
    try {
        const Corpus c = corpus_from_text(text, opt, "fuzz");
        if (c.words.empty() || c.words[0] != "<unk>") __builtin_trap();
        if (opt.max_vocab > 0 && c.vocab() > opt.max_vocab) __builtin_trap();
        if (c.train.size() + c.valid.size() != expected || c.train.empty()) __builtin_trap();
        for (std::int32_t id : c.train)
            if (id < 0 || id >= c.vocab()) __builtin_trap();
        for (std::int32_t id : c.valid)
            if (id < 0 || id >= c.vocab()) __builtin_trap();
    } catch (const InputError&) {
        // Refused: only when the text is not UTF-8, is binary, has no training words, or its lines are too long.
        if (utf8 && binary_byte_offset(text) == std::string::npos && expected > 0 && opt.valid_fraction == 0 && size < (16u << 20))
            __builtin_trap();
    }
    return 0;
}
