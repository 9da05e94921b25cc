// The Scan-and-Snap lab's own config keys, as a struct in the run's Config (cfg.lab<ScanSnapSettings>(); the keys and
// their checks are bound in core/scansnap/src/scansnap_config.cpp).
#pragma once

#include <optional>
#include <string>

#include "snapscope/config.hpp"

namespace snapscope {

struct ScanSnapSettings {
    // model.*
    bool normalize = true;
    bool residual = false;
    bool attend_query = false;
    // data.*: the synthetic generator
    int num_last = 2;
    int num_next_per_last = 2;
    int num_common = 10;
    int num_common_per_last = 5;
    int num_unique_per_next = 10;
    double unique_min = 0.1;
    double unique_max = 1.0;
    double common_weight = 1.0;
    // train.*
    std::string mode = "sampled";  // sampled | mean_field
    double lr_z = 1.0;
    double lr_y = 1.0;
    std::optional<double> lr_y_over_z;  // when set, lr_y = lr_z * lr_y_over_z
    std::string init = "zero";          // zero | uniform

    // lr_y after applying lr_y_over_z.
    double effective_lr_y() const { return lr_y_over_z ? lr_z * *lr_y_over_z : lr_y; }
};

inline ScanSnapSettings& scansnap_settings(Config& c) { return c.lab<ScanSnapSettings>(); }
inline const ScanSnapSettings& scansnap_settings(const Config& c) { return c.lab<ScanSnapSettings>(); }

}  // namespace snapscope
