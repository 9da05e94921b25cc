// The transformer lab: the symmetry facts of Zuo and Guerzhoy, learning addition (or not), the optimisers against
// PyTorch's formulas written out, weights files, the tasks and the files, and the config's rules.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "proc_util.hpp"
#include "snapscope/parallel.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/session.hpp"
#include "snapscope/transformer_optim.hpp"
#include "snapscope/transformer_run.hpp"
#include "snapscope/transformer_symmetry.hpp"
#include "test_util.hpp"

using namespace snapscope;
using namespace snapscope::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

TransformerSpec sym_spec() {
    TransformerSpec s;
    s.vocab = 12;
    s.d = 16;
    s.heads = 2;
    s.ffn = 32;
    s.max_len = 12;
    return s;
}

Config transformer_config(const std::vector<std::string>& sets) {
    FlatConfig f;
    f["model.kind"] = "transformer";
    for (const std::string& s : sets) apply_assignment(f, s);
    return resolve_config(f, "test");
}

}  // namespace

// Theory.md section 3: no PE, no mask: the last position's logits do not move when positions 0..n-2 are permuted,
// at depths 1-3, with or without residual connections, LayerNorm or MLP; and the outputs permute with the inputs.
TEST(Symmetry, NoPeBidirectionalIsInvariantAtEveryDepthAndOption) {
    for (LayerNormMode ln : {LayerNormMode::None, LayerNormMode::Pre, LayerNormMode::Post})
        for (bool residual : {true, false})
            for (bool mlp : {true, false}) {
                TransformerSpec s = sym_spec();
                s.ln = ln;
                s.residual = residual;
                s.mlp = mlp;
                const auto r = symmetry_checks(s, {{PosEncoding::None, false, 1}, {PosEncoding::None, false, 2}, {PosEncoding::None, false, 3}}, 9, 12, 7);
                for (const SymmetryResult& x : r) {
                    EXPECT_LT(x.max_change, 1e-9) << "layers " << x.c.layers << " ln " << layer_norm_name(ln) << " residual " << residual << " mlp " << mlp;
                    EXPECT_LT(x.equivariance_error, 1e-9) << "layers " << x.c.layers;
                }
            }
}

TEST(Symmetry, ACausalMaskAloneBreaksItFromTwoLayersOnAndPeAlways) {
    const TransformerSpec s = sym_spec();
    const auto r = symmetry_checks(s,
                                   {{PosEncoding::None, true, 1},
                                    {PosEncoding::None, true, 2},
                                    {PosEncoding::None, true, 3},
                                    {PosEncoding::Sinusoidal, false, 1},
                                    {PosEncoding::Sinusoidal, true, 1},
                                    {PosEncoding::Learned, false, 2},
                                    {PosEncoding::Learned, true, 2}},
                                   9, 12, 11);
    EXPECT_LT(r[0].max_change, 1e-9) << "NoPE causal, one layer: the last position still sees an unordered set";
    for (std::size_t i = 1; i < r.size(); ++i)
        EXPECT_GT(r[i].max_change, 1e-3) << pos_encoding_name(r[i].c.pe) << (r[i].c.causal ? " causal " : " bidirectional ") << r[i].c.layers;
    // Only the model with neither PE nor mask is equivariant.
    for (std::size_t i = 0; i < r.size(); ++i) EXPECT_GT(r[i].equivariance_error, 1e-6) << i;
}

// Theory.md section 3: the order-sensitive task. Trained with the same data, seed and budget, a NoPE causal
// two-layer model and a model with positional encoding learn 2-digit addition; a NoPE model without mask, and a NoPE
// causal one-layer model (whose last position is just as blind to order), cannot beat the order-blind ceiling: the
// best any function of the prefix's multiset can expect, 0.285 here, plus 4 standard deviations of a 256-problem
// held-out set. (The settings are the symmetry-addition preset's; the three runs take about 20 s.)
TEST(SymmetryLearning, OrderNeedsAPositionSignalOrACausalMaskWithTwoLayers) {
    const std::vector<std::string> base = {"train.optimizer=adam", "train.batch=64", "model.d_model=32", "model.heads=2", "model.ffn=64",
                                           "train.eval_every=500", "train.lr_embedding=0.004", "train.lr_attention=0.004",
                                           "train.lr_mlp=0.004", "train.lr_unembedding=0.004", "train.clip_grad_norm=1", "train.seed=2"};
    auto train = [&](std::vector<std::string> extra, int steps) {
        std::vector<std::string> s = base;
        s.insert(s.end(), extra.begin(), extra.end());
        TransformerRun run(transformer_config(s));
        run.run(steps);
        run.evaluate_now();
        return std::make_pair(run.accuracy(), run.source().order_blind_ceiling());
    };
    const auto [causal2, ceiling] = train({"model.layers=2"}, 2000);
    const auto [sine, c2] = train({"model.layers=2", "model.pos_encoding=sinusoidal"}, 2000);
    const auto [blind, c3] = train({"model.layers=2", "model.causal=false", "train.loss_positions=last"}, 800);
    const auto [causal1, c4] = train({"model.layers=1"}, 800);
    EXPECT_DOUBLE_EQ(ceiling, 0.285);
    EXPECT_EQ(ceiling, c3);
    const double noise = 4 * std::sqrt(ceiling * (1 - ceiling) / 256);
    EXPECT_GT(causal2, 0.45) << "NoPE, causal mask, two layers";
    EXPECT_GT(sine, 0.45) << "sinusoidal PE";
    EXPECT_LE(blind, ceiling + noise) << "NoPE without mask beat the order-blind ceiling";
    EXPECT_LE(causal1, ceiling + noise) << "NoPE causal, one layer: its last position is blind to order too";
}

TEST(TransformerTraining, LossFallsUnderEveryOptimiserInBothPrecisions) {
    for (const char* opt : {"adam", "momentum", "gd"})
        for (const char* prec : {"float64", "float32"}) {
            const std::string lr = std::string(opt) == "adam" ? "0.003" : "0.1";
            TransformerRun run(transformer_config({std::string("train.optimizer=") + opt, std::string("model.precision=") + prec, "model.d_model=16",
                                                   "model.ffn=32", "train.batch=16", "data.digits=1", "data.num_test=20", "train.lr_embedding=" + lr,
                                                   "train.lr_attention=" + lr, "train.lr_mlp=" + lr, "train.lr_unembedding=" + lr}));
            ASSERT_EQ(run.run(300), 300) << opt << " " << prec;
            const auto& h = run.history();
            double first = 0, last = 0;
            for (int i = 0; i < 20; ++i) {
                first += h[static_cast<std::size_t>(i)].loss;
                last += h[h.size() - 1 - static_cast<std::size_t>(i)].loss;
            }
            EXPECT_LT(last, 0.75 * first) << opt << " " << prec;
        }
}

// The optimisers against PyTorch's update rules written out independently (torch.optim.SGD and Adam, single tensor).
TEST(TransformerOptim, UpdatesFollowPyTorchsFormulas) {
    std::vector<ParamTensor> t(2);
    t[0] = {"a", {3}, 0, 3, kGroupAttention};
    t[1] = {"b", {2}, 3, 2, kGroupMlp};
    const std::array<double, kNumParamGroups> lr = {0, 0.01, 0.3, 0};
    const std::vector<std::vector<double>> grads = {{0.5, -1, 2, 0.1, -0.2}, {-0.3, 0.2, 1, 0.4, 0.7}, {1, 1, -1, 0, 0.5}};
    for (const char* kind : {"gd", "momentum", "adam"}) {
        OptimSettings s;
        s.kind = kind;
        s.momentum = 0.8;
        s.beta1 = 0.85;
        s.beta2 = 0.99;
        s.eps = 1e-3;
        TransformerOptimizer<double> opt(t, s);
        AlignedVector<double> p = {1, 2, 3, 4, 5};
        std::vector<double> ref(p.begin(), p.end()), m(5, 0), v(5, 0);
        for (std::size_t k = 0; k < grads.size(); ++k) {
            opt.step(p, AlignedVector<double>(grads[k].begin(), grads[k].end()), lr);
            const int step = static_cast<int>(k) + 1;
            for (int i = 0; i < 5; ++i) {
                const double g = grads[k][static_cast<std::size_t>(i)], rate = i < 3 ? 0.01 : 0.3;
                double& r = ref[static_cast<std::size_t>(i)];
                if (std::string(kind) == "gd") r -= rate * g;
                else if (std::string(kind) == "momentum") {
                    m[static_cast<std::size_t>(i)] = step == 1 ? g : 0.8 * m[static_cast<std::size_t>(i)] + g;
                    r -= rate * m[static_cast<std::size_t>(i)];
                } else {
                    double& mi = m[static_cast<std::size_t>(i)];
                    double& vi = v[static_cast<std::size_t>(i)];
                    mi = 0.85 * mi + 0.15 * g;
                    vi = 0.99 * vi + 0.01 * g * g;
                    const double mhat = mi / (1 - std::pow(0.85, step)), vhat = vi / (1 - std::pow(0.99, step));
                    r -= rate * mhat / (std::sqrt(vhat) + 1e-3);
                }
            }
            for (int i = 0; i < 5; ++i) EXPECT_NEAR(p[static_cast<std::size_t>(i)], ref[static_cast<std::size_t>(i)], 1e-12) << kind << " step " << step << " entry " << i;
        }
    }
    // clip_grad_norm_: the norm over every tensor; scaled to the limit only when above it.
    AlignedVector<double> g = {3, 0, 0, 4, 0};
    EXPECT_NEAR(clip_grad_norm(t, g, 10.0), 5.0, 1e-12);
    EXPECT_EQ(g[0], 3.0);
    EXPECT_NEAR(clip_grad_norm(t, g, 1.0), 5.0, 1e-12);
    EXPECT_NEAR(total_grad_norm(t, g), 1.0, 1e-6);
    EXPECT_NEAR(g[0] / g[3], 0.75, 1e-12);
}

TEST(TransformerRun, StepLrDecaysTheRatesAndSlidersMoveTheBase) {
    TransformerRun run(transformer_config({"train.optimizer=adam", "model.d_model=8", "model.ffn=8", "train.batch=4", "data.digits=1",
                                           "data.num_test=10", "train.lr_decay_every=10", "train.lr_decay=0.5", "train.lr_attention=0.004"}));
    run.run(25);
    EXPECT_DOUBLE_EQ(run.history()[5].lr[kGroupAttention], 0.004);
    EXPECT_DOUBLE_EQ(run.history()[15].lr[kGroupAttention], 0.002);
    EXPECT_DOUBLE_EQ(run.history()[24].lr[kGroupAttention], 0.001);
    run.set_lr("lr_attention", 0.008);
    EXPECT_DOUBLE_EQ(run.effective_lr()[kGroupAttention], 0.002);  // 0.008 * 0.5^2 at step 25
    ASSERT_EQ(run.events().size(), 1u);
    EXPECT_EQ(run.events()[0].step, 25);
    EXPECT_THROW(run.set_lr("lr_z", 1), ConfigError);
}

TEST(TransformerRun, WeightsFilesRoundTripAndAreChecked) {
    const fs::path d = test::test_dir("transformer_weights");
    const std::string common = "--set model.kind=transformer --set model.d_model=16 --set model.ffn=16 --set model.layers=2 --set train.batch=8 "
                               "--set data.digits=1 --set data.num_test=20 --set train.optimizer=adam --set model.pos_encoding=learned -q";
    ProcResult r = run_cli("run " + common + " --steps 30 --out " + (d / "a").string());
    ASSERT_EQ(r.status, 0) << r.err;
    const json fin = json::parse(slurp_file(d / "a" / "final.json"));
    ASSERT_TRUE(fin.contains("params"));
    EXPECT_EQ(fin["params"]["tok_emb"]["shape"], json::array({12, 16}));
    EXPECT_EQ(fin["params"]["pos_emb"]["shape"], json::array({5, 16}));  // max_len: "a+b=cc" without its last token
    EXPECT_EQ(fin["params"]["layers.1.mlp.w2"]["shape"], json::array({16, 16}));
    EXPECT_EQ(fin["params"]["unembed"]["data"].size(), 16u * 12u);
    std::size_t total = 0;
    for (auto it = fin["params"].begin(); it != fin["params"].end(); ++it) total += it.value()["data"].size();
    EXPECT_EQ(total, fin["param_count"].get<std::size_t>());
    // The file records the settings the weights belong to; a run with other settings whose shapes fit is told.
    EXPECT_EQ(fin["model"]["model.pos_encoding"], "learned");
    EXPECT_EQ(fin["model"]["model.layers"], 2);
    r = run_cli("run " + common + " --steps 0 --set model.causal=false --set train.loss_positions=last --set model.init_from=" +
                (d / "a" / "final.json").string() + " --out " + (d / "n").string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("note: model.init_from's weights were trained with model.causal = true, this run false"), std::string::npos) << r.err;
    // Starting from them gives back the same weights (no step taken) ...
    r = run_cli("run " + common + " --steps 0 --set model.init_from=" + (d / "a" / "final.json").string() + " --out " + (d / "b").string());
    ASSERT_EQ(r.status, 0) << r.err;
    const json again = json::parse(slurp_file(d / "b" / "final.json"));
    EXPECT_EQ(again["params"], fin["params"]);
    // ... and wrong shapes, missing or unknown tensors and bad values are refused naming the key and the tensor.
    auto refused = [&](const std::string& file_text, const std::string& extra, const std::string& want) {
        const fs::path w = d / "w.json";
        test::write_file(w, file_text);
        const ProcResult e = run_cli("run " + common + extra + " --steps 1 --set model.init_from=" + w.string() + " --out " + (d / "c").string());
        EXPECT_EQ(e.status, 1) << file_text.substr(0, 80);
        EXPECT_NE(e.err.find("model.init_from"), std::string::npos) << e.err;
        EXPECT_NE(e.err.find(want), std::string::npos) << e.err;
    };
    json p = fin;
    refused(p.dump(), " --set model.d_model=8", "\"tok_emb\" has shape [12, 16]; the model's is [12, 8]");
    p["params"].erase("layers.0.attn.w_q");
    refused(p.dump(), "", "no tensor \"layers.0.attn.w_q\"");
    p = fin;
    p["params"]["extra"] = {{"shape", {1}}, {"data", {0}}};
    refused(p.dump(), "", "tensor \"extra\" is not one of this model's");
    p = fin;
    p["params"]["unembed"]["data"][3] = "x";
    refused(p.dump(), "", "\"unembed\".data[3] must be a finite number");
    p = fin;
    p["params"]["unembed"]["data"].erase(0);
    refused(p.dump(), "", "\"unembed\".data has 191 values");
    refused("[1, 2]", "", "expected an object with \"params\"");
    refused("{\"params\": ", "", "w.json");
}

TEST(TransformerTasks, AdditionSamplesAreTheProblemsAndTheHeldOutSetIsNeverTrained) {
    Rng rng(1);
    AdditionTask causal(2, true, 50, rng), prefixes(2, false, 50, rng);
    EXPECT_EQ(causal.problem(7, 45), (std::vector<std::int32_t>{0, 7, AdditionTask::kPlus, 4, 5, AdditionTask::kEquals, 0, 5, 2}));
    SeqBatch b;
    causal.next_batch(1, rng, b);
    ASSERT_EQ(b.size(), 1);
    EXPECT_EQ(b.positions(), 8);
    // Targets at '=' and the answer digits but the last: the answer's three digits.
    int targets = 0;
    for (int i = 0; i < 8; ++i)
        if (b.targets[static_cast<std::size_t>(i)] >= 0) {
            EXPECT_GE(i, 5);
            ++targets;
        }
    EXPECT_EQ(targets, 3);
    b.clear();
    prefixes.next_batch(1, rng, b);
    ASSERT_EQ(b.size(), 3);  // one (prefix -> next digit) sample per answer digit
    EXPECT_EQ(b.offsets[1] - b.offsets[0], 6);
    EXPECT_EQ(b.offsets[3] - b.offsets[2], 8);
    // Over many batches no held-out problem appears.
    std::set<std::pair<int, int>> held;
    for (int i = 0; i < 50; ++i) {
        const auto e = causal.example(i);
        held.insert({e[0] * 10 + e[1], e[3] * 10 + e[4]});
    }
    EXPECT_EQ(held.size(), 50u);
    for (int k = 0; k < 200; ++k) {
        b.clear();
        causal.next_batch(50, rng, b);
        for (int s = 0; s < b.size(); ++s) {
            const int o = b.offsets[static_cast<std::size_t>(s)];
            EXPECT_FALSE(held.count({b.tokens[o] * 10 + b.tokens[o + 1], b.tokens[o + 3] * 10 + b.tokens[o + 4]}));
        }
    }
    // A perfect predictor scores 1, and the order-blind ceiling is below it.
    const PredictLast oracle = [&](const SeqBatch& q) {
        std::vector<int> out;
        for (int s = 0; s < q.size(); ++s) {
            const int o = q.offsets[static_cast<std::size_t>(s)], n = q.offsets[static_cast<std::size_t>(s) + 1] - o;
            const int a = q.tokens[o] * 10 + q.tokens[o + 1], bb = q.tokens[o + 3] * 10 + q.tokens[o + 4];
            const std::vector<std::int32_t> full = causal.problem(a, bb);
            out.push_back(full[static_cast<std::size_t>(n)]);
        }
        return out;
    };
    EXPECT_DOUBLE_EQ(causal.accuracy(oracle), 1.0);
    EXPECT_NEAR(causal.order_blind_ceiling(), 0.285, 1e-12);  // 2850 of the 10^4 problems (counted independently)
    AdditionTask one(1, true, 10, rng);
    EXPECT_DOUBLE_EQ(one.order_blind_ceiling(), 1.0);  // a + b is a function of {a, b}
    AdditionTask three(3, true, 10, rng);
    EXPECT_NEAR(three.order_blind_ceiling(), 0.053192, 1e-6);  // counted independently
    AdditionTask four(4, true, 10, rng);
    EXPECT_TRUE(std::isnan(four.order_blind_ceiling())) << "not counted beyond 3 digits (a sample overstates it)";
    EXPECT_THROW(AdditionTask(1, true, 51, rng), std::invalid_argument);  // more than half of the 100 problems
}

TEST(TransformerTasks, FirstTokenTaskAndItsCeiling) {
    Rng rng(2);
    FirstTokenTask t(8, 5, 100, rng);
    EXPECT_EQ(t.vocab(), 9);
    SeqBatch b;
    t.next_batch(10, rng, b);
    for (int s = 0; s < b.size(); ++s) {
        const int o = b.offsets[static_cast<std::size_t>(s)];
        EXPECT_EQ(b.tokens[static_cast<std::size_t>(o + 4)], 8);
        EXPECT_EQ(b.targets[static_cast<std::size_t>(o + 4)], b.tokens[static_cast<std::size_t>(o)]);
        std::set<int> distinct(b.tokens.begin() + o, b.tokens.begin() + o + 4);
        EXPECT_EQ(distinct.size(), 4u);
    }
    // Four symbols present, any of them first: a model blind to order is right a quarter of the time.
    EXPECT_DOUBLE_EQ(t.order_blind_ceiling(), 0.25);
}

TEST(TransformerFiles, BothLineFormatsAreReadInOrderAndCheckedLineByLine) {
    const auto all = read_sequence_lines("{\"tokens\": [1, 2, 3]}\n\n{\"tokens\": [4, 5]}\n", "f.jsonl", false, 1 << 20);
    ASSERT_EQ(all.size(), 2u);
    FileSequences lm(all, false, 0, "f.jsonl");
    EXPECT_EQ(lm.vocab(), 6);
    EXPECT_EQ(lm.max_len(), 2);
    SeqBatch b;
    Rng rng(1);
    lm.next_batch(3, rng, b);  // lines in order, wrapping
    EXPECT_EQ(b.tokens, (std::vector<std::int32_t>{1, 2, 4, 1, 2}));
    EXPECT_EQ(b.targets, (std::vector<std::int32_t>{2, 3, 5, 2, 3}));
    const auto last = read_sequence_lines("{\"tokens\": [1, 2], \"label\": 7}\n", "g.jsonl", true, 1 << 20);
    FileSequences lab(last, true, 0, "g.jsonl");
    EXPECT_EQ(lab.vocab(), 8);
    b.clear();
    lab.next_batch(1, rng, b);
    EXPECT_EQ(b.targets, (std::vector<std::int32_t>{-1, 7}));
    auto error = [](const std::string& text, bool last_only) {
        try {
            read_sequence_lines(text, "e.jsonl", last_only, 100000);
        } catch (const DataError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(error("{\"tokens\": [1]}\n", false).find("e.jsonl:1: \"tokens\" needs at least 2 ids"), std::string::npos);
    EXPECT_NE(error("{\"tokens\": [1, 2]}\n{\"tokens\": [1, -2]}\n", false).find("e.jsonl:2: tokens[1] must be a non-negative integer"), std::string::npos);
    EXPECT_NE(error("{\"tokens\": [1, 2], \"label\": 3}\n", false).find("unknown key \"label\""), std::string::npos);
    EXPECT_NE(error("{\"tokens\": [1, 2]}\n", true).find("missing \"label\""), std::string::npos);
    EXPECT_NE(error("{\"tokens\": [1, 2.5]}\n", false).find("tokens[1]"), std::string::npos);
    EXPECT_NE(error("\n\n", false).find("no samples"), std::string::npos);
    std::string big;
    for (int i = 0; i < 2000; ++i) big += "{\"tokens\": [1, 2, 3, 4]}\n";
    EXPECT_NE(error(big, false).find("limits.memory_mb"), std::string::npos) << "counted against the memory given";
    EXPECT_EQ(error(big.substr(0, 100), false).find("limits.memory_mb"), std::string::npos);
}

TEST(TransformerConfig, RulesNameTheirKeys) {
    auto key_of = [](const std::vector<std::string>& sets) {
        try {
            transformer_config(sets);
        } catch (const ConfigError& e) {
            return e.key();
        }
        return std::string("accepted");
    };
    EXPECT_EQ(key_of({"model.causal=false"}), "model.causal");  // it would see its targets with loss on all positions
    EXPECT_EQ(key_of({"model.causal=false", "train.loss_positions=last"}), "accepted");
    EXPECT_EQ(key_of({"model.heads=3"}), "model.heads");
    EXPECT_EQ(key_of({"model.d_model=7", "model.heads=1", "model.pos_encoding=sinusoidal"}), "model.d_model");
    EXPECT_EQ(key_of({"train.optimizer=normalized_gd"}), "train.optimizer");
    EXPECT_EQ(key_of({"data.task=first", "data.seq_len=6", "data.vocab_size=4"}), "data.vocab_size");
    EXPECT_EQ(key_of({"model.layers=9"}), "model.layers");
    // A run that would not fit in memory is refused before anything is built, naming what sizes it.
    try {
        TransformerRun run(transformer_config({"model.d_model=4096", "model.layers=8", "limits.memory_mb=64"}));
        ADD_FAILURE() << "accepted";
    } catch (const MemoryLimitError& e) {
        EXPECT_EQ(e.key(), "model.d_model") << e.what();
    }
    // Scan and Snap and the tpg lab refuse adam by name.
    FlatConfig f = preset_config("fig4");
    f["train.optimizer"] = "adam";
    EXPECT_THROW(resolve_config(f, "t"), ConfigError);
}

// A session of the transformer lab (config, seed, rate changes of its four groups) replays bit for bit, in the library
// and through snapscope-cli run --session; a compare run's name is one the lab declares.
TEST(TransformerRun, ASessionWithRateChangesReplaysBitForBit) {
    const Config cfg = transformer_config({"model.d_model=16", "model.ffn=16", "train.batch=8", "data.digits=1", "data.num_test=20",
                                           "train.optimizer=adam", "model.dropout=0.1", "train.eval_every=5"});
    TransformerRun live(cfg);
    live.run(7);
    live.set_lr("lr_attention", 0.01);
    live.run(5);
    live.set_lr("lr_unembedding", 0.0005);
    live.run(8);
    Session s;
    s.config = cfg;
    s.events = live.events();
    s.step = live.step_index();
    s.companions = {"nope_causal_1"};
    const fs::path dir = test_dir("transformer_session");
    const std::string path = (dir / "s.json").string();
    save_session_file(path, s);
    const auto replayed = replay_session(load_session_file(path));
    const auto* r = dynamic_cast<const TransformerRun*>(replayed.get());
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->step_index(), 20);
    EXPECT_EQ(r->engine().params(), live.engine().params());
    ASSERT_EQ(r->history().size(), live.history().size());
    for (std::size_t i = 0; i < live.history().size(); ++i) {
        EXPECT_EQ(r->history()[i].loss, live.history()[i].loss) << i;
        EXPECT_EQ(r->history()[i].lr, live.history()[i].lr) << i;
    }
    const ProcResult p = run_cli("run --session " + path + " -q --out " + (dir / "o").string());
    ASSERT_EQ(p.status, 0) << p.err;
    const std::string csv = slurp_file(dir / "o" / "trajectory.csv");
    EXPECT_NE(csv.find("\n12,"), std::string::npos);
    // Row 12 carries the changed attention rate.
    const auto at = csv.find("\n12,");
    const std::string row = csv.substr(at + 1, csv.find('\n', at + 1) - at - 1);
    EXPECT_NE(row.find(",0.01,"), std::string::npos) << row;
    json j = session_to_json(s);
    j["companions"] = json::array({"mean_field"});
    EXPECT_THROW(session_from_json(j, "s.json"), ConfigError);
}

// Runs of one config are the same bit for bit wherever their buffers land: with malloc's 16-byte alignment, Eigen's
// vectorised loops rounded differently depending on the addresses (seen: runs in one process differing in the last
// bits from step 8 on, and a replayed session that was not its run). Allocations of other sizes in between move the
// heap under each run.
TEST(TransformerRun, RunsAreTheSameWhereverTheirBuffersLand) {
    const Config c = transformer_config({"model.d_model=16", "model.ffn=16", "train.batch=8", "data.digits=1", "data.num_test=20",
                                         "train.optimizer=adam", "train.eval_every=1000", "model.heads=2", "model.layer_norm=pre"});
    std::vector<double> first;
    std::vector<std::unique_ptr<char[]>> junk;
    for (int k = 0; k < 6; ++k) {
        junk.push_back(std::make_unique<char[]>(static_cast<std::size_t>(8 + 24 * k)));
        TransformerRun a(c);
        a.run(25);
        if (k == 0) first = a.engine().params();
        else EXPECT_EQ(a.engine().params(), first) << "run " << k;
    }
}

// The batch's two halves go through two copies of the model; with threads to spare they run at once. The results are
// the same bit for bit either way (what runs them never changes how the work is split).
TEST(TransformerRun, HalfBatchesOnTwoThreadsGiveTheSameRun) {
    struct Threads : ParallelRunner {
        int calls = 0;
        int threads() const override { return 2; }
        void run(int n, const std::function<void(int)>& task) override {
            ++calls;
            std::vector<std::thread> t;
            for (int i = 1; i < n; ++i) t.emplace_back([&, i] { task(i); });
            task(0);
            for (auto& x : t) x.join();
        }
    };
    const Config c = transformer_config({"model.d_model=16", "model.ffn=16", "train.batch=7", "data.digits=1", "data.num_test=20",
                                         "train.optimizer=adam", "model.dropout=0.1", "train.eval_every=1000"});
    TransformerRun one(c);
    one.run(15);
    Threads runner;
    set_parallel_runner(&runner);
    TransformerRun two(c);
    two.run(15);
    set_parallel_runner(nullptr);
    EXPECT_EQ(runner.calls, 15);
    EXPECT_EQ(two.engine().params(), one.engine().params());
    for (std::size_t i = 0; i < one.history().size(); ++i) EXPECT_EQ(two.history()[i].loss, one.history()[i].loss) << i;
}

// The half-batch gradient is the gradient of the whole batch: the weighted halves against one forward and backward of
// the full batch on the same weights (float64, to rounding).
TEST(TransformerRun, TheHalvesGradientIsTheWholeBatchs) {
    TransformerSpec s;
    s.vocab = 12;
    s.d = 8;
    s.ffn = 8;
    s.max_len = 8;
    s.layers = 2;
    Rng rng(3);
    Transformer<double> whole(s);
    whole.init(rng);
    AdditionTask task(1, true, 10, rng);
    SeqBatch batch;
    task.next_batch(9, rng, batch);
    whole.zero_grads();
    const double l = whole.forward(batch);
    whole.backward();
    OptimSettings o;
    o.kind = "gd";
    auto engine = make_transformer_engine(s, "float64", o);
    engine->set_params(std::vector<double>(whole.params.begin(), whole.params.end()));
    double loss = 0, norm = 0;
    const std::array<double, kNumParamGroups> lr = {1, 1, 1, 1};
    ASSERT_TRUE(engine->train_step(batch, nullptr, lr, 0, loss, norm));
    EXPECT_NEAR(loss, l, 1e-12);
    const std::vector<double> after = engine->params();
    for (std::size_t i = 0; i < after.size(); ++i) EXPECT_NEAR(after[i], whole.params[i] - whole.grads[i], 1e-12) << i;
}
