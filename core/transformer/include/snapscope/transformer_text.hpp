// The small transformer on a text corpus (data.kind = text; theory.md section 4, the paper's Fig 7), batched as
// PyTorch's word-language-model example does: the training words are cut into train.batch equal columns (the rest
// dropped), and step s reads, from every column, the window of data.seq_len words at s * seq_len (wrapping to the
// start of the columns after the last whole window: one epoch). With loss at every position a window's targets are
// its words shifted by one; with loss at the last, the window predicts the word after it.
//
// Validation: non-overlapping windows of the validation words from their start, at most data.valid_tokens predicted
// words (all of them with 0). The watched batch (probe): the first window of the first 8 columns (or fewer), the same
// sequences at every step.
#pragma once

#include "snapscope/corpus.hpp"
#include "snapscope/transformer_tasks.hpp"

namespace snapscope {

class TextSequences final : public SeqSource {
public:
    // Throws ConfigError naming train.batch when the columns are shorter than one window and its target.
    TextSequences(Corpus corpus, int columns, int window, bool last_only, std::int64_t valid_tokens);
    void next_batch(int batch, Rng& rng, SeqBatch& out) override;
    double accuracy(const PredictLast&) const override { return NAN; }
    std::string token_name(int id) const override;
    std::vector<std::int32_t> example(int i) const override;
    double bytes() const override;
    std::int64_t steps_per_epoch() const override { return steps_per_epoch_; }
    double validation_loss(const std::function<double(const SeqBatch&)>& loss) const override;
    const SeqBatch* probe() const override { return &probe_; }
    const Corpus& corpus() const { return corpus_; }
    std::int64_t validation_windows() const { return valid_windows_; }

private:
    void window(std::int64_t column, std::int64_t at, SeqBatch& out) const;
    // The window of data.seq_len words at `p` and its targets (the next words, or the one after it).
    void add_window(const std::int32_t* p, SeqBatch& out) const;
    Corpus corpus_;
    int columns_, window_;
    bool last_only_;
    std::int64_t column_len_ = 0, steps_per_epoch_ = 0, cursor_ = 0, valid_windows_ = 0;
    SeqBatch probe_;
};

}  // namespace snapscope
