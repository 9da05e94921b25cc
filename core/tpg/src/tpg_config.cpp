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
    v.push_back(bind_lab_key(int_key("data.num_samples", 6, 1, 1000000, "tpg: number of samples n (the generator's; on a text, the windows kept at most)."), &TpgSettings::num_samples));
    v.push_back(bind_lab_key(string_key("data.graph", "any", {"any", "cyclic", "acyclic"},
                                    "tpg generator: resample until some graph has a cycle (cyclic) or none has (acyclic)."), &TpgSettings::graph));
    v.push_back(bind_lab_key(string_key("data.query_word", "", {},
                                        "tpg on a text (data.kind = text): the query word whose token-priority graph is built from the "
                                        "text's windows that end in it (empty: the word with the most windows)."),
                             &TpgSettings::query_word));
    v.push_back(bind_lab_key(int_key("data.num_labels", 8, 1, 100000,
                                     "tpg on a text: the query word's most frequent next words kept as labels (each must occur in its "
                                     "window)."),
                             &TpgSettings::num_labels));
    v.push_back(bind_lab_key(number_key("train.lr", 0.01, 0, inf, "tpg: learning rate of W.", false, true), &TpgSettings::lr));
    return v;
}

void check_tpg_config(const Config& c, const std::string& source) {
    if (c.data.kind == "synthetic" && c.data.vocab_size < 2)
        config_fail(source, "data.vocab_size", "the tpg generator needs the vocabulary size K >= 2");
    if (c.data.kind == "synthetic" && c.data.seq_len > 100000)
        config_fail(source, "data.seq_len", "the tpg generator's sequences are at most 100000 tokens");
    if (c.train.optimizer == "adam") config_fail(source, "train.optimizer", "adam is not offered by the tpg model (normalized_gd, momentum or gd)");
}

}  // namespace snapscope
