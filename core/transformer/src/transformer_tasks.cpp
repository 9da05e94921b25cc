#include "snapscope/transformer_tasks.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"

namespace snapscope {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxTokenId = 99999999;
constexpr int kMaxSequence = 1 << 20;  // tokens in one line

[[noreturn]] void bad_line(const std::string& source, std::size_t line, const std::string& what) {
    throw DataError(source + ":" + std::to_string(line) + ": " + what, "data.path");
}

std::int32_t as_token(const json& v, const std::string& source, std::size_t line, const std::string& where) {
    if (v.is_number_unsigned() || v.is_number_integer()) {
        if (!v.is_number_unsigned() && v.get<std::int64_t>() < 0)
            bad_line(source, line, where + " must be a non-negative integer token id, got " + brief(v));
        const std::uint64_t u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(kMaxTokenId))
            bad_line(source, line, where + " is " + brief(v) + ", beyond the largest supported token id (" + std::to_string(kMaxTokenId) + ")");
        return static_cast<std::int32_t>(u);
    }
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() && v.get<double>() >= 0 && v.get<double>() <= kMaxTokenId)
        bad_line(source, line, where + " is " + brief(v) + ": token ids are written as integers, without a fraction or an exponent");
    bad_line(source, line, where + " must be a non-negative integer token id, got " + brief(v));
}

// Digits of x, most significant first, zero-padded to `width`.
void append_digits(std::int64_t x, int width, std::vector<std::int32_t>& out) {
    const std::size_t at = out.size();
    out.resize(at + static_cast<std::size_t>(width));
    for (int i = width - 1; i >= 0; --i) {
        out[at + static_cast<std::size_t>(i)] = static_cast<std::int32_t>(x % 10);
        x /= 10;
    }
}

std::vector<std::int32_t> with_last_target(std::size_t n) {
    std::vector<std::int32_t> t(n, -1);
    t.back() = 0;  // any id: only the logits at the last position are wanted
    return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------- addition

AdditionTask::AdditionTask(int digits, bool masked, int num_test, Rng& rng) : w_(digits), masked_(masked) {
    if (digits < 1 || digits > 9) throw std::invalid_argument("addition: operand width must be 1 to 9 digits");
    base_ = 1;
    for (int i = 0; i < digits; ++i) base_ *= 10;
    const double problems = static_cast<double>(base_) * static_cast<double>(base_);
    if (num_test < 1 || static_cast<double>(num_test) * 2 > problems)
        throw std::invalid_argument("addition: the held-out set must have at least 1 and at most half of the " +
                                    std::to_string(static_cast<std::int64_t>(problems)) + " problems");
    vocab_ = kVocab;
    max_len_ = 3 * digits + 2;
    held_out_.reserve(static_cast<std::size_t>(num_test) * 2);
    while (static_cast<int>(test_.size()) < num_test) {
        const std::int64_t a = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(base_)));
        const std::int64_t b = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(base_)));
        if (held_out_.insert(a * base_ + b).second) test_.emplace_back(a, b);
    }
}

std::vector<std::int32_t> AdditionTask::problem(std::int64_t a, std::int64_t b) const {
    std::vector<std::int32_t> s;
    s.reserve(static_cast<std::size_t>(3 * w_ + 3));
    append_digits(a, w_, s);
    s.push_back(kPlus);
    append_digits(b, w_, s);
    s.push_back(kEquals);
    append_digits(a + b, w_ + 1, s);
    return s;
}

void AdditionTask::add_problem(std::int64_t a, std::int64_t b, SeqBatch& out) const {
    const std::vector<std::int32_t> full = problem(a, b);
    const int eq = 2 * w_ + 1;  // the position of '=', which predicts the first answer digit
    if (masked_) {
        std::vector<std::int32_t> in(full.begin(), full.end() - 1), tg(in.size(), -1);
        for (std::size_t i = static_cast<std::size_t>(eq); i < in.size(); ++i) tg[i] = full[i + 1];
        out.add(in, tg);
        return;
    }
    for (int k = 0; k <= w_; ++k) {
        std::vector<std::int32_t> in(full.begin(), full.begin() + eq + 1 + k), tg(in.size(), -1);
        tg.back() = full[static_cast<std::size_t>(eq + 1 + k)];
        out.add(in, tg);
    }
}

void AdditionTask::next_batch(int batch, Rng& rng, SeqBatch& out) {
    for (int i = 0; i < batch; ++i) {
        std::int64_t a, b;
        do {
            a = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(base_)));
            b = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(base_)));
        } while (held_out_.count(a * base_ + b));
        add_problem(a, b, out);
    }
}

double AdditionTask::accuracy(const PredictLast& predict) const {
    // Greedy decoding of the w + 1 answer digits from "a+b=", a chunk of problems at a time.
    const std::size_t chunk = 512;
    std::size_t right = 0;
    SeqBatch b;
    for (std::size_t at = 0; at < test_.size(); at += chunk) {
        const std::size_t n = std::min(chunk, test_.size() - at);
        std::vector<std::vector<std::int32_t>> cur(n), want(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::vector<std::int32_t> full = problem(test_[at + i].first, test_[at + i].second);
            cur[i].assign(full.begin(), full.begin() + 2 * w_ + 2);
            want[i].assign(full.begin() + 2 * w_ + 2, full.end());
        }
        std::vector<char> ok(n, 1);
        for (int k = 0; k <= w_; ++k) {
            b.clear();
            for (std::size_t i = 0; i < n; ++i) b.add(cur[i], with_last_target(cur[i].size()));
            const std::vector<int> p = predict(b);
            for (std::size_t i = 0; i < n; ++i) {
                if (p[i] != want[i][static_cast<std::size_t>(k)]) ok[i] = 0;
                cur[i].push_back(p[i]);
            }
        }
        for (char c : ok) right += c ? 1 : 0;
    }
    return test_.empty() ? NAN : static_cast<double>(right) / static_cast<double>(test_.size());
}

double AdditionTask::order_blind_ceiling() const {
    // Over the whole distribution (a, b uniform): the prefix "a+b=" seen as the multiset of its digits, the answer
    // decoded from it is one function of that multiset (each digit decoded from the multiset and the digits decoded
    // before it), at best the multiset's most common answer: every problem is counted, for w <= 3 (10^6 problems).
    // Beyond, NaN: a sample of problems holds most multisets once and overstates it (0.045 from 10^6 problems for
    // w = 4, against 0.008).
    if (w_ > 3) return NAN;
    if (ceiling_ >= 0) return ceiling_;
    std::unordered_map<std::uint64_t, std::unordered_map<std::int64_t, int>> groups;
    auto add = [&](std::int64_t a, std::int64_t b) {
        std::uint64_t key = 0;  // digit counts, base 32
        std::int64_t x = a, y = b;
        std::uint64_t counts[10] = {0};
        for (int i = 0; i < w_; ++i) {
            ++counts[x % 10];
            ++counts[y % 10];
            x /= 10;
            y /= 10;
        }
        for (std::uint64_t c : counts) key = key * 32 + c;
        ++groups[key][a + b];
    };
    for (std::int64_t a = 0; a < base_; ++a)
        for (std::int64_t b = 0; b < base_; ++b) add(a, b);
    const std::int64_t total = base_ * base_;
    std::int64_t best = 0;
    for (const auto& [k, answers] : groups) {
        int most = 0;
        for (const auto& [c, n] : answers) most = std::max(most, n);
        best += most;
    }
    ceiling_ = static_cast<double>(best) / static_cast<double>(total);
    return ceiling_;
}

std::string AdditionTask::token_name(int id) const {
    if (id >= 0 && id <= 9) return std::string(1, static_cast<char>('0' + id));
    if (id == kPlus) return "+";
    if (id == kEquals) return "=";
    return "#" + std::to_string(id);
}

std::vector<std::int32_t> AdditionTask::example(int i) const {
    const auto& [a, b] = test_[static_cast<std::size_t>(i) % test_.size()];
    const std::vector<std::int32_t> full = problem(a, b);
    return std::vector<std::int32_t>(full.begin(), full.begin() + 2 * w_ + 2);
}

// ---------------------------------------------------------------------------------------------------- first token

FirstTokenTask::FirstTokenTask(int symbols, int length, int num_test, Rng& rng) : K_(symbols), T_(length) {
    if (length < 3) throw std::invalid_argument("first token: sequences need at least 3 tokens (two symbols, then the query)");
    if (symbols < length - 1) throw std::invalid_argument("first token: needs at least data.seq_len - 1 symbols (they are distinct)");
    double space = 1;  // K (K-1) ... (K-T+2) sequences
    for (int i = 0; i < length - 1 && space < 1e18; ++i) space *= symbols - i;
    if (num_test < 1 || static_cast<double>(num_test) * 2 > space)
        throw std::invalid_argument("first token: the held-out set must have at least 1 and at most half of the " +
                                    std::to_string(static_cast<std::int64_t>(std::min(space, 9e18))) + " sequences");
    vocab_ = symbols + 1;
    max_len_ = length;
    while (static_cast<int>(test_.size()) < num_test) {
        std::vector<std::int32_t> s = draw(rng);
        if (held_out_.insert(key(s)).second) test_.push_back(std::move(s));
    }
}

std::string FirstTokenTask::key(const std::vector<std::int32_t>& s) {
    return std::string(reinterpret_cast<const char*>(s.data()), s.size() * sizeof(std::int32_t));
}

std::vector<std::int32_t> FirstTokenTask::draw(Rng& rng) const {
    // T - 1 distinct symbols (a partial Fisher-Yates shuffle), then the query.
    std::vector<std::int32_t> pool(static_cast<std::size_t>(K_));
    for (int i = 0; i < K_; ++i) pool[static_cast<std::size_t>(i)] = i;
    for (int i = 0; i < T_ - 1; ++i) {
        const std::size_t j = static_cast<std::size_t>(i) + static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(K_ - i)));
        std::swap(pool[static_cast<std::size_t>(i)], pool[j]);
    }
    pool.resize(static_cast<std::size_t>(T_ - 1));
    pool.push_back(K_);
    return pool;
}

void FirstTokenTask::next_batch(int batch, Rng& rng, SeqBatch& out) {
    for (int i = 0; i < batch; ++i) {
        std::vector<std::int32_t> s;
        do s = draw(rng);
        while (held_out_.count(key(s)));
        std::vector<std::int32_t> tg(s.size(), -1);
        tg.back() = s.front();
        out.add(s, tg);
    }
}

double FirstTokenTask::accuracy(const PredictLast& predict) const {
    std::size_t right = 0;
    SeqBatch b;
    const std::size_t chunk = 512;
    for (std::size_t at = 0; at < test_.size(); at += chunk) {
        const std::size_t n = std::min(chunk, test_.size() - at);
        b.clear();
        for (std::size_t i = 0; i < n; ++i) b.add(test_[at + i], with_last_target(test_[at + i].size()));
        const std::vector<int> p = predict(b);
        for (std::size_t i = 0; i < n; ++i) right += p[i] == test_[at + i].front() ? 1 : 0;
    }
    return static_cast<double>(right) / static_cast<double>(test_.size());
}

double FirstTokenTask::order_blind_ceiling() const {
    // The T - 1 symbols are seen as a set; each of them is first with the same probability.
    return 1.0 / (T_ - 1);
}

std::string FirstTokenTask::token_name(int id) const {
    if (id == K_) return "?";
    if (id >= 0 && id < 26 && K_ <= 26) return std::string(1, static_cast<char>('A' + id));
    return "#" + std::to_string(id);
}

std::vector<std::int32_t> FirstTokenTask::example(int i) const { return test_[static_cast<std::size_t>(i) % test_.size()]; }

// ---------------------------------------------------------------------------------------------------- random

RandomTokens::RandomTokens(int vocab, int length, bool last_only) : last_only_(last_only) {
    if (vocab < 2 || length < 1) throw std::invalid_argument("random tokens: needs a vocabulary of 2 or more and a length of 1 or more");
    vocab_ = vocab;
    max_len_ = length;
}

void RandomTokens::next_batch(int batch, Rng& rng, SeqBatch& out) {
    std::vector<std::int32_t> t(static_cast<std::size_t>(max_len_) + 1), in, tg;
    for (int b = 0; b < batch; ++b) {
        for (auto& x : t) x = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(vocab_)));
        in.assign(t.begin(), t.end() - 1);
        if (last_only_) {
            tg.assign(in.size(), -1);
            tg.back() = t.back();
        } else {
            tg.assign(t.begin() + 1, t.end());
        }
        out.add(in, tg);
    }
}

std::vector<std::int32_t> RandomTokens::example(int i) const {
    Rng r(static_cast<std::uint64_t>(i) + 1);
    std::vector<std::int32_t> t(static_cast<std::size_t>(max_len_));
    for (auto& x : t) x = static_cast<std::int32_t>(r.below(static_cast<std::uint64_t>(vocab_)));
    return t;
}

// ---------------------------------------------------------------------------------------------------- file

namespace {

std::vector<FileSequences::Line> read_lines(LineSource& lines, const std::string& source, bool last_only, std::uint64_t max_bytes) {
    std::vector<FileSequences::Line> out;
    double bytes = 0;
    std::string line;
    const std::size_t max_line = static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, 1ULL << 30));
    const char* shape = last_only ? "{\"tokens\": [...], \"label\": n}" : "{\"tokens\": [t0, t1, ...]}";
    while (lines.next_line(line, max_line)) {
        const std::size_t no = lines.line_number();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        json j;
        try {
            j = parse_json_text(line, source, kMaxJsonDepth, no);
        } catch (const InputError& e) {
            throw DataError(e.what(), "data.path");
        }
        if (!j.is_object()) bad_line(source, no, std::string("expected an object ") + shape + ", got " + brief(j));
        for (auto it = j.begin(); it != j.end(); ++it)
            if (it.key() != "tokens" && !(last_only && it.key() == "label"))
                bad_line(source, no, "unknown key \"" + brief_text(it.key(), 40) + "\" (a line is " + shape +
                                         (last_only ? ")" : "; a \"label\" needs train.loss_positions = last)"));
        if (!j.contains("tokens")) bad_line(source, no, "missing \"tokens\"");
        if (last_only && !j.contains("label")) bad_line(source, no, "missing \"label\" (train.loss_positions = last: a line is " + std::string(shape) + ")");
        const json& toks = j["tokens"];
        if (!toks.is_array()) bad_line(source, no, "\"tokens\" must be an array of token ids, got " + brief(toks));
        const std::size_t least = last_only ? 1 : 2;
        if (toks.size() < least)
            bad_line(source, no, last_only ? "\"tokens\" needs at least 1 id" : "\"tokens\" needs at least 2 ids (inputs t0..tT-1, targets t1..tT)");
        if (toks.size() > static_cast<std::size_t>(kMaxSequence))
            bad_line(source, no, "\"tokens\" has " + std::to_string(toks.size()) + " ids; a line holds at most " + std::to_string(kMaxSequence));
        bytes += 4.0 * static_cast<double>(toks.size()) + 64;
        if (bytes > static_cast<double>(max_bytes))
            bad_line(source, no, "the lines read so far take more than " + format_bytes(static_cast<double>(max_bytes)) +
                                     " of memory (limits.memory_mb); use a smaller file, or raise limits.memory_mb if this machine has the memory");
        FileSequences::Line l;
        l.tokens.reserve(toks.size());
        for (std::size_t i = 0; i < toks.size(); ++i) l.tokens.push_back(as_token(toks[i], source, no, "tokens[" + std::to_string(i) + "]"));
        if (last_only) l.label = as_token(j["label"], source, no, "\"label\"");
        out.push_back(std::move(l));
    }
    if (out.empty()) throw DataError(source + ": the dataset has no samples (every line is blank)", "data.path");
    return out;
}

}  // namespace

std::vector<FileSequences::Line> read_sequence_lines(const std::string& text, const std::string& source, bool last_only,
                                                     std::uint64_t max_bytes) {
    StringLines lines(text, source);
    try {
        return read_lines(lines, source, last_only, max_bytes);
    } catch (const DataError&) {
        throw;
    } catch (const InputError& e) {
        throw DataError(e.what(), "data.path");
    }
}

FileSequences::FileSequences(const std::string& path, bool last_only, int vocab_size, std::uint64_t max_bytes) : last_only_(last_only) {
    try {
        InputFile f(path, "dataset file (data.path)", std::max<std::uint64_t>(max_bytes, 1ULL << 20) * 8);
        lines_ = read_lines(f, path, last_only, max_bytes);
    } catch (const DataError&) {
        throw;
    } catch (const InputError& e) {
        throw DataError(e.what(), "data.path");
    }
    finish(vocab_size, path);
}

FileSequences::FileSequences(std::vector<Line> lines, bool last_only, int vocab_size, const std::string& source)
    : lines_(std::move(lines)), last_only_(last_only) {
    if (lines_.empty()) throw DataError(source + ": the dataset has no samples", "data.path");
    finish(vocab_size, source);
}

void FileSequences::finish(int vocab_size, const std::string& source) {
    std::int64_t max_id = -1;
    std::size_t longest = 0;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        const Line& l = lines_[i];
        for (std::int32_t t : l.tokens) max_id = std::max<std::int64_t>(max_id, t);
        max_id = std::max<std::int64_t>(max_id, l.label);
        longest = std::max(longest, last_only_ ? l.tokens.size() : l.tokens.size() - 1);
        bytes_ += 4.0 * static_cast<double>(l.tokens.size()) + 64;
        if (vocab_size > 0 && max_id >= vocab_size)
            throw DataError(source + ": sample " + std::to_string(i + 1) + ": token id " + std::to_string(max_id) +
                                " is not below data.vocab_size = " + std::to_string(vocab_size),
                            "data.vocab_size");
    }
    vocab_ = vocab_size > 0 ? vocab_size : static_cast<int>(max_id + 1);
    max_len_ = static_cast<int>(longest);
}

void FileSequences::next_batch(int batch, Rng&, SeqBatch& out) {
    for (int i = 0; i < batch; ++i) {
        const Line& l = lines_[cursor_];
        cursor_ = (cursor_ + 1) % lines_.size();
        if (last_only_) {
            std::vector<std::int32_t> tg(l.tokens.size(), -1);
            tg.back() = l.label;
            out.add(l.tokens, tg);
        } else {
            const std::vector<std::int32_t> in(l.tokens.begin(), l.tokens.end() - 1), tg(l.tokens.begin() + 1, l.tokens.end());
            out.add(in, tg);
        }
    }
}

double FileSequences::accuracy(const PredictLast&) const { return NAN; }

std::vector<std::int32_t> FileSequences::example(int i) const {
    const Line& l = lines_[static_cast<std::size_t>(i) % lines_.size()];
    return last_only_ ? l.tokens : std::vector<std::int32_t>(l.tokens.begin(), l.tokens.end() - 1);
}

}  // namespace snapscope
