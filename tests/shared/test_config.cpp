#include <gtest/gtest.h>

#include "snapscope/config.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/scansnap_run.hpp"

using namespace snapscope;
using nlohmann::json;

namespace {

// Resolves `text`, expecting a ConfigError that names `key`; returns the message.
std::string expect_error(const std::string& text, const std::string& key) {
    try {
        resolve_config(parse_config_text(text, "cfg.json"), "cfg.json");
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), key) << e.what();
        EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no error for " << text;
    return "";
}

}  // namespace

TEST(Config, DefaultsMatchTheory) {
    const Config c = resolve_config({});
    EXPECT_TRUE(scansnap_settings(c).normalize);
    EXPECT_FALSE(scansnap_settings(c).residual);
    EXPECT_FALSE(scansnap_settings(c).attend_query);
    EXPECT_EQ(scansnap_settings(c).num_last, 2);
    EXPECT_EQ(scansnap_settings(c).num_next_per_last, 2);
    EXPECT_EQ(scansnap_settings(c).num_common, 10);
    EXPECT_EQ(scansnap_settings(c).num_common_per_last, 5);
    EXPECT_EQ(scansnap_settings(c).num_unique_per_next, 10);
    EXPECT_DOUBLE_EQ(scansnap_settings(c).unique_min, 0.1);
    EXPECT_DOUBLE_EQ(scansnap_settings(c).unique_max, 1.0);
    EXPECT_DOUBLE_EQ(scansnap_settings(c).common_weight, 1.0);
    EXPECT_DOUBLE_EQ(c.train.momentum, 0.9);
}

TEST(Config, NestedAndDottedKeysAreTheSame) {
    const Config a = resolve_config(parse_config_text(R"({"train": {"lr_z": 0.25}, "data": {"seq_len": 64}})", "a"));
    const Config b = resolve_config(parse_config_text(R"({"train.lr_z": 0.25, "data.seq_len": 64})", "b"));
    EXPECT_EQ(config_to_json(a), config_to_json(b));
    EXPECT_DOUBLE_EQ(scansnap_settings(a).lr_z, 0.25);
}

TEST(Config, UnknownKeyIsNamedWithSuggestion) {
    const std::string msg = expect_error(R"({"train": {"lr_zz": 1}})", "train.lr_zz");
    EXPECT_NE(msg.find("unknown key"), std::string::npos);
    const std::string msg2 = expect_error(R"({"model": {"seq_len": 3}})", "model.seq_len");
    EXPECT_NE(msg2.find("did you mean 'data.seq_len'"), std::string::npos) << msg2;
}

TEST(Config, WrongTypesAreNamed) {
    expect_error(R"({"train": {"lr_z": "fast"}})", "train.lr_z");
    expect_error(R"({"data": {"seq_len": 12.5}})", "data.seq_len");
    expect_error(R"({"model": {"normalize": 1}})", "model.normalize");
    expect_error(R"({"data": {"kind": 3}})", "data.kind");
    expect_error(R"({"train": {"batch": [1]}})", "train.batch");
    expect_error(R"({"train": {"seed": null}})", "train.seed");
}

TEST(Config, OutOfRangeValuesAreNamed) {
    EXPECT_NE(expect_error(R"({"train": {"lr_z": -1}})", "train.lr_z").find("out of range"), std::string::npos);
    expect_error(R"({"train": {"momentum": 1.0}})", "train.momentum");
    expect_error(R"({"data": {"seq_len": 1}})", "data.seq_len");
    expect_error(R"({"data": {"num_last": 0}})", "data.num_last");
    expect_error(R"({"train": {"batch": 0}})", "train.batch");
    expect_error(R"({"train": {"lr_y_over_z": 0}})", "train.lr_y_over_z");
    expect_error(R"({"data": {"kind": "csv"}})", "data.kind");
    expect_error(R"({"train": {"init": "gaussian"}})", "train.init");
    expect_error(R"({"train": {"mode": "exact"}})", "train.mode");
}

TEST(Config, CrossKeyRules) {
    expect_error(R"({"data": {"unique_min": 2, "unique_max": 1}})", "data.unique_max");
    expect_error(R"({"data": {"kind": "file"}})", "data.path");
    expect_error(R"({"data": {"num_common": 0, "num_common_per_last": 0, "num_unique_per_next": 0}})", "data.num_unique_per_next");
}

TEST(Config, DuplicateKeyAndSyntaxErrors) {
    expect_error(R"({"train": {"lr_z": 1}, "train.lr_z": 2})", "train.lr_z");
    try {
        parse_config_text("{\n  \"train\": {\n    \"lr_z\": 1,,\n  }\n}", "bad.json");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.json:3:"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_config_text("[1, 2]", "arr.json"), ConfigError);
    EXPECT_THROW(load_config_file("/nonexistent/config.json"), ConfigError);
}

TEST(Config, AssignmentsParseJsonOrBareStrings) {
    FlatConfig f;
    apply_assignment(f, "train.lr_z=0.5");
    apply_assignment(f, "data.kind=file");
    apply_assignment(f, "data.path=x.jsonl");
    apply_assignment(f, "model.normalize=false");
    const Config c = resolve_config(f);
    EXPECT_DOUBLE_EQ(scansnap_settings(c).lr_z, 0.5);
    EXPECT_EQ(c.data.kind, "file");
    EXPECT_FALSE(scansnap_settings(c).normalize);
    EXPECT_THROW(apply_assignment(f, "no_equals"), ConfigError);
    EXPECT_THROW(apply_assignment(f, "train.nope=1"), ConfigError);
}

TEST(Config, LrRatioSetsLrY) {
    const Config c = resolve_config(parse_config_text(R"({"train": {"lr_z": 0.5, "lr_y": 9, "lr_y_over_z": 4}})", "r"));
    EXPECT_DOUBLE_EQ(scansnap_settings(c).effective_lr_y(), 2.0);
    EXPECT_DOUBLE_EQ(config_to_json(c)["train.lr_y"].get<double>(), 2.0);
}

TEST(Config, ResolvedJsonRoundTrips) {
    for (const auto& p : presets()) {
        const Config c = resolve_config(preset_config(p.name), p.name);
        const json j = config_to_json(c);
        const Config c2 = resolve_config(flatten_config(json::parse(j.dump()), "rt"), "rt");
        EXPECT_EQ(config_to_json(c2), j) << p.name;
        EXPECT_FALSE(p.description.empty()) << p.name;
    }
}

TEST(Config, PresetsMatchThePaper) {
    const Config f4 = resolve_config(preset_config("fig4"));
    EXPECT_EQ(scansnap_settings(f4).num_last, 2);
    EXPECT_EQ(scansnap_settings(f4).num_next_per_last, 1);
    EXPECT_EQ(scansnap_settings(f4).num_common_per_last, 0);
    EXPECT_EQ(f4.data.seq_len, 128);
    EXPECT_EQ(f4.train.batch, 128);
    EXPECT_EQ(f4.train.seed, 2u);
    EXPECT_EQ(f4.train.steps, 100);
    EXPECT_EQ(scansnap_settings(f4).init, "zero");
    const Config f6 = resolve_config(preset_config("fig6"));
    EXPECT_EQ(scansnap_settings(f6).num_last, 1);
    EXPECT_EQ(scansnap_settings(f6).num_next_per_last, 2);
    EXPECT_EQ(scansnap_settings(f6).init, "uniform");
    EXPECT_THROW(preset_config("fig5"), ConfigError);
}

TEST(Config, HugeVocabularyIsRefusedBeforeAllocating) {
    FlatConfig f = preset_config("fig4");
    apply_assignment(f, "data.num_unique_per_next=100000");
    const Config c = resolve_config(f);
    try {
        ScanSnapRun run(c);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "data.num_unique_per_next") << e.what();
        EXPECT_NE(std::string(e.what()).find("limits.memory_mb"), std::string::npos) << e.what();
    }
}

TEST(Config, NumbersTooLargeForADoubleAreErrorsNotCrashes) {
    // Found by fuzz_config: nlohmann::json throws out_of_range (not parse_error) on 1e999.
    EXPECT_THROW(parse_config_text("1E444444444444444444444444444444444444444444444444w", "fuzz"), ConfigError);
    EXPECT_THROW(parse_config_text(R"({"train": {"lr_z": 1e999}})", "big.json"), ConfigError);
    FlatConfig f;
    try {
        apply_assignment(f, "train.lr_z=1e999");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "train.lr_z");
    }
}
