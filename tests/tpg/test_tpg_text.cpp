// The token-priority graph of a query word of a text (model.kind = tpg with data.kind = text): the windows that end in
// the word and hold their next word, renumbered over their words, named by them in the graph, the summary and
// final.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "proc_util.hpp"
#include "snapscope/corpus.hpp"
#include "snapscope/tpg.hpp"
#include "snapscope/tpg_run.hpp"
#include "test_util.hpp"

using namespace snapscope;
namespace fs = std::filesystem;

namespace {
// Sentences "the NOUN VERB the NOUN ." where the second noun often repeats the first: after the second "the", the
// next word is one of the window's words (the first noun) in most sentences.
std::string grammar(int sentences) {
    const char* nouns[] = {"cat", "dog", "bird", "fish", "cow", "ant", "bee"};
    const char* verbs[] = {"sees", "likes", "chases"};
    std::string t;
    for (int s = 0; s < sentences; ++s) {
        const int a = (s * 3 + s / 5) % 7, v = (s * 7 + s / 3) % 3;
        const int b = s % 4 == 3 ? (a + 1 + s % 5) % 7 : a;  // a quarter of the sentences name another noun
        t += std::string("the ") + nouns[a] + " " + verbs[v] + " the " + nouns[b] + " .\n";
    }
    return t;
}

Corpus grammar_corpus(int sentences) {
    CorpusOptions o;
    o.valid_fraction = 0;
    return corpus_from_text(grammar(sentences), o);
}

// The windows of L words ending in word q whose next word occurs in them, counted by next word (independently of
// the code under test).
std::map<int, int> eligible_next(const Corpus& c, int q, std::size_t L) {
    std::map<int, int> n;
    for (std::size_t i = L - 1; i + 1 < c.train.size(); ++i) {
        if (c.train[i] != q) continue;
        const int y = c.train[i + 1];
        if (y != 0 && std::find(c.train.begin() + static_cast<std::ptrdiff_t>(i + 1 - L), c.train.begin() + static_cast<std::ptrdiff_t>(i + 1), y) !=
                          c.train.begin() + static_cast<std::ptrdiff_t>(i + 1))
            ++n[y];
    }
    return n;
}

int id_of(const Corpus& c, const std::string& w) {
    const auto it = std::find(c.words.begin(), c.words.end(), w);
    return it == c.words.end() ? -1 : static_cast<int>(it - c.words.begin());
}

template <class F>
std::string error_key(F f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.key();
    }
    return "(accepted)";
}
}  // namespace

TEST(TpgText, WindowsEndInTheQueryAndHoldTheirMostFrequentNextWords) {
    const Corpus c = grammar_corpus(400);
    const int L = 5;
    const TpgDataset d = tpg_text_samples(c, "THE", 3, L, 100000, 1ULL << 30);  // the tokenizer lower-cases the query
    const std::map<int, int> next = eligible_next(c, id_of(c, "the"), L);
    // The 3 most frequent eligible next words, by the independent count.
    std::vector<std::pair<int, int>> ranked;
    for (const auto& [w, n] : next) ranked.push_back({n, -w});
    std::sort(ranked.rbegin(), ranked.rend());
    std::set<std::string> top;
    int expected = 0;
    for (int i = 0; i < 3; ++i) top.insert(c.words[static_cast<std::size_t>(-ranked[static_cast<std::size_t>(i)].second)]), expected += ranked[static_cast<std::size_t>(i)].first;
    ASSERT_EQ(d.samples.size(), static_cast<std::size_t>(expected));  // every eligible window is kept under max_samples
    std::set<int> used;
    for (const TpgSample& s : d.samples) {
        ASSERT_EQ(s.tokens.size(), static_cast<std::size_t>(L));
        EXPECT_EQ(d.name(s.tokens.back()), "the");
        EXPECT_TRUE(top.count(d.name(s.label))) << d.name(s.label);
        EXPECT_NE(std::find(s.tokens.begin(), s.tokens.end(), s.label), s.tokens.end());
        used.insert(s.tokens.begin(), s.tokens.end());
    }
    // Tokens are renumbered 0..K-1 over the words the windows hold, in the corpus's order, and the words name them.
    ASSERT_EQ(d.K, static_cast<int>(d.words.size()));
    EXPECT_EQ(static_cast<int>(used.size()), d.K);
    EXPECT_EQ(*used.rbegin(), d.K - 1);
    for (int k = 1; k < d.K; ++k) EXPECT_LT(id_of(c, d.words[static_cast<std::size_t>(k - 1)]), id_of(c, d.words[static_cast<std::size_t>(k)]));
    EXPECT_EQ(std::find(d.words.begin(), d.words.end(), "<unk>"), d.words.end());
    EXPECT_EQ(d.name(d.K), std::to_string(d.K));  // out of the table: the id
}

TEST(TpgText, AtMostMaxSamplesSpreadOverTheText) {
    const Corpus c = grammar_corpus(400);
    const TpgDataset all = tpg_text_samples(c, "the", 3, 5, 100000, 1ULL << 30);
    const TpgDataset few = tpg_text_samples(c, "the", 3, 5, 10, 1ULL << 30);
    ASSERT_EQ(few.samples.size(), 10u);
    ASSERT_GT(all.samples.size(), 100u);
    // The kept windows are every (n/10)-th eligible one: the first, then ones from the whole text (not its start).
    auto words_of = [](const TpgDataset& d, const TpgSample& s) {
        std::vector<std::string> w;
        for (int t : s.tokens) w.push_back(d.name(t));
        return w;
    };
    for (std::size_t j = 0; j < 10; ++j) {
        const std::size_t i = j * all.samples.size() / 10;
        EXPECT_EQ(words_of(few, few.samples[j]), words_of(all, all.samples[i])) << j;
        EXPECT_EQ(few.name(few.samples[j].label), all.name(all.samples[i].label)) << j;
    }
}

TEST(TpgText, TheDefaultQueryIsTheWordEndingTheMostEligibleWindows) {
    const Corpus c = grammar_corpus(400);
    const TpgDataset d = tpg_text_samples(c, "", 100, 5, 100000, 1ULL << 30);
    // Only "the" precedes a word of its window here (the repeated noun); "." precedes "the", which is in its window too.
    const std::size_t n_the = [&] {
        std::size_t n = 0;
        for (const auto& [w, k] : eligible_next(c, id_of(c, "the"), 5)) n += static_cast<std::size_t>(k);
        return n;
    }();
    const std::size_t n_dot = [&] {
        std::size_t n = 0;
        for (const auto& [w, k] : eligible_next(c, id_of(c, "."), 5)) n += static_cast<std::size_t>(k);
        return n;
    }();
    const std::string want = n_the >= n_dot ? "the" : ".";
    ASSERT_FALSE(d.samples.empty());
    EXPECT_EQ(d.name(d.samples[0].tokens.back()), want) << n_the << " " << n_dot;
}

TEST(TpgText, ErrorsNameTheirKeys) {
    const Corpus c = grammar_corpus(50);
    EXPECT_EQ(error_key([&] { tpg_text_samples(c, "zebra", 3, 5, 100, 1ULL << 30); }), "data.query_word");       // not in the text
    EXPECT_EQ(error_key([&] { tpg_text_samples(c, "the cat", 3, 5, 100, 1ULL << 30); }), "data.query_word");     // two words
    EXPECT_EQ(error_key([&] { tpg_text_samples(c, "<unk>", 3, 5, 100, 1ULL << 30); }), "data.query_word");       // the unknown token
    EXPECT_EQ(error_key([&] { tpg_text_samples(c, "sees", 3, 2, 100, 1ULL << 30); }), "data.query_word");        // no next word in a window
    EXPECT_EQ(error_key([&] { tpg_text_samples(c, "the", 3, 100000, 100, 1ULL << 30); }), "data.seq_len");       // longer than the text
    EXPECT_EQ(error_key([&] { tpg_text_samples(c, "the", 3, 5, 100, 1000); }), "data.seq_len");                  // more bytes than allowed
    try {
        tpg_text_samples(c, "zebra", 3, 5, 100, 1ULL << 30);
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("data.query_word: 'zebra' is not a word"), std::string::npos) << e.what();
    }
}

TEST(TpgText, TrainsFromAConfigAndNamesTheWordsInItsOutput) {
    const fs::path dir = test::test_dir("tpg-text");
    test::write_file(dir / "g.txt", grammar(400));
    const std::vector<std::string> sets = {"data.path=" + (dir / "g.txt").string(), "data.query_word=the", "data.num_labels=3", "data.seq_len=5",
                                           "data.num_samples=100", "data.valid_fraction=0", "train.steps=300"};
    TpgRun run(test::preset_with("tpg-text", sets));
    ASSERT_FALSE(run.data().words.empty());
    EXPECT_EQ(run.data().samples.size(), 100u);
    ASSERT_EQ(run.graphs().size(), 1u);
    EXPECT_EQ(run.data().name(run.graphs()[0].query), "the");
    run.run(300);
    run.record_now();
    EXPECT_GT(run.history().back().metrics.corr_svm, 0.5);  // gradient descent heads for the graph's SVM direction
    // The command line: the summary names the query word, final.json holds the words.
    std::string args = "run --preset tpg-text --out " + (dir / "out").string();
    for (const std::string& s : sets) args += " --set " + s;
    const test::ProcResult r = test::run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("query word 'the': "), std::string::npos) << r.out;
    const nlohmann::json f = nlohmann::json::parse(std::ifstream(dir / "out" / "final.json"));
    ASSERT_TRUE(f.contains("words"));
    EXPECT_EQ(f["words"].size(), static_cast<std::size_t>(run.data().K));
    EXPECT_EQ(f["words"][run.graphs()[0].query], "the");
    // A query word the text lacks: a clear error naming the key, nothing written.
    const test::ProcResult bad = test::run_cli("run --preset tpg-text --set data.path=" + (dir / "g.txt").string() +
                                               " --set data.query_word=zebra --out " + (dir / "bad").string());
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.err.find("data.query_word"), std::string::npos) << bad.err;
    EXPECT_FALSE(fs::exists(dir / "bad" / "final.json"));
}
