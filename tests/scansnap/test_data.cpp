#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "snapscope/data.hpp"
#include "snapscope/multinomial.hpp"
#include "test_util.hpp"

using namespace snapscope;

TEST(Synthetic, Fig4TokenLayout) {
    const Config c = test::preset_with("fig4");
    SyntheticData d(c);
    ASSERT_EQ(d.vocab_size(), 34);
    ASSERT_EQ(d.classes().size(), 2u);
    for (int t = 0; t < 10; ++t) EXPECT_EQ(d.tokens()[t].kind, TokenKind::Common) << t;
    for (int t = 10; t < 20; ++t) EXPECT_EQ(d.tokens()[t].kind, TokenKind::Distinct) << t;
    for (int t = 20; t < 30; ++t) EXPECT_EQ(d.tokens()[t].group, 1) << t;
    EXPECT_EQ(d.tokens()[30].kind, TokenKind::Query);
    EXPECT_EQ(d.tokens()[31].kind, TokenKind::Query);
    EXPECT_EQ(d.tokens()[32].kind, TokenKind::Next);
    EXPECT_EQ(d.tokens()[33].kind, TokenKind::Next);
    const ClassInfo& c0 = d.classes()[0];
    EXPECT_EQ(c0.query, 30);
    EXPECT_EQ(c0.label, 32);
    EXPECT_EQ(d.classes()[1].query, 31);
    EXPECT_EQ(d.classes()[1].label, 33);
    ASSERT_EQ(c0.tokens.size(), 20u);
    EXPECT_NEAR(std::accumulate(c0.probs.begin(), c0.probs.end(), 0.0), 1.0, 1e-15);
    EXPECT_NEAR(c0.probs[0], 1.0 / 15.5, 1e-15);   // common token
    EXPECT_NEAR(c0.probs[10], 0.1 / 15.5, 1e-15);  // rarest distinct token
    EXPECT_NEAR(c0.probs[19], 1.0 / 15.5, 1e-15);  // most frequent distinct token
    EXPECT_EQ(c0.common.size(), 10u);
    EXPECT_EQ(c0.distinct.size(), 10u);
    EXPECT_EQ(d.describe_token(12), "12 (distinct, class 0)");
}

TEST(Synthetic, DefaultLayoutWithPerQueryCommonTokens) {
    const Config c = resolve_config({});  // num_last 2, num_next_per_last 2, num_common_per_last 5
    SyntheticData d(c);
    // 10 common + 2*5 per-query common + 4*10 distinct + 2 queries + 4 next tokens.
    EXPECT_EQ(d.vocab_size(), 66);
    EXPECT_EQ(d.tokens()[10].kind, TokenKind::QueryCommon);
    EXPECT_EQ(d.tokens()[15].group, 1);
    EXPECT_EQ(d.classes()[0].tokens.size(), 25u);
    EXPECT_EQ(d.classes()[0].common.size(), 15u);
    EXPECT_EQ(d.classes()[2].query, 61);
    EXPECT_EQ(d.classes()[3].label, 65);
}

TEST(Synthetic, SampledCountsFollowTheClassDistribution) {
    Config c = test::preset_with("fig4", {"data.seq_len=65"});
    SyntheticData d(c);
    Rng rng(11);
    SparseBatch b;
    std::vector<double> freq(34, 0.0);
    int n0 = 0;
    for (int rep = 0; rep < 200; ++rep) {
        b.clear();
        d.next_batch(100, rng, b);
        ASSERT_EQ(b.samples.size(), 100u);
        for (const auto& s : b.samples) {
            double total = 0;
            for (std::uint32_t i = s.begin; i < s.end; ++i) total += b.cnt[i];
            ASSERT_EQ(total, 64.0);
            EXPECT_EQ(s.label, d.classes()[s.cls].label);
            if (s.cls != 0) continue;
            ++n0;
            for (std::uint32_t i = s.begin; i < s.end; ++i) freq[b.tok[i]] += b.cnt[i];
        }
    }
    EXPECT_NEAR(n0, 10000, 5 * 50);  // class chosen uniformly
    const ClassInfo& c0 = d.classes()[0];
    for (std::size_t i = 0; i < c0.tokens.size(); ++i) {
        const double p = freq[c0.tokens[i]] / (64.0 * n0);
        EXPECT_NEAR(p, c0.probs[i], 4 * std::sqrt(c0.probs[i] / (64.0 * n0)) + 1e-4) << c0.tokens[i];
    }
    for (int t = 20; t < 34; ++t) EXPECT_EQ(freq[t], 0.0) << t;
}

TEST(FileData, ReadsSamplesInOrderAndWraps) {
    const std::string text =
        "{\"tokens\": [0, 1, 1, 5], \"label\": 6}\n"
        "\n"
        "{\"tokens\": [2, 3, 5], \"label\": 7}\r\n"
        "{\"tokens\": [0, 2, 4], \"label\": 6, \"note\": \"extra keys are ignored\"}\n";
    auto d = FileData::from_text(text, "mem.jsonl", 0);
    EXPECT_EQ(d->vocab_size(), 8);
    EXPECT_EQ(d->num_samples(), 3u);
    ASSERT_EQ(d->classes().size(), 3u);  // (5,6), (5,7), (4,6)
    EXPECT_EQ(d->classes()[0].query, 5);
    EXPECT_NEAR(d->classes()[0].prior, 1.0 / 3, 1e-15);
    Rng rng(0);
    SparseBatch b;
    d->next_batch(2, rng, b);
    ASSERT_EQ(b.samples.size(), 2u);
    EXPECT_EQ(b.samples[0].label, 6);
    EXPECT_EQ(b.samples[1].label, 7);
    // First sample: token 0 once, token 1 twice.
    ASSERT_EQ(b.samples[0].end - b.samples[0].begin, 2u);
    EXPECT_EQ(b.tok[0], 0);
    EXPECT_EQ(b.cnt[1], 2.0);
    b.clear();
    d->next_batch(2, rng, b);  // wraps: sample 3, then sample 1 again
    EXPECT_EQ(b.samples[0].query, 4);
    EXPECT_EQ(b.samples[1].query, 5);
    EXPECT_EQ(b.samples[1].label, 6);
    EXPECT_EQ(d->tokens()[5].kind, TokenKind::Query);
    EXPECT_EQ(d->tokens()[1].kind, TokenKind::Distinct);
}

namespace {

void expect_bad(const std::string& text, const std::string& where, const std::string& what, int vocab = 0) {
    try {
        FileData::from_text(text, "d.jsonl", vocab);
        ADD_FAILURE() << "accepted: " << text;
    } catch (const DataError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(where), std::string::npos) << msg;
        EXPECT_NE(msg.find(what), std::string::npos) << msg;
    }
}

}  // namespace

TEST(FileData, BadLinesAreReportedWithTheirLineNumber) {
    const std::string good = "{\"tokens\": [0, 1, 2], \"label\": 3}\n";
    expect_bad(good + good + "{\"tokens\": [0, 1, 2], \"label\": 3\n", "d.jsonl:3:", "invalid JSON");
    expect_bad(good + "{\"tokens\": [0, 1, 2]}\n", "d.jsonl:2:", "missing \"label\"");
    expect_bad(good + "{\"label\": 1}\n", "d.jsonl:2:", "missing \"tokens\"");
    expect_bad(good + "\n\n{\"tokens\": [0, -1, 2], \"label\": 3}\n", "d.jsonl:4:", "tokens[1]");
    expect_bad(good + "{\"tokens\": [0, 1.5, 2], \"label\": 3}\n", "d.jsonl:2:", "non-negative integer");
    expect_bad(good + "{\"tokens\": [2], \"label\": 3}\n", "d.jsonl:2:", "at least 2");
    expect_bad(good + "{\"tokens\": \"0 1 2\", \"label\": 3}\n", "d.jsonl:2:", "array");
    expect_bad(good + "[0, 1, 2]\n", "d.jsonl:2:", "expected an object");
    expect_bad(good + "{\"tokens\": [0, 1, 2], \"label\": \"x\"}\n", "d.jsonl:2:", "\"label\"");
    expect_bad(good + "{\"tokens\": [0, 1, 9], \"label\": 3}\n", "d.jsonl:2:", "data.vocab_size", 5);
    expect_bad("\n  \n", "d.jsonl", "no samples");
}

TEST(FileData, MissingFileIsAClearError) {
    try {
        read_jsonl_file("/nonexistent/data.jsonl", 0, 1ULL << 30);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/data.jsonl"), std::string::npos);
    }
}

TEST(FileData, MeanFieldBatchUsesExpectedCounts) {
    auto d = FileData::from_text("{\"tokens\": [0, 1, 1, 5], \"label\": 6}\n{\"tokens\": [0, 5], \"label\": 6}\n", "m", 0);
    SparseBatch b;
    d->mean_field_batch(b);
    ASSERT_EQ(b.samples.size(), 1u);
    EXPECT_DOUBLE_EQ(b.samples[0].weight, 1.0);
    // Class context: tokens 0,1,1 and 0 -> P(0) = 1/2, P(1) = 1/2; mean context length 2.
    EXPECT_DOUBLE_EQ(b.cnt[0], 1.0);
    EXPECT_DOUBLE_EQ(b.cnt[1], 1.0);
}

TEST(FileData, NumberOverflowIsABadLine) {
    try {
        FileData::from_text("{\"tokens\": [0, 1], \"label\": 1}\n{\"tokens\": [0, 1e999], \"label\": 1}\n", "d.jsonl", 0);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("d.jsonl:2:"), std::string::npos) << e.what();
    }
}

TEST(Multinomial, GuidedDrawsEqualASearchFromZero) {
    // The guide only says where to start: every u, including those at and next to a bucket's edge, must give the
    // first x with u < CDF(x), as a search from 0 does.
    Rng rng(5);
    for (int N : {1, 2, 5, 40, 127}) {
        const MultinomialTable t({1.0, 1.0, 0.1, 0.55, 1.0, 1e-9, 0.3}, N);
        for (std::size_t i = 0; i + 1 < t.size(); ++i)
            for (std::uint32_t R = 1; R <= static_cast<std::uint32_t>(N); ++R) {
                std::uint32_t len = 0;
                const double* c = t.cdf(i, R, &len);
                ASSERT_GE(len, 1u);
                ASSERT_EQ(c[len - 1], 1.0);
                std::vector<double> us;
                const std::uint32_t buckets = MultinomialTable::kGuidePerEntry * len;
                for (std::uint32_t j = 0; j <= buckets; ++j) {
                    const double edge = static_cast<double>(j) / buckets;
                    us.push_back(edge);
                    us.push_back(std::nextafter(edge, 0.0));
                    us.push_back(std::nextafter(edge, 1.0));
                }
                for (std::uint32_t x = 0; x < len; ++x) {  // the CDF's own values and their neighbours
                    us.push_back(c[x]);
                    us.push_back(std::nextafter(c[x], 0.0));
                }
                for (int r = 0; r < 50; ++r) us.push_back(rng.uniform());
                for (double u : us) {
                    if (!(u >= 0.0 && u < 1.0)) continue;
                    std::uint32_t x = 0;
                    while (u >= c[x]) ++x;
                    ASSERT_EQ(t.draw(i, R, u), x) << "N " << N << " i " << i << " R " << R << " u " << u;
                }
            }
    }
}

TEST(Synthetic, WindowsDrawnSideBySideAreTheOneAtATimeWindows) {
    // The generator draws several windows at once from a copy of the random stream and falls back to one at a time
    // when a window runs out of draws early (short windows) or below() could reject. Either way the batch and the
    // generator's state after it must be those of the plain loop: class = below(K), then the window's counts.
    struct Case { int seq_len, num_last, batch; };
    for (const Case cs : {Case{2, 1, 13}, Case{3, 2, 7}, Case{5, 3, 128}, Case{128, 1, 128}, Case{128, 3, 9}, Case{17, 2, 1}}) {
        const Config c = test::preset_with("fig4", {"data.seq_len=" + std::to_string(cs.seq_len),
                                                    "data.num_last=" + std::to_string(cs.num_last)});
        ASSERT_TRUE(SyntheticData::uses_tables(c));
        SyntheticData d(c);
        std::vector<MultinomialTable> tables;
        for (const ClassInfo& ci : d.classes()) tables.emplace_back(ci.probs, cs.seq_len - 1);
        Rng a(77), b(77);
        for (int rep = 0; rep < 20; ++rep) {
            SparseBatch got;
            d.next_batch(cs.batch, a, got);
            ASSERT_EQ(got.samples.size(), static_cast<std::size_t>(cs.batch));
            std::size_t j = 0;
            for (int s = 0; s < cs.batch; ++s) {
                const int cls = static_cast<int>(b.below(d.classes().size()));
                std::vector<std::uint32_t> counts(tables[cls].size());
                tables[cls].sample_counts(b, counts.data());
                const SparseSample& g = got.samples[s];
                ASSERT_EQ(g.cls, cls) << "seq_len " << cs.seq_len << " sample " << s;
                ASSERT_EQ(g.begin, j);
                for (std::size_t i = 0; i < counts.size(); ++i) {
                    if (!counts[i]) continue;
                    ASSERT_LT(j, got.tok.size());
                    EXPECT_EQ(got.tok[j], d.classes()[cls].tokens[i]);
                    EXPECT_EQ(got.cnt[j], counts[i]);
                    ++j;
                }
                ASSERT_EQ(g.end, j) << "seq_len " << cs.seq_len << " sample " << s;
            }
            ASSERT_EQ(a.next_u64(), b.next_u64()) << "the generators part after batch " << rep;
        }
    }
}

TEST(Synthetic, WhichSamplerAWindowGetsNeverChanges) {
    // The sampler decides a run's draws, so the rule that picks it is fixed whatever the tables cost in memory: with
    // Fig 4's 20 contextual tokens, windows of up to 208 draws (seq_len 209) use the conditional-binomial tables and
    // longer ones the alias tables, as in every earlier release (the guides grew from 2 to 8 bytes an entry).
    const Config at = test::preset_with("fig4", {"data.seq_len=209"});
    const Config past = test::preset_with("fig4", {"data.seq_len=210"});
    double bytes = 0;
    EXPECT_TRUE(SyntheticData::uses_tables(at, &bytes));
    EXPECT_GT(bytes, 2 * 4.0 * 1048576);  // two classes at more than 4 MiB each: the memory estimate is the real size
    EXPECT_FALSE(SyntheticData::uses_tables(past, &bytes));
    EXPECT_EQ(bytes, 0.0);
    // The estimate bounds what is built.
    const MultinomialTable t(std::vector<double>(20, 0.05), 208);
    EXPECT_LE(static_cast<double>(t.bytes()), MultinomialTable::bytes_needed(20, 208));
}

TEST(Synthetic, WindowsLongerThanTheTablesHoldAreDrawnOneByOne) {
    // A class with one contextual token has tiny tables at any length, but the guides hold at most 65535 draws:
    // such windows are drawn by the alias tables instead (a window of 69999 failed with "more than 65535 draws").
    const Config c = test::preset_with("fig4", {"data.num_common=1", "data.num_unique_per_next=0", "data.seq_len=70000"});
    EXPECT_FALSE(SyntheticData::uses_tables(c));
    SyntheticData d(c);
    Rng rng(3);
    SparseBatch b;
    d.next_batch(4, rng, b);
    ASSERT_EQ(b.samples.size(), 4u);
    for (const auto& s : b.samples) {
        ASSERT_EQ(s.end - s.begin, 1u);
        EXPECT_EQ(b.cnt[s.begin], 69999u);
    }
}
