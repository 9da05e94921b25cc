#include "snapscope/corpus.hpp"

#include "snapscope/config.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <unordered_map>

#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"

namespace snapscope {

namespace {

constexpr std::size_t kMaxLine = 16u << 20;
const char* const kWhat = "corpus file (data.path)";

std::string thousands(std::uint64_t n) {
    std::string s = std::to_string(n), out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i > 0 && (s.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(s[i]);
    }
    return out;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TextFormat parse_format(const std::string& f) {
    if (f == "plain") return TextFormat::Plain;
    if (f == "wikitext") return TextFormat::WikiText;
    if (f == "wikitext-joined") return TextFormat::WikiTextJoined;
    throw InputError("data.text_format: '" + brief_text(f) + "' is not one of auto, plain, wikitext, wikitext-joined", "data.text_format");
}

// "auto": WikiText by name, or by a first non-blank line that is a heading (looked for in the first 64 lines).
TextFormat detect_format(LineSource& lines) {
    std::string line;
    for (int i = 0; i < 64 && lines.next_line(line, kMaxLine); ++i) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        return is_wikitext_heading(line) ? TextFormat::WikiText : TextFormat::Plain;
    }
    return TextFormat::Plain;
}

std::string hex_byte(char c) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
    return hex;
}

// One pass over one file's lines: checks each line and hands its words to `on_words(words, valid)`.
void read_file_words(LineSource& lines, const CorpusFile& f, std::uint64_t split_base, std::uint64_t split_at,
                     const std::function<void(const std::vector<std::string>&, bool)>& on_words) {
    std::string line;
    std::vector<std::string> words;
    while (lines.next_line(line, kMaxLine)) {
        const std::uint64_t off = lines.line_offset();
        const std::size_t bad = binary_byte_offset(line);
        if (bad != std::string::npos)
            throw DataError(f.path + ": byte offset " + std::to_string(off + bad) + " (line " + std::to_string(lines.line_number()) +
                                "): the control byte " + hex_byte(line[bad]) + ": this is not a text file",
                            "data.path");
        const std::size_t u = invalid_utf8_offset(line);
        if (u != std::string::npos)
            throw DataError(f.path + ": byte offset " + std::to_string(off + u) + " (line " + std::to_string(lines.line_number()) +
                                "): the byte " + hex_byte(line[u]) + " is not UTF-8 (convert the file, e.g. iconv -f latin1 -t utf-8)",
                            "data.path");
        words.clear();
        tokenize_line(line, f.format, words);
        if (words.empty()) continue;
        const bool valid = f.role == "valid" || (f.role == "split" && split_base + off >= split_at);
        on_words(words, valid);
    }
}

// A pass over every file: `open(i)` gives file i's lines.
void each_file(const std::vector<CorpusFile>& files, double valid_fraction, double stage_base,
               const std::function<std::unique_ptr<LineSource>(std::size_t)>& open,
               const std::function<void(const std::vector<std::string>&, bool)>& on_words) {
    std::uint64_t total = 0, split_total = 0;
    for (const CorpusFile& f : files) {
        total += f.bytes;
        if (f.role == "split") split_total += f.bytes;
    }
    const auto split_at = static_cast<std::uint64_t>(std::ceil((1.0 - valid_fraction) * static_cast<double>(split_total)));
    std::uint64_t before = 0, split_base = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const double share = total > 0 ? static_cast<double>(files[i].bytes) / static_cast<double>(total) : 1.0;
        const double base = total > 0 ? static_cast<double>(before) / static_cast<double>(total) : 0.0;
        LoadMonitor::Stage stage(stage_base + 0.5 * base, 0.5 * share);
        std::unique_ptr<LineSource> lines = open(i);
        read_file_words(*lines, files[i], split_base, valid_fraction > 0 ? split_at : std::numeric_limits<std::uint64_t>::max(), on_words);
        before += files[i].bytes;
        if (files[i].role == "split") split_base += files[i].bytes;
    }
}

Corpus build(const std::string& source, std::vector<CorpusFile> files, const CorpusOptions& opt,
             const std::function<std::unique_ptr<LineSource>(std::size_t)>& open) {
    if (!(opt.valid_fraction >= 0 && opt.valid_fraction <= 0.9))
        throw InputError("data.valid_fraction: " + std::to_string(opt.valid_fraction) + " is outside 0..0.9", "data.valid_fraction");
    if (opt.max_vocab < 0 || opt.max_vocab == 1)
        throw InputError("data.vocab_size: " + std::to_string(opt.max_vocab) + " leaves no word besides <unk> (0: every word, or 2 or more)",
                         "data.vocab_size");
    Corpus c;
    c.source = source;
    c.files = std::move(files);
    // Pass 1: count the training text's words.
    std::unordered_map<std::string, std::uint64_t> counts;
    std::uint64_t n_train = 0, n_valid = 0;
    double count_bytes = 0;
    each_file(c.files, opt.valid_fraction, 0.0, open, [&](const std::vector<std::string>& words, bool valid) {
        if (valid) {
            n_valid += words.size();
            return;
        }
        n_train += words.size();
        for (const std::string& w : words) {
            const auto [it, added] = counts.try_emplace(w, 0);
            ++it->second;
            if (!added) continue;
            count_bytes += kCountTableBytesPerWord + static_cast<double>(w.size());
            if (count_bytes > static_cast<double>(opt.max_bytes))
                throw DataError(source + ": counting its words took " + format_bytes(count_bytes) + " after " + thousands(counts.size()) +
                                    " distinct words, more than the " + format_bytes(static_cast<double>(opt.max_bytes)) +
                                    " allowed (raise limits.memory_mb, or use a smaller text)",
                                "limits.memory_mb");
        }
    });
    if (n_train == 0)
        throw DataError(source + ": no words in " + (c.files.size() == 1 ? "it" : "its training text") + " (an empty text?)", "data.path");
    // Vocabulary: <unk>, then by falling count, ties in byte order.
    counts.erase("<unk>");
    c.distinct_words = counts.size();
    std::vector<std::pair<std::string, std::uint64_t>> by_count;
    by_count.reserve(counts.size());
    for (auto& [w, n] : counts) by_count.emplace_back(w, n);
    counts.clear();
    std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    const std::size_t keep = opt.max_vocab > 0 ? std::min<std::size_t>(by_count.size(), static_cast<std::size_t>(opt.max_vocab - 1)) : by_count.size();
    if (keep + 1 > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw DataError(source + ": more than 2^31 distinct words (set data.vocab_size)", "data.vocab_size");
    // The token arrays' bytes, checked before they are allocated.
    double vocab_bytes = 0;
    for (std::size_t i = 0; i < keep; ++i) vocab_bytes += 2 * kCountTableBytesPerWord + static_cast<double>(by_count[i].first.size());
    const double need = 4.0 * static_cast<double>(n_train + n_valid) + vocab_bytes;
    if (need > static_cast<double>(opt.max_bytes))
        throw DataError(source + ": its " + thousands(n_train + n_valid) + " words and vocabulary of " + thousands(keep + 1) + " take " +
                            format_bytes(need) + ", more than the " + format_bytes(static_cast<double>(opt.max_bytes)) +
                            " allowed (raise limits.memory_mb, or use a smaller text)",
                        "data.path");
    c.words.reserve(keep + 1);
    c.words.emplace_back("<unk>");
    std::unordered_map<std::string, std::int32_t> ids;
    ids.reserve(keep);
    for (std::size_t i = 0; i < keep; ++i) {
        ids.emplace(by_count[i].first, static_cast<std::int32_t>(i + 1));
        c.words.push_back(std::move(by_count[i].first));
    }
    by_count.clear();
    by_count.shrink_to_fit();
    c.train.reserve(n_train);
    c.valid.reserve(n_valid);
    // Pass 2: the ids.
    each_file(c.files, opt.valid_fraction, 0.5, open, [&](const std::vector<std::string>& words, bool valid) {
        std::vector<std::int32_t>& out = valid ? c.valid : c.train;
        std::uint64_t& unk = valid ? c.unk_valid : c.unk_train;
        for (const std::string& w : words) {
            const auto it = ids.find(w);
            const std::int32_t id = it == ids.end() ? 0 : it->second;
            if (id == 0) ++unk;
            out.push_back(id);
        }
    });
    if (c.train.size() != n_train || c.valid.size() != n_valid)
        throw DataError(source + ": the text changed while it was read (" + thousands(n_train) + " words on the first pass, " +
                            thousands(c.train.size()) + " on the second)",
                        "data.path");
    return c;
}

bool is_regular(const std::string& p, std::uint64_t* size) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    if (size) *size = static_cast<std::uint64_t>(st.st_size);
    return true;
}

}  // namespace

double Corpus::bytes() const {
    double b = 4.0 * static_cast<double>(train.size() + valid.size());
    for (const std::string& w : words) b += 32 + static_cast<double>(w.size());
    return b;
}

std::string Corpus::describe() const {
    std::string fmt;
    for (const CorpusFile& f : files)
        if (fmt.find(text_format_name(f.format)) == std::string::npos) fmt += std::string(fmt.empty() ? "" : "+") + text_format_name(f.format);
    return source + ": " + thousands(train.size()) + " training and " + thousands(valid.size()) + " validation words (" +
           std::to_string(files.size()) + (files.size() == 1 ? " file, " : " files, ") + fmt + "), vocabulary " + thousands(words.size()) +
           " of " + thousands(distinct_words + 1) + " (<unk> included; " + thousands(unk_train) + " training words are <unk>)";
}

std::vector<CorpusFile> corpus_files(const std::string& path, const CorpusOptions& opt) {
    if (path.empty()) throw InputError("no text given: set data.path to a text file or a folder of them", "data.path");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        try {
            InputFile probe(path, kWhat, std::numeric_limits<std::uint64_t>::max());  // says why (missing, dangling link, ...)
        } catch (const InputError& e) {
            throw InputError(e.what(), "data.path");
        }
        throw InputError(path + ": cannot read the " + std::string(kWhat), "data.path");
    }
    std::vector<CorpusFile> files;
    if (S_ISDIR(st.st_mode)) {
        DIR* d = ::opendir(path.c_str());
        if (!d) throw InputError(path + ": cannot list the folder (data.path)", "data.path");
        std::vector<std::string> names;
        while (dirent* e = ::readdir(d)) {
            const std::string n = e->d_name;
            if (n.empty() || n[0] == '.') continue;
            if (is_regular(path + "/" + n, nullptr)) names.push_back(n);
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        if (names.empty()) throw InputError(path + ": the folder (data.path) holds no files", "data.path");
        const std::string dir = ends_with(path, "/") ? path : path + "/";
        for (const char* ext : {".tokens", ".raw"}) {
            const bool tr = std::count(names.begin(), names.end(), std::string("wiki.train") + ext) > 0;
            const bool va = std::count(names.begin(), names.end(), std::string("wiki.valid") + ext) > 0;
            if (tr != va)
                throw InputError(dir + ": holds wiki." + (tr ? "train" : "valid") + ext + " but not wiki." + (tr ? "valid" : "train") + ext +
                                     " (WikiText's split needs both)",
                                 "data.path");
            if (tr) {
                files.push_back({dir + "wiki.train" + ext, "train"});
                files.push_back({dir + "wiki.valid" + ext, "valid"});
                break;
            }
        }
        if (files.empty())
            for (const std::string& n : names) files.push_back({dir + n, "split"});
    } else {
        files.push_back({path, "split"});
    }
    const bool forced = opt.format != "auto";
    LoadMonitor::Stage quiet(0, 0);  // looking at the first lines is not progress
    const TextFormat f = forced ? parse_format(opt.format) : TextFormat::Plain;
    for (CorpusFile& cf : files) {
        InputFile in(cf.path, kWhat, std::numeric_limits<std::uint64_t>::max());
        cf.bytes = in.size();
        if (forced) cf.format = f;
        else if (ends_with(cf.path, ".tokens") || ends_with(cf.path, ".raw")) cf.format = TextFormat::WikiText;
        else cf.format = detect_format(in);
    }
    return files;
}

Corpus load_corpus(const std::string& path, const CorpusOptions& opt) {
    std::vector<CorpusFile> files = corpus_files(path, opt);
    auto open = [&files](std::size_t i) -> std::unique_ptr<LineSource> {
        return std::make_unique<InputFile>(files[i].path, kWhat, std::numeric_limits<std::uint64_t>::max());
    };
    return build(path, files, opt, open);  // (a copy: `open` reads `files`)
}

Corpus corpus_from_text(const std::string& text, const CorpusOptions& opt, const std::string& source) {
    CorpusFile f{source, "split", TextFormat::Plain, text.size()};
    if (opt.format != "auto") {
        f.format = parse_format(opt.format);
    } else {
        StringLines probe(text, source);
        f.format = detect_format(probe);
    }
    auto open = [&text, &source](std::size_t) -> std::unique_ptr<LineSource> { return std::make_unique<StringLines>(text, source); };
    return build(source, {f}, opt, open);
}

std::size_t window_length(const Corpus& c, int seq_len) {
    const std::size_t L = static_cast<std::size_t>(std::max(2, seq_len));
    if (c.train.size() < L + 1)
        throw DataError(c.source + ": " + std::to_string(c.train.size()) + " training words, fewer than a window of data.seq_len = " +
                            std::to_string(L) + " words and its next word",
                        "data.seq_len");
    return L;
}

Corpus load_config_corpus(const Config& cfg, std::uint64_t max_bytes) {
    CorpusOptions co;
    co.max_vocab = cfg.data.vocab_size;
    co.valid_fraction = cfg.data.valid_fraction;
    co.format = cfg.data.text_format;
    co.max_bytes = max_bytes;
    try {
        return load_corpus(cfg.data.path, co);
    } catch (const LoadCancelled&) {
        throw;
    } catch (const DataError&) {
        throw;
    } catch (const InputError& e) {
        throw DataError(e.what(), e.key().empty() ? "data.path" : e.key());
    }
}

}  // namespace snapscope
