// The Scan-and-Snap lab's config keys (each written once: its schema entry and its field) and its cross-key rules.
#include <cmath>
#include <limits>
#include <sstream>

#include "snapscope/scansnap_run.hpp"

namespace snapscope {

namespace {

std::string fmt(double x) {
    std::ostringstream os;
    os.precision(15);
    os << x;
    return os.str();
}

}  // namespace

std::vector<KeyBinding> scansnap_config_keys() {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<KeyBinding> v;
    v.push_back(bind_lab_key(bool_key("model.normalize", true, "L2-normalise the pooled attention output (the paper's setting)."), &ScanSnapSettings::normalize));
    v.push_back(bind_lab_key(bool_key("model.residual", false, "Add the query's one-hot vector to the pooled output."), &ScanSnapSettings::residual));
    v.push_back(bind_lab_key(bool_key("model.attend_query", false, "Let the query token attend to itself (it becomes a key)."), &ScanSnapSettings::attend_query));
    v.push_back(bind_lab_key(int_key("data.num_last", 2, 1, 100000, "Number of query (last) tokens."), &ScanSnapSettings::num_last));
    v.push_back(bind_lab_key(int_key("data.num_next_per_last", 2, 1, 100000, "Next tokens (classes) per query token."), &ScanSnapSettings::num_next_per_last));
    v.push_back(bind_lab_key(int_key("data.num_common", 10, 0, 1000000, "Tokens shared by all classes."), &ScanSnapSettings::num_common));
    v.push_back(bind_lab_key(int_key("data.num_common_per_last", 5, 0, 1000000, "Tokens shared by the classes of one query."), &ScanSnapSettings::num_common_per_last));
    v.push_back(bind_lab_key(int_key("data.num_unique_per_next", 10, 0, 1000000, "Distinct tokens owned by each class."), &ScanSnapSettings::num_unique_per_next));
    v.push_back(bind_lab_key(number_key("data.unique_min", 0.1, 0, inf, "Unnormalised weight of a class's rarest distinct token.", false, true), &ScanSnapSettings::unique_min));
    v.push_back(bind_lab_key(number_key("data.unique_max", 1.0, 0, inf, "Unnormalised weight of a class's most frequent distinct token.",
                                    false, true), &ScanSnapSettings::unique_max));
    v.push_back(bind_lab_key(number_key("data.common_weight", 1.0, 0, inf, "Unnormalised weight of each common token.", false, true), &ScanSnapSettings::common_weight));
    v.push_back(bind_lab_key(string_key("train.mode", "sampled", {"sampled", "mean_field"},
                                    "sampled: a fresh random batch per step; mean_field: the deterministic T -> infinity limit."), &ScanSnapSettings::mode));
    v.push_back(bind_lab_key(number_key("train.lr_z", 1.0, 0, inf, "Learning rate of the attention logits Z.", false, true), &ScanSnapSettings::lr_z));
    // lr_y is written as the rate in effect (lr_z * lr_y_over_z when that is set).
    v.push_back({number_key("train.lr_y", 1.0, 0, inf, "Learning rate of the decoder Y.", false, true),
                 [](Config& c, const nlohmann::json& j) { scansnap_settings(c).lr_y = j.get<double>(); },
                 [](const Config& c) { return nlohmann::json(scansnap_settings(c).effective_lr_y()); }});
    v.push_back({number_key("train.lr_y_over_z", nlohmann::json(), 0, inf, "If set, lr_y = lr_z * lr_y_over_z (overrides train.lr_y).",
                            true, true, true),
                 [](Config& c, const nlohmann::json& j) { scansnap_settings(c).lr_y_over_z = j.get<double>(); },
                 [](const Config& c) { const auto& r = scansnap_settings(c).lr_y_over_z; return r ? nlohmann::json(*r) : nlohmann::json(); }});
    v.push_back(bind_lab_key(string_key("train.init", "zero", {"zero", "uniform"},
                                    "zero: Y = Z = 0; uniform: U(-1/sqrt(M), 1/sqrt(M)) like PyTorch's Linear."), &ScanSnapSettings::init));
    return v;
}

void check_scansnap_config(const Config& c, const std::string& source) {
    const ScanSnapSettings& s = scansnap_settings(c);
    if (s.unique_max < s.unique_min)
        config_fail(source, "data.unique_max",
                    "must be >= data.unique_min (" + fmt(s.unique_max) + " < " + fmt(s.unique_min) + ")");
    if (c.data.kind == "synthetic") {
        const double mass = (s.num_common + s.num_common_per_last) * s.common_weight +
                            (s.num_unique_per_next > 0 ? s.unique_min + s.unique_max : 0.0);
        if (!(mass > 0))
            config_fail(source, "data.num_unique_per_next",
                        "every class needs at least one contextual token with positive weight (all counts or weights are 0)");
        // The weights are relative; their sum over a class must be a finite number (1e308 each overflows).
        const double common_mass = (s.num_common + s.num_common_per_last) * s.common_weight;
        const double unique_mass = s.num_unique_per_next * s.unique_max;
        if (!std::isfinite(common_mass + unique_mass))
            config_fail(source, std::isfinite(unique_mass) ? "data.common_weight" : "data.unique_max",
                        "a class's token weights add up to more than a double holds (" + fmt(common_mass) + " + " + fmt(unique_mass) +
                            "); the weights are relative, so use ordinary sizes (e.g. 0.1 to 10)");
        const double classes = static_cast<double>(s.num_last) * s.num_next_per_last;
        if (classes > 1e6) config_fail(source, "data.num_next_per_last", "too many classes (" + fmt(classes) + " > 1e6)");
    }
    if (c.train.optimizer == "normalized_gd" || c.train.optimizer == "adam")
        config_fail(source, "train.optimizer", c.train.optimizer + " is not offered by the scan_snap model; it trains with momentum (or gd)");
    if (s.effective_lr_y() != s.effective_lr_y() || std::isinf(s.effective_lr_y()))
        config_fail(source, "train.lr_y_over_z", "lr_z * lr_y_over_z is not finite");
}

}  // namespace snapscope
