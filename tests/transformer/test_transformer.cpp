// The general small transformer: every gradient of every layer type and option against central finite differences
// (float64), float32 against float64, and the parameter layout the weights files use.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "snapscope/transformer.hpp"

using namespace snapscope;

namespace {

SeqBatch small_batch(int V, bool last_only, Rng& rng) {
    // Three sequences of different lengths; targets everywhere, or at the last position only.
    SeqBatch b;
    for (int n : {5, 3, 4}) {
        std::vector<std::int32_t> toks(n), tg(n, -1);
        for (int i = 0; i < n; ++i) toks[i] = static_cast<std::int32_t>(rng.below(V));
        for (int i = 0; i < n; ++i)
            if (!last_only || i == n - 1) tg[i] = static_cast<std::int32_t>(rng.below(V));
        b.add(toks, tg);
    }
    return b;
}

std::string describe(const TransformerSpec& s) {
    return "layers " + std::to_string(s.layers) + " heads " + std::to_string(s.heads) + " ln " + layer_norm_name(s.ln) + " pe " +
           pos_encoding_name(s.pe) + (s.causal ? " causal" : " bidirectional") + (s.residual ? " residual" : " no-residual") +
           (s.mlp ? (s.act == Activation::Gelu ? " mlp-gelu" : " mlp-relu") : " no-mlp") + (s.tied ? " tied" : "") +
           (s.scale_embedding ? " scaled" : "") + (s.dropout > 0 ? " dropout" : "");
}

// Central differences on every parameter; `seed` fixes the dropout masks so each forward is the same function.
void check_gradients(const TransformerSpec& spec, bool last_only, std::uint64_t seed) {
    Rng rng(seed);
    Transformer<double> m(spec);
    m.init(rng);
    // Larger random biases and LayerNorm weights than the defaults, so no term is trivially zero.
    for (const ParamTensor& t : m.tensors())
        for (std::size_t i = 0; i < t.size; ++i) m.params[t.offset + i] += 0.3 * rng.uniform(-1, 1);
    const SeqBatch batch = small_batch(spec.vocab, last_only, rng);
    const std::uint64_t drop_seed = rng.next_u64();
    auto loss = [&]() {
        Rng dr(drop_seed);
        return m.forward(batch, spec.dropout > 0 ? &dr : nullptr);
    };
    m.zero_grads();
    loss();
    m.backward();
    const std::vector<double> analytic(m.grads.begin(), m.grads.end());
    const double h = 1e-6;
    int checked = 0;
    double worst = 0;
    std::string worst_at;
    for (const ParamTensor& t : m.tensors()) {
        for (std::size_t i = 0; i < t.size; ++i) {
            double& p = m.params[t.offset + i];
            const double keep = p;
            p = keep + h;
            const double up = loss();
            p = keep - h;
            const double down = loss();
            p = keep;
            const double fd = (up - down) / (2 * h);
            const double an = analytic[t.offset + i];
            const double err = std::abs(fd - an) / (1e-6 + std::abs(an) + std::abs(fd));
            if (std::abs(fd - an) > 1e-7 + 1e-5 * std::abs(an) && err > worst) {
                worst = err;
                worst_at = t.name + "[" + std::to_string(i) + "]: analytic " + std::to_string(an) + ", differences " + std::to_string(fd);
            }
            ++checked;
        }
    }
    EXPECT_EQ(worst, 0) << describe(spec) << (last_only ? " (loss at the last position)" : "") << ": worst " << worst_at;
    EXPECT_EQ(static_cast<std::size_t>(checked), m.params.size());
}

TransformerSpec base_spec() {
    TransformerSpec s;
    s.vocab = 7;
    s.d = 4;
    s.ffn = 6;
    s.max_len = 6;
    return s;
}

}  // namespace

TEST(TransformerGradients, EveryOptionMatchesCentralDifferences) {
    std::vector<TransformerSpec> specs;
    for (LayerNormMode ln : {LayerNormMode::None, LayerNormMode::Pre, LayerNormMode::Post})
        for (PosEncoding pe : {PosEncoding::None, PosEncoding::Sinusoidal, PosEncoding::Learned})
            for (bool causal : {true, false}) {
                TransformerSpec s = base_spec();
                s.ln = ln;
                s.pe = pe;
                s.causal = causal;
                s.layers = 2;
                s.heads = 2;
                specs.push_back(s);
            }
    // Each remaining option on its own, and a few together.
    auto with = [&](auto change) {
        TransformerSpec s = base_spec();
        change(s);
        specs.push_back(s);
    };
    with([](TransformerSpec& s) { s.residual = false; });
    with([](TransformerSpec& s) { s.residual = false; s.ln = LayerNormMode::Post; s.layers = 2; });
    with([](TransformerSpec& s) { s.mlp = false; });
    with([](TransformerSpec& s) { s.mlp = false; s.ln = LayerNormMode::Pre; s.layers = 3; });
    with([](TransformerSpec& s) { s.mlp = false; s.ln = LayerNormMode::Post; });
    with([](TransformerSpec& s) { s.act = Activation::Gelu; });
    with([](TransformerSpec& s) { s.act = Activation::Gelu; s.ln = LayerNormMode::Pre; s.heads = 4; });
    with([](TransformerSpec& s) { s.tied = true; });
    with([](TransformerSpec& s) { s.tied = true; s.scale_embedding = true; s.pe = PosEncoding::Learned; });
    with([](TransformerSpec& s) { s.scale_embedding = true; s.ln = LayerNormMode::Post; s.pe = PosEncoding::Sinusoidal; });
    with([](TransformerSpec& s) { s.layers = 4; s.heads = 2; s.ln = LayerNormMode::Pre; s.pe = PosEncoding::Learned; });
    with([](TransformerSpec& s) { s.dropout = 0.3; s.layers = 2; s.heads = 2; s.ln = LayerNormMode::Post; s.pe = PosEncoding::Sinusoidal; });
    with([](TransformerSpec& s) { s.dropout = 0.2; s.ln = LayerNormMode::Pre; s.act = Activation::Gelu; s.tied = true; });
    std::uint64_t seed = 1;
    for (const TransformerSpec& s : specs) {
        check_gradients(s, false, seed++);
        check_gradients(s, true, seed++);
    }
}

TEST(TransformerGradients, ACheckThatCanFail) {
    // The finite-difference check is not vacuous: a gradient that is off by a little in one entry is reported.
    TransformerSpec s = base_spec();
    s.ln = LayerNormMode::Pre;
    Rng rng(3);
    Transformer<double> m(s);
    m.init(rng);
    const SeqBatch batch = small_batch(s.vocab, false, rng);
    m.zero_grads();
    m.forward(batch);
    m.backward();
    const ParamTensor* wq = m.find("layers.0.attn.w_q");
    ASSERT_NE(wq, nullptr);
    double& p = m.params[wq->offset + 5];
    const double keep = p, h = 1e-6;
    p = keep + h;
    const double up = m.forward(batch);
    p = keep - h;
    const double down = m.forward(batch);
    p = keep;
    const double fd = (up - down) / (2 * h);
    EXPECT_NEAR(fd, m.grads[wq->offset + 5], 1e-7);
    EXPECT_GT(std::abs(fd), 1e-6) << "the entry checked has a gradient";
}

TEST(Transformer, Float32AgreesWithFloat64) {
    TransformerSpec s = base_spec();
    s.layers = 2;
    s.heads = 2;
    s.ln = LayerNormMode::Pre;
    s.pe = PosEncoding::Sinusoidal;
    s.act = Activation::Gelu;
    Rng rng(5);
    Transformer<double> m64(s);
    m64.init(rng);
    Transformer<float> m32(s);
    for (std::size_t i = 0; i < m64.params.size(); ++i) m32.params[i] = static_cast<float>(m64.params[i]);
    for (std::size_t i = 0; i < m64.params.size(); ++i) m64.params[i] = static_cast<double>(m32.params[i]);  // same values
    const SeqBatch batch = small_batch(s.vocab, false, rng);
    m64.zero_grads();
    m32.zero_grads();
    const double l64 = m64.forward(batch), l32 = m32.forward(batch);
    EXPECT_NEAR(l32, l64, 1e-5 * std::abs(l64));
    m64.backward();
    m32.backward();
    double num = 0, den = 0;
    for (std::size_t i = 0; i < m64.grads.size(); ++i) {
        num += std::pow(m32.grads[i] - m64.grads[i], 2);
        den += m64.grads[i] * m64.grads[i];
    }
    EXPECT_LT(std::sqrt(num / den), 1e-5);
}

TEST(Transformer, ParameterNamesAndShapesAreTheWeightsFilesOnes) {
    TransformerSpec s = base_spec();
    s.layers = 2;
    s.ln = LayerNormMode::Pre;
    s.pe = PosEncoding::Learned;
    const std::vector<ParamTensor> t = transformer_tensors(s);
    std::vector<std::string> names;
    for (const ParamTensor& p : t) names.push_back(p.name);
    const std::vector<std::string> want = {
        "tok_emb", "pos_emb",
        "layers.0.ln1.weight", "layers.0.ln1.bias", "layers.0.attn.w_q", "layers.0.attn.w_k", "layers.0.attn.w_v",
        "layers.0.attn.w_o", "layers.0.attn.b_q", "layers.0.attn.b_k", "layers.0.attn.b_v", "layers.0.attn.b_o",
        "layers.0.ln2.weight", "layers.0.ln2.bias", "layers.0.mlp.w1", "layers.0.mlp.b1", "layers.0.mlp.w2", "layers.0.mlp.b2",
        "layers.1.ln1.weight", "layers.1.ln1.bias", "layers.1.attn.w_q", "layers.1.attn.w_k", "layers.1.attn.w_v",
        "layers.1.attn.w_o", "layers.1.attn.b_q", "layers.1.attn.b_k", "layers.1.attn.b_v", "layers.1.attn.b_o",
        "layers.1.ln2.weight", "layers.1.ln2.bias", "layers.1.mlp.w1", "layers.1.mlp.b1", "layers.1.mlp.w2", "layers.1.mlp.b2",
        "ln_f.weight", "ln_f.bias", "unembed"};
    EXPECT_EQ(names, want);
    EXPECT_EQ(t[0].shape, (std::vector<int>{7, 4}));
    EXPECT_EQ(t[1].shape, (std::vector<int>{6, 4}));
    EXPECT_EQ(t[14].shape, (std::vector<int>{4, 6}));  // mlp.w1 [d, f]
    EXPECT_EQ(t[16].shape, (std::vector<int>{6, 4}));  // mlp.w2 [f, d]
    EXPECT_EQ(t.back().shape, (std::vector<int>{4, 7}));  // unembed [d, V]
    std::size_t off = 0;
    for (const ParamTensor& p : t) {
        EXPECT_EQ(p.offset, off) << p.name;
        off += p.size;
    }
    s.tied = true;
    s.ln = LayerNormMode::Post;
    s.pe = PosEncoding::None;
    s.mlp = false;
    names.clear();
    for (const ParamTensor& p : transformer_tensors(s)) names.push_back(p.name);
    EXPECT_EQ(names.front(), "tok_emb");
    EXPECT_EQ(std::count(names.begin(), names.end(), "unembed"), 0);
    EXPECT_EQ(std::count(names.begin(), names.end(), "ln_f.weight"), 0);
    EXPECT_EQ(std::count(names.begin(), names.end(), "layers.0.ln2.weight"), 0);
    EXPECT_EQ(std::count(names.begin(), names.end(), "layers.0.ln1.weight"), 1);
}

TEST(Transformer, SinusoidalEncodingIsTheFormula) {
    const Eigen::MatrixXd pe = sinusoidal_pe(35, 8);
    for (int p : {0, 1, 7, 34})
        for (int i = 0; i < 4; ++i) {
            EXPECT_DOUBLE_EQ(pe(p, 2 * i), std::sin(p / std::pow(10000.0, 2.0 * i / 8)));
            EXPECT_DOUBLE_EQ(pe(p, 2 * i + 1), std::cos(p / std::pow(10000.0, 2.0 * i / 8)));
        }
}

// ---- The forward pass against a hand-made reference ---------------------------------------------------------------
// Finite differences show the gradients are those of the forward pass, not that the forward pass is the model. This
// reference computes the model straight from the formulas of theory.md section 4, position by position with plain
// loops (no Eigen, no shared code), from the same named weights.
namespace {

using Vecd = std::vector<double>;

struct Ref {
    const TransformerSpec& s;
    const std::vector<ParamTensor>& t;
    const std::vector<double>& p;
    const double* w(const std::string& name) const {
        for (const ParamTensor& x : t)
            if (x.name == name) return p.data() + x.offset;
        return nullptr;
    }
    // y = x W + b, W [in, out] row-major.
    Vecd linear(const Vecd& x, const double* W, const double* b, int in, int out) const {
        Vecd y(static_cast<std::size_t>(out), 0.0);
        for (int o = 0; o < out; ++o) {
            double a = b ? b[o] : 0.0;
            for (int i = 0; i < in; ++i) a += x[static_cast<std::size_t>(i)] * W[i * out + o];
            y[static_cast<std::size_t>(o)] = a;
        }
        return y;
    }
    Vecd layer_norm(const Vecd& x, const double* g, const double* b) const {
        double mean = 0, var = 0;
        for (double v : x) mean += v;
        mean /= static_cast<double>(x.size());
        for (double v : x) var += (v - mean) * (v - mean);
        var /= static_cast<double>(x.size());  // biased
        Vecd y(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) / std::sqrt(var + 1e-5) * g[i] + b[i];
        return y;
    }
    std::vector<Vecd> attention(int l, const std::vector<Vecd>& a) const {
        const std::string p = "layers." + std::to_string(l) + ".attn.";
        const int n = static_cast<int>(a.size()), d = s.d, h = s.heads, dh = d / h;
        std::vector<Vecd> q, k, v, ctx(static_cast<std::size_t>(n), Vecd(static_cast<std::size_t>(d), 0.0));
        for (const Vecd& x : a) {
            q.push_back(linear(x, w(p + "w_q"), w(p + "b_q"), d, d));
            k.push_back(linear(x, w(p + "w_k"), w(p + "b_k"), d, d));
            v.push_back(linear(x, w(p + "w_v"), w(p + "b_v"), d, d));
        }
        for (int head = 0; head < h; ++head)
            for (int i = 0; i < n; ++i) {
                const int keys = s.causal ? i + 1 : n;
                Vecd sc(static_cast<std::size_t>(keys));
                double mx = -1e300;
                for (int j = 0; j < keys; ++j) {
                    double dot = 0;
                    for (int c = head * dh; c < (head + 1) * dh; ++c) dot += q[i][c] * k[j][c];
                    sc[j] = dot / std::sqrt(static_cast<double>(dh));
                    mx = std::max(mx, sc[j]);
                }
                double z = 0;
                for (double& e : sc) z += (e = std::exp(e - mx));
                for (int j = 0; j < keys; ++j)
                    for (int c = head * dh; c < (head + 1) * dh; ++c) ctx[i][c] += sc[j] / z * v[j][c];
            }
        std::vector<Vecd> out;
        for (const Vecd& c : ctx) out.push_back(linear(c, w(p + "w_o"), w(p + "b_o"), d, d));
        return out;
    }
    Vecd mlp(int l, const Vecd& x) const {
        const std::string p = "layers." + std::to_string(l) + ".mlp.";
        const int f = s.ffn_width();
        Vecd hdn = linear(x, w(p + "w1"), w(p + "b1"), s.d, f);
        for (double& z : hdn) z = s.act == Activation::Relu ? std::max(0.0, z) : 0.5 * z * (1 + std::erf(z / std::sqrt(2.0)));
        return linear(hdn, w(p + "w2"), w(p + "b2"), f, s.d);
    }
    // The logits at every position of one sequence.
    std::vector<Vecd> logits(const std::vector<std::int32_t>& tokens) const {
        const int n = static_cast<int>(tokens.size()), d = s.d;
        std::vector<Vecd> x;
        for (int i = 0; i < n; ++i) {
            Vecd e(static_cast<std::size_t>(d));
            for (int c = 0; c < d; ++c) {
                e[c] = w("tok_emb")[tokens[i] * d + c] * (s.scale_embedding ? std::sqrt(static_cast<double>(d)) : 1.0);
                if (s.pe == PosEncoding::Sinusoidal)
                    e[c] += c % 2 == 0 ? std::sin(i / std::pow(10000.0, c / static_cast<double>(d))) : std::cos(i / std::pow(10000.0, (c - 1) / static_cast<double>(d)));
                if (s.pe == PosEncoding::Learned) e[c] += w("pos_emb")[i * d + c];
            }
            x.push_back(e);
        }
        auto add = [](const Vecd& a, const Vecd& b) {
            Vecd r(a.size());
            for (std::size_t i = 0; i < a.size(); ++i) r[i] = a[i] + b[i];
            return r;
        };
        for (int l = 0; l < s.layers; ++l) {
            const std::string p = "layers." + std::to_string(l) + ".";
            std::vector<Vecd> a = x;
            if (s.ln == LayerNormMode::Pre)
                for (Vecd& v : a) v = layer_norm(v, w(p + "ln1.weight"), w(p + "ln1.bias"));
            const std::vector<Vecd> at = attention(l, a);
            for (int i = 0; i < n; ++i) {
                x[i] = s.residual ? add(x[i], at[i]) : at[i];
                if (s.ln == LayerNormMode::Post) x[i] = layer_norm(x[i], w(p + "ln1.weight"), w(p + "ln1.bias"));
            }
            if (!s.mlp) continue;
            for (int i = 0; i < n; ++i) {
                const Vecd m = s.ln == LayerNormMode::Pre ? layer_norm(x[i], w(p + "ln2.weight"), w(p + "ln2.bias")) : x[i];
                const Vecd y = mlp(l, m);
                x[i] = s.residual ? add(x[i], y) : y;
                if (s.ln == LayerNormMode::Post) x[i] = layer_norm(x[i], w(p + "ln2.weight"), w(p + "ln2.bias"));
            }
        }
        std::vector<Vecd> out;
        for (Vecd v : x) {
            if (s.ln == LayerNormMode::Pre) v = layer_norm(v, w("ln_f.weight"), w("ln_f.bias"));
            Vecd o(static_cast<std::size_t>(s.vocab), 0.0);
            for (int k = 0; k < s.vocab; ++k)
                for (int c = 0; c < d; ++c) o[k] += v[c] * (s.tied ? w("tok_emb")[k * d + c] : w("unembed")[c * s.vocab + k]);
            out.push_back(o);
        }
        return out;
    }
};

}  // namespace

TEST(TransformerForward, EveryOptionIsTheModelOfTheFormulas) {
    std::vector<TransformerSpec> specs;
    for (LayerNormMode ln : {LayerNormMode::None, LayerNormMode::Pre, LayerNormMode::Post})
        for (PosEncoding pe : {PosEncoding::None, PosEncoding::Sinusoidal, PosEncoding::Learned})
            for (bool causal : {true, false}) {
                TransformerSpec s = base_spec();
                s.d = 6;
                s.heads = 3;
                s.layers = 2;
                s.ln = ln;
                s.pe = pe;
                s.causal = causal;
                specs.push_back(s);
            }
    TransformerSpec t = base_spec();
    t.residual = false;
    t.act = Activation::Gelu;
    t.tied = true;
    t.scale_embedding = true;
    specs.push_back(t);
    t.mlp = false;
    t.residual = true;
    specs.push_back(t);
    Rng rng(17);
    for (const TransformerSpec& s : specs) {
        Transformer<double> m(s);
        m.init(rng);
        for (double& p : m.params) p += 0.2 * rng.uniform(-1, 1);
        std::vector<std::int32_t> tokens(5);
        for (auto& x : tokens) x = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(s.vocab)));
        SeqBatch b;
        b.add(tokens, std::vector<std::int32_t>(tokens.size(), -1));
        m.forward(b, nullptr, true);
        const std::vector<double> params(m.params.begin(), m.params.end());
        const Ref ref{s, m.tensors(), params};
        const std::vector<Vecd> want = ref.logits(tokens);
        double worst = 0;
        for (int i = 0; i < 5; ++i)
            for (int k = 0; k < s.vocab; ++k) worst = std::max(worst, std::abs(m.logits()(i, k) - want[i][k]));
        EXPECT_LT(worst, 1e-12) << describe(s);
    }
}
