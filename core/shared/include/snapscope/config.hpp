// The run configuration: a flat set of dotted keys ("train.lr_z"), read from
// JSON (nested objects or dotted keys, or both), validated against one schema
// table, and resolved into typed structs. The schema is also the reference
// printed by `snapscope-cli keys`.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapscope/input.hpp"

namespace snapscope {

// A configuration problem. `key()` names the offending key ("" when the
// problem is with the document as a whole); what() is a complete one-line
// message that already includes the source and the key.
class ConfigError : public InputError {
public:
    ConfigError(std::string key, const std::string& message) : InputError(message, std::move(key)) {}
};

// A run that would not fit in limits.memory_mb (MemoryEstimate::check); key() names the key that sizes its largest part.
class MemoryLimitError : public ConfigError {
public:
    using ConfigError::ConfigError;
};

enum class ValueType { Bool, Int, Number, String };

struct KeySpec {
    std::string key;
    ValueType type;
    nlohmann::json default_value;  // null means "unset" (allowed only when nullable)
    double min = 0, max = 0;       // range for Int/Number (inclusive unless *_open)
    bool min_open = false, max_open = false;
    std::vector<std::string> choices;  // allowed values for String (empty = any)
    bool nullable = false;
    std::string help;
};

// All keys, in display order.
const std::vector<KeySpec>& config_schema();
const KeySpec* find_key(const std::string& key);
// The current name of a key that was renamed (read under the old name, written under the new), or null.
const char* deprecated_key_target(const std::string& key);

// The first lab of the registry (core/shared/src/labs.cpp): model.kind's default.
const std::string& default_lab_kind();

struct ModelConfig {
    std::string kind = default_lab_kind();  // which lab runs (LabSpec::kind)
};

struct DataConfig {
    std::string kind = "synthetic";  // synthetic | file | text
    int seq_len = 128;
    std::string path;
    int vocab_size = 0;  // 0: from the data (largest id + 1) or the lab's generator; a text: every word
    std::string text_format = "auto";
    double valid_fraction = 0.1;
};

struct TrainConfig {
    double momentum = 0.9;
    std::int64_t steps = 100;
    std::uint64_t seed = 0;
    std::string optimizer = "momentum";  // momentum | gd | normalized_gd | adam (each lab takes those it offers)
    int batch = 128;                     // samples (sequences) per step
};

struct HistoryConfig {
    int capacity = 4096;       // records kept at most (older ones are thinned)
    double budget_mb = 256;    // memory for every recorded history of a run (the GUI's frames included)
};

struct LimitsConfig {
    double memory_mb = 0;  // what a run may allocate, in MiB (0: three quarters of the machine's RAM)
};

// Each lab's own settings, one struct per lab (its keys bind to that struct's fields: bind_lab_key), kept by type so
// the shared Config names no lab. A lab reads them with cfg.lab<T>(); one never set reads as T's defaults.
class LabSettings {
public:
    template <class T>
    T& get() {
        std::any& a = by_type_[std::type_index(typeid(T))];
        if (!a.has_value()) a = T{};
        return std::any_cast<T&>(a);
    }
    template <class T>
    const T& get() const {
        auto it = by_type_.find(std::type_index(typeid(T)));
        if (it == by_type_.end()) {
            static const T defaults{};
            return defaults;
        }
        return std::any_cast<const T&>(it->second);
    }

private:
    std::map<std::type_index, std::any> by_type_;
};

struct Config {
    std::string description;
    ModelConfig model;
    DataConfig data;
    TrainConfig train;
    HistoryConfig history;
    LimitsConfig limits;
    std::string sweep_grid;  // sweep.grid
    int sweep_seeds = 1;     // sweep.seeds
    LabSettings labs;

    template <class T>
    T& lab() { return labs.get<T>(); }
    template <class T>
    const T& lab() const { return labs.get<T>(); }
};

using FlatConfig = std::map<std::string, nlohmann::json>;

// A config key bound to its field of Config, written once: the schema (KeySpec), reading a checked value into a
// Config (resolve_config) and writing it back (config_to_json) all come from the binding. The shared keys are bound in
// core/shared/src/config.cpp, each lab's own keys in its folder (LabSpec::config_keys).
struct KeyBinding {
    KeySpec spec;
    std::function<void(Config&, const nlohmann::json&)> set;  // stores a value that passed the spec's checks
    std::function<nlohmann::json(const Config&)> get;         // the value config_to_json writes
};

// KeySpecs of each type (ranges inclusive unless *_open; a nullable number may be null, "unset").
KeySpec bool_key(const char* key, bool def, const char* help);
KeySpec int_key(const char* key, std::int64_t def, double lo, double hi, const char* help);
KeySpec number_key(const char* key, nlohmann::json def, double lo, double hi, const char* help, bool lo_open = false,
                   bool hi_open = false, bool nullable = false);
KeySpec string_key(const char* key, const char* def, std::vector<std::string> choices, const char* help);

// Binds `spec` to the field (c.*section).*field.
template <class S, class T>
KeyBinding bind_key(KeySpec spec, S Config::*section, T S::*field) {
    return {std::move(spec), [section, field](Config& c, const nlohmann::json& v) { (c.*section).*field = v.get<T>(); },
            [section, field](const Config& c) { return nlohmann::json((c.*section).*field); }};
}
// Binds `spec` to the field of a lab's settings struct, c.lab<S>().*field.
template <class S, class T>
KeyBinding bind_lab_key(KeySpec spec, T S::*field) {
    return {std::move(spec), [field](Config& c, const nlohmann::json& v) { c.lab<S>().*field = v.get<T>(); },
            [field](const Config& c) { return nlohmann::json(c.lab<S>().*field); }};
}
// Binds `spec` to the top-level field c.*field.
template <class T>
KeyBinding bind_key(KeySpec spec, T Config::*field) {
    return {std::move(spec), [field](Config& c, const nlohmann::json& v) { c.*field = v.get<T>(); },
            [field](const Config& c) { return nlohmann::json(c.*field); }};
}

// Every key's binding: the shared keys, then each lab's in registry order. Throws std::logic_error if two places
// bind the same key.
const std::vector<KeyBinding>& config_bindings();

// Throws ConfigError "SOURCE: key 'KEY': WHAT" (for the cross-key rules of labs).
[[noreturn]] void config_fail(const std::string& source, const std::string& key, const std::string& what);

// Flattens a JSON document into dotted keys. `source` names the document in
// messages (a file name, "preset fig4", ...). Throws ConfigError.
FlatConfig flatten_config(const nlohmann::json& doc, const std::string& source);

// Parses JSON text (e.g. a file's contents); syntax errors name line and column.
FlatConfig parse_config_text(const std::string& text, const std::string& source);

// Reads and parses a config file. Throws ConfigError (also when unreadable).
FlatConfig load_config_file(const std::string& path);
// A JSON file of at most kMaxConfigFileBytes (a config, session or sweep definition; `what` names it in messages):
// read, parsed (nesting limited), any problem a ConfigError naming the file.
nlohmann::json read_json_file(const std::string& path, const std::string& what);

// Applies "key=value" (value parsed as JSON, else taken as a string).
void apply_assignment(FlatConfig& flat, const std::string& assignment, const std::string& source = "--set");

// A value written on the command line (--set, --grid): JSON, or a bare number as people write them (+1, .5, 00012,
// 1E3: a number), or a bare word (a string). Throws ConfigError naming `key` (and `source`) for a number a double
// cannot hold, an integer beyond 64 bits, or broken JSON ([, {, ").
nlohmann::json parse_command_line_value(const std::string& text, const std::string& key, const std::string& source);

// Validates every key (unknown key, wrong type, out of range, cross-key rules)
// and fills defaults. Throws ConfigError naming the key.
Config resolve_config(const FlatConfig& flat, const std::string& source = "config");

// Every key with its resolved value, as a flat object with dotted keys; feeding
// it back to resolve_config gives the same Config.
nlohmann::json config_to_json(const Config& cfg);

}  // namespace snapscope
