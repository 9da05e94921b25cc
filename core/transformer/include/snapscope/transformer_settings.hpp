// The transformer lab's own config keys, as a struct in the run's Config (cfg.lab<TransformerSettings>(); the keys are
// bound in core/transformer/src/transformer_config.cpp).
#pragma once

#include <string>

#include "snapscope/config.hpp"

namespace snapscope {

struct TransformerSettings {
    // model.*
    int d_model = 64;
    int layers = 1;
    int heads = 1;
    bool mlp = true;
    int ffn = 0;                          // 0: 4 d_model
    std::string activation = "relu";      // relu | gelu
    std::string pos_encoding = "none";    // none | sinusoidal | learned
    bool causal = true;
    bool residual_connections = true;
    std::string layer_norm = "none";      // none | pre | post
    double dropout = 0;
    bool tied = false;
    bool scale_embedding = false;
    double init_range = 0;
    std::string precision = "float64";    // float64 | float32
    std::string init_from;                // a final.json (or any JSON with "params") to start from
    int max_len = 0;                      // 0: what the data needs
    // data.*: the generators
    std::string task = "addition";        // addition | first
    int digits = 2;                       // addition: operand width
    int num_test = 256;                   // held-out problems
    // train.*
    std::string loss_positions = "all";   // all | last
    double lr_embedding = 0.001, lr_attention = 0.001, lr_mlp = 0.001, lr_unembedding = 0.001;
    double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
    double clip_grad_norm = 0;            // 0: off
    int lr_decay_every = 0;               // steps; 0: no decay
    double lr_decay = 1.0;                // the factor every lr_decay_every steps (step LR)
    int eval_every = 50;                  // steps between held-out evaluations
    bool lr_decay_per_epoch = false;      // a text: the step-LR factor once per pass over the training text
    int valid_tokens = 10000;             // a text: predicted words of the validation text evaluated (0: all)
    std::string attention_steps;          // a text: steps whose attention maps of the watched batch are kept ("0,500")
};

inline TransformerSettings& transformer_settings(Config& c) { return c.lab<TransformerSettings>(); }
inline const TransformerSettings& transformer_settings(const Config& c) { return c.lab<TransformerSettings>(); }

}  // namespace snapscope
