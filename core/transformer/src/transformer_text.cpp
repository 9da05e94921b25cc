#include "snapscope/transformer_text.hpp"

#include <algorithm>

#include "snapscope/config.hpp"

namespace snapscope {

TextSequences::TextSequences(Corpus corpus, int columns, int window, bool last_only, std::int64_t valid_tokens)
    : corpus_(std::move(corpus)), columns_(columns), window_(window), last_only_(last_only) {
    vocab_ = corpus_.vocab();
    max_len_ = window;
    const auto n = static_cast<std::int64_t>(corpus_.train.size());
    column_len_ = n / columns;
    if (column_len_ < window + 1)
        throw ConfigError("train.batch", "config: key 'train.batch': " + corpus_.source + " has " + std::to_string(n) +
                                             " training words: too few for train.batch = " + std::to_string(columns) +
                                             " columns of a window of data.seq_len = " + std::to_string(window) +
                                             " words and its next word (lower train.batch or data.seq_len)");
    steps_per_epoch_ = (column_len_ - 1) / window;
    const auto nv = static_cast<std::int64_t>(corpus_.valid.size());
    valid_windows_ = nv > window ? (nv - 1) / window : 0;
    const std::int64_t per = last_only ? 1 : window;
    if (valid_tokens > 0) valid_windows_ = std::min<std::int64_t>(valid_windows_, std::max<std::int64_t>(1, valid_tokens / per));
    for (int c = 0; c < std::min(columns, 8); ++c) this->window(c, 0, probe_);
}

void TextSequences::window(std::int64_t column, std::int64_t at, SeqBatch& out) const {
    add_window(corpus_.train.data() + column * column_len_ + at, out);
}

void TextSequences::add_window(const std::int32_t* p, SeqBatch& out) const {
    std::vector<std::int32_t> toks(p, p + window_), tgts;
    if (last_only_) {
        tgts.assign(static_cast<std::size_t>(window_), -1);
        tgts.back() = p[window_];
    } else {
        tgts.assign(p + 1, p + window_ + 1);
    }
    out.add(toks, tgts);
}

void TextSequences::next_batch(int, Rng&, SeqBatch& out) {
    for (int c = 0; c < columns_; ++c) window(c, cursor_, out);
    cursor_ += window_;
    if (cursor_ + window_ + 1 > column_len_) cursor_ = 0;
}

std::string TextSequences::token_name(int id) const {
    return id >= 0 && id < vocab_ ? corpus_.words[static_cast<std::size_t>(id)] : "#" + std::to_string(id);
}

std::vector<std::int32_t> TextSequences::example(int i) const {
    const std::vector<std::int32_t>& src = valid_windows_ > 0 ? corpus_.valid : corpus_.train;
    const std::int64_t windows = std::max<std::int64_t>(1, (static_cast<std::int64_t>(src.size()) - 1) / window_);
    const std::int64_t at = (static_cast<std::int64_t>(i) % windows) * window_;
    return std::vector<std::int32_t>(src.begin() + at, src.begin() + std::min<std::int64_t>(at + window_, static_cast<std::int64_t>(src.size())));
}

double TextSequences::bytes() const { return corpus_.bytes() + 16.0 * window_ * columns_ * 8; }

double TextSequences::validation_loss(const std::function<double(const SeqBatch&)>& loss) const {
    if (valid_windows_ == 0) return NAN;
    double sum = 0, count = 0;
    SeqBatch b;
    const std::int64_t chunk = 16;
    for (std::int64_t w0 = 0; w0 < valid_windows_; w0 += chunk) {
        b.clear();
        const std::int64_t w1 = std::min(valid_windows_, w0 + chunk);
        for (std::int64_t w = w0; w < w1; ++w) add_window(corpus_.valid.data() + w * window_, b);
        const double rows = static_cast<double>(w1 - w0) * (last_only_ ? 1 : window_);
        sum += loss(b) * rows;
        count += rows;
    }
    return sum / count;
}

}  // namespace snapscope
