// The token-priority graph of a query word of a text (data.kind = text with model.kind = tpg): the windows that end in
// the word and hold their next word, renumbered over the words they contain.
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "snapscope/corpus.hpp"
#include "snapscope/tokenizer.hpp"
#include "snapscope/tpg.hpp"

namespace snapscope {

std::string TpgDataset::name(int token) const {
    if (token >= 0 && static_cast<std::size_t>(token) < words.size()) return words[static_cast<std::size_t>(token)];
    return std::to_string(token);
}

namespace {

// Whether the word after the window ending at position i (of L words) occurs in that window.
bool next_in_window(const std::vector<std::int32_t>& w, std::size_t i, std::size_t L) {
    const std::int32_t y = w[i + 1];
    if (y == 0) return false;  // <unk> is never a label
    for (std::size_t t = i + 1 - L; t <= i; ++t)
        if (w[t] == y) return true;
    return false;
}

}  // namespace

TpgDataset tpg_text_samples(const Corpus& c, const std::string& query_word, int num_labels, int seq_len, int max_samples, std::uint64_t max_bytes) {
    const std::vector<std::int32_t>& w = c.train;
    const std::size_t L = window_length(c, seq_len);
    // The query: the word given (as the tokenizer makes it), or the one that ends the most windows holding their next word.
    int q = -1;
    if (!query_word.empty()) {
        std::vector<std::string> toks;
        basic_english(query_word, toks);
        if (toks.size() != 1)
            throw DataError("data.query_word: '" + query_word + "' is " + std::to_string(toks.size()) + " words to the tokenizer; give one word",
                            "data.query_word");
        const auto it = std::find(c.words.begin(), c.words.end(), toks[0]);
        if (it == c.words.end() || it == c.words.begin())
            throw DataError("data.query_word: '" + toks[0] + "' is not a word of " + c.source + "'s vocabulary (" + std::to_string(c.vocab()) +
                                " words; a larger data.vocab_size keeps more)",
                            "data.query_word");
        q = static_cast<int>(it - c.words.begin());
    } else {
        std::unordered_map<int, std::int64_t> count;
        for (std::size_t i = L - 1; i + 1 < w.size(); ++i)
            if (w[i] != 0 && next_in_window(w, i, L)) ++count[w[i]];
        std::int64_t best = 0;
        for (const auto& [word, n] : count)
            if (n > best || (n == best && word < q)) best = n, q = word;
        if (q < 0)
            throw DataError(c.source + ": no window of " + std::to_string(L) + " words holds the word after it (a longer data.seq_len finds some; data.query_word picks a word)",
                            "data.query_word");
    }
    // Its labels: the most frequent next words of its windows that hold them.
    std::unordered_map<int, std::int64_t> next;
    for (std::size_t i = L - 1; i + 1 < w.size(); ++i)
        if (w[i] == q && next_in_window(w, i, L)) ++next[w[i + 1]];
    if (next.empty())
        throw DataError(c.source + ": no window of " + std::to_string(L) + " words ending in '" + c.words[static_cast<std::size_t>(q)] +
                            "' holds the word after it (a longer data.seq_len, or another data.query_word)",
                        "data.query_word");
    std::vector<std::pair<int, std::int64_t>> ranked(next.begin(), next.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    if (static_cast<int>(ranked.size()) > num_labels) ranked.resize(static_cast<std::size_t>(std::max(1, num_labels)));
    std::vector<char> label(static_cast<std::size_t>(c.vocab()), 0);
    for (const auto& r : ranked) label[static_cast<std::size_t>(r.first)] = 1;
    std::vector<std::size_t> ends;  // window ends of the eligible samples, in text order
    for (std::size_t i = L - 1; i + 1 < w.size(); ++i)
        if (w[i] == q && label[static_cast<std::size_t>(w[i + 1])] && next_in_window(w, i, L)) ends.push_back(i);
    const std::size_t n = std::min(ends.size(), static_cast<std::size_t>(std::max(1, max_samples)));
    const double bytes = static_cast<double>(n) * (4.0 * static_cast<double>(L) + 64.0) + 8.0 * c.vocab();
    if (bytes > static_cast<double>(max_bytes)) {
        char need[48];
        std::snprintf(need, sizeof need, "%.1f MiB", bytes / 1048576.0);
        throw DataError(c.source + ": " + std::to_string(n) + " windows of " + std::to_string(L) + " words need " + need +
                            ", more than limits.memory_mb leaves (fewer data.num_samples or a shorter data.seq_len)",
                        "data.seq_len");
    }
    // Evenly spread over the text; then the words they hold, renumbered in the corpus's order.
    std::vector<std::size_t> kept(n);
    for (std::size_t j = 0; j < n; ++j) kept[j] = ends[j * ends.size() / n];
    std::vector<int> renumber(static_cast<std::size_t>(c.vocab()), -1);
    for (std::size_t i : kept)
        for (std::size_t t = i + 1 - L; t <= i; ++t) renumber[static_cast<std::size_t>(w[t])] = 0;
    TpgDataset d;
    for (int v = 0; v < c.vocab(); ++v)
        if (renumber[static_cast<std::size_t>(v)] == 0) {
            renumber[static_cast<std::size_t>(v)] = static_cast<int>(d.words.size());
            d.words.push_back(c.words[static_cast<std::size_t>(v)]);
        }
    d.K = static_cast<int>(d.words.size());
    if (d.K < 2)
        throw DataError(c.source + ": the windows ending in '" + c.words[static_cast<std::size_t>(q)] + "' hold no other word (a longer data.seq_len)",
                        "data.query_word");
    d.samples.reserve(n);
    for (std::size_t i : kept) {
        TpgSample s;
        for (std::size_t t = i + 1 - L; t <= i; ++t) s.tokens.push_back(renumber[static_cast<std::size_t>(w[t])]);
        s.label = renumber[static_cast<std::size_t>(w[i + 1])];
        d.samples.push_back(std::move(s));
    }
    return d;
}

}  // namespace snapscope
