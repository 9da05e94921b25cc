// The run configuration: a flat set of dotted keys ("train.lr_z"), read from
// JSON (nested objects or dotted keys, or both), validated against one schema
// table, and resolved into typed structs. The schema is also the reference
// printed by `snapscope-cli keys`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
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

struct ModelConfig {
    std::string kind = "scan_snap";  // scan_snap | tpg
    std::string embedding = "onehot";  // tpg: onehot | ortho | random | equicorr
    int dim = 0;                       // tpg: d (0: K)
    double rho = 0.5;                  // tpg: equicorr correlation
    bool normalize = true;
    bool residual = false;
    bool attend_query = false;
};

struct DataConfig {
    std::string kind = "synthetic";  // synthetic | file
    int num_last = 2;
    int num_next_per_last = 2;
    int num_common = 10;
    int num_common_per_last = 5;
    int num_unique_per_next = 10;
    double unique_min = 0.1;
    double unique_max = 1.0;
    double common_weight = 1.0;
    int seq_len = 128;
    std::string path;
    int vocab_size = 0;  // 0: largest id + 1 (file) or the generator's M (synthetic); tpg: K
    int num_samples = 6;  // tpg generator: n
    std::string graph = "any";  // tpg generator: cyclic | acyclic | any
};

struct TrainConfig {
    std::string mode = "sampled";  // sampled | mean_field
    int batch = 128;
    double lr_z = 1.0;
    double lr_y = 1.0;
    std::optional<double> lr_y_over_z;  // when set, lr_y = lr_z * lr_y_over_z
    double momentum = 0.9;
    std::int64_t steps = 100;
    std::uint64_t seed = 0;
    std::string init = "zero";  // zero | uniform
    std::string optimizer = "momentum";  // momentum | gd | normalized_gd
    double lr = 0.01;                    // tpg: learning rate
};

struct HistoryConfig {
    int capacity = 4096;       // records kept at most (older ones are thinned)
    double budget_mb = 256;    // memory for every recorded history of a run (the GUI's frames included)
};

struct LimitsConfig {
    double memory_mb = 0;  // what a run may allocate, in MiB (0: three quarters of the machine's RAM)
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

    // lr_y after applying lr_y_over_z.
    double effective_lr_y() const { return train.lr_y_over_z ? train.lr_z * *train.lr_y_over_z : train.lr_y; }
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
