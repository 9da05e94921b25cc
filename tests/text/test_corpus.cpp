// Text corpora (core/text): basic_english against torchtext's definition, WikiText's formats, UTF-8 and binary
// checks with byte offsets, the vocabulary, the split, memory limits, progress and cancel; on text the project
// generates (a small probabilistic grammar with known word frequencies) and on the licence texts Debian ships.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "proc_util.hpp"
#include "snapscope/corpus.hpp"
#include "snapscope/input.hpp"
#include "snapscope/tokenizer.hpp"

namespace fs = std::filesystem;
using namespace snapscope;

namespace {

std::vector<std::string> be(const std::string& s) {
    std::vector<std::string> w;
    basic_english(s, w);
    return w;
}

std::vector<std::string> tok(const std::string& s, TextFormat f) {
    std::vector<std::string> w;
    tokenize_line(s, f, w);
    return w;
}

using W = std::vector<std::string>;

std::string error_of(const std::function<void()>& f, std::string* key = nullptr) {
    try {
        f();
    } catch (const InputError& e) {
        if (key) *key = e.key();
        return e.what();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

// A small probabilistic grammar: "the ADJ? NOUN VERB the NOUN ." with fixed word probabilities, so the expected
// count of every word is known.
struct Grammar {
    std::vector<std::string> nouns{"cat", "dog", "bird", "fish"}, verbs{"sees", "likes", "chases"}, adjs{"big", "small"};
    std::vector<double> pn{0.4, 0.3, 0.2, 0.1};
    double p_adj = 0.5;
    std::string generate(int sentences, unsigned seed) const {
        std::mt19937_64 rng(seed);
        std::discrete_distribution<int> noun(pn.begin(), pn.end());
        std::uniform_int_distribution<int> verb(0, 2), adj(0, 1);
        std::bernoulli_distribution has_adj(p_adj);
        std::string text;
        for (int s = 0; s < sentences; ++s) {
            text += "The ";
            if (has_adj(rng)) text += adjs[adj(rng)] + " ";
            text += nouns[noun(rng)] + " " + verbs[verb(rng)] + " the " + nouns[noun(rng)] + ".";
            text += (s % 4 == 3) ? "\n" : " ";
        }
        return text;
    }
};

}  // namespace

TEST(Tokenizer, BasicEnglishIsTorchtextsDefinition) {
    // torchtext.data.utils.get_tokenizer("basic_english") gives these (its rules: the header of tokenizer.hpp).
    EXPECT_EQ(be("Hello, World! It's \"fine\" (really)."),
              (W{"hello", ",", "world", "!", "it", "'", "s", "fine", "(", "really", ")", "."}));
    EXPECT_EQ(be("a;b:c  d\te"), (W{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(be("one<br />two"), (W{"one", "two"}));
    EXPECT_EQ(be("<br/> stays"), (W{"<br/>", "stays"}));
    EXPECT_EQ(be("3.14 and 1,000?"), (W{"3", ".", "14", "and", "1", ",", "000", "?"}));
    EXPECT_EQ(be("\"\""), W{});
    EXPECT_EQ(be("   "), W{});
    EXPECT_EQ(be("<unk> @-@ x"), (W{"<unk>", "@-@", "x"}));
    // Lower case beyond ASCII (Latin-1, Greek, Cyrillic); the multiplication sign and other characters kept.
    EXPECT_EQ(be("ÉCOLE Ωmega ДОМ 2×3 日本"), (W{"école", "ωmega", "дом", "2×3", "日本"}));
}

TEST(Tokenizer, WikiTextHeadingsAndJoiners) {
    EXPECT_TRUE(is_wikitext_heading(" = Valkyria Chronicles III = "));
    EXPECT_TRUE(is_wikitext_heading(" = = Gameplay = = "));
    EXPECT_FALSE(is_wikitext_heading(" = = "));
    EXPECT_FALSE(is_wikitext_heading("a = b"));
    // The paper's setting: basic_english on every line, as torchtext's WikiText2 gives.
    EXPECT_EQ(tok(" = Valkyria Chronicles III = ", TextFormat::WikiText), (W{"=", "valkyria", "chronicles", "iii", "="}));
    EXPECT_EQ(tok(" state @-@ of @-@ the @-@ art , 1 @,@ 000 and 3 @.@ 5 <unk> ", TextFormat::WikiText),
              (W{"state", "@-@", "of", "@-@", "the", "@-@", "art", ",", "1", "@", ",", "@", "000", "and", "3", "@", ".", "@", "5", "<unk>"}));
    // Joined: markers dropped, joiners make one word.
    EXPECT_EQ(tok(" = = Gameplay = = ", TextFormat::WikiTextJoined), (W{"gameplay"}));
    EXPECT_EQ(tok(" State @-@ of @-@ the @-@ art , 1 @,@ 000 and 3 @.@ 5 <unk> ", TextFormat::WikiTextJoined),
              (W{"state-of-the-art", ",", "1,000", "and", "3.5", "<unk>"}));
    EXPECT_EQ(tok(" @-@ alone", TextFormat::WikiTextJoined), (W{"-", "alone"}));
}

TEST(Tokenizer, Utf8AndBinaryBytesAreFoundAtTheirOffsets) {
    EXPECT_EQ(invalid_utf8_offset("plain ascii"), std::string::npos);
    EXPECT_EQ(invalid_utf8_offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string::npos);  // é € 😀
    EXPECT_EQ(invalid_utf8_offset("caf\xE9 au lait"), 3u);          // Latin-1 é
    EXPECT_EQ(invalid_utf8_offset("ab\x80"), 2u);                   // stray continuation
    EXPECT_EQ(invalid_utf8_offset("ab\xC3"), 2u);                   // truncated
    EXPECT_EQ(invalid_utf8_offset("x\xC0\xAF"), 1u);                // overlong '/'
    EXPECT_EQ(invalid_utf8_offset("x\xE0\x80\xAF"), 1u);            // overlong, three bytes
    EXPECT_EQ(invalid_utf8_offset("xy\xED\xA0\x80"), 2u);           // a surrogate
    EXPECT_EQ(invalid_utf8_offset("\xF4\x90\x80\x80"), 0u);         // above U+10FFFF
    EXPECT_EQ(binary_byte_offset("tab\there\r\f\v ok \x1b[0m"), std::string::npos);
    EXPECT_EQ(binary_byte_offset(std::string("ab\x01", 3)), 2u);
    EXPECT_EQ(binary_byte_offset(std::string("abc\0", 4)), 3u);
    EXPECT_EQ(binary_byte_offset("z\x7f"), 1u);
}

TEST(Corpus, AGrammarsWordsAreCountedAndTheVocabularyIsByFrequency) {
    const Grammar g;
    const std::string text = g.generate(4000, 7);
    CorpusOptions opt;
    opt.valid_fraction = 0;
    const Corpus c = corpus_from_text(text, opt, "grammar");
    ASSERT_TRUE(c.valid.empty());
    // <unk> first, then "the" (two a sentence) and "." (one), then the nouns by probability.
    ASSERT_GE(c.vocab(), 12);
    EXPECT_EQ(c.words[0], "<unk>");
    EXPECT_EQ(c.words[1], "the");
    EXPECT_EQ(c.words[2], ".");
    EXPECT_EQ(c.vocab(), 1 + 2 + 4 + 3 + 2);  // <unk>, the, ., nouns, verbs, adjectives
    std::map<std::string, std::uint64_t> n;
    for (std::int32_t id : c.train) {
        ASSERT_GE(id, 1);
        ASSERT_LT(id, c.vocab());
        ++n[c.words[static_cast<std::size_t>(id)]];
    }
    EXPECT_EQ(n["the"], 8000u);
    EXPECT_EQ(n["."], 4000u);
    // Each noun's count near 2 * 4000 * p (a binomial: within 5 standard deviations).
    for (std::size_t i = 0; i < g.nouns.size(); ++i) {
        const double mean = 8000 * g.pn[i], sd = std::sqrt(8000 * g.pn[i] * (1 - g.pn[i]));
        EXPECT_NEAR(static_cast<double>(n[g.nouns[i]]), mean, 5 * sd) << g.nouns[i];
    }
    EXPECT_NEAR(static_cast<double>(n["big"] + n["small"]), 2000, 5 * std::sqrt(4000 * 0.25));
    // Ids follow falling counts.
    for (int i = 2; i < c.vocab(); ++i) EXPECT_GE(n[c.words[i - 1]], n[c.words[i]]) << i;
    // The token stream is the text's words in order: the first sentence starts "the".
    EXPECT_EQ(c.words[c.train[0]], "the");
    EXPECT_EQ(c.words[c.train.back()], ".");
    // Capped: the rarest words become <unk>.
    opt.max_vocab = 5;
    const Corpus capped = corpus_from_text(text, opt, "grammar");
    EXPECT_EQ(capped.vocab(), 5);
    EXPECT_EQ(capped.train.size(), c.train.size());
    std::uint64_t unk = 0;
    for (std::int32_t id : capped.train) unk += id == 0;
    EXPECT_EQ(unk, capped.unk_train);
    EXPECT_EQ(unk, c.train.size() - n["the"] - n["."] - n[c.words[3]] - n[c.words[4]]);
    EXPECT_NE(capped.describe().find("vocabulary 5 of 12"), std::string::npos) << capped.describe();
}

TEST(Corpus, TheLastShareOfTheBytesIsTheValidationTextAndItsUnseenWordsAreUnknown) {
    std::string text;
    for (int i = 0; i < 90; ++i) text += "alpha beta gamma\n";  // 17 bytes a line
    for (int i = 0; i < 10; ++i) text += "delta beta\n";
    CorpusOptions opt;
    opt.valid_fraction = 0.1;  // of 1640 bytes: lines starting at byte ceil(0.9 * 1640) = 1476 or later are validation
    const Corpus c = corpus_from_text(text, opt, "split");
    std::size_t valid_words = 0, off = 0;
    for (int i = 0; i < 100; ++i) {
        const std::size_t len = i < 90 ? 17 : 11;
        if (off >= 1476) valid_words += i < 90 ? 3 : 2;
        off += len;
    }
    EXPECT_EQ(c.valid.size(), valid_words);
    EXPECT_EQ(c.train.size() + c.valid.size(), 90u * 3 + 10 * 2);
    // "delta" occurs only in validation text: not in the vocabulary, <unk> there.
    EXPECT_EQ(std::count(c.words.begin(), c.words.end(), "delta"), 0);
    EXPECT_EQ(c.unk_valid, 10u);
    EXPECT_EQ(c.unk_train, 0u);
    // No split: everything trains.
    opt.valid_fraction = 0;
    EXPECT_EQ(corpus_from_text(text, opt, "split").valid.size(), 0u);
    opt.valid_fraction = 0.95;
    std::string key;
    EXPECT_NE(error_of([&] { corpus_from_text(text, opt, "split"); }, &key).find("0..0.9"), std::string::npos);
    EXPECT_EQ(key, "data.valid_fraction");
}

TEST(Corpus, BadFilesAreRefusedNamingTheFileAndTheByteOffset) {
    const fs::path d = test::test_dir("bad");
    CorpusOptions opt;
    std::string key;
    // Missing.
    std::string e = error_of([&] { load_corpus((d / "nope.txt").string(), opt); }, &key);
    EXPECT_NE(e.find("nope.txt"), std::string::npos) << e;
    EXPECT_NE(e.find("No such file"), std::string::npos) << e;
    EXPECT_EQ(key, "data.path");
    // Empty, and only blank lines / punctuation-free nothing.
    write(d / "empty.txt", "");
    e = error_of([&] { load_corpus((d / "empty.txt").string(), opt); }, &key);
    EXPECT_NE(e.find("no words"), std::string::npos) << e;
    write(d / "blank.txt", "\n \n\t\n\"\"\n");
    EXPECT_NE(error_of([&] { load_corpus((d / "blank.txt").string(), opt); }).find("no words"), std::string::npos);
    // Not UTF-8: a Latin-1 é at byte 20 on line 2.
    write(d / "latin1.txt", "first line is fine\ncaf\xE9 au lait\n");
    e = error_of([&] { load_corpus((d / "latin1.txt").string(), opt); }, &key);
    EXPECT_NE(e.find("latin1.txt: byte offset 22 (line 2)"), std::string::npos) << e;
    EXPECT_NE(e.find("0xE9 is not UTF-8"), std::string::npos) << e;
    EXPECT_EQ(key, "data.path");
    // Binary: a control byte, and a NUL.
    write(d / "ctl.bin", std::string("text then \x02 binary", 18));
    e = error_of([&] { load_corpus((d / "ctl.bin").string(), opt); });
    EXPECT_NE(e.find("byte offset 10 (line 1): the control byte 0x02: this is not a text file"), std::string::npos) << e;
    write(d / "nul.bin", std::string("line one\nab\0cd", 14));
    e = error_of([&] { load_corpus((d / "nul.bin").string(), opt); });
    EXPECT_NE(e.find("nul.bin:2: a NUL byte at column 3 (byte offset 11)"), std::string::npos) << e;
    // A directory with nothing in it; a FIFO; a folder with half of WikiText's split.
    fs::create_directories(d / "none");
    EXPECT_NE(error_of([&] { load_corpus((d / "none").string(), opt); }).find("holds no files"), std::string::npos);
    fs::create_directories(d / "half");
    write(d / "half" / "wiki.train.tokens", " = T = \n words here \n");
    EXPECT_NE(error_of([&] { load_corpus((d / "half").string(), opt); }).find("but not wiki.valid.tokens"), std::string::npos);
    // A bad format name.
    opt.format = "markdown";
    write(d / "ok.txt", "ok\n");
    e = error_of([&] { load_corpus((d / "ok.txt").string(), opt); }, &key);
    EXPECT_NE(e.find("'markdown' is not one of"), std::string::npos) << e;
    EXPECT_EQ(key, "data.text_format");
}

TEST(Corpus, AFolderWithWikiTextsSplitIsReadAsThatSplitInItsFormat) {
    const fs::path d = test::test_dir("wiki");
    // Text in WikiText's layout, written here (no one else's text is committed).
    write(d / "wiki.train.tokens", " \n = Cats = \n \n The cat sat on the mat . It was a state @-@ of @-@ the @-@ art mat . \n"
                                   " = = Dogs = = \n The dog saw 1 @,@ 000 <unk> cats . \n");
    write(d / "wiki.valid.tokens", " = Birds = \n A bird sang . \n");
    write(d / "wiki.test.tokens", " = Never = \n read unless asked \n");
    write(d / ".hidden", "\x01\x02");
    fs::create_directories(d / "sub");
    CorpusOptions opt;
    const Corpus c = load_corpus(d.string(), opt);
    ASSERT_EQ(c.files.size(), 2u);
    EXPECT_EQ(c.files[0].role, "train");
    EXPECT_EQ(c.files[1].role, "valid");
    EXPECT_EQ(c.files[0].format, TextFormat::WikiText);
    auto words_of = [&](const std::vector<std::int32_t>& ids) {
        W w;
        for (std::int32_t id : ids) w.push_back(c.words[static_cast<std::size_t>(id)]);
        return w;
    };
    const W train = words_of(c.train);
    EXPECT_EQ(std::count(train.begin(), train.end(), "="), 6);
    EXPECT_EQ(std::count(train.begin(), train.end(), "@-@"), 3);
    EXPECT_EQ(std::count(train.begin(), train.end(), "<unk>"), 1);
    EXPECT_EQ(c.unk_train, 1u);  // WikiText's own <unk>
    EXPECT_EQ(std::count(train.begin(), train.end(), "never"), 0);
    // Validation words not seen in training are <unk>: "birds", "bird", "sang" ("a" and "." and "=" were seen).
    EXPECT_EQ(words_of(c.valid), (W{"=", "<unk>", "=", "a", "<unk>", "<unk>", "."}));
    // The joined format.
    opt.format = "wikitext-joined";
    const Corpus j = load_corpus(d.string(), opt);
    W jt;
    for (std::int32_t id : j.train) jt.push_back(j.words[static_cast<std::size_t>(id)]);
    EXPECT_EQ(std::count(jt.begin(), jt.end(), "="), 0);
    EXPECT_EQ(std::count(jt.begin(), jt.end(), "state-of-the-art"), 1);
    EXPECT_EQ(std::count(jt.begin(), jt.end(), "1,000"), 1);
    EXPECT_EQ(jt.front(), "cats");
}

TEST(Corpus, TheLicenceTextsDebianShipsLoadAsAFolder) {
    const std::string dir = "/usr/share/common-licenses";
    if (!fs::exists(dir + "/GPL-3")) GTEST_SKIP() << dir << "/GPL-3 is not on this machine";
    CorpusOptions opt;
    const Corpus c = load_corpus(dir, opt);
    EXPECT_GE(c.files.size(), 5u);
    EXPECT_GT(c.train.size(), 40000u);
    EXPECT_GT(c.valid.size(), 5000u);
    // The most common words of licences.
    const W top(c.words.begin() + 1, c.words.begin() + 12);
    for (const char* w : {"the", ",", ".", "of", "or"}) EXPECT_NE(std::find(top.begin(), top.end(), w), top.end()) << w;
    EXPECT_NE(std::find(c.words.begin(), c.words.end(), "license"), c.words.end());
    // Recounted by hand: every line of every file through basic_english, the same words in the same order.
    std::vector<std::string> all;
    for (const CorpusFile& f : c.files) {
        std::ifstream in(f.path);
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            basic_english(line, all);
        }
    }
    ASSERT_EQ(all.size(), c.train.size() + c.valid.size());
    for (std::size_t i = 0; i < c.train.size(); i += 997) EXPECT_EQ(c.words[static_cast<std::size_t>(c.train[i])], all[i]) << i;
    EXPECT_EQ(c.words[static_cast<std::size_t>(c.valid.back())], all.back());
}

TEST(Corpus, MemoryIsCheckedBeforeTheTokenArraysAndWhileCounting) {
    const Grammar g;
    const std::string text = g.generate(20000, 3);  // ~90k words, 12 distinct
    CorpusOptions opt;
    opt.max_bytes = 100000;  // the count table fits, the 360 KB of ids do not
    std::string key;
    std::string e = error_of([&] { corpus_from_text(text, opt, "grammar"); }, &key);
    EXPECT_NE(e.find("grammar: its "), std::string::npos) << e;
    EXPECT_NE(e.find("raise limits.memory_mb"), std::string::npos) << e;
    EXPECT_EQ(key, "data.path");
    // Many distinct words: the count table is refused while it grows.
    std::string many;
    for (int i = 0; i < 5000; ++i) many += "w" + std::to_string(i) + " ";
    opt.max_bytes = 200000;
    e = error_of([&] { corpus_from_text(many, opt, "many"); }, &key);
    EXPECT_NE(e.find("counting its words took"), std::string::npos) << e;
    EXPECT_EQ(key, "limits.memory_mb");
    opt.max_bytes = 1 << 24;
    EXPECT_EQ(corpus_from_text(many, opt, "many").vocab(), 5001);
}

TEST(Corpus, ProgressRisesToOneOverBothPassesAndCancelStopsTheLoad) {
    const fs::path d = test::test_dir("progress");
    const Grammar g;
    write(d / "a.txt", g.generate(30000, 1));
    write(d / "b.txt", g.generate(30000, 2));
    std::vector<double> seen;
    {
        LoadMonitor m([&](double f) { seen.push_back(f); }, [] { return false; });
        const Corpus c = load_corpus(d.string(), CorpusOptions{});
        EXPECT_EQ(c.files.size(), 2u);
    }
    ASSERT_GT(seen.size(), 8u);
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1] - 1e-12) << i;
    EXPECT_GT(std::count_if(seen.begin(), seen.end(), [](double f) { return f > 0.2 && f < 0.5; }), 0);
    EXPECT_GT(std::count_if(seen.begin(), seen.end(), [](double f) { return f > 0.5 && f < 0.99; }), 0);
    EXPECT_NEAR(seen.back(), 1.0, 1e-12);
    int calls = 0;
    LoadMonitor m([](double) {}, [&] { return ++calls > 3; });
    EXPECT_THROW(load_corpus(d.string(), CorpusOptions{}), LoadCancelled);
}
