// A text corpus a user brings: a UTF-8 file or a folder of them, as word ids (theory.md section 4).
//
// What is read: a file, or every regular file of a folder (not its subfolders, not hidden files), in name order.
// A folder holding WikiText's own split (wiki.train.tokens and wiki.valid.tokens, or wiki.train.raw and
// wiki.valid.raw) is read as that split, its test file left alone. Otherwise the last `valid_fraction` of the
// text (by bytes, at a line boundary) is the validation text.
//
// Words: each line through the tokenizer of its format (tokenizer.hpp). TextFormat is chosen per file with
// "auto": WikiText when the file is named *.tokens or *.raw, or its first non-blank line is a heading " = Title = ".
//
// Vocabulary: id 0 is "<unk>", then the training text's words by falling count (ties in byte order), at most
// `max_vocab` ids in all (0: every word); a word outside it (in training or validation text) is <unk>, as is
// WikiText's own "<unk>".
//
// Reading is two passes over the files: the first counts words (the count table's bytes checked against the
// limit as it grows), then the token arrays' bytes are known and checked before they are allocated, the second
// pass fills them. Progress goes to the thread's LoadMonitor (the first pass 0-0.5, the second 0.5-1), which can
// also cancel. Errors (InputError / DataError with key data.path) name the file and the byte offset: missing,
// empty (no words), binary (a NUL or another control byte), not UTF-8, a line longer than 16 MiB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapscope/tokenizer.hpp"

namespace snapscope {

struct CorpusOptions {
    int max_vocab = 0;              // ids in all, "<unk>" included; 0: every word of the training text
    double valid_fraction = 0.1;    // of the bytes, when the input has no split of its own; 0..0.9
    std::string format = "auto";    // auto | plain | wikitext | wikitext-joined
    std::uint64_t max_bytes = 1ULL << 32;  // memory the load may use (count table + token arrays)
};

struct CorpusFile {
    std::string path;
    std::string role;     // "train", "valid", or "split" (the last share of the text is validation)
    TextFormat format = TextFormat::Plain;
    std::uint64_t bytes = 0;
};

struct Corpus {
    std::string source;              // the path given
    std::vector<CorpusFile> files;
    std::vector<std::string> words;  // id -> word; words[0] == "<unk>"
    std::vector<std::int32_t> train, valid;
    std::uint64_t distinct_words = 0;  // in the training text, before the cap
    std::uint64_t unk_train = 0, unk_valid = 0;  // tokens that are <unk>
    int vocab() const { return static_cast<int>(words.size()); }
    double bytes() const;            // what it holds
    std::string describe() const;    // "FILE: 2,088,628 training and 217,646 validation words, vocabulary 28,782 ..."
};

// The files `path` stands for, with their roles and formats (throws InputError for a missing path, an empty
// folder, or a folder with only one of WikiText's train/valid files).
std::vector<CorpusFile> corpus_files(const std::string& path, const CorpusOptions& opt);

Corpus load_corpus(const std::string& path, const CorpusOptions& opt);

// The same from a text in memory (tests, fuzzing), as one file named `source` with role "split".
Corpus corpus_from_text(const std::string& text, const CorpusOptions& opt, const std::string& source = "text");

// The corpus a config names (data.path, data.vocab_size, data.valid_fraction, data.text_format), within `max_bytes`:
// every failure but a cancel is a DataError naming its key (data.path unless the error names another).
struct Config;
Corpus load_config_corpus(const Config& cfg, std::uint64_t max_bytes);

// The window length of data.seq_len (at least 2) when the training text holds a window and the word after it; else a
// DataError naming data.seq_len.
std::size_t window_length(const Corpus& c, int seq_len);

// Estimated bytes of the count table per distinct word (for the limit check while counting).
constexpr double kCountTableBytesPerWord = 96;

}  // namespace snapscope
