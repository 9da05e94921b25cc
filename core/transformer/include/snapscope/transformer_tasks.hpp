// What the small transformer trains on (theory.md sections 3 and 4): the paper's order-sensitive task, multi-digit
// addition; a simpler one, "which token came first"; or the user's JSON Lines file.
//
// Addition with operand width w: "a+b=c" as tokens (digits 0-9 are ids 0-9, '+' is 10, '=' is 11), a and b written
// with w digits and c = a + b with w + 1 (leading zeros), most significant digit first: "07+45=052". With a causal
// mask (loss on every position, train.loss_positions = all) a sample is the sequence without its last token, with
// targets at the positions that predict an answer digit ('=' and the answer digits but the last). Without a mask
// (a model that must never see its target, train.loss_positions = last) a problem gives one (prefix -> next digit)
// sample per answer digit: "07+45=" -> 0, "07+45=0" -> 5, "07+45=05" -> 2. Held-out problems never appear in
// training; accuracy is exact match of the whole answer decoded greedily, digit by digit.
//
// First token with K symbols and length T: T - 1 distinct symbols then the query '?' (id K); the target, at the
// query, is the first symbol. A model whose prediction is invariant to permuting the prefix sees only which symbols
// occur, so it is right 1 / (T - 1) of the time.
//
// A file: with loss on all positions, each line {"tokens": [t0, ..., tT]} gives inputs t0..tT-1 and targets t1..tT;
// with loss on the last position, {"tokens": [...], "label": n} gives the tokens and the label at the last one.
// Lines are consumed in file order, train.batch a step, wrapping. No held-out set (accuracy is NaN).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "snapscope/rng.hpp"
#include "snapscope/transformer.hpp"

namespace snapscope {

// Greedy predictions of a model at the last position of each sequence of a batch.
using PredictLast = std::function<std::vector<int>(const SeqBatch&)>;

class SeqSource {
public:
    virtual ~SeqSource() = default;
    int vocab() const { return vocab_; }
    int max_len() const { return max_len_; }
    // Appends `batch` samples (problems, for addition without a mask: their per-digit prefixes).
    virtual void next_batch(int batch, Rng& rng, SeqBatch& out) = 0;
    // Exact-match accuracy on the held-out set, or NaN without one.
    virtual double accuracy(const PredictLast& predict) const = 0;
    virtual std::size_t test_size() const { return 0; }
    // The best accuracy a model blind to the order of the prefix can expect (one whose prediction depends only on
    // which tokens occur, as a model with neither positional encoding nor causal mask): over the task's distribution,
    // problems grouped by the multiset of their prefix, each group answered with its most common answer. NaN for a
    // file, and for addition beyond 3 digits (not counted).
    virtual double order_blind_ceiling() const { return NAN; }
    // A token for people ("7", "+", "?", "#12").
    virtual std::string token_name(int id) const { return "#" + std::to_string(id); }
    // One example input (a held-out sequence, if any) to show: tokens and the prediction it asks for at the end.
    virtual std::vector<std::int32_t> example(int i) const = 0;
    // Bytes it holds.
    virtual double bytes() const = 0;
    // A text: steps in one pass over the training text (0: no epochs), the mean cross-entropy per predicted word of
    // the validation text by `loss` (the model's mean loss of a batch; NaN without one), and the fixed batch whose
    // attention is watched (nullptr: none).
    virtual std::int64_t steps_per_epoch() const { return 0; }
    virtual double validation_loss(const std::function<double(const SeqBatch&)>& loss) const { return NAN; }
    virtual const SeqBatch* probe() const { return nullptr; }

protected:
    int vocab_ = 0, max_len_ = 0;
};

class AdditionTask final : public SeqSource {
public:
    static constexpr int kPlus = 10, kEquals = 11, kVocab = 12;
    // digits: operand width w (1..9); num_test held-out problems (fewer than half of all 10^(2w)).
    AdditionTask(int digits, bool masked, int num_test, Rng& rng);
    void next_batch(int batch, Rng& rng, SeqBatch& out) override;
    double accuracy(const PredictLast& predict) const override;
    std::size_t test_size() const override { return test_.size(); }
    double order_blind_ceiling() const override;
    std::string token_name(int id) const override;
    std::vector<std::int32_t> example(int i) const override;
    double bytes() const override { return 48.0 * static_cast<double>(test_.size()) + 1024; }
    // The full sequence "a+b=c" of a problem.
    std::vector<std::int32_t> problem(std::int64_t a, std::int64_t b) const;
    int digits() const { return w_; }

private:
    void add_problem(std::int64_t a, std::int64_t b, SeqBatch& out) const;
    int w_;
    bool masked_;
    std::int64_t base_;  // 10^w
    std::vector<std::pair<std::int64_t, std::int64_t>> test_;
    std::unordered_set<std::int64_t> held_out_;  // a * 10^w + b
    mutable double ceiling_ = -1;
};

class FirstTokenTask final : public SeqSource {
public:
    // K symbols (>= T - 1), sequences of length T (>= 3: two symbols at least, then the query).
    FirstTokenTask(int symbols, int length, int num_test, Rng& rng);
    void next_batch(int batch, Rng& rng, SeqBatch& out) override;
    double accuracy(const PredictLast& predict) const override;
    std::size_t test_size() const override { return test_.size(); }
    double order_blind_ceiling() const override;
    std::string token_name(int id) const override;
    std::vector<std::int32_t> example(int i) const override;
    double bytes() const override { return (8.0 * max_len_ + 64) * static_cast<double>(test_.size()) * 2 + 1024; }

private:
    std::vector<std::int32_t> draw(Rng& rng) const;
    static std::string key(const std::vector<std::int32_t>& s);
    int K_, T_;
    std::vector<std::vector<std::int32_t>> test_;
    std::unordered_set<std::string> held_out_;
};

// Uniform random tokens, a language model's shapes with nothing to learn (the loss stays near ln V): for timing. With
// loss on all positions a sample is seq_len + 1 tokens (inputs and their next tokens); with loss at the last, seq_len
// tokens and a random label.
class RandomTokens final : public SeqSource {
public:
    RandomTokens(int vocab, int length, bool last_only);
    void next_batch(int batch, Rng& rng, SeqBatch& out) override;
    double accuracy(const PredictLast&) const override { return NAN; }
    std::vector<std::int32_t> example(int i) const override;
    double bytes() const override { return 1024; }

private:
    bool last_only_;
};

class FileSequences final : public SeqSource {
public:
    struct Line {
        std::vector<std::int32_t> tokens;
        std::int32_t label = -1;  // with loss on the last position
    };
    // Reads every line (type-checked; "FILE:LINE: what" on the first bad one); the lines read are counted against
    // `max_bytes` as they are read. vocab_size 0: the largest id + 1. Throws DataError naming data.path.
    FileSequences(const std::string& path, bool last_only, int vocab_size, std::uint64_t max_bytes);
    FileSequences(std::vector<Line> lines, bool last_only, int vocab_size, const std::string& source);
    void next_batch(int batch, Rng& rng, SeqBatch& out) override;
    double accuracy(const PredictLast&) const override;
    std::vector<std::int32_t> example(int i) const override;
    double bytes() const override { return bytes_; }
    std::size_t lines() const { return lines_.size(); }
    std::size_t cursor() const { return cursor_; }

private:
    void finish(int vocab_size, const std::string& source);
    std::vector<Line> lines_;
    bool last_only_;
    std::size_t cursor_ = 0;
    double bytes_ = 0;
};

// Reads the lines of a JSON Lines text (tests, fuzzing): as the file reader does.
std::vector<FileSequences::Line> read_sequence_lines(const std::string& text, const std::string& source, bool last_only,
                                                     std::uint64_t max_bytes);

}  // namespace snapscope
