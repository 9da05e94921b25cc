// The transformer lab's config keys (each written once: its schema entry and its field) and its cross-key rules.
#include <algorithm>
#include <limits>

#include "snapscope/input.hpp"
#include "snapscope/transformer_run.hpp"

namespace snapscope {

std::vector<KeyBinding> transformer_config_keys() {
    const double inf = std::numeric_limits<double>::infinity();
    using TS = TransformerSettings;
    std::vector<KeyBinding> v;
    v.push_back(bind_lab_key(int_key("model.d_model", 64, 1, 4096, "transformer: model width d (heads split it evenly)."), &TS::d_model));
    v.push_back(bind_lab_key(int_key("model.layers", 1, 1, 8, "transformer: number of layers."), &TS::layers));
    v.push_back(bind_lab_key(int_key("model.heads", 1, 1, 64, "transformer: attention heads per layer (each of d/h columns)."), &TS::heads));
    v.push_back(bind_lab_key(bool_key("model.mlp", true, "transformer: a position-wise MLP after the attention of each layer."), &TS::mlp));
    v.push_back(bind_lab_key(int_key("model.ffn", 0, 0, 65536, "transformer: MLP width f (0: 4 d)."), &TS::ffn));
    v.push_back(bind_lab_key(string_key("model.activation", "relu", {"relu", "gelu"}, "transformer: the MLP's activation (gelu: the exact erf form)."),
                             &TS::activation));
    v.push_back(bind_lab_key(string_key("model.pos_encoding", "none", {"none", "sinusoidal", "learned"},
                                        "transformer: positional encoding added to the token embedding (none: the model sees no positions)."),
                             &TS::pos_encoding));
    v.push_back(bind_lab_key(bool_key("model.causal", true, "transformer: causal mask (a position attends to itself and earlier ones only)."), &TS::causal));
    v.push_back(bind_lab_key(bool_key("model.residual_connections", true, "transformer: residual connections around attention and MLP."),
                             &TS::residual_connections));
    v.push_back(bind_lab_key(string_key("model.layer_norm", "none", {"none", "pre", "post"},
                                        "transformer: LayerNorm before each block (pre, plus a final one) or after each residual sum (post)."),
                             &TS::layer_norm));
    v.push_back(bind_lab_key(number_key("model.dropout", 0.0, 0, 1, "transformer: dropout probability while training (0: none).", false, true),
                             &TS::dropout));
    v.push_back(bind_lab_key(bool_key("model.tied", false, "transformer: the unembedding is the token embedding transposed."), &TS::tied));
    v.push_back(bind_lab_key(bool_key("model.scale_embedding", false, "transformer: multiply the token embedding by sqrt(d)."), &TS::scale_embedding));
    v.push_back(bind_lab_key(number_key("model.init_range", 0.0, 0, 1e6,
                                        "transformer: > 0: the token embedding and the unembedding start uniform in [-r, r] (the PyTorch "
                                        "word-language-model tutorial: 0.1); 0: embedding N(0, 1), unembedding U(+-1/sqrt(d)).",
                                        false, true),
                             &TS::init_range));
    v.push_back(bind_lab_key(string_key("model.precision", "float64", {"float64", "float32"}, "transformer: floating-point type of the model."),
                             &TS::precision));
    v.push_back(bind_lab_key(string_key("model.init_from", "", {}, "transformer: start from the weights of this file (a final.json's \"params\"; shapes checked)."),
                             &TS::init_from));
    v.push_back(bind_lab_key(int_key("model.max_len", 0, 0, 1048576, "transformer: longest sequence the model takes (0: what the data needs)."),
                             &TS::max_len));
    v.push_back(bind_lab_key(string_key("data.task", "addition", {"addition", "first", "random"},
                                        "transformer generator: addition ('12+34=046' as digit tokens), first (which symbol came first), or random "
                                        "(uniform tokens of data.vocab_size, data.seq_len long: nothing to learn; for timing)."),
                             &TS::task));
    v.push_back(bind_lab_key(int_key("data.digits", 2, 1, 9, "transformer addition: digits of each operand."), &TS::digits));
    v.push_back(bind_lab_key(int_key("data.num_test", 256, 1, 10000000, "transformer generators: held-out problems for the accuracy (never trained on)."),
                             &TS::num_test));
    v.push_back(bind_lab_key(string_key("train.loss_positions", "all", {"all", "last"},
                                        "transformer: loss at every position (needs the causal mask) or at the last only (prefix -> next token samples)."),
                             &TS::loss_positions));
    for (auto [key, field] : {std::pair{"train.lr_embedding", &TS::lr_embedding}, std::pair{"train.lr_attention", &TS::lr_attention},
                              std::pair{"train.lr_mlp", &TS::lr_mlp}, std::pair{"train.lr_unembedding", &TS::lr_unembedding}})
        v.push_back(bind_lab_key(number_key(key, 0.001, 0, inf, "transformer: learning rate of one parameter group (see README).", false, true), field));
    v.push_back(bind_lab_key(number_key("train.beta1", 0.9, 0, 1, "transformer adam: beta1.", false, true), &TS::beta1));
    v.push_back(bind_lab_key(number_key("train.beta2", 0.999, 0, 1, "transformer adam: beta2.", false, true), &TS::beta2));
    v.push_back(bind_lab_key(number_key("train.adam_eps", 1e-8, 0, 1, "transformer adam: eps, added after the square root.", true), &TS::adam_eps));
    v.push_back(bind_lab_key(number_key("train.clip_grad_norm", 0.0, 0, inf, "transformer: clip the gradient's norm over all parameters to this (0: off).", false, true),
                             &TS::clip_grad_norm));
    v.push_back(bind_lab_key(int_key("train.lr_decay_every", 0, 0, 1e9, "transformer: multiply the learning rates by train.lr_decay every this many steps (0: never)."),
                             &TS::lr_decay_every));
    v.push_back(bind_lab_key(number_key("train.lr_decay", 1.0, 0, 1, "transformer: the step-LR factor (gamma).", true), &TS::lr_decay));
    v.push_back(bind_lab_key(int_key("train.eval_every", 50, 1, 1e9, "transformer: steps between held-out accuracy evaluations."), &TS::eval_every));
    v.push_back(bind_lab_key(bool_key("train.lr_decay_per_epoch", false,
                                      "transformer on a text: multiply the learning rates by train.lr_decay after every pass over the training text."),
                             &TS::lr_decay_per_epoch));
    v.push_back(bind_lab_key(int_key("data.valid_tokens", 10000, 0, 1e12,
                                     "transformer on a text: predicted words of the validation text in each perplexity evaluation (0: all)."),
                             &TS::valid_tokens));
    v.push_back(bind_lab_key(string_key("output.attention_steps", "", {},
                                        "transformer on a text: steps (\"0,500,1000,1500\") at which the attention maps of the watched batch are "
                                        "kept and written (attention.json, attention_STEP.png)."),
                             &TS::attention_steps));
    return v;
}

std::vector<std::int64_t> transformer_attention_steps(const std::string& text, const std::string& source) {
    std::vector<std::int64_t> steps;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = text.find(',', i);
        if (j == std::string::npos) j = text.size();
        std::string item = text.substr(i, j - i);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item.empty() || item.size() > 15 || item.find_first_not_of("0123456789") != std::string::npos)
            config_fail(source, "output.attention_steps", "'" + brief_text(item, 40) + "' is not a step (a list of whole numbers: \"0,500,1000\")");
        steps.push_back(std::stoll(item));
        i = j + 1;
    }
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
    if (steps.size() > 64) config_fail(source, "output.attention_steps", "at most 64 steps are kept, got " + std::to_string(steps.size()));
    return steps;
}

void check_transformer_config(const Config& c, const std::string& source) {
    const TransformerSettings& t = transformer_settings(c);
    if (!t.causal && t.loss_positions == "all")
        config_fail(source, "model.causal",
                    "a model without the causal mask would see the token it must predict with train.loss_positions = all; "
                    "set train.loss_positions = last (prefix -> next token samples)");
    if (t.d_model % t.heads != 0)
        config_fail(source, "model.heads", std::to_string(t.heads) + " heads do not split model.d_model = " + std::to_string(t.d_model) + " evenly");
    if (t.pos_encoding == "sinusoidal" && t.d_model % 2 != 0)
        config_fail(source, "model.d_model", "sinusoidal positional encoding needs an even width, got " + std::to_string(t.d_model));
    if (t.lr_decay_per_epoch && t.lr_decay_every > 0)
        config_fail(source, "train.lr_decay_per_epoch", "decays once per epoch; train.lr_decay_every = " + std::to_string(t.lr_decay_every) +
                                                            " asks for every so many steps as well: set one of them");
    if (t.lr_decay_per_epoch && c.data.kind != "text")
        config_fail(source, "train.lr_decay_per_epoch", "epochs are passes over a text (data.kind = text); use train.lr_decay_every");
    if (!t.attention_steps.empty()) {
        transformer_attention_steps(t.attention_steps, source);
        if (c.data.kind != "text")
            config_fail(source, "output.attention_steps", "the watched batch is a text's (data.kind = text)");
    }
    if (c.train.optimizer == "normalized_gd")
        config_fail(source, "train.optimizer", "normalized_gd is not offered by the transformer model (adam, momentum or gd)");
    if (c.data.kind == "synthetic" && t.task == "random" && c.data.vocab_size < 2)
        config_fail(source, "data.vocab_size", "the random task draws tokens of data.vocab_size (2 or more)");
    if (c.data.kind == "synthetic" && t.task == "first") {
        if (c.data.seq_len < 3) config_fail(source, "data.seq_len", "the first-token task needs sequences of at least 3 tokens (two symbols and the query)");
        if (c.data.vocab_size < c.data.seq_len - 1)
            config_fail(source, "data.vocab_size", "the first-token task draws data.seq_len - 1 = " + std::to_string(c.data.seq_len - 1) +
                                                       " distinct symbols; data.vocab_size (the number of symbols) is " + std::to_string(c.data.vocab_size));
    }
}

}  // namespace snapscope
