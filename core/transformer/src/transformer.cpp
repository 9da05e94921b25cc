#include "snapscope/transformer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace snapscope {

const char* pos_encoding_name(PosEncoding p) {
    switch (p) {
        case PosEncoding::None: return "none";
        case PosEncoding::Sinusoidal: return "sinusoidal";
        case PosEncoding::Learned: return "learned";
    }
    return "?";
}

const char* layer_norm_name(LayerNormMode m) {
    switch (m) {
        case LayerNormMode::None: return "none";
        case LayerNormMode::Pre: return "pre";
        case LayerNormMode::Post: return "post";
    }
    return "?";
}

const char* param_group_name(int g) {
    static const char* names[] = {"embedding", "attention", "mlp", "unembedding"};
    return g >= 0 && g < kNumParamGroups ? names[g] : "?";
}

void SeqBatch::add(const std::vector<std::int32_t>& toks, const std::vector<std::int32_t>& tgts) {
    tokens.insert(tokens.end(), toks.begin(), toks.end());
    targets.insert(targets.end(), tgts.begin(), tgts.end());
    offsets.push_back(static_cast<std::int32_t>(tokens.size()));
}

std::vector<ParamTensor> transformer_tensors(const TransformerSpec& s) {
    std::vector<ParamTensor> t;
    std::size_t off = 0;
    auto add = [&](std::string name, std::vector<int> shape, int group) {
        ParamTensor p;
        p.name = std::move(name);
        p.shape = std::move(shape);
        p.size = 1;
        for (int n : p.shape) p.size *= static_cast<std::size_t>(n);
        p.offset = off;
        p.group = group;
        off += p.size;
        t.push_back(std::move(p));
    };
    const int d = s.d, f = s.ffn_width();
    add("tok_emb", {s.vocab, d}, kGroupEmbedding);
    if (s.pe == PosEncoding::Learned) add("pos_emb", {s.max_len, d}, kGroupEmbedding);
    for (int l = 0; l < s.layers; ++l) {
        const std::string p = "layers." + std::to_string(l) + ".";
        if (s.ln != LayerNormMode::None) {
            add(p + "ln1.weight", {d}, kGroupAttention);
            add(p + "ln1.bias", {d}, kGroupAttention);
        }
        for (const char* w : {"w_q", "w_k", "w_v", "w_o"}) add(p + "attn." + w, {d, d}, kGroupAttention);
        for (const char* b : {"b_q", "b_k", "b_v", "b_o"}) add(p + "attn." + b, {d}, kGroupAttention);
        if (s.mlp) {
            if (s.ln != LayerNormMode::None) {
                add(p + "ln2.weight", {d}, kGroupMlp);
                add(p + "ln2.bias", {d}, kGroupMlp);
            }
            add(p + "mlp.w1", {d, f}, kGroupMlp);
            add(p + "mlp.b1", {f}, kGroupMlp);
            add(p + "mlp.w2", {f, d}, kGroupMlp);
            add(p + "mlp.b2", {d}, kGroupMlp);
        }
    }
    if (s.ln == LayerNormMode::Pre) {
        add("ln_f.weight", {d}, kGroupUnembedding);
        add("ln_f.bias", {d}, kGroupUnembedding);
    }
    if (!s.tied) add("unembed", {d, s.vocab}, kGroupUnembedding);
    return t;
}

std::size_t transformer_param_count(const TransformerSpec& s) {
    std::size_t n = 0;
    for (const ParamTensor& t : transformer_tensors(s)) n += t.size;
    return n;
}

double transformer_work_bytes(const TransformerSpec& s, double positions, double longest, double rows, int scalar_bytes) {
    const double d = s.d, f = s.mlp ? s.ffn_width() : 0, L = s.layers, h = s.heads, V = s.vocab;
    // Per layer: about 16 [N, d] matrices, 3 [N, f] (pre-activation, hidden, dropout scales), and the attention
    // probabilities with their dropout scales (at most N x longest per head); logits and probabilities of the rows.
    const double per_layer = positions * (16 * d + 3 * f) + 2 * h * positions * longest;
    return scalar_bytes * (L * per_layer + positions * d * 6 + rows * (2 * V + 2 * d)) + 64 * positions;
}

Eigen::MatrixXd sinusoidal_pe(int len, int d) {
    Eigen::MatrixXd pe(len, d);
    for (int p = 0; p < len; ++p)
        for (int i = 0; 2 * i < d; ++i) {
            const double div = std::pow(10000.0, 2.0 * i / d);
            pe(p, 2 * i) = std::sin(p / div);
            if (2 * i + 1 < d) pe(p, 2 * i + 1) = std::cos(p / div);
        }
    return pe;
}

namespace {

template <class S>
using RowVec = Eigen::Matrix<S, 1, Eigen::Dynamic>;
template <class S>
using MapM = Eigen::Map<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class S>
using CMapM = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class S>
using MapRV = Eigen::Map<RowVec<S>>;
template <class S>
using CMapRV = Eigen::Map<const RowVec<S>>;

constexpr double kLnEps = 1e-5;

template <class S>
S gelu(S x) {
    return static_cast<S>(0.5) * x * (static_cast<S>(1) + std::erf(x * static_cast<S>(M_SQRT1_2)));
}
template <class S>
S gelu_grad(S x) {
    const S cdf = static_cast<S>(0.5) * (static_cast<S>(1) + std::erf(x * static_cast<S>(M_SQRT1_2)));
    const S pdf = std::exp(static_cast<S>(-0.5) * x * x) * static_cast<S>(0.3989422804014327);  // 1/sqrt(2 pi)
    return cdf + x * pdf;
}

}  // namespace

template <class S>
Transformer<S>::Transformer(const TransformerSpec& spec) : spec_(spec), tensors_(transformer_tensors(spec)) {
    if (spec.vocab < 1 || spec.d < 1 || spec.layers < 1 || spec.heads < 1 || spec.d % spec.heads != 0 || spec.max_len < 1)
        throw std::invalid_argument("transformer: bad shape (vocabulary, width, layers, heads dividing the width, length)");
    if (spec.pe == PosEncoding::Sinusoidal && spec.d % 2 != 0) throw std::invalid_argument("transformer: sinusoidal PE needs an even width");
    std::size_t n = 0;
    for (const ParamTensor& t : tensors_) n = std::max(n, t.offset + t.size);
    params.assign(n, S(0));
    grads.assign(n, S(0));
    tok_ = find("tok_emb");
    pos_ = find("pos_emb");
    lnf_w_ = find("ln_f.weight");
    lnf_b_ = find("ln_f.bias");
    unembed_ = find("unembed");
    lp_.resize(spec.layers);
    for (int l = 0; l < spec.layers; ++l) {
        const std::string p = "layers." + std::to_string(l) + ".";
        LayerParams& q = lp_[l];
        q.ln1_w = find(p + "ln1.weight");
        q.ln1_b = find(p + "ln1.bias");
        q.wq = find(p + "attn.w_q");
        q.wk = find(p + "attn.w_k");
        q.wv = find(p + "attn.w_v");
        q.wo = find(p + "attn.w_o");
        q.bq = find(p + "attn.b_q");
        q.bk = find(p + "attn.b_k");
        q.bv = find(p + "attn.b_v");
        q.bo = find(p + "attn.b_o");
        q.ln2_w = find(p + "ln2.weight");
        q.ln2_b = find(p + "ln2.bias");
        q.w1 = find(p + "mlp.w1");
        q.b1 = find(p + "mlp.b1");
        q.w2 = find(p + "mlp.w2");
        q.b2 = find(p + "mlp.b2");
    }
    if (spec.pe == PosEncoding::Sinusoidal) sin_pe_ = sinusoidal_pe(spec.max_len, spec.d).cast<S>();
}

template <class S>
const ParamTensor* Transformer<S>::find(const std::string& name) const {
    for (const ParamTensor& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

template <class S>
void Transformer<S>::init(Rng& rng) {
    // Box-Muller normals (two per pair of uniforms, the second kept for the next call).
    bool have = false;
    double spare = 0;
    auto normal = [&]() {
        if (have) {
            have = false;
            return spare;
        }
        double u1 = rng.uniform();
        while (u1 <= 0) u1 = rng.uniform();
        const double u2 = rng.uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare = r * std::sin(2 * M_PI * u2);
        have = true;
        return r * std::cos(2 * M_PI * u2);
    };
    for (const ParamTensor& t : tensors_) {
        S* p = params.data() + t.offset;
        const std::string& n = t.name;
        const bool ln = n.find("ln") != std::string::npos && (n.find(".weight") != std::string::npos || n.find(".bias") != std::string::npos);
        if (spec_.init_range > 0 && (n == "tok_emb" || n == "unembed")) {
            for (std::size_t i = 0; i < t.size; ++i) p[i] = static_cast<S>(rng.uniform(-spec_.init_range, spec_.init_range));
        } else if (n == "tok_emb" || n == "pos_emb") {
            for (std::size_t i = 0; i < t.size; ++i) p[i] = static_cast<S>(normal());
        } else if (ln) {
            const S v = n.find(".weight") != std::string::npos ? S(1) : S(0);
            for (std::size_t i = 0; i < t.size; ++i) p[i] = v;
        } else {
            // A linear map's weight [in, out] and its bias [out]: bound 1/sqrt(in).
            int fan_in = spec_.d;
            if (n.find("mlp.w2") != std::string::npos || n.find("mlp.b2") != std::string::npos) fan_in = spec_.ffn_width();
            const double b = 1.0 / std::sqrt(static_cast<double>(fan_in));
            for (std::size_t i = 0; i < t.size; ++i) p[i] = static_cast<S>(rng.uniform(-b, b));
        }
    }
}

template <class S>
void Transformer<S>::zero_grads() {
    std::fill(grads.begin(), grads.end(), S(0));
}

template <class S>
const typename Transformer<S>::Mat& Transformer<S>::hidden(int layer) const {
    return hidden_.at(static_cast<std::size_t>(layer));
}

template <class S>
const S* Transformer<S>::attention(int layer, int seq, int head) const {
    return cache_.at(static_cast<std::size_t>(layer)).probs.data() + att_off_.at(static_cast<std::size_t>(seq) * spec_.heads + head);
}

template <class S>
void Transformer<S>::dropout(Mat& x, AlignedVector<S>& keep, Rng* rng) const {
    keep.clear();
    if (!rng || spec_.dropout <= 0) return;
    const double p = spec_.dropout;
    const S scale = static_cast<S>(1.0 / (1.0 - p));
    keep.resize(static_cast<std::size_t>(x.size()));
    S* v = x.data();
    for (std::size_t i = 0; i < keep.size(); ++i) {
        keep[i] = rng->uniform() < p ? S(0) : scale;
        v[i] *= keep[i];
    }
}

template <class S>
void Transformer<S>::layer_norm(const Mat& x, const ParamTensor* w, const ParamTensor* b, Mat& y, LnCache& c) const {
    // Shapes: x, y [N, d]; per row: mean, biased variance, rstd = 1/sqrt(var + eps); y = xhat * w + b.
    const Eigen::Index N = x.rows(), d = x.cols();
    c.xhat.resize(N, d);
    c.rstd.resize(N);
    for (Eigen::Index i = 0; i < N; ++i) {
        const S mean = x.row(i).sum() / static_cast<S>(d);
        const S var = (x.row(i).array() - mean).square().sum() / static_cast<S>(d);
        const S rstd = static_cast<S>(1) / std::sqrt(var + static_cast<S>(kLnEps));
        c.rstd[i] = rstd;
        c.xhat.row(i) = (x.row(i).array() - mean) * rstd;
    }
    y = (c.xhat.array().rowwise() * CMapRV<S>(param(w), d).array()).rowwise() + CMapRV<S>(param(b), d).array();
}

template <class S>
void Transformer<S>::layer_norm_back(const Mat& dy, const ParamTensor* w, const ParamTensor* b, const LnCache& c, Mat& dx) {
    // dw += sum_rows dy * xhat; db += sum_rows dy; dxhat = dy * w; dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)).
    const Eigen::Index N = dy.rows(), d = dy.cols();
    MapRV<S>(grad(w), d) += (dy.array() * c.xhat.array()).colwise().sum().matrix();
    MapRV<S>(grad(b), d) += dy.colwise().sum();
    const Mat dxhat = dy.array().rowwise() * CMapRV<S>(param(w), d).array();
    dx.resize(N, d);
    for (Eigen::Index i = 0; i < N; ++i) {
        const S m1 = dxhat.row(i).sum() / static_cast<S>(d);
        const S m2 = dxhat.row(i).dot(c.xhat.row(i)) / static_cast<S>(d);
        dx.row(i) = c.rstd[i] * (dxhat.row(i).array() - m1 - c.xhat.row(i).array() * m2);
    }
}

template <class S>
void Transformer<S>::attention_fwd(int l, const Mat& a, LayerCache& c, Rng* rng) {
    // Shapes: a, q, k, v, ctx, attn_out [N, d]; per sequence b (n_b positions) and head j: scores and probabilities
    // [n_b, n_b], stored row-major in c.probs at att_off_[b h + j].
    const LayerParams& P = lp_[l];
    const int d = spec_.d, h = spec_.heads, dh = spec_.head_dim();
    const Eigen::Index N = a.rows();
    c.q.noalias() = a * CMapM<S>(param(P.wq), d, d);
    c.k.noalias() = a * CMapM<S>(param(P.wk), d, d);
    c.v.noalias() = a * CMapM<S>(param(P.wv), d, d);
    c.q.rowwise() += CMapRV<S>(param(P.bq), d);
    c.k.rowwise() += CMapRV<S>(param(P.bk), d);
    c.v.rowwise() += CMapRV<S>(param(P.bv), d);
    c.ctx.setZero(N, d);
    c.probs.resize(att_off_.back());
    const bool drop = rng && spec_.dropout > 0;
    c.prob_keep.resize(drop ? att_off_.back() : 0);
    const S scale = static_cast<S>(1.0 / std::sqrt(static_cast<double>(dh)));
    const S keep_scale = static_cast<S>(drop ? 1.0 / (1.0 - spec_.dropout) : 1.0);
    Mat sc, pd;
    const int B = batch_->size();
    for (int b = 0; b < B; ++b) {
        const int o = batch_->offsets[b], n = batch_->offsets[b + 1] - o;
        for (int j = 0; j < h; ++j) {
            sc.noalias() = c.q.block(o, j * dh, n, dh) * c.k.block(o, j * dh, n, dh).transpose();
            MapM<S> p(c.probs.data() + att_off_[static_cast<std::size_t>(b) * h + j], n, n);
            for (int i = 0; i < n; ++i) {
                const int keys = spec_.causal ? i + 1 : n;
                S mx = -std::numeric_limits<S>::infinity();
                for (int t = 0; t < keys; ++t) mx = std::max(mx, sc(i, t) * scale);
                S sum = 0;
                for (int t = 0; t < keys; ++t) {
                    const S e = std::exp(sc(i, t) * scale - mx);
                    p(i, t) = e;
                    sum += e;
                }
                const S inv = static_cast<S>(1) / sum;
                for (int t = 0; t < keys; ++t) p(i, t) *= inv;
                for (int t = keys; t < n; ++t) p(i, t) = 0;
            }
            if (drop) {
                MapM<S> k(c.prob_keep.data() + att_off_[static_cast<std::size_t>(b) * h + j], n, n);
                for (Eigen::Index e = 0; e < k.size(); ++e) k.data()[e] = rng->uniform() < spec_.dropout ? S(0) : keep_scale;
                pd = p.array() * k.array();
                c.ctx.block(o, j * dh, n, dh).noalias() = pd * c.v.block(o, j * dh, n, dh);
            } else {
                c.ctx.block(o, j * dh, n, dh).noalias() = p * c.v.block(o, j * dh, n, dh);
            }
        }
    }
    c.attn_out.noalias() = c.ctx * CMapM<S>(param(P.wo), d, d);
    c.attn_out.rowwise() += CMapRV<S>(param(P.bo), d);
    dropout(c.attn_out, c.attn_keep, rng);
}

template <class S>
void Transformer<S>::attention_back(int l, const Mat& dout_in, LayerCache& c, Mat& da) {
    const LayerParams& P = lp_[l];
    const int d = spec_.d, h = spec_.heads, dh = spec_.head_dim();
    const Eigen::Index N = dout_in.rows();
    Mat dout = dout_in;
    if (!c.attn_keep.empty()) dout.array() *= CMapM<S>(c.attn_keep.data(), N, d).array();
    MapM<S>(grad(P.wo), d, d).noalias() += c.ctx.transpose() * dout;
    MapRV<S>(grad(P.bo), d) += dout.colwise().sum();
    const Mat dctx = dout * CMapM<S>(param(P.wo), d, d).transpose();
    Mat dq = Mat::Zero(N, d), dk = Mat::Zero(N, d), dv = Mat::Zero(N, d);
    const S scale = static_cast<S>(1.0 / std::sqrt(static_cast<double>(dh)));
    const bool drop = !c.prob_keep.empty();
    Mat pd, dpd, ds;
    const int B = batch_->size();
    for (int b = 0; b < B; ++b) {
        const int o = batch_->offsets[b], n = batch_->offsets[b + 1] - o;
        for (int j = 0; j < h; ++j) {
            const std::size_t off = att_off_[static_cast<std::size_t>(b) * h + j];
            CMapM<S> p(c.probs.data() + off, n, n);
            const auto dc = dctx.block(o, j * dh, n, dh);
            dpd.noalias() = dc * c.v.block(o, j * dh, n, dh).transpose();  // d(dropped probabilities)
            if (drop) {
                CMapM<S> k(c.prob_keep.data() + off, n, n);
                pd = p.array() * k.array();
                dv.block(o, j * dh, n, dh).noalias() += pd.transpose() * dc;
                dpd.array() *= k.array();
            } else {
                dv.block(o, j * dh, n, dh).noalias() += p.transpose() * dc;
            }
            // Through the softmax: dS = P * (dP - rowsum(dP * P)), then the 1/sqrt(dh) scale.
            ds = p.array() * dpd.array();
            for (int i = 0; i < n; ++i) {
                const S r = ds.row(i).sum();
                ds.row(i) -= r * p.row(i);
            }
            ds *= scale;
            dq.block(o, j * dh, n, dh).noalias() += ds * c.k.block(o, j * dh, n, dh);
            dk.block(o, j * dh, n, dh).noalias() += ds.transpose() * c.q.block(o, j * dh, n, dh);
        }
    }
    MapM<S>(grad(P.wq), d, d).noalias() += c.a.transpose() * dq;
    MapM<S>(grad(P.wk), d, d).noalias() += c.a.transpose() * dk;
    MapM<S>(grad(P.wv), d, d).noalias() += c.a.transpose() * dv;
    MapRV<S>(grad(P.bq), d) += dq.colwise().sum();
    MapRV<S>(grad(P.bk), d) += dk.colwise().sum();
    MapRV<S>(grad(P.bv), d) += dv.colwise().sum();
    da.noalias() = dq * CMapM<S>(param(P.wq), d, d).transpose();
    da.noalias() += dk * CMapM<S>(param(P.wk), d, d).transpose();
    da.noalias() += dv * CMapM<S>(param(P.wv), d, d).transpose();
}

template <class S>
void Transformer<S>::mlp_fwd(int l, const Mat& m, LayerCache& c, Rng* rng) {
    // Shapes: m [N, d]; z, hid [N, f]; mlp_out [N, d].
    const LayerParams& P = lp_[l];
    const int d = spec_.d, f = spec_.ffn_width();
    c.z.noalias() = m * CMapM<S>(param(P.w1), d, f);
    c.z.rowwise() += CMapRV<S>(param(P.b1), f);
    if (spec_.act == Activation::Relu) c.hid = c.z.cwiseMax(S(0));
    else c.hid = c.z.unaryExpr([](S x) { return gelu(x); });
    dropout(c.hid, c.hid_keep, rng);
    c.mlp_out.noalias() = c.hid * CMapM<S>(param(P.w2), f, d);
    c.mlp_out.rowwise() += CMapRV<S>(param(P.b2), d);
    dropout(c.mlp_out, c.mlp_keep, rng);
}

template <class S>
void Transformer<S>::mlp_back(int l, const Mat& dout_in, LayerCache& c, Mat& dm) {
    const LayerParams& P = lp_[l];
    const int d = spec_.d, f = spec_.ffn_width();
    const Eigen::Index N = dout_in.rows();
    Mat dout = dout_in;
    if (!c.mlp_keep.empty()) dout.array() *= CMapM<S>(c.mlp_keep.data(), N, d).array();
    MapM<S>(grad(P.w2), f, d).noalias() += c.hid.transpose() * dout;
    MapRV<S>(grad(P.b2), d) += dout.colwise().sum();
    Mat dz = dout * CMapM<S>(param(P.w2), f, d).transpose();  // d(hid)
    if (!c.hid_keep.empty()) dz.array() *= CMapM<S>(c.hid_keep.data(), N, f).array();
    if (spec_.act == Activation::Relu) dz.array() *= (c.z.array() > S(0)).template cast<S>();
    else dz.array() *= c.z.unaryExpr([](S x) { return gelu_grad(x); }).array();
    MapM<S>(grad(P.w1), d, f).noalias() += c.m.transpose() * dz;
    MapRV<S>(grad(P.b1), f) += dz.colwise().sum();
    dm.noalias() = dz * CMapM<S>(param(P.w1), d, f).transpose();
}

template <class S>
double Transformer<S>::forward(const SeqBatch& batch, Rng* rng, bool all_logits) {
    batch_ = &batch;
    const int d = spec_.d, V = spec_.vocab, h = spec_.heads, L = spec_.layers;
    const int N = batch.positions(), B = batch.size();
    if (static_cast<int>(batch.targets.size()) != N || B < 1 || batch.offsets.back() != N)
        throw std::invalid_argument("transformer: malformed batch");
    seq_of_.resize(N);
    pos_in_seq_.resize(N);
    att_off_.assign(1, 0);
    att_off_.reserve(static_cast<std::size_t>(B) * h + 1);
    for (int b = 0; b < B; ++b) {
        const int o = batch.offsets[b], n = batch.offsets[b + 1] - o;
        if (n < 1 || n > spec_.max_len) throw std::invalid_argument("transformer: a sequence is empty or longer than the model's length");
        for (int i = 0; i < n; ++i) {
            seq_of_[o + i] = b;
            pos_in_seq_[o + i] = i;
        }
        for (int j = 0; j < h; ++j) att_off_.push_back(att_off_.back() + static_cast<std::size_t>(n) * n);
    }
    // The per-(sequence, head) offsets: att_off_[b h + j], and att_off_.back() the total.
    // Embedding: x0 = tok_emb[token] (* sqrt(d)) + PE[position]   [N, d]
    x0_.resize(N, d);
    const S escale = static_cast<S>(spec_.scale_embedding ? std::sqrt(static_cast<double>(d)) : 1.0);
    CMapM<S> E(param(tok_), V, d);
    for (int i = 0; i < N; ++i) {
        const int t = batch.tokens[i];
        if (t < 0 || t >= V) throw std::invalid_argument("transformer: token id outside the vocabulary");
        x0_.row(i) = E.row(t) * escale;
        if (spec_.pe == PosEncoding::Sinusoidal) x0_.row(i) += sin_pe_.row(pos_in_seq_[i]);
        else if (spec_.pe == PosEncoding::Learned) x0_.row(i) += CMapM<S>(param(pos_), spec_.max_len, d).row(pos_in_seq_[i]);
    }
    dropout(x0_, emb_keep_, rng);
    cache_.resize(L);
    hidden_.resize(L + 1);
    const Mat* x = &x0_;
    Mat out;
    for (int l = 0; l < L; ++l) {
        LayerCache& c = cache_[l];
        const LayerParams& P = lp_[l];
        c.x_in = *x;
        hidden_[l] = c.x_in;
        if (spec_.ln == LayerNormMode::Pre) layer_norm(c.x_in, P.ln1_w, P.ln1_b, c.a, c.ln1);
        else c.a = c.x_in;
        attention_fwd(l, c.a, c, rng);
        if (spec_.residual) c.y1 = c.x_in + c.attn_out;
        else c.y1 = c.attn_out;
        if (spec_.ln == LayerNormMode::Post) layer_norm(c.y1, P.ln1_w, P.ln1_b, c.x_mid, c.ln1);
        else c.x_mid = c.y1;
        if (spec_.mlp) {
            if (spec_.ln == LayerNormMode::Pre) layer_norm(c.x_mid, P.ln2_w, P.ln2_b, c.m, c.ln2);
            else c.m = c.x_mid;
            mlp_fwd(l, c.m, c, rng);
            if (spec_.residual) c.y2 = c.x_mid + c.mlp_out;
            else c.y2 = c.mlp_out;
            if (spec_.ln == LayerNormMode::Post) layer_norm(c.y2, P.ln2_w, P.ln2_b, out, c.ln2);
            else out = c.y2;
        } else {
            out = c.x_mid;
        }
        x = &out;
    }
    hidden_[L] = *x;
    if (spec_.ln == LayerNormMode::Pre) layer_norm(hidden_[L], lnf_w_, lnf_b_, h_final_, lnf_);
    else h_final_ = hidden_[L];
    // Logits at the rows wanted: every position, or those with a target.   h_rows [R, d], logits [R, V]
    logit_pos_.clear();
    for (int i = 0; i < N; ++i)
        if (all_logits || batch.targets[i] >= 0) logit_pos_.push_back(i);
    const int R = static_cast<int>(logit_pos_.size());
    h_rows_.resize(R, d);
    for (int r = 0; r < R; ++r) h_rows_.row(r) = h_final_.row(logit_pos_[r]);
    if (spec_.tied) logits_.noalias() = h_rows_ * E.transpose();
    else logits_.noalias() = h_rows_ * CMapM<S>(param(unembed_), d, V);
    // Loss: mean over the target positions of logsumexp - logit[target]; probs_rows_ keeps the softmax.
    loss_rows_.clear();
    probs_rows_.resize(R, V);
    double loss = 0;
    for (int r = 0; r < R; ++r) {
        const auto row = logits_.row(r);
        const S mx = row.maxCoeff();
        probs_rows_.row(r) = (row.array() - mx).exp();
        const S z = probs_rows_.row(r).sum();
        probs_rows_.row(r) /= z;
        const int t = batch.targets[logit_pos_[r]];
        if (t >= 0) {
            if (t >= V) throw std::invalid_argument("transformer: target outside the vocabulary");
            loss += static_cast<double>(std::log(z) + mx - row[t]);
            loss_rows_.push_back(r);
        }
    }
    rows_ = static_cast<int>(loss_rows_.size());
    probs_used_ = false;
    return rows_ > 0 ? loss / rows_ : 0.0;
}

template <class S>
void Transformer<S>::backward() {
    if (!batch_) throw std::logic_error("transformer: backward() before forward()");
    const SeqBatch& batch = *batch_;
    const int d = spec_.d, V = spec_.vocab, L = spec_.layers;
    const int N = batch.positions(), R = static_cast<int>(logit_pos_.size());
    // dlogits = (softmax - onehot(target)) / rows at target rows, 0 elsewhere   [R, V], made in place of the softmax
    // (forward's probabilities are not needed again: a second backward() needs a new forward()).
    if (probs_used_) throw std::logic_error("transformer: backward() twice after one forward()");
    probs_used_ = true;
    Mat& dlogits = probs_rows_;
    {
        const S inv = static_cast<S>(rows_ > 0 ? 1.0 / rows_ : 0.0);
        std::size_t next = 0;
        for (int r = 0; r < R; ++r) {
            if (next < loss_rows_.size() && loss_rows_[next] == r) {
                dlogits.row(r) *= inv;
                dlogits(r, batch.targets[logit_pos_[r]]) -= inv;
                ++next;
            } else {
                dlogits.row(r).setZero();  // a position without a target (all_logits)
            }
        }
    }
    CMapM<S> E(param(tok_), V, d);
    Mat dh_rows;
    if (spec_.tied) {
        MapM<S>(grad(tok_), V, d).noalias() += dlogits.transpose() * h_rows_;
        dh_rows.noalias() = dlogits * E;
    } else {
        MapM<S>(grad(unembed_), d, V).noalias() += h_rows_.transpose() * dlogits;
        dh_rows.noalias() = dlogits * CMapM<S>(param(unembed_), d, V).transpose();
    }
    Mat dx = Mat::Zero(N, d);
    for (int r = 0; r < R; ++r) dx.row(logit_pos_[r]) += dh_rows.row(r);
    if (spec_.ln == LayerNormMode::Pre) {
        Mat t;
        layer_norm_back(dx, lnf_w_, lnf_b_, lnf_, t);
        dx = std::move(t);
    }
    Mat dx_mid, dm, da, dy;
    for (int l = L - 1; l >= 0; --l) {
        LayerCache& c = cache_[l];
        const LayerParams& P = lp_[l];
        if (spec_.mlp) {
            if (spec_.ln == LayerNormMode::Post) layer_norm_back(dx, P.ln2_w, P.ln2_b, c.ln2, dy);
            else dy = dx;
            mlp_back(l, dy, c, dm);
            if (spec_.ln == LayerNormMode::Pre) {
                Mat t;
                layer_norm_back(dm, P.ln2_w, P.ln2_b, c.ln2, t);
                dm = std::move(t);
            }
            if (spec_.residual) dx_mid = dy + dm;
            else dx_mid = dm;
        } else {
            dx_mid = dx;
        }
        if (spec_.ln == LayerNormMode::Post) layer_norm_back(dx_mid, P.ln1_w, P.ln1_b, c.ln1, dy);
        else dy = dx_mid;
        attention_back(l, dy, c, da);
        if (spec_.ln == LayerNormMode::Pre) {
            Mat t;
            layer_norm_back(da, P.ln1_w, P.ln1_b, c.ln1, t);
            da = std::move(t);
        }
        if (spec_.residual) dx = dy + da;
        else dx = da;
    }
    // Embedding: dtok[token] += dx0 (* sqrt(d)), dpos[position] += dx0.
    if (!emb_keep_.empty()) dx.array() *= CMapM<S>(emb_keep_.data(), N, d).array();
    const S escale = static_cast<S>(spec_.scale_embedding ? std::sqrt(static_cast<double>(d)) : 1.0);
    MapM<S> dE(grad(tok_), V, d);
    for (int i = 0; i < N; ++i) {
        dE.row(batch.tokens[i]) += dx.row(i) * escale;
        if (spec_.pe == PosEncoding::Learned) MapM<S>(grad(pos_), spec_.max_len, d).row(pos_in_seq_[i]) += dx.row(i);
    }
}

template class Transformer<double>;
template class Transformer<float>;

}  // namespace snapscope
