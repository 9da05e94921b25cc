// Scan and Snap on a text (data.kind = text): the corpus's (window -> next word) samples of the classes it keeps.
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "snapscope/data.hpp"

namespace snapscope {

namespace {
// The `k` ids of `counts` counted most (ties: the smaller id), each counted at least once.
std::vector<int> most_counted(const std::unordered_map<int, std::int64_t>& counts, int k) {
    std::vector<std::pair<int, std::int64_t>> v(counts.begin(), counts.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    std::vector<int> out;
    for (std::size_t i = 0; i < v.size() && static_cast<int>(i) < k; ++i) out.push_back(v[i].first);
    return out;
}
}  // namespace

JsonlData text_pair_samples(const Corpus& c, int num_last, int num_next_per_last, int seq_len, std::uint64_t max_bytes) {
    const std::vector<std::int32_t>& w = c.train;
    const std::size_t L = window_length(c, seq_len);
    // The queries: the most frequent last words of a window (not <unk>, id 0).
    std::unordered_map<int, std::int64_t> query_count;
    for (std::size_t i = L - 1; i + 1 < w.size(); ++i)
        if (w[i] != 0) ++query_count[w[i]];
    const std::vector<int> queries = most_counted(query_count, num_last);
    std::unordered_map<int, std::unordered_map<int, std::int64_t>> next_count;
    for (int q : queries) next_count[q];
    for (std::size_t i = L - 1; i + 1 < w.size(); ++i)
        if (auto it = next_count.find(w[i]); it != next_count.end() && w[i + 1] != 0) ++it->second[w[i + 1]];
    // Per query, its most frequent next words are its classes.
    std::unordered_map<std::int64_t, bool> keep;
    for (int q : queries)
        for (int y : most_counted(next_count[q], num_next_per_last)) keep[static_cast<std::int64_t>(q) * c.vocab() + y] = true;
    std::size_t n = 0;
    for (std::size_t i = L - 1; i + 1 < w.size(); ++i) n += keep.count(static_cast<std::int64_t>(w[i]) * c.vocab() + w[i + 1]);
    if (n == 0) throw DataError(c.source + ": no window of the text ends in a kept query word followed by a word that is not <unk>", "data.path");
    const double bytes = static_cast<double>(n) * jsonl_sample_bytes(L);
    if (bytes > static_cast<double>(max_bytes)) {
        char need[48];
        std::snprintf(need, sizeof need, "%.1f MiB", bytes / 1048576.0);
        throw DataError(c.source + ": its " + std::to_string(n) + " windows of " + std::to_string(L) + " words need " + need +
                            ", more than limits.memory_mb leaves (fewer classes, data.num_next_per_last, or a shorter data.seq_len)",
                        "data.seq_len");
    }
    JsonlData d;
    d.K = c.vocab();
    d.source = c.source;
    d.samples.reserve(n);
    for (std::size_t i = L - 1; i + 1 < w.size(); ++i) {
        if (!keep.count(static_cast<std::int64_t>(w[i]) * c.vocab() + w[i + 1])) continue;
        JsonlSample s;
        s.tokens.assign(w.begin() + static_cast<std::ptrdiff_t>(i + 1 - L), w.begin() + static_cast<std::ptrdiff_t>(i + 1));
        s.label = w[i + 1];
        s.line = i;  // (the word's position in the training text)
        d.tokens += static_cast<std::int64_t>(L);
        d.samples.push_back(std::move(s));
    }
    return d;
}

}  // namespace snapscope
