// Training data for the Scan-and-Snap lab.
//
// The model only looks at which contextual tokens occur and how often (there is
// no positional encoding), so a batch is stored sparsely: per sample, the
// query, the label and the list of (token, count) pairs of its context. The
// same form carries the mean-field "batch": one entry per class with expected
// counts and the class's prior as its weight.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "snapscope/alias.hpp"
#include "snapscope/config.hpp"
#include "snapscope/corpus.hpp"
#include "snapscope/input.hpp"
#include "snapscope/multinomial.hpp"
#include "snapscope/rng.hpp"
#include "snapscope/scansnap_settings.hpp"

namespace snapscope {

enum class TokenKind : std::uint8_t {
    Common,       // shared by every class
    QueryCommon,  // shared by the classes of one query (group = query index)
    Distinct,     // owned by one class (group = class index)
    Query,        // a query (last) token (group = query index)
    Next,         // a next token / label (group = class index)
    Other,        // never occurs in the data
};

const char* token_kind_name(TokenKind k);

struct TokenInfo {
    TokenKind kind = TokenKind::Other;
    int group = -1;
};

// One class n = (query m, next token): its contextual distribution P(l|n).
struct ClassInfo {
    int query = 0;        // token id of the query
    int label = 0;        // token id of the next token
    int query_index = 0;  // index of the query among the queries (0..num_queries-1)
    double prior = 0;     // probability of the class
    double mean_context = 0;  // expected number of contextual tokens (L-1 for synthetic data)
    std::vector<int> tokens;     // contextual tokens with P > 0, ascending
    std::vector<double> probs;   // P(l|n) for `tokens`, sums to 1
    std::vector<int> common;     // tokens of `tokens` shared with other classes
    std::vector<int> distinct;   // tokens of `tokens` owned by this class alone
};

struct SparseSample {
    int query = 0;
    int label = 0;
    int cls = -1;         // class index, -1 if unknown
    double weight = 0;    // this sample's weight in the batch loss (1/B, or the class prior)
    std::uint32_t begin = 0, end = 0;  // range in SparseBatch::tok / cnt
};

struct SparseBatch {
    std::vector<std::int32_t> tok;  // contextual token ids
    std::vector<double> cnt;        // their counts (expected counts in mean-field mode)
    std::vector<SparseSample> samples;
    void clear() { tok.clear(); cnt.clear(); samples.clear(); }
};

class DataSource {
public:
    virtual ~DataSource() = default;
    int vocab_size() const { return vocab_size_; }
    const std::vector<ClassInfo>& classes() const { return classes_; }
    const std::vector<TokenInfo>& tokens() const { return tokens_; }
    const std::vector<int>& queries() const { return queries_; }

    // Appends `batch` samples for one training step. Synthetic data draws them
    // with `rng`; file data reads the next samples in file order, wrapping.
    virtual void next_batch(int batch, Rng& rng, SparseBatch& out) = 0;

    // The deterministic T -> infinity batch: one sample per class with
    // expected counts and weight = class prior.
    void mean_field_batch(SparseBatch& out) const;

    // Short description of a token, e.g. "12 (distinct, class 0)", or "cat (distinct, class 0)" when the tokens
    // are words.
    std::string describe_token(int id) const;
    // The words the ids stand for (a text's vocabulary; empty for numbered tokens).
    const std::vector<std::string>& words() const { return words_; }
    void set_words(std::vector<std::string> w) { words_ = std::move(w); }
    std::string token_name(int id) const { return id >= 0 && id < static_cast<int>(words_.size()) ? words_[id] : std::to_string(id); }

protected:
    void finish_token_table();  // fills kinds from classes_, queries_
    int vocab_size_ = 0;
    std::vector<ClassInfo> classes_;
    std::vector<TokenInfo> tokens_;
    std::vector<int> queries_;
    std::vector<std::string> words_;
};

// The official generator (luckmatters Dataset2), see theory.md section 1.
class SyntheticData final : public DataSource {
public:
    explicit SyntheticData(const Config& cfg);
    void next_batch(int batch, Rng& rng, SparseBatch& out) override;
    int seq_len() const { return seq_len_; }

private:
    int seq_len_;
    // Per class, over ClassInfo::tokens: conditional-binomial tables where they are small (a window then costs one
    // uniform per token of the class), else alias tables (one draw per position).
    std::vector<AliasTable> samplers_;
    std::vector<MultinomialTable> tables_;
    std::vector<std::uint32_t> scratch_;
    // The table path draws a few windows at once (their conditional draws interleaved, so their chains of
    // dependent loads overlap), with the same random numbers in the same order as one window at a time.
    std::size_t max_support_ = 0;
    std::vector<double> lane_u_;
    std::vector<std::uint32_t> lane_counts_;
    void next_batch_tables(int batch, Rng& rng, SparseBatch& out);
    void add_sample(int c, std::uint32_t* counts, double weight, SparseBatch& out);

public:
    // Whether the generator uses conditional-binomial tables for these settings, and the bytes they take.
    static bool uses_tables(const Config& cfg, double* bytes = nullptr);
};

// One line of a JSON Lines dataset: {"tokens": [...], "label": n}.
struct JsonlSample {
    std::vector<int> tokens;  // at least 2; the last is the query
    int label = 0;
    std::size_t line = 0;
};

// The samples of a JSON Lines dataset and what they imply.
struct JsonlData {
    std::vector<JsonlSample> samples;
    int K = 0;                  // vocab_size, or the largest id + 1
    std::int64_t tokens = 0;    // ids in all samples
    std::string source;         // the file (for messages)
};

// Approximate bytes one sample of `n` tokens takes once read.
inline double jsonl_sample_bytes(std::size_t n) { return 4.0 * static_cast<double>(n) + 64.0; }

// Reads every sample, line by line; throws DataError "SOURCE:LINE: what is wrong" on the first bad line. With
// vocab_size > 0 every id must be below it. The samples read so far are counted against `max_bytes` as they are
// read, so a file too large for memory is refused (naming limits.memory_mb) before it is all in memory.
JsonlData read_jsonl(LineSource& lines, const std::string& source, int vocab_size, std::uint64_t max_bytes);
JsonlData read_jsonl_text(const std::string& text, const std::string& source, int vocab_size,
                          std::uint64_t max_bytes = 1ULL << 30);
JsonlData read_jsonl_file(const std::string& path, int vocab_size, std::uint64_t max_bytes);

// Scan and Snap on a text (data.kind = text): windows of `seq_len` words of the training text and the word after each.
// The queries are the num_last words most often last in a window (not <unk>); each query's classes are its
// num_next_per_last most frequent next words (not <unk>); every window ending in a kept query and followed by one of
// its kept next words is a sample, in text order. The samples' bytes are checked against `max_bytes` before they are
// built. Throws DataError (data.seq_len: a text shorter than a window, or too many bytes; data.path: no sample).
JsonlData text_pair_samples(const Corpus& c, int num_last, int num_next_per_last, int seq_len, std::uint64_t max_bytes);

// JSON Lines samples: {"tokens": [x_1, ..., x_L], "label": n}; x_L is the query.
class FileData final : public DataSource {
public:
    // Builds the classes and the token table (arrays of size K): check the memory before calling.
    explicit FileData(const JsonlData& data);
    static std::unique_ptr<FileData> from_text(const std::string& text, const std::string& source, int vocab_size);
    void next_batch(int batch, Rng& rng, SparseBatch& out) override;
    std::size_t num_samples() const { return store_.samples.size(); }
    std::size_t cursor() const { return cursor_; }

private:
    SparseBatch store_;  // every sample of the file, in order
    std::size_t cursor_ = 0;
};

// Builds the data source a config asks for (no memory check: ScanSnapRun checks first). Throws ConfigError or
// DataError.

// Vocabulary size the synthetic generator produces for these settings.
std::int64_t synthetic_vocab_size(const Config& cfg);

}  // namespace snapscope
