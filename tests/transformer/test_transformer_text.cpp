// The small transformer on a text (data.kind = text): batching as PyTorch's word-language-model example, the
// validation loss, the attention entropy of the watched batch, pinned attention maps, the per-epoch step LR, the
// config's rules, and the fig7 preset from the command line, on text the project generates.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>
#include <stb_image.h>

#include "proc_util.hpp"
#include "snapscope/corpus.hpp"
#include "snapscope/transformer_run.hpp"
#include "snapscope/transformer_text.hpp"
#include "test_util.hpp"

using namespace snapscope;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Sentences of a small grammar whose next word is often predictable: "the NOUN VERB the NOUN ." with the second
// noun determined by the verb.
std::string grammar_text(int sentences, unsigned seed) {
    const char* nouns[] = {"cat", "dog", "bird", "fish", "cow"};
    const char* verbs[] = {"sees", "likes", "chases"};
    const char* objects[] = {"mouse", "ball", "worm"};
    std::mt19937_64 rng(seed);
    std::string t;
    for (int s = 0; s < sentences; ++s) {
        const int v = static_cast<int>(rng() % 3);
        t += std::string("the ") + nouns[rng() % 5] + " " + verbs[v] + " the " + objects[v] + " .";
        t += s % 5 == 4 ? "\n" : " ";
    }
    return t;
}

Config text_config(const std::string& path, const std::vector<std::string>& sets) {
    FlatConfig f = preset_config("fig7");
    apply_assignment(f, "data.path=" + path);
    for (const std::string& s : {"model.d_model=32", "model.ffn=32", "data.seq_len=12", "train.batch=8", "data.valid_tokens=0", "model.dropout=0"})
        apply_assignment(f, s);
    for (const std::string& s : sets) apply_assignment(f, s);
    return resolve_config(f, "test");
}

std::vector<std::int32_t> ids(int n) {
    std::vector<std::int32_t> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = 1 + i % 50;
    return v;
}

}  // namespace

TEST(TextSequences, BatchesAreThePyTorchExamplesColumnsAndWindows) {
    Corpus c;
    c.source = "ids";
    c.words.assign(51, "w");
    c.train = ids(1003);  // 4 columns of 250 (3 dropped)
    c.valid = ids(100);
    TextSequences t(c, 4, 10, false, 0);
    EXPECT_EQ(t.steps_per_epoch(), 24);  // windows at 0, 10, ..., 230 (240 + 10 + 1 > 250)
    Rng rng(1);
    for (int step = 0; step < 30; ++step) {
        SeqBatch b;
        t.next_batch(4, rng, b);
        ASSERT_EQ(b.size(), 4);
        const int at = (step % 24) * 10;
        for (int col = 0; col < 4; ++col)
            for (int i = 0; i < 10; ++i) {
                const std::size_t k = static_cast<std::size_t>(col * 10 + i);
                ASSERT_EQ(b.tokens[k], c.train[static_cast<std::size_t>(col * 250 + at + i)]) << step << " " << col << " " << i;
                ASSERT_EQ(b.targets[k], c.train[static_cast<std::size_t>(col * 250 + at + i + 1)]);
            }
    }
    // The watched batch: each column's first window.
    ASSERT_EQ(t.probe()->size(), 4);
    EXPECT_EQ(t.probe()->tokens[10], c.train[250]);
    // Loss at the last position: the window predicts the word after it.
    TextSequences last(c, 4, 10, true, 0);
    SeqBatch b;
    last.next_batch(4, rng, b);
    EXPECT_EQ(b.targets[9], c.train[10]);
    EXPECT_EQ(b.targets[8], -1);
    // Validation: 9 windows of 10 in 100 words; capped by data.valid_tokens.
    EXPECT_EQ(t.validation_windows(), 9);
    EXPECT_EQ(TextSequences(c, 4, 10, false, 35).validation_windows(), 3);
    int calls = 0;
    double rows = 0;
    const double v = t.validation_loss([&](const SeqBatch& vb) {
        ++calls;
        rows += vb.positions();
        EXPECT_EQ(vb.tokens[0], c.valid[0]);
        return 2.0;
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(rows, 90);
    EXPECT_DOUBLE_EQ(v, 2.0);
    // Too short for the columns: refused naming train.batch.
    Corpus tiny = c;
    tiny.train = ids(30);
    try {
        TextSequences bad(tiny, 4, 10, false, 0);
        ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "train.batch");
        EXPECT_NE(std::string(e.what()).find("30 training words"), std::string::npos) << e.what();
    }
}

TEST(TextRun, AGrammarIsLearnedAndTheWatchedAttentionSharpens) {
    const fs::path d = test::test_dir("grammar");
    test::write_file(d / "g.txt", grammar_text(3000, 5));
    Config cfg = text_config((d / "g.txt").string(), {"train.steps=400", "train.eval_every=100", "output.attention_steps=0,200,400",
                                                      "train.optimizer=adam", "train.lr_embedding=0.01", "train.lr_attention=0.01",
                                                      "train.lr_mlp=0.01", "train.lr_unembedding=0.01", "train.clip_grad_norm=0",
                                                      "train.lr_decay_per_epoch=false"});
    TransformerRun run(cfg);
    const int V = run.source().vocab();
    EXPECT_EQ(V, 1 + 13);  // <unk> and the grammar's 13 words
    run.run(400);
    run.evaluate_now();
    // The validation loss falls far below ln V (the grammar's entropy per word is about (ln 5 + ln 3) / 6 = 0.45 nats).
    std::vector<double> vl, ent;
    for (const TransformerRecord& r : run.history())
        if (std::isfinite(r.valid_loss)) {
            vl.push_back(r.valid_loss);
            ent.push_back(r.attention_entropy);
        }
    ASSERT_GE(vl.size(), 5u);
    EXPECT_NEAR(vl.front(), std::log(V), 0.6);
    EXPECT_LT(vl.back(), 0.8);
    // At the start attention is close to uniform over the causal prefix (mean of ln(i + 1), i < 12: 1.67 nats); it
    // sharpens as the model learns which earlier word predicts the next.
    double uniform = 0;
    for (int i = 0; i < 12; ++i) uniform += std::log(i + 1.0) / 12;
    EXPECT_NEAR(ent.front(), uniform, 0.35);
    EXPECT_LT(ent.back(), ent.front() - 0.2);
    // The pinned maps: the requested steps, rows that are distributions over the causal prefix.
    ASSERT_EQ(run.pinned_attention().size(), 3u);
    EXPECT_EQ(run.pinned_attention()[1].step, 200);
    for (const PinnedAttention& p : run.pinned_attention()) {
        const std::size_t n = p.tokens.size();
        ASSERT_EQ(n, 12u);
        for (std::size_t q = 0; q < n; ++q) {
            double sum = 0;
            for (std::size_t k = 0; k < n; ++k) {
                const double a = p.attention[q * n + k];
                if (k > q) EXPECT_EQ(a, 0.0);
                sum += a;
            }
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    }
    EXPECT_NEAR(std::exp(run.valid_loss()), std::exp(vl.back()), 1e-9);
}

TEST(TextRun, TheStepLrDecaysOncePerEpoch) {
    const fs::path d = test::test_dir("epoch");
    test::write_file(d / "g.txt", grammar_text(200, 1));  // ~1400 words: 8 columns of ~157, 12 windows of 12 an epoch
    TransformerRun run(text_config((d / "g.txt").string(), {"data.valid_fraction=0"}));
    const std::int64_t e = run.source().steps_per_epoch();
    ASSERT_GT(e, 5);
    EXPECT_DOUBLE_EQ(run.effective_lr()[0], 5.0);
    run.run(e - 1);
    EXPECT_DOUBLE_EQ(run.effective_lr()[2], 10.0);
    run.run(1);
    EXPECT_DOUBLE_EQ(run.effective_lr()[0], 5.0 * 0.95);
    EXPECT_DOUBLE_EQ(run.effective_lr()[2], 10.0 * 0.95);
    run.run(e);
    EXPECT_DOUBLE_EQ(run.effective_lr()[3], 5.0 * 0.95 * 0.95);
}

TEST(TextRun, TheConfigRulesNameTheirKeys) {
    auto key_of = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const InputError& e) {
            return e.key();
        }
        return std::string("(accepted)");
    };
    EXPECT_EQ(key_of([] { test::preset_with("fig4", {"data.kind=text", "data.path="}); }), "data.path");  // (Scan and Snap reads texts too)
    // (the token-priority-graph lab reads texts too: the graph of a query word, preset tpg-text)
    EXPECT_EQ(key_of([] { test::preset_with("tpg-cyclic", {"data.kind=text", "data.path="}); }), "data.path");
    EXPECT_EQ(key_of([] { test::preset_with("tpg-text", {"data.num_labels=0"}); }), "data.num_labels");
    EXPECT_EQ(key_of([] { test::preset_with("fig7", {"data.path="}); }), "data.path");
    EXPECT_EQ(key_of([] { test::preset_with("symmetry-addition", {"train.lr_decay_per_epoch=true"}); }), "train.lr_decay_per_epoch");
    EXPECT_EQ(key_of([] { test::preset_with("fig7", {"train.lr_decay_every=10"}); }), "train.lr_decay_per_epoch");
    EXPECT_EQ(key_of([] { test::preset_with("fig7", {"output.attention_steps=0,x"}); }), "output.attention_steps");
    EXPECT_EQ(key_of([] { test::preset_with("fig7", {"data.valid_fraction=0.95"}); }), "data.valid_fraction");
    EXPECT_EQ(key_of([] { test::preset_with("fig7", {"data.text_format=markdown"}); }), "data.text_format");
    EXPECT_EQ(transformer_attention_steps(" 500,0, 1500,500", "t"), (std::vector<std::int64_t>{0, 500, 1500}));
    // A missing corpus: a DataError naming data.path, before any model is built.
    EXPECT_EQ(key_of([] { TransformerRun r(test::preset_with("fig7", {"data.path=/nonexistent/corpus"})); }), "data.path");
}

TEST(TextRun, TheFig7PresetRunsFromTheCommandLineAndWritesItsMaps) {
    const fs::path d = test::test_dir("cli");
    test::write_file(d / "g.txt", grammar_text(1500, 2));
    const test::ProcResult r = test::run_cli("run --preset fig7 --set data.path=" + (d / "g.txt").string() +
                                             " --set train.steps=4 --set train.eval_every=2 --set output.attention_steps=0,4 --progress --out " +
                                             (d / "out").string());
    ASSERT_EQ(r.status, 0) << r.err;
    // --progress: the loading bar (and the step line) although stderr is a pipe here.
    EXPECT_NE(r.err.find("loading the data ["), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("] 100%"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("validation loss"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("attention.json"), std::string::npos) << r.out;
    std::ifstream tr(d / "out" / "trajectory.csv");
    std::string header;
    std::getline(tr, header);
    EXPECT_NE(header.find(",valid_loss,valid_perplexity,attention_entropy,seconds,steps_per_second"), std::string::npos) << header;
    const json a = json::parse(std::ifstream(d / "out" / "attention.json"));
    EXPECT_EQ(a["steps"], json::parse("[0, 4]"));
    ASSERT_EQ(a["words"].size(), 35u);
    EXPECT_EQ(a["words"][0], "the");
    EXPECT_EQ(a["maps"][1]["attention"].size(), 1u);        // layers
    EXPECT_EQ(a["maps"][1]["attention"][0][0].size(), 35u);  // queries of head 0
    const json f = json::parse(std::ifstream(d / "out" / "final.json"));
    EXPECT_EQ(f["task"], "text");
    EXPECT_EQ(f["corpus"]["words"][0], "<unk>");
    EXPECT_EQ(f["corpus"]["words"].size(), static_cast<std::size_t>(f["vocab"].get<int>()));
    EXPECT_GT(f["valid_perplexity"].get<double>(), 1.0);
    // The maps as PNG heatmaps, one per pinned step, named in the output.
    for (const char* name : {"attention_0.png", "attention_4.png"}) {
        EXPECT_NE(r.out.find(name), std::string::npos) << r.out;
        int w = 0, h = 0, c = 0;
        unsigned char* px = stbi_load((d / "out" / name).string().c_str(), &w, &h, &c, 4);
        ASSERT_NE(px, nullptr) << name;
        EXPECT_GT(w, 35 * 9);
        EXPECT_GT(h, 35 * 9);
        stbi_image_free(px);
    }
}
