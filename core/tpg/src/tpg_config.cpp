// The token-priority-graph lab's config keys (each written once: its schema entry and its field) and its cross-key
// rules.
#include <limits>

#include "snapscope/tpg_run.hpp"

namespace snapscope {

std::vector<KeyBinding> tpg_config_keys() {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<KeyBinding> v;
    v.push_back(bind_lab_key(string_key("model.embedding", "onehot", {"onehot", "ortho", "random", "equicorr"},
                                    "tpg: token embeddings: onehot (d = K), ortho (random orthonormal rows), random (unit Gaussian), "
                                    "equicorr."), &TpgSettings::embedding));
    v.push_back(bind_lab_key(int_key("model.dim", 0, 0, 4096, "tpg: embedding dimension d (0: K)."), &TpgSettings::dim));
    v.push_back(bind_lab_key(number_key("model.rho", 0.5, 0, 1, "tpg: pairwise correlation of equicorr embeddings.", false, true), &TpgSettings::rho));
    v.push_back(bind_lab_key(int_key("data.num_samples", 6, 1, 1000000, "tpg generator: number of samples n."), &TpgSettings::num_samples));
    v.push_back(bind_lab_key(string_key("data.graph", "any", {"any", "cyclic", "acyclic"},
                                    "tpg generator: resample until some graph has a cycle (cyclic) or none has (acyclic)."), &TpgSettings::graph));
    v.push_back(bind_lab_key(number_key("train.lr", 0.01, 0, inf, "tpg: learning rate of W.", false, true), &TpgSettings::lr));
    return v;
}

void check_tpg_config(const Config& c, const std::string& source) {
    if (c.data.kind == "text") config_fail(source, "data.kind", "a text corpus is read by the small transformer (model.kind = transformer)");
    if (c.data.kind == "synthetic" && c.data.vocab_size < 2)
        config_fail(source, "data.vocab_size", "the tpg generator needs the vocabulary size K >= 2");
    if (c.data.kind == "synthetic" && c.data.seq_len > 100000)
        config_fail(source, "data.seq_len", "the tpg generator's sequences are at most 100000 tokens");
    if (c.train.optimizer == "adam") config_fail(source, "train.optimizer", "adam is not offered by the tpg model (normalized_gd, momentum or gd)");
}

}  // namespace snapscope
