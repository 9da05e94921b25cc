// The token-priority-graph lab's own config keys, as a struct in the run's Config (cfg.lab<TpgSettings>(); the keys are
// bound in core/tpg/src/tpg_config.cpp).
#pragma once

#include <string>

#include "snapscope/config.hpp"

namespace snapscope {

struct TpgSettings {
    // model.*
    std::string embedding = "onehot";  // onehot | ortho | random | equicorr
    int dim = 0;                       // d (0: K)
    double rho = 0.5;                  // equicorr correlation
    // data.*: the generator
    int num_samples = 6;         // n
    std::string graph = "any";   // cyclic | acyclic | any
    // data.*: a text (data.kind = text)
    std::string query_word;      // "" : the word with the most windows
    int num_labels = 8;          // the query's most frequent next words kept as labels
    // train.*
    double lr = 0.01;
};

inline TpgSettings& tpg_settings(Config& c) { return c.lab<TpgSettings>(); }
inline const TpgSettings& tpg_settings(const Config& c) { return c.lab<TpgSettings>(); }

}  // namespace snapscope
