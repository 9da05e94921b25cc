#include "snapscope/config.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace snapscope {

using nlohmann::json;

namespace {

KeySpec boolean(const char* key, bool def, const char* help) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::Bool;
    s.default_value = def;
    s.help = help;
    return s;
}

KeySpec integer(const char* key, std::int64_t def, double lo, double hi, const char* help) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::Int;
    s.default_value = def;
    s.min = lo;
    s.max = hi;
    s.help = help;
    return s;
}

KeySpec number(const char* key, json def, double lo, double hi, const char* help, bool lo_open = false,
               bool hi_open = false, bool nullable = false) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::Number;
    s.default_value = std::move(def);
    s.min = lo;
    s.max = hi;
    s.min_open = lo_open;
    s.max_open = hi_open;
    s.nullable = nullable;
    s.help = help;
    return s;
}

KeySpec string(const char* key, const char* def, std::vector<std::string> choices, const char* help) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::String;
    s.default_value = def;
    s.choices = std::move(choices);
    s.help = help;
    return s;
}

std::vector<KeySpec> make_schema() {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<KeySpec> v;
    v.push_back(string("description", "", {}, "One line saying what this configuration is for."));
    v.push_back(string("model.kind", "scan_snap", {"scan_snap", "tpg"},
                       "Which lab's model: scan_snap (Tian et al. 2023) or tpg (token-priority graphs, Li et al. 2024)."));
    v.push_back(string("model.embedding", "onehot", {"onehot", "ortho", "random", "equicorr"},
                       "tpg: token embeddings: onehot (d = K), ortho (random orthonormal rows), random (unit Gaussian), equicorr."));
    v.push_back(integer("model.dim", 0, 0, 4096, "tpg: embedding dimension d (0: K)."));
    v.push_back(number("model.rho", 0.5, 0, 1, "tpg: pairwise correlation of equicorr embeddings.", false, true));
    v.push_back(boolean("model.normalize", true, "L2-normalise the pooled attention output (the paper's setting)."));
    v.push_back(boolean("model.residual", false, "Add the query's one-hot vector to the pooled output."));
    v.push_back(boolean("model.attend_query", false, "Let the query token attend to itself (it becomes a key)."));
    v.push_back(string("data.kind", "synthetic", {"synthetic", "file"},
                       "synthetic: the paper's generator; file: JSON Lines samples from data.path."));
    v.push_back(integer("data.num_last", 2, 1, 100000, "Number of query (last) tokens."));
    v.push_back(integer("data.num_next_per_last", 2, 1, 100000, "Next tokens (classes) per query token."));
    v.push_back(integer("data.num_common", 10, 0, 1000000, "Tokens shared by all classes."));
    v.push_back(integer("data.num_common_per_last", 5, 0, 1000000, "Tokens shared by the classes of one query."));
    v.push_back(integer("data.num_unique_per_next", 10, 0, 1000000, "Distinct tokens owned by each class."));
    v.push_back(number("data.unique_min", 0.1, 0, inf, "Unnormalised weight of a class's rarest distinct token.", false, true));
    v.push_back(number("data.unique_max", 1.0, 0, inf, "Unnormalised weight of a class's most frequent distinct token.", false, true));
    v.push_back(number("data.common_weight", 1.0, 0, inf, "Unnormalised weight of each common token.", false, true));
    v.push_back(integer("data.seq_len", 128, 2, 100000000, "Sequence length L (L-1 contextual tokens plus the query)."));
    v.push_back(string("data.path", "", {}, "JSON Lines file for data.kind = file: {\"tokens\": [...], \"label\": n} per line."));
    v.push_back(integer("data.vocab_size", 0, 0, 100000000, "Vocabulary size (M; tpg: K) for file data (0: largest id + 1); the tpg generator's K."));
    v.push_back(integer("data.num_samples", 6, 1, 1000000, "tpg generator: number of samples n."));
    v.push_back(string("data.graph", "any", {"any", "cyclic", "acyclic"},
                       "tpg generator: resample until some graph has a cycle (cyclic) or none has (acyclic)."));
    v.push_back(string("train.mode", "sampled", {"sampled", "mean_field"},
                       "sampled: a fresh random batch per step; mean_field: the deterministic T -> infinity limit."));
    v.push_back(integer("train.batch", 128, 1, 100000000, "Samples per step."));
    v.push_back(number("train.lr_z", 1.0, 0, inf, "Learning rate of the attention logits Z.", false, true));
    v.push_back(number("train.lr_y", 1.0, 0, inf, "Learning rate of the decoder Y.", false, true));
    v.push_back(number("train.lr_y_over_z", json(), 0, inf, "If set, lr_y = lr_z * lr_y_over_z (overrides train.lr_y).",
                       true, true, true));
    v.push_back(number("train.momentum", 0.9, 0, 1, "SGD momentum (PyTorch semantics); 0 for plain SGD.", false, true));
    v.push_back(integer("train.steps", 100, 0, 1e15, "Number of optimiser steps."));
    v.push_back(integer("train.seed", 0, 0, 18446744073709551615.0, "Random seed; the same seed replays the run bit for bit."));
    v.push_back(string("train.init", "zero", {"zero", "uniform"},
                       "zero: Y = Z = 0; uniform: U(-1/sqrt(M), 1/sqrt(M)) like PyTorch's Linear."));
    v.push_back(string("train.optimizer", "momentum", {"momentum", "gd", "normalized_gd"},
                       "momentum: SGD with train.momentum; gd: plain gradient descent; normalized_gd: W -= lr grad/|grad| (tpg)."));
    v.push_back(number("train.lr", 0.01, 0, inf, "tpg: learning rate of W.", false, true));
    v.push_back(string("sweep.grid", "", {}, "Sweeps: 'key=v1,v2;key2=a,b' (snapscope-cli sweep adds --grid axes)."));
    v.push_back(integer("sweep.seeds", 1, 1, 100000, "Sweeps: seeds 1..N per grid point."));
    v.push_back(integer("history.capacity", 4096, 16, 100000000, "Recorded steps kept at most; older ones are thinned out."));
    v.push_back(number("history.budget_mb", 256, 0, 1e7,
                       "Memory (MiB) for everything a run records over time (curves, attention and Z records, the GUI's frames); "
                       "older records are thinned to fit.", true));
    v.push_back(number("limits.memory_mb", 0, 0, 1e9,
                       "Memory (MiB) a run may use; every allocation that grows with an input is estimated against it first "
                       "(0: three quarters of this machine's RAM)."));
    return v;
}

std::string type_name(ValueType t) {
    switch (t) {
        case ValueType::Bool: return "a boolean (true/false)";
        case ValueType::Int: return "an integer";
        case ValueType::Number: return "a number";
        case ValueType::String: return "a string";
    }
    return "?";
}

std::string json_kind(const json& j) {
    if (j.is_null()) return "null";
    if (j.is_boolean()) return "a boolean";
    if (j.is_number_integer() || j.is_number_unsigned()) return "an integer";
    if (j.is_number()) return "a number";
    if (j.is_string()) return "a string";
    if (j.is_array()) return "an array";
    return "an object";
}

std::string fmt(double x) {
    std::ostringstream os;
    os.precision(15);
    os << x;
    return os.str();
}

// An integer bound as digits (the largest seed is 2^64 - 1, which a double rounds up to 2^64).
std::string fmt_int(double x) {
    if (x >= 18446744073709551615.0) return "18446744073709551615";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
}

[[noreturn]] void fail(const std::string& source, const std::string& key, const std::string& what) {
    const std::string k = brief_text(key, 80);
    throw ConfigError(k, source + ": key '" + k + "': " + what);
}

// No config key is longer; a longer one is refused before it is built any further (a deep document of long keys
// would otherwise build keys in memory quadratic in its size).
constexpr std::size_t kMaxKeyLength = 200;

void flatten_into(const json& node, const std::string& prefix, FlatConfig& out, const std::string& source) {
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (prefix.size() + it.key().size() + 1 > kMaxKeyLength)
            fail(source, prefix.empty() ? it.key() : prefix + "." + it.key(), "unknown key (no config key is this long)");
        const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
        if (it.value().is_object()) {
            flatten_into(it.value(), key, out, source);
            continue;
        }
        if (!out.emplace(key, it.value()).second) fail(source, key, "given twice");
    }
}

}  // namespace

const std::vector<KeySpec>& config_schema() {
    static const std::vector<KeySpec> schema = make_schema();
    return schema;
}

const KeySpec* find_key(const std::string& key) {
    for (const auto& s : config_schema())
        if (s.key == key) return &s;
    return nullptr;
}

const char* deprecated_key_target(const std::string& key) {
    // Older files name these keys; they are read as their new names and written under the new names.
    if (key == "history.matrix_budget_mb") return "history.budget_mb";
    return nullptr;
}

FlatConfig flatten_config(const json& doc, const std::string& source) {
    if (!doc.is_object()) throw ConfigError("", source + ": expected a JSON object, got " + json_kind(doc));
    FlatConfig out;
    flatten_into(doc, "", out, source);
    return out;
}

FlatConfig parse_config_text(const std::string& text, const std::string& source) {
    json doc;
    try {
        doc = parse_json_text(text, source);
    } catch (const ConfigError&) {
        throw;
    } catch (const InputError& e) {
        throw ConfigError(e.key(), e.what());
    }
    return flatten_config(doc, source);
}

json read_json_file(const std::string& path, const std::string& what) {
    try {
        return parse_json_text(read_input_file(path, what, kMaxConfigFileBytes), path);
    } catch (const InputError& e) {
        throw ConfigError(e.key(), e.what());
    }
}

FlatConfig load_config_file(const std::string& path) { return flatten_config(read_json_file(path, "config file"), path); }

json parse_command_line_value(const std::string& text, const std::string& key, const std::string& source) {
    if (json::accept(text)) {
        try {
            return parse_json_text(text, source + " " + brief_text(key, 80));
        } catch (const InputError& e) {
            throw ConfigError(key, e.what());
        }
    }
    // A bare number: [+-] (digits [. digits] | . digits) [e [+-] digits].
    std::size_t i = 0;
    const std::size_t n = text.size();
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    const std::size_t int_start = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t digits = i - int_start;
    bool integral = true;
    if (i < n && text[i] == '.') {
        integral = false;
        ++i;
        const std::size_t f = i;
        while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        digits += i - f;
    }
    if (digits > 0 && i < n && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < n && (text[j] == '+' || text[j] == '-')) ++j;
        const std::size_t e = j;
        while (j < n && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        if (j > e) {
            integral = false;
            i = j;
        }
    }
    if (digits > 0 && i == n) {
        const char* b = text.c_str() + (text[0] == '+' ? 1 : 0);
        const char* e = text.c_str() + n;
        if (integral) {
            std::int64_t v = 0;
            if (const auto r = std::from_chars(b, e, v); r.ec == std::errc() && r.ptr == e) return v;
            std::uint64_t u = 0;
            if (const auto r = std::from_chars(b, e, u); r.ec == std::errc() && r.ptr == e) return u;
            fail(source, key, "'" + brief_text(text) + "' is an integer beyond 64 bits");
        }
        const double d = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(d)) fail(source, key, "'" + brief_text(text) + "' is beyond the range of a double (about 1.8e308)");
        return d;
    }
    if (!text.empty() && (text[0] == '[' || text[0] == '{' || text[0] == '"')) fail(source, key, "'" + brief_text(text) + "' is not valid JSON");
    return text;  // a bare word: a string
}

void apply_assignment(FlatConfig& flat, const std::string& assignment, const std::string& source) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("", source + " '" + brief_text(assignment) + "': expected key=value");
    const std::string key = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    if (!find_key(key) && !deprecated_key_target(key)) fail(source, key, "unknown key (snapscope-cli keys lists them)");
    const json value = parse_command_line_value(text, key, source);
    flat[key] = value;
}

namespace {

json checked_value(const FlatConfig& flat, const KeySpec& spec, const std::string& source) {
    auto it = flat.find(spec.key);
    if (it == flat.end()) return spec.default_value;
    const json& v = it->second;
    if (v.is_null()) {
        if (spec.nullable) return v;
        fail(source, spec.key, "expected " + type_name(spec.type) + ", got null");
    }
    switch (spec.type) {
        case ValueType::Bool:
            if (!v.is_boolean()) fail(source, spec.key, "expected " + type_name(spec.type) + ", got " + json_kind(v));
            return v;
        case ValueType::String: {
            if (!v.is_string()) fail(source, spec.key, "expected " + type_name(spec.type) + ", got " + json_kind(v));
            const std::string s = v.get<std::string>();
            if (!spec.choices.empty()) {
                bool ok = false;
                for (const auto& c : spec.choices) ok = ok || c == s;
                if (!ok) {
                    std::string list;
                    for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
                    fail(source, spec.key, "'" + brief_text(s) + "' is not one of: " + list);
                }
            }
            return v;
        }
        case ValueType::Int: {
            if (!v.is_number()) fail(source, spec.key, "expected " + type_name(spec.type) + ", got " + json_kind(v));
            if (v.is_number_float()) {
                const double d = v.get<double>();
                if (!std::isfinite(d) || std::floor(d) != d)
                    fail(source, spec.key, "expected " + type_name(spec.type) + ", got " + fmt(d));
                // A number written with a fraction or an exponent is a double: exact only up to 2^53, so a larger
                // one may not be the integer that was written (18446744073709551616 would become 2^64 - 1).
                if (d >= spec.max && spec.max >= 9007199254740992.0)
                    fail(source, spec.key, "value " + fmt(d) + " is too large (at most " + fmt_int(spec.max) + ")");
                if (std::abs(d) >= 9007199254740992.0)
                    fail(source, spec.key, "expected an integer written as digits: " + fmt(d) +
                                               " has a fraction or an exponent, and beyond 2^53 such a number may not be the integer written");
            }
            const double d = v.get<double>();
            if (d < spec.min || d > spec.max)
                fail(source, spec.key, "value " + (v.is_number_float() ? fmt(d) : v.dump()) + " is out of range [" + fmt_int(spec.min) + ", " +
                                           fmt_int(spec.max) + "]");
            return v;
        }
        case ValueType::Number: {
            if (!v.is_number()) fail(source, spec.key, "expected " + type_name(spec.type) + ", got " + json_kind(v));
            const double d = v.get<double>();
            const bool lo_bad = spec.min_open ? !(d > spec.min) : !(d >= spec.min);
            const bool hi_bad = spec.max_open ? !(d < spec.max) : !(d <= spec.max);
            if (!std::isfinite(d) || lo_bad || hi_bad)
                fail(source, spec.key, "value " + fmt(d) + " is out of range " + (spec.min_open ? "(" : "[") + fmt(spec.min) +
                                           ", " + (std::isinf(spec.max) ? "inf" : fmt(spec.max)) + (spec.max_open ? ")" : "]"));
            return v;
        }
    }
    return v;
}

}  // namespace

Config resolve_config(const FlatConfig& flat_in, const std::string& source) {
    FlatConfig renamed;
    const FlatConfig* fp = &flat_in;
    for (const auto& kv : flat_in)
        if (const char* to = deprecated_key_target(kv.first)) {
            if (fp == &flat_in) {
                renamed = flat_in;
                fp = &renamed;
            }
            if (renamed.count(to)) fail(source, kv.first, std::string("is the old name of '") + to + "', which is also given");
            renamed[to] = kv.second;
            renamed.erase(kv.first);
        }
    const FlatConfig& flat = *fp;
    for (const auto& kv : flat) {
        if (!find_key(kv.first)) {
            // Suggest a key with the same last component, if any.
            std::string hint;
            const auto dot = kv.first.rfind('.');
            const std::string leaf = dot == std::string::npos ? kv.first : kv.first.substr(dot + 1);
            for (const auto& s : config_schema()) {
                const auto d2 = s.key.rfind('.');
                if ((d2 == std::string::npos ? s.key : s.key.substr(d2 + 1)) == leaf) hint = " (did you mean '" + s.key + "'?)";
            }
            fail(source, kv.first, "unknown key" + hint);
        }
    }
    std::map<std::string, json> v;
    for (const auto& spec : config_schema()) v[spec.key] = checked_value(flat, spec, source);

    Config c;
    c.description = v["description"].get<std::string>();
    c.model.kind = v["model.kind"].get<std::string>();
    c.model.normalize = v["model.normalize"].get<bool>();
    c.model.residual = v["model.residual"].get<bool>();
    c.model.attend_query = v["model.attend_query"].get<bool>();
    c.model.embedding = v["model.embedding"].get<std::string>();
    c.model.dim = v["model.dim"].get<int>();
    c.model.rho = v["model.rho"].get<double>();
    c.data.num_samples = v["data.num_samples"].get<int>();
    c.data.graph = v["data.graph"].get<std::string>();
    c.train.optimizer = v["train.optimizer"].get<std::string>();
    c.train.lr = v["train.lr"].get<double>();
    c.data.kind = v["data.kind"].get<std::string>();
    c.data.num_last = v["data.num_last"].get<int>();
    c.data.num_next_per_last = v["data.num_next_per_last"].get<int>();
    c.data.num_common = v["data.num_common"].get<int>();
    c.data.num_common_per_last = v["data.num_common_per_last"].get<int>();
    c.data.num_unique_per_next = v["data.num_unique_per_next"].get<int>();
    c.data.unique_min = v["data.unique_min"].get<double>();
    c.data.unique_max = v["data.unique_max"].get<double>();
    c.data.common_weight = v["data.common_weight"].get<double>();
    c.data.seq_len = v["data.seq_len"].get<int>();
    c.data.path = v["data.path"].get<std::string>();
    c.data.vocab_size = v["data.vocab_size"].get<int>();
    c.train.mode = v["train.mode"].get<std::string>();
    c.train.batch = v["train.batch"].get<int>();
    c.train.lr_z = v["train.lr_z"].get<double>();
    c.train.lr_y = v["train.lr_y"].get<double>();
    if (!v["train.lr_y_over_z"].is_null()) c.train.lr_y_over_z = v["train.lr_y_over_z"].get<double>();
    c.train.momentum = v["train.momentum"].get<double>();
    c.train.steps = v["train.steps"].get<std::int64_t>();
    c.train.seed = v["train.seed"].get<std::uint64_t>();
    c.train.init = v["train.init"].get<std::string>();
    c.history.capacity = v["history.capacity"].get<int>();
    c.sweep_grid = v["sweep.grid"].get<std::string>();
    c.sweep_seeds = v["sweep.seeds"].get<int>();
    c.history.budget_mb = v["history.budget_mb"].get<double>();
    c.limits.memory_mb = v["limits.memory_mb"].get<double>();

    // Rules that involve more than one key.
    if (c.data.unique_max < c.data.unique_min)
        fail(source, "data.unique_max",
             "must be >= data.unique_min (" + fmt(c.data.unique_max) + " < " + fmt(c.data.unique_min) + ")");
    if (c.data.kind == "file" && c.data.path.empty()) fail(source, "data.path", "is required when data.kind is 'file'");
    if (c.data.kind == "synthetic") {
        const double mass = (c.data.num_common + c.data.num_common_per_last) * c.data.common_weight +
                            (c.data.num_unique_per_next > 0 ? c.data.unique_min + c.data.unique_max : 0.0);
        if (!(mass > 0))
            fail(source, "data.num_unique_per_next",
                 "every class needs at least one contextual token with positive weight (all counts or weights are 0)");
        // The weights are relative; their sum over a class must be a finite number (1e308 each overflows).
        const double common_mass = (c.data.num_common + c.data.num_common_per_last) * c.data.common_weight;
        const double unique_mass = c.data.num_unique_per_next * c.data.unique_max;
        if (!std::isfinite(common_mass + unique_mass))
            fail(source, std::isfinite(unique_mass) ? "data.common_weight" : "data.unique_max",
                 "a class's token weights add up to more than a double holds (" + fmt(common_mass) + " + " + fmt(unique_mass) +
                     "); the weights are relative, so use ordinary sizes (e.g. 0.1 to 10)");
        const double classes = static_cast<double>(c.data.num_last) * c.data.num_next_per_last;
        if (classes > 1e6) fail(source, "data.num_next_per_last", "too many classes (" + fmt(classes) + " > 1e6)");
    }
    if (c.model.kind == "scan_snap" && c.train.optimizer == "normalized_gd")
        fail(source, "train.optimizer", "normalized_gd is for the tpg model; scan_snap trains with momentum (or gd)");
    if (c.model.kind == "tpg" && c.data.kind == "synthetic" && c.data.vocab_size < 2)
        fail(source, "data.vocab_size", "the tpg generator needs the vocabulary size K >= 2");
    if (c.model.kind == "tpg" && c.data.kind == "synthetic" && c.data.seq_len > 100000)
        fail(source, "data.seq_len", "the tpg generator's sequences are at most 100000 tokens");
    if (c.effective_lr_y() != c.effective_lr_y() || std::isinf(c.effective_lr_y()))
        fail(source, "train.lr_y_over_z", "lr_z * lr_y_over_z is not finite");
    return c;
}

json config_to_json(const Config& c) {
    json j = json::object();
    j["description"] = c.description;
    j["model.kind"] = c.model.kind;
    j["model.normalize"] = c.model.normalize;
    j["model.residual"] = c.model.residual;
    j["model.attend_query"] = c.model.attend_query;
    j["model.embedding"] = c.model.embedding;
    j["model.dim"] = c.model.dim;
    j["model.rho"] = c.model.rho;
    j["data.num_samples"] = c.data.num_samples;
    j["data.graph"] = c.data.graph;
    j["train.optimizer"] = c.train.optimizer;
    j["train.lr"] = c.train.lr;
    j["data.kind"] = c.data.kind;
    j["data.num_last"] = c.data.num_last;
    j["data.num_next_per_last"] = c.data.num_next_per_last;
    j["data.num_common"] = c.data.num_common;
    j["data.num_common_per_last"] = c.data.num_common_per_last;
    j["data.num_unique_per_next"] = c.data.num_unique_per_next;
    j["data.unique_min"] = c.data.unique_min;
    j["data.unique_max"] = c.data.unique_max;
    j["data.common_weight"] = c.data.common_weight;
    j["data.seq_len"] = c.data.seq_len;
    j["data.path"] = c.data.path;
    j["data.vocab_size"] = c.data.vocab_size;
    j["train.mode"] = c.train.mode;
    j["train.batch"] = c.train.batch;
    j["train.lr_z"] = c.train.lr_z;
    j["train.lr_y"] = c.effective_lr_y();
    j["train.lr_y_over_z"] = c.train.lr_y_over_z ? json(*c.train.lr_y_over_z) : json();
    j["train.momentum"] = c.train.momentum;
    j["train.steps"] = c.train.steps;
    j["train.seed"] = c.train.seed;
    j["train.init"] = c.train.init;
    j["sweep.grid"] = c.sweep_grid;
    j["sweep.seeds"] = c.sweep_seeds;
    j["history.capacity"] = c.history.capacity;
    j["history.budget_mb"] = c.history.budget_mb;
    j["limits.memory_mb"] = c.limits.memory_mb;
    return j;
}

}  // namespace snapscope
