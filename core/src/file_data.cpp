#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "snapscope/data.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

[[noreturn]] void bad_line(const std::string& source, std::size_t line, const std::string& what) {
    throw DataError(source + ":" + std::to_string(line) + ": " + what, "data.path");
}

std::int64_t as_token(const json& v, const std::string& source, std::size_t line, const std::string& where) {
    if (!v.is_number_integer() && !v.is_number_unsigned())
        bad_line(source, line, where + " must be a non-negative integer token id, got " + v.dump());
    if (v.is_number_integer() && v.get<std::int64_t>() < 0)
        bad_line(source, line, where + " must be a non-negative integer token id, got " + v.dump());
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u >= 100000000ULL) bad_line(source, line, where + " is " + v.dump() + ", beyond the largest supported id (99999999)");
    return static_cast<std::int64_t>(u);
}

}  // namespace

std::string read_text_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path + ": cannot open the " + what, "data.path");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<JsonlSample> read_jsonl_samples(const std::string& text, const std::string& source, int vocab_size, int& K) {
    std::vector<JsonlSample> raw;
    std::int64_t max_id = -1;
    std::size_t line_no = 0, pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) {
            if (nl == text.size()) break;
            continue;
        }
        json j;
        try {
            j = json::parse(line);
        } catch (const json::parse_error& e) {
            std::string msg = e.what();
            const auto p = msg.find("syntax error");
            bad_line(source, line_no, "invalid JSON: " + (p == std::string::npos ? msg : msg.substr(p)));
        } catch (const json::exception& e) {
            std::string msg = e.what();
            const auto p = msg.find(']');
            bad_line(source, line_no, "invalid JSON: " + (p == std::string::npos ? msg : msg.substr(p + 2)));
        }
        if (!j.is_object()) bad_line(source, line_no, "expected an object {\"tokens\": [...], \"label\": n}");
        if (!j.contains("tokens")) bad_line(source, line_no, "missing \"tokens\"");
        if (!j.contains("label")) bad_line(source, line_no, "missing \"label\"");
        const json& toks = j["tokens"];
        if (!toks.is_array()) bad_line(source, line_no, "\"tokens\" must be an array of token ids");
        if (toks.size() < 2)
            bad_line(source, line_no, "\"tokens\" needs at least 2 ids (contextual tokens, then the query last)");
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
        raw.push_back(std::move(r));
        if (nl == text.size()) break;
    }
    if (raw.empty()) throw DataError(source + ": the dataset has no samples", "data.path");
    K = vocab_size > 0 ? vocab_size : static_cast<int>(max_id + 1);
    return raw;
}

FileData::FileData(const std::string& path, int vocab_size) { parse(read_text_file(path, "dataset file (data.path)"), path, vocab_size); }

std::unique_ptr<FileData> FileData::from_text(const std::string& text, const std::string& source, int vocab_size) {
    std::unique_ptr<FileData> d(new FileData());
    d->parse(text, source, vocab_size);
    return d;
}

void FileData::parse(const std::string& text, const std::string& source, int vocab_size) {
    const std::vector<JsonlSample> raw = read_jsonl_samples(text, source, vocab_size, vocab_size_);
    std::vector<std::size_t> lines;
    for (const auto& r : raw) lines.push_back(r.line);

    // Count each sample's context once; batches then copy the sparse counts.
    std::vector<double> count(vocab_size_, 0.0);
    std::vector<int> touched;
    std::map<std::pair<int, int>, int> class_of;
    std::map<int, int> query_index;
    std::vector<std::vector<double>> class_counts;  // dense per class: fine for file-sized vocabularies
    std::vector<double> class_samples, class_ctx;
    const std::size_t dense_limit = 50000000;  // entries; beyond it the class table would not fit comfortably
    for (std::size_t s = 0; s < raw.size(); ++s) {
        const JsonlSample& r = raw[s];
        const int q = r.tokens.back();
        const int y = r.label;
        auto [it, added] = class_of.emplace(std::make_pair(q, y), static_cast<int>(classes_.size()));
        if (added) {
            if ((classes_.size() + 1) * static_cast<std::size_t>(vocab_size_) > dense_limit)
                bad_line(source, lines[s], "too many (query, label) classes for this vocabulary size");
            ClassInfo ci;
            ci.query = q;
            ci.label = y;
            auto qi = query_index.emplace(q, static_cast<int>(queries_.size()));
            if (qi.second) queries_.push_back(q);
            ci.query_index = qi.first->second;
            classes_.push_back(ci);
            class_counts.emplace_back(vocab_size_, 0.0);
            class_samples.push_back(0);
            class_ctx.push_back(0);
        }
        const int c = it->second;
        SparseSample ss;
        ss.query = q;
        ss.label = y;
        ss.cls = c;
        ss.begin = static_cast<std::uint32_t>(store_.tok.size());
        for (std::size_t t = 0; t + 1 < r.tokens.size(); ++t) {
            const int id = r.tokens[t];
            if (count[id] == 0) touched.push_back(id);
            count[id] += 1;
        }
        for (int id : touched) {
            store_.tok.push_back(id);
            store_.cnt.push_back(count[id]);
            class_counts[c][id] += count[id];
            count[id] = 0;
        }
        touched.clear();
        ss.end = static_cast<std::uint32_t>(store_.tok.size());
        store_.samples.push_back(ss);
        class_samples[c] += 1;
        class_ctx[c] += static_cast<double>(r.tokens.size() - 1);
    }
    const double n = static_cast<double>(raw.size());
    for (std::size_t c = 0; c < classes_.size(); ++c) {
        ClassInfo& ci = classes_[c];
        ci.prior = class_samples[c] / n;
        ci.mean_context = class_ctx[c] / class_samples[c];
        for (int id = 0; id < vocab_size_; ++id) {
            if (class_counts[c][id] > 0) {
                ci.tokens.push_back(id);
                ci.probs.push_back(class_counts[c][id] / class_ctx[c]);
            }
        }
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
