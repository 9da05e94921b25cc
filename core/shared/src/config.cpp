#include "snapscope/config.hpp"
#include "snapscope/lab.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace snapscope {

using nlohmann::json;

namespace {

std::vector<KeyBinding> shared_bindings() {
    // The keys every lab reads; each lab binds its own in its folder (LabSpec::config_keys).
    std::vector<std::string> kinds;
    std::string kinds_text;
    for (const LabSpec& lab : lab_registry()) {
        kinds.push_back(lab.kind);
        kinds_text += (kinds_text.empty() ? "" : ", ") + lab.kind + " (" + lab.title + ")";
    }
    static std::string kind_help;
    kind_help = "Which lab: " + kinds_text + ".";
    std::vector<KeyBinding> v;
    v.push_back(bind_key(string_key("description", "", {}, "One line saying what this configuration is for."), &Config::description));
    v.push_back(bind_key(string_key("model.kind", default_lab_kind().c_str(), kinds, kind_help.c_str()), &Config::model, &ModelConfig::kind));
    v.push_back(bind_key(string_key("data.kind", "synthetic", {"synthetic", "file", "text"},
                                    "synthetic: the lab's generator; file: JSON Lines samples from data.path; text: a text corpus at data.path "
                                    "(a UTF-8 file or a folder of them, read as words)."),
                         &Config::data, &DataConfig::kind));
    v.push_back(bind_key(string_key("data.text_format", "auto", {"auto", "plain", "wikitext", "wikitext-joined"},
                                    "data.kind = text: how lines become words: plain (torchtext's basic_english), wikitext (the same on "
                                    "WikiText: '=' and '@-@' are words, as in the paper), wikitext-joined (headings' '=' dropped, "
                                    "'a @-@ b' one word 'a-b'); auto: wikitext for *.tokens / *.raw files and texts that open with a heading."),
                         &Config::data, &DataConfig::text_format));
    v.push_back(bind_key(number_key("data.valid_fraction", 0.1, 0, 0.9,
                                    "data.kind = text: the share of the text (its last bytes, at a line boundary) held out for validation, "
                                    "unless a folder holds WikiText's wiki.train / wiki.valid files."),
                         &Config::data, &DataConfig::valid_fraction));
    v.push_back(bind_key(int_key("data.seq_len", 128, 2, 100000000, "Sequence length L (L-1 contextual tokens plus the query)."),
                         &Config::data, &DataConfig::seq_len));
    v.push_back(bind_key(string_key("data.path", "", {}, "data.kind = file: a JSON Lines file, {\"tokens\": [...], \"label\": n} per line; data.kind = text: a text file or a folder of them."),
                         &Config::data, &DataConfig::path));
    v.push_back(bind_key(int_key("data.vocab_size", 0, 0, 100000000,
                                 "Vocabulary size for file data (0: largest id + 1); for a text, the most common words kept, <unk> included (0: every word); a lab's generator may read its vocabulary from it."),
                         &Config::data, &DataConfig::vocab_size));
    v.push_back(bind_key(number_key("train.momentum", 0.9, 0, 1, "SGD momentum (PyTorch semantics); 0 for plain SGD.", false, true),
                         &Config::train, &TrainConfig::momentum));
    v.push_back(bind_key(int_key("train.steps", 100, 0, 1e15, "Number of optimiser steps."), &Config::train, &TrainConfig::steps));
    v.push_back(bind_key(int_key("train.seed", 0, 0, 18446744073709551615.0, "Random seed; the same seed replays the run bit for bit."),
                         &Config::train, &TrainConfig::seed));
    v.push_back(bind_key(string_key("train.optimizer", "momentum", {"momentum", "gd", "normalized_gd", "adam"},
                                    "momentum: SGD with train.momentum; gd: plain gradient descent; normalized_gd: a step of length lr along the gradient; adam: Adam (where the lab offers it)."),
                         &Config::train, &TrainConfig::optimizer));
    v.push_back(bind_key(int_key("train.batch", 128, 1, 100000000, "Samples per step."), &Config::train, &TrainConfig::batch));
    v.push_back(bind_key(string_key("sweep.grid", "", {}, "Sweeps: 'key=v1,v2;key2=a,b' (snapscope-cli sweep adds --grid axes)."),
                         &Config::sweep_grid));
    v.push_back(bind_key(int_key("sweep.seeds", 1, 1, 100000, "Sweeps: seeds 1..N per grid point."), &Config::sweep_seeds));
    v.push_back(bind_key(int_key("history.capacity", 4096, 16, 100000000, "Recorded steps kept at most; older ones are thinned out."),
                         &Config::history, &HistoryConfig::capacity));
    v.push_back(bind_key(number_key("history.budget_mb", 256, 0, 1e7,
                                    "Memory (MiB) for everything a run records over time (curves, attention and Z records, the GUI's "
                                    "frames); older records are thinned to fit.",
                                    true),
                         &Config::history, &HistoryConfig::budget_mb));
    v.push_back(bind_key(number_key("limits.memory_mb", 0, 0, 1e9,
                                    "Memory (MiB) a run may use; every allocation that grows with an input is estimated against it "
                                    "first (0: three quarters of this machine's RAM)."),
                         &Config::limits, &LimitsConfig::memory_mb));
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

KeySpec bool_key(const char* key, bool def, const char* help) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::Bool;
    s.default_value = def;
    s.help = help;
    return s;
}

KeySpec int_key(const char* key, std::int64_t def, double lo, double hi, const char* help) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::Int;
    s.default_value = def;
    s.min = lo;
    s.max = hi;
    s.help = help;
    return s;
}

KeySpec number_key(const char* key, json def, double lo, double hi, const char* help, bool lo_open, bool hi_open, bool nullable) {
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

KeySpec string_key(const char* key, const char* def, std::vector<std::string> choices, const char* help) {
    KeySpec s;
    s.key = key;
    s.type = ValueType::String;
    s.default_value = def;
    s.choices = std::move(choices);
    s.help = help;
    return s;
}

const std::vector<KeyBinding>& config_bindings() {
    static const std::vector<KeyBinding> all = [] {
        std::vector<KeyBinding> v = shared_bindings();
        for (const LabSpec& lab : lab_registry())
            for (const KeyBinding& b : lab.config_keys) v.push_back(b);
        std::set<std::string> seen;
        for (const KeyBinding& b : v)
            if (!seen.insert(b.spec.key).second) throw std::logic_error("config key '" + b.spec.key + "' is bound twice");
        return v;
    }();
    return all;
}

const std::vector<KeySpec>& config_schema() {
    static const std::vector<KeySpec> schema = [] {
        std::vector<KeySpec> v;
        for (const KeyBinding& b : config_bindings()) v.push_back(b.spec);
        return v;
    }();
    return schema;
}

void config_fail(const std::string& source, const std::string& key, const std::string& what) { fail(source, key, what); }

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
    Config c;
    for (const KeyBinding& b : config_bindings()) {
        const json v = checked_value(flat, b.spec, source);
        if (!v.is_null()) b.set(c, v);  // null: a nullable key left unset
    }
    // Rules that involve more than one key: the shared ones, then those of the lab model.kind picks.
    if ((c.data.kind == "file" || c.data.kind == "text") && c.data.path.empty()) fail(source, "data.path", "is required when data.kind is '" + c.data.kind + "'");
    const LabSpec& lab = lab_of_kind(c.model.kind);
    if (lab.check_config) lab.check_config(c, source);
    return c;
}

json config_to_json(const Config& c) {
    json j = json::object();
    for (const KeyBinding& b : config_bindings()) j[b.spec.key] = b.get(c);
    return j;
}

}  // namespace snapscope
