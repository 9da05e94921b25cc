#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "snapscope/data.hpp"
#include "snapscope/limits.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxTokenId = 99999999;

[[noreturn]] void bad_line(const std::string& source, std::size_t line, const std::string& what) {
    throw DataError(source + ":" + std::to_string(line) + ": " + what, "data.path");
}

std::int64_t as_token(const json& v, const std::string& source, std::size_t line, const std::string& where) {
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::floor(d) == d && d > static_cast<double>(kMaxTokenId))
            bad_line(source, line, where + " is " + brief(v) + ", beyond the largest supported token id (" + std::to_string(kMaxTokenId) + ")");
        if (std::floor(d) == d && d >= 0)
            bad_line(source, line, where + " is " + brief(v) + ": token ids are written as integers, without a fraction or an exponent (" +
                                       std::to_string(static_cast<std::int64_t>(d)) + ")");
        bad_line(source, line, where + " must be a non-negative integer token id, got " + brief(v));
    }
    if (!v.is_number_integer() && !v.is_number_unsigned())
        bad_line(source, line, where + " must be a non-negative integer token id, got " + brief(v));
    if (!v.is_number_unsigned() && v.get<std::int64_t>() < 0)
        bad_line(source, line, where + " must be a non-negative integer token id, got " + brief(v));
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u > kMaxTokenId)
        bad_line(source, line, where + " is " + brief(v) + ", beyond the largest supported token id (" + std::to_string(kMaxTokenId) + ")");
    return static_cast<std::int64_t>(u);
}

}  // namespace

JsonlData read_jsonl(LineSource& lines, const std::string& source, int vocab_size, std::uint64_t max_bytes) {
    JsonlData d;
    d.source = source;
    std::int64_t max_id = -1;
    double bytes = 0;
    std::string line;
    const std::size_t max_line = static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, 1ULL << 30));
    while (lines.next_line(line, max_line)) {
        const std::size_t line_no = lines.line_number();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        json j;
        try {
            j = parse_json_text(line, source, kMaxJsonDepth, line_no);
        } catch (const InputError& e) {
            throw DataError(e.what(), "data.path");
        }
        if (!j.is_object()) bad_line(source, line_no, "expected an object {\"tokens\": [...], \"label\": n}, got " + brief(j));
        if (!j.contains("tokens")) bad_line(source, line_no, "missing \"tokens\"");
        if (!j.contains("label")) bad_line(source, line_no, "missing \"label\"");
        const json& toks = j["tokens"];
        if (!toks.is_array()) bad_line(source, line_no, "\"tokens\" must be an array of token ids, got " + brief(toks));
        if (toks.size() < 2)
            bad_line(source, line_no, "\"tokens\" needs at least 2 ids (contextual tokens, then the query last)");
        bytes += jsonl_sample_bytes(toks.size());
        if (bytes > static_cast<double>(max_bytes))
            bad_line(source, line_no,
                     "the samples read so far take more than " + format_bytes(static_cast<double>(max_bytes)) +
                         " of memory (limits.memory_mb); use a smaller file, or raise limits.memory_mb if this machine has the memory");
        JsonlSample r;
        r.line = line_no;
        r.tokens.reserve(toks.size());
        for (std::size_t i = 0; i < toks.size(); ++i) {
            const std::int64_t id = as_token(toks[i], source, line_no, "tokens[" + std::to_string(i) + "]");
            r.tokens.push_back(static_cast<int>(id));
            max_id = std::max(max_id, id);
        }
        r.label = static_cast<int>(as_token(j["label"], source, line_no, "\"label\""));
        max_id = std::max<std::int64_t>(max_id, r.label);
        if (vocab_size > 0 && max_id >= vocab_size)
            bad_line(source, line_no, "token id " + std::to_string(max_id) + " is not below data.vocab_size = " + std::to_string(vocab_size));
        d.tokens += static_cast<std::int64_t>(r.tokens.size());
        d.samples.push_back(std::move(r));
    }
    if (d.samples.empty()) throw DataError(source + ": the dataset has no samples (every line is blank)", "data.path");
    d.K = vocab_size > 0 ? vocab_size : static_cast<int>(max_id + 1);
    return d;
}

JsonlData read_jsonl_text(const std::string& text, const std::string& source, int vocab_size, std::uint64_t max_bytes) {
    StringLines lines(text, source);
    try {
        return read_jsonl(lines, source, vocab_size, max_bytes);
    } catch (const DataError&) {
        throw;
    } catch (const InputError& e) {
        throw DataError(e.what(), "data.path");
    }
}

JsonlData read_jsonl_file(const std::string& path, int vocab_size, std::uint64_t max_bytes) {
    try {
        // The text itself is never held whole: lines are read one at a time. A file many times the memory limit
        // is refused at once (the samples read from it would not fit either).
        InputFile f(path, "dataset file (data.path)", std::max<std::uint64_t>(max_bytes, 1ULL << 20) * 8);
        return read_jsonl(f, path, vocab_size, max_bytes);
    } catch (const DataError&) {
        throw;
    } catch (const InputError& e) {
        throw DataError(e.what(), "data.path");
    }
}

std::unique_ptr<FileData> FileData::from_text(const std::string& text, const std::string& source, int vocab_size) {
    return std::make_unique<FileData>(read_jsonl_text(text, source, vocab_size));
}

FileData::FileData(const JsonlData& data) {
    vocab_size_ = data.K;
    // Per class: its samples' (token, count) pairs, merged at the end. Nothing here is of size K except the
    // token table that finish_token_table() builds.
    std::map<std::pair<int, int>, int> class_of;
    std::map<int, int> query_index;
    std::vector<std::vector<std::pair<int, double>>> class_pairs;
    std::vector<double> class_samples, class_ctx;
    struct Run {
        std::size_t first_pos;
        int token;
        double count;
    };
    std::vector<std::pair<int, std::size_t>> tp;
    std::vector<Run> runs;
    for (const JsonlSample& r : data.samples) {
        const int q = r.tokens.back();
        const int y = r.label;
        auto [it, added] = class_of.emplace(std::make_pair(q, y), static_cast<int>(classes_.size()));
        if (added) {
            ClassInfo ci;
            ci.query = q;
            ci.label = y;
            auto qi = query_index.emplace(q, static_cast<int>(queries_.size()));
            if (qi.second) queries_.push_back(q);
            ci.query_index = qi.first->second;
            classes_.push_back(ci);
            class_pairs.emplace_back();
            class_samples.push_back(0);
            class_ctx.push_back(0);
        }
        const int c = it->second;
        SparseSample ss;
        ss.query = q;
        ss.label = y;
        ss.cls = c;
        ss.begin = static_cast<std::uint32_t>(store_.tok.size());
        // The context's counts, in the order of each token's first appearance (the per-sample path sums in
        // this order, so it is kept as the file gives it).
        tp.clear();
        for (std::size_t t = 0; t + 1 < r.tokens.size(); ++t) tp.emplace_back(r.tokens[t], t);
        std::sort(tp.begin(), tp.end());
        runs.clear();
        for (std::size_t i = 0; i < tp.size();) {
            std::size_t j = i;
            while (j < tp.size() && tp[j].first == tp[i].first) ++j;
            runs.push_back({tp[i].second, tp[i].first, static_cast<double>(j - i)});
            i = j;
        }
        std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.first_pos < b.first_pos; });
        for (const Run& u : runs) {
            store_.tok.push_back(u.token);
            store_.cnt.push_back(u.count);
            class_pairs[c].emplace_back(u.token, u.count);
        }
        ss.end = static_cast<std::uint32_t>(store_.tok.size());
        store_.samples.push_back(ss);
        class_samples[c] += 1;
        class_ctx[c] += static_cast<double>(r.tokens.size() - 1);
    }
    const double n = static_cast<double>(data.samples.size());
    for (std::size_t c = 0; c < classes_.size(); ++c) {
        ClassInfo& ci = classes_[c];
        ci.prior = class_samples[c] / n;
        ci.mean_context = class_ctx[c] / class_samples[c];
        auto& pairs = class_pairs[c];
        std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < pairs.size();) {
            double total = 0;
            std::size_t j = i;
            for (; j < pairs.size() && pairs[j].first == pairs[i].first; ++j) total += pairs[j].second;
            ci.tokens.push_back(pairs[i].first);
            ci.probs.push_back(total / class_ctx[c]);
            i = j;
        }
        std::vector<std::pair<int, double>>().swap(pairs);
    }
    finish_token_table();
}

void FileData::next_batch(int batch, Rng&, SparseBatch& out) {
    const double w = 1.0 / batch;
    for (int b = 0; b < batch; ++b) {
        const SparseSample& src = store_.samples[cursor_];
        cursor_ = (cursor_ + 1) % store_.samples.size();
        SparseSample s = src;
        s.weight = w;
        s.begin = static_cast<std::uint32_t>(out.tok.size());
        for (std::uint32_t i = src.begin; i < src.end; ++i) {
            out.tok.push_back(store_.tok[i]);
            out.cnt.push_back(store_.cnt[i]);
        }
        s.end = static_cast<std::uint32_t>(out.tok.size());
        out.samples.push_back(s);
    }
}

}  // namespace snapscope
