// A general small transformer (theory.md section 4), forward and backward written out by hand, in float64 or float32.
// The symmetry lab trains it on tasks (core/symmetry/); the real-text lab will train it on text.
//
// Conventions (those of PyTorch, so weights compare with a framework's): activations are row vectors, a linear map
// is x W + b with W stored [in, out] row-major; attention scale 1/sqrt(d/h), head j = columns [j dh, (j+1) dh);
// LayerNorm eps 1e-5 with the biased variance; sinusoidal PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...).
//
// One layer (N = tokens of the batch, stacked; d model width; f MLP width; h heads):
//   pre-LN:  a = LN1(x);  x' = x + Attn(a);  m = LN2(x');  out = x' + MLP(m)      (a final LayerNorm ln_f at the top)
//   post-LN: x' = LN1(x + Attn(x));  out = LN2(x' + MLP(x'))
//   none:    x' = x + Attn(x);  out = x' + MLP(x')
//   without the residual connection the "x +" and "x' +" terms are dropped; without the MLP, out = x'.
//   Attn(a) = concat_j softmax(Q_j K_j^T / sqrt(dh) [+ causal mask]) V_j  W_o + b_o,  Q = a W_q + b_q, ... [N, d]
//   MLP(m)  = act(m W1 + b1) W2 + b2                                             [N, d] (via [N, f])
// Input: x0 = tok_emb[token] (* sqrt(d) if scaled) + PE[position] [N, d]; output logits = H unembed [rows, V]
// (unembed = tok_emb^T when tied). Loss: mean cross-entropy over the positions that have a target.
// Dropout (training only) on the embedding sum, the attention probabilities, the attention output, the MLP's hidden
// units and the MLP output, as PyTorch's TransformerEncoderLayer places it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/StdVector>

#include "snapscope/rng.hpp"

namespace snapscope {

// The model's buffers are aligned as Eigen aligns its own (EIGEN_MAX_ALIGN_BYTES): Eigen's vectorised loops handle
// the first unaligned elements apart, so with malloc's 16-byte alignment the rounding of a run depended on where its
// buffers landed (runs of one config differed in the last bits from one process to another).
template <class S>
using AlignedVector = std::vector<S, Eigen::aligned_allocator<S>>;

enum class PosEncoding { None, Sinusoidal, Learned };
enum class LayerNormMode { None, Pre, Post };
enum class Activation { Relu, Gelu };

const char* pos_encoding_name(PosEncoding p);
const char* layer_norm_name(LayerNormMode m);

struct TransformerSpec {
    int vocab = 0;      // V
    int d = 64;         // model width
    int max_len = 64;   // positions the model takes (the learned PE's rows)
    int layers = 1;
    int heads = 1;
    bool mlp = true;
    int ffn = 0;        // MLP width f (0: 4 d)
    Activation act = Activation::Relu;
    PosEncoding pe = PosEncoding::None;
    bool causal = true;
    bool residual = true;
    LayerNormMode ln = LayerNormMode::None;
    double dropout = 0;
    bool tied = false;            // unembed = tok_emb^T
    bool scale_embedding = false;  // x0 = tok_emb[token] * sqrt(d) + PE
    // Initialisation (not the model): > 0, tok_emb and unembed uniform in [-r, r] (the PyTorch word-language-model
    // tutorial's 0.1); 0, tok_emb and pos_emb N(0, 1) (nn.Embedding's default), unembed like any linear map.
    double init_range = 0;
    int ffn_width() const { return ffn > 0 ? ffn : 4 * d; }
    int head_dim() const { return d / heads; }
};

// The parameter groups, each with its own learning rate.
enum ParamGroup { kGroupEmbedding = 0, kGroupAttention = 1, kGroupMlp = 2, kGroupUnembedding = 3, kNumParamGroups = 4 };
const char* param_group_name(int g);  // "embedding", "attention", "mlp", "unembedding"

// One named parameter tensor in the model's flat buffer.
struct ParamTensor {
    std::string name;          // tok_emb, pos_emb, layers.N.attn.w_q, ..., unembed (final.json's "params" keys)
    std::vector<int> shape;    // row-major
    std::size_t offset = 0, size = 0;
    int group = kGroupEmbedding;
};

// The tensors a spec has, in buffer order.
std::vector<ParamTensor> transformer_tensors(const TransformerSpec& s);
std::size_t transformer_param_count(const TransformerSpec& s);

// A batch of sequences, stacked: sequence b is positions [offsets[b], offsets[b+1]) of `tokens`. targets[i] is the
// token position i must predict, or -1 (no loss there).
struct SeqBatch {
    std::vector<std::int32_t> tokens;
    std::vector<std::int32_t> targets;
    std::vector<std::int32_t> offsets{0};
    void clear() {
        tokens.clear();
        targets.clear();
        offsets.assign(1, 0);
    }
    int size() const { return static_cast<int>(offsets.size()) - 1; }
    int positions() const { return static_cast<int>(tokens.size()); }
    // Appends one sequence with its targets (same length).
    void add(const std::vector<std::int32_t>& toks, const std::vector<std::int32_t>& tgts);
};

// Bytes the model's work buffers take for a batch of `positions` tokens, `longest` the longest sequence, `rows` the
// positions with a target, with `scalar_bytes` per value (8 or 4). For the memory check before a run is built.
double transformer_work_bytes(const TransformerSpec& s, double positions, double longest, double rows, int scalar_bytes);

template <class S>
class Transformer {
public:
    using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

    explicit Transformer(const TransformerSpec& spec);
    const TransformerSpec& spec() const { return spec_; }
    const std::vector<ParamTensor>& tensors() const { return tensors_; }
    const ParamTensor* find(const std::string& name) const;

    AlignedVector<S> params;  // every parameter, in tensors() order
    AlignedVector<S> grads;   // the same layout; backward() adds to it

    // PyTorch's module defaults: embeddings N(0, 1); linear weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in));
    // LayerNorm weight 1, bias 0.
    void init(Rng& rng);

    // The mean cross-entropy over the positions with a target. Keeps what backward() needs. With `dropout_rng`
    // (training) and spec().dropout > 0, units are dropped. With `all_logits`, logits() holds every position's
    // logits, else only the target positions' (in position order).
    double forward(const SeqBatch& batch, Rng* dropout_rng = nullptr, bool all_logits = false);
    // Adds d(loss)/d(params) of the last forward() to grads.
    void backward();
    void zero_grads();

    // After forward(): logits [rows, V] (see all_logits), the positions they belong to, and for inspection the hidden
    // state entering each layer and leaving the last ([layers + 1] matrices [N, d]; entry layers is before ln_f) and
    // each layer's attention probabilities (per sequence b and head j, [len_b, len_b] row-major at attention_offset).
    const Mat& logits() const { return logits_; }
    const std::vector<int>& logit_positions() const { return logit_pos_; }
    const Mat& hidden(int layer) const;
    const S* attention(int layer, int seq, int head) const;
    int targets_counted() const { return rows_; }

private:
    struct LnCache {
        Mat xhat;
        Vec rstd;
    };
    struct LayerCache {
        Mat x_in, a, q, k, v, ctx, attn_out, y1, x_mid, m, z, hid, mlp_out, y2;
        LnCache ln1, ln2;
        AlignedVector<S> probs;      // attention probabilities (after the mask, before dropout)
        AlignedVector<S> prob_keep;  // dropout scales of the probabilities (0 or 1/(1-p)); empty without dropout
        AlignedVector<S> attn_keep, hid_keep, mlp_keep;
    };
    S* param(const ParamTensor* t) { return t ? params.data() + t->offset : nullptr; }
    const S* param(const ParamTensor* t) const { return t ? params.data() + t->offset : nullptr; }
    S* grad(const ParamTensor* t) { return t ? grads.data() + t->offset : nullptr; }
    void layer_norm(const Mat& x, const ParamTensor* w, const ParamTensor* b, Mat& y, LnCache& c) const;
    void layer_norm_back(const Mat& dy, const ParamTensor* w, const ParamTensor* b, const LnCache& c, Mat& dx);
    void attention_fwd(int l, const Mat& a, LayerCache& c, Rng* rng);
    void attention_back(int l, const Mat& dout, LayerCache& c, Mat& da);
    void mlp_fwd(int l, const Mat& m, LayerCache& c, Rng* rng);
    void mlp_back(int l, const Mat& dout, LayerCache& c, Mat& dm);
    void dropout(Mat& x, AlignedVector<S>& keep, Rng* rng) const;

    TransformerSpec spec_;
    std::vector<ParamTensor> tensors_;
    struct LayerParams {
        const ParamTensor *ln1_w = nullptr, *ln1_b = nullptr, *wq, *wk, *wv, *wo, *bq, *bk, *bv, *bo;
        const ParamTensor *ln2_w = nullptr, *ln2_b = nullptr, *w1 = nullptr, *b1 = nullptr, *w2 = nullptr, *b2 = nullptr;
    };
    std::vector<LayerParams> lp_;
    const ParamTensor *tok_ = nullptr, *pos_ = nullptr, *lnf_w_ = nullptr, *lnf_b_ = nullptr, *unembed_ = nullptr;
    Mat sin_pe_;  // [max_len, d] when sinusoidal

    // The last forward's state.
    const SeqBatch* batch_ = nullptr;
    std::vector<int> seq_of_, pos_in_seq_;  // per position
    std::vector<std::size_t> att_off_;      // per layer-independent (sequence, head): offset into probs
    Mat x0_;
    AlignedVector<S> emb_keep_;
    std::vector<LayerCache> cache_;
    std::vector<Mat> hidden_;
    Mat h_final_, h_rows_;
    LnCache lnf_;
    Mat logits_, probs_rows_;
    std::vector<int> logit_pos_, loss_rows_;  // loss_rows_: index into logits_ rows of each target position
    int rows_ = 0;
    bool probs_used_ = false;  // backward() turned probs_rows_ into the logits' gradient
};

extern template class Transformer<double>;
extern template class Transformer<float>;

// Sinusoidal positional encoding, [len, d] (d even).
Eigen::MatrixXd sinusoidal_pe(int len, int d);

}  // namespace snapscope
