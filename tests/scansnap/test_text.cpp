// Scan and Snap on a text (data.kind = text with model.kind = scan_snap): (window -> next word) samples of the kept
// classes, the classes' distinct and common words from the text, and the paper's prediction on it: attention leaves
// the common words for the words that tell the next word apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "proc_util.hpp"
#include "snapscope/corpus.hpp"
#include "snapscope/data.hpp"
#include "snapscope/scansnap_run.hpp"
#include "test_util.hpp"

using namespace snapscope;
namespace fs = std::filesystem;

namespace {
// "the NOUN VERB the OBJECT ." where the verb decides the object: after the second "the", the verb is the word that
// tells which object comes next; "the", the nouns and "." occur before every object.
std::string grammar(int sentences) {
    const char* nouns[] = {"cat", "dog", "bird", "fish", "cow"};
    const char* verbs[] = {"sees", "likes", "chases"};
    const char* objects[] = {"mouse", "ball", "worm"};
    std::string t;
    for (int s = 0; s < sentences; ++s) {
        const int v = (s * 7 + s / 3) % 3;
        t += std::string("the ") + nouns[(s * 3 + s / 5) % 5] + " " + verbs[v] + " the " + objects[v] + " .\n";
    }
    return t;
}

int id_of(const Corpus& c, const std::string& w) {
    const auto it = std::find(c.words.begin(), c.words.end(), w);
    return it == c.words.end() ? -1 : static_cast<int>(it - c.words.begin());
}
}  // namespace

TEST(ScanSnapText, WindowsEndInTheKeptQueriesAndTheirMostFrequentNextWords) {
    CorpusOptions o;
    o.valid_fraction = 0;
    const Corpus c = corpus_from_text(grammar(300), o);
    // One query (the most frequent last word: "the"), its 3 most frequent next words (the objects, a third of the
    // sentences each; a noun follows "the" a fifth of the time).
    const JsonlData d = text_pair_samples(c, 1, 3, 4, 1ULL << 30);
    ASSERT_EQ(d.K, c.vocab());
    EXPECT_EQ(d.samples.size(), 300u);  // every sentence's second "the" (its window: "the NOUN VERB the")
    for (const JsonlSample& s : d.samples) {
        ASSERT_EQ(s.tokens.size(), 4u);
        EXPECT_EQ(s.tokens.back(), id_of(c, "the"));
        const std::string next = c.words[static_cast<std::size_t>(s.label)];
        EXPECT_TRUE(next == "mouse" || next == "ball" || next == "worm") << next;
        // The window is the text's: the word after the query is the label.
        EXPECT_EQ(c.train[s.line + 1], s.label);
        EXPECT_TRUE(std::equal(s.tokens.begin(), s.tokens.end(), c.train.begin() + static_cast<std::ptrdiff_t>(s.line) - 3));
    }
    // Errors name their keys: a window longer than the text, more bytes than allowed.
    try {
        text_pair_samples(c, 1, 3, 100000, 1ULL << 30);
        ADD_FAILURE() << "accepted";
    } catch (const DataError& e) {
        EXPECT_EQ(e.key(), "data.seq_len");
    }
    try {
        text_pair_samples(c, 1, 3, 4, 1000);
        ADD_FAILURE() << "accepted";
    } catch (const DataError& e) {
        EXPECT_EQ(e.key(), "data.seq_len");
        EXPECT_NE(std::string(e.what()).find("limits.memory_mb"), std::string::npos) << e.what();
    }
}

TEST(ScanSnapText, AttentionLeavesTheCommonWordsForTheVerbThatTellsTheObject) {
    const fs::path d = test::test_dir("scansnap-text");
    test::write_file(d / "g.txt", grammar(600));
    Config cfg = test::preset_with("scansnap-text", {"data.path=" + (d / "g.txt").string(), "data.vocab_size=0", "data.num_last=1",
                                                      "data.num_next_per_last=3", "data.seq_len=4", "data.valid_fraction=0",
                                                      "train.steps=300"});
    ScanSnapRun run(cfg);
    const DataSource& data = run.data();
    ASSERT_EQ(data.classes().size(), 3u);
    const std::vector<std::string>& w = data.words();
    auto word = [&](int id) { return w[static_cast<std::size_t>(id)]; };
    const std::map<std::string, std::string> verb_of = {{"mouse", "sees"}, {"ball", "likes"}, {"worm", "chases"}};
    const ClassMetrics before = run.class_metrics();
    run.run(300);
    const ClassMetrics after = run.class_metrics();
    const int M = data.vocab_size();
    for (std::size_t c = 0; c < data.classes().size(); ++c) {
        const ClassInfo& ci = data.classes()[c];
        EXPECT_EQ(word(ci.query), "the");
        const std::string verb = verb_of.at(word(ci.label));
        // The class's own verb is its distinct word; "the" and the nouns are common to all three.
        std::vector<std::string> distinct, common;
        for (int t : ci.distinct) distinct.push_back(word(t));
        for (int t : ci.common) common.push_back(word(t));
        EXPECT_EQ(distinct, std::vector<std::string>{verb}) << word(ci.label);
        EXPECT_NE(std::find(common.begin(), common.end(), "cat"), common.end());
        EXPECT_NE(std::find(common.begin(), common.end(), "dog"), common.end());
        // Scan: the common words' share of attention falls and the verb's grows.
        EXPECT_LT(after.common_mass[c], before.common_mass[c] - 0.2) << word(ci.label);
        const int v = ci.distinct.front();
        EXPECT_GT(after.attention[c * static_cast<std::size_t>(M) + v], 2 * before.attention[c * static_cast<std::size_t>(M) + v]);
    }
    // The command line names the words in its summary and in final.json.
    const test::ProcResult r = test::run_cli("run --preset scansnap-text --set data.path=" + (d / "g.txt").string() +
                                             " --set data.num_last=1 --set data.num_next_per_last=3 --set data.seq_len=4 --set train.steps=20 --out " +
                                             (d / "out").string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("('the' -> '"), std::string::npos) << r.out;
    const nlohmann::json f = nlohmann::json::parse(std::ifstream(d / "out" / "final.json"));
    EXPECT_EQ(f["classes"][0]["query_word"], "the");
    EXPECT_EQ(f["words"][0], "<unk>");
}
