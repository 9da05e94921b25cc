// The lab interface (issue 11): the registry picks a lab by model.kind, and a session holds what its lab needs to
// replay a run bit for bit (the token-priority-graph lab's edited training set and its learning-rate changes).
// The end-to-end test runs snapscope-cli (SNAPSCOPE_CLI_UNDER_TEST=/path/to/old/snapscope-cli shows it failing on
// the build before the lab interface: a tpg session's training set and rate changes were dropped).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "proc_util.hpp"
#include "snapscope/lab.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/scansnap_run.hpp"
#include "snapscope/session.hpp"
#include "snapscope/tpg_run.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace snapscope;
using namespace snapscope::test;

TEST(Labs, TheRegistryPicksTheLabByModelKind) {
    const auto ss = make_lab_run(preset_with("fig4"), RunUse::Cli);
    ASSERT_NE(dynamic_cast<ScanSnapRun*>(ss.get()), nullptr);
    const auto tp = make_lab_run(preset_with("tpg-cyclic"), RunUse::Cli);
    ASSERT_NE(dynamic_cast<TpgRun*>(tp.get()), nullptr);
    // Each lab's learning-rate groups are its own, with the config's values.
    ASSERT_EQ(ss->lr_groups().size(), 2u);
    EXPECT_EQ(ss->lr_groups()[0].name, "lr_z");
    EXPECT_EQ(ss->lr_groups()[1].name, "lr_y");
    ASSERT_EQ(tp->lr_groups().size(), 1u);
    EXPECT_EQ(tp->lr_groups()[0].name, "lr");
    EXPECT_EQ(tp->lr_groups()[0].value, tpg_settings(preset_with("tpg-cyclic")).lr);
    // A group the lab does not have is an error naming it; a change is logged and used.
    EXPECT_THROW(tp->set_lr("lr_z", 0.5), ConfigError);
    tp->set_lr("lr", 0.25);
    ASSERT_EQ(tp->events().size(), 1u);
    EXPECT_EQ(tp->events()[0].name, "lr");
    EXPECT_EQ(tp->events()[0].new_value, 0.25);
    EXPECT_EQ(tp->lr_groups()[0].value, 0.25);
    // Scalar metrics by name after a step, as trajectory.csv names them.
    ASSERT_TRUE(tp->step());
    bool has_corr = false;
    for (const auto& [name, v] : tp->scalar_metrics()) has_corr |= name == "corr_svm" && std::isfinite(v);
    EXPECT_TRUE(has_corr);
    Config bad = preset_with("fig4");
    bad.model.kind = "no_such_lab";
    try {
        make_lab_run(bad, RunUse::Cli);
        FAIL() << "an unknown lab was built";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "model.kind");
        EXPECT_NE(std::string(e.what()).find("scan_snap"), std::string::npos) << e.what();
    }
}

namespace {
// A tpg run on an edited training set (the generator's, one sample dropped, one added) with two rate changes.
std::unique_ptr<TpgRun> edited_tpg_run(const Config& cfg, std::int64_t steps) {
    TpgDataset d = tpg_dataset_from_config(cfg);
    d.samples.pop_back();
    d.samples.push_back({{1, 2, 3, 4}, 2});
    auto run = std::make_unique<TpgRun>(cfg, d);
    while (run->step_index() < steps) {
        if (run->step_index() == 5) run->set_lr(0.5);
        if (run->step_index() == 12) run->set_lr(0.05);
        EXPECT_TRUE(run->step());
    }
    return run;
}
}  // namespace

TEST(Labs, EachLabsSettingsAreItsOwnStructInTheConfig) {
    // The shared Config names no lab: a lab's keys are fields of its own struct (Config::lab<T>()). Its defaults are
    // the schema's, a copied Config copies them (no sharing), and a Config that never set them reads the defaults.
    const json schema_defaults = config_to_json(resolve_config(FlatConfig{}, "defaults"));
    EXPECT_EQ(config_to_json(Config{}), schema_defaults);
    for (const KeySpec& k : config_schema()) {
        if (!k.default_value.is_null()) {
            EXPECT_EQ(schema_defaults[k.key], k.default_value) << k.key;
        }
    }
    const Config fig4 = resolve_config(preset_config("fig4"), "fig4");
    Config copy = fig4;
    scansnap_settings(copy).lr_z = 7;
    scansnap_settings(copy).num_last = 5;
    tpg_settings(copy).embedding = "random";
    EXPECT_EQ(scansnap_settings(fig4).lr_z, 1.0);
    EXPECT_EQ(scansnap_settings(fig4).num_last, 2);
    EXPECT_EQ(tpg_settings(fig4).embedding, "onehot");
    EXPECT_EQ(config_to_json(copy)["train.lr_z"], json(7.0));
    EXPECT_EQ(config_to_json(copy)["model.embedding"], json("random"));
    const Config never_set;
    EXPECT_EQ(never_set.train.batch, 128);
    EXPECT_EQ(tpg_settings(never_set).lr, 0.01);
    EXPECT_EQ(never_set.model.kind, lab_registry().front().kind);
}

TEST(Labs, EachLabDeclaresItsOwnConfigKeysOnce) {
    // The schema is the shared keys plus each lab's own (declared in the lab's folder): no key in two places, every
    // lab's keys in the schema, and every key read and written by its one binding (a value other than the default
    // goes in and comes back out).
    std::set<std::string> lab_keys;
    for (const LabSpec& lab : lab_registry()) {
        EXPECT_FALSE(lab.config_keys.empty()) << lab.kind;
        for (const KeyBinding& b : lab.config_keys) {
            EXPECT_TRUE(lab_keys.insert(b.spec.key).second) << b.spec.key << " is declared by two labs";
            ASSERT_NE(find_key(b.spec.key), nullptr) << b.spec.key;
        }
    }
    EXPECT_TRUE(lab_keys.count("train.lr_z") && lab_keys.count("data.num_last"));  // Scan and Snap's
    EXPECT_TRUE(lab_keys.count("train.lr") && lab_keys.count("model.embedding"));  // the tpg lab's
    EXPECT_FALSE(lab_keys.count("train.seed"));                                    // shared
    EXPECT_EQ(config_schema().size(), config_bindings().size());
    std::set<std::string> all;
    for (const KeySpec& k : config_schema()) EXPECT_TRUE(all.insert(k.key).second) << k.key;
    const json defaults = config_to_json(Config{});
    for (const KeyBinding& b : config_bindings()) {
        json other;
        switch (b.spec.type) {
            case ValueType::Bool: other = !defaults[b.spec.key].get<bool>(); break;
            case ValueType::Int: other = static_cast<std::int64_t>(b.spec.min) + 2; break;
            case ValueType::Number: other = b.spec.min + 0.25; break;
            case ValueType::String: other = b.spec.choices.empty() ? json("x.jsonl") : json(b.spec.choices.back()); break;
        }
        if (b.spec.key == "train.optimizer") other = "normalized_gd";  // (the tpg lab's; the last choice, adam, is another lab's)
        if (b.spec.key == "data.kind") other = "file";  // (text is the transformer lab's)
        FlatConfig flat;
        flat[b.spec.key] = other;
        if (b.spec.key == "data.kind") flat["data.path"] = "d.jsonl";
        // The tpg lab's keys (and normalized_gd, its optimiser) on a tpg config, whose generator needs K >= 2.
        bool tpg_key = b.spec.key == "model.kind" || b.spec.key == "train.optimizer";
        for (const KeyBinding& t : lab_of_kind("tpg").config_keys) tpg_key = tpg_key || t.spec.key == b.spec.key;
        if (tpg_key) {
            flat["model.kind"] = "tpg";
            flat["data.vocab_size"] = 6;
            flat[b.spec.key] = other;
        }
        if (b.spec.key == "data.unique_min") flat["data.unique_max"] = 1.0;
        Config c;
        try {
            c = resolve_config(flat, "test");
        } catch (const ConfigError& e) {
            ADD_FAILURE() << b.spec.key << " = " << other.dump() << ": " << e.what();
            continue;
        }
        const json back = config_to_json(c);
        if (b.spec.key == "train.lr_y_over_z") {
            EXPECT_EQ(back["train.lr_y"], json(scansnap_settings(c).lr_z * other.get<double>())) << "lr_y is written as the rate in effect";
        }
        EXPECT_EQ(back[b.spec.key], other) << b.spec.key;
        FlatConfig again;
        for (auto it = back.begin(); it != back.end(); ++it) again[it.key()] = *it;
        if (b.spec.key == "train.lr_y_over_z") again.erase("train.lr_y");
        EXPECT_EQ(config_to_json(resolve_config(again, "again")), back) << b.spec.key;
    }
}

TEST(Labs, ALabsCrossKeyRulesApplyOnlyToItsRuns) {
    // Scan and Snap's rule on its token weights is its own: a tpg config never reads them (it was refused before the
    // labs declared their keys), while a Scan-and-Snap config with the same values is refused, naming the key.
    const FlatConfig tpg = {{"model.kind", "tpg"}, {"data.vocab_size", 6}, {"data.unique_min", 0.5}, {"data.unique_max", 0.2}};
    EXPECT_NO_THROW(resolve_config(tpg, "test"));
    FlatConfig ss = tpg;
    ss["model.kind"] = "scan_snap";
    try {
        resolve_config(ss, "test");
        FAIL() << "unique_max < unique_min accepted for Scan and Snap";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "data.unique_max");
    }
    // The tpg generator's rule (K >= 2) is the tpg lab's.
    EXPECT_THROW(resolve_config({{"model.kind", "tpg"}, {"data.vocab_size", 1}}, "test"), ConfigError);
    EXPECT_NO_THROW(resolve_config({{"model.kind", "scan_snap"}, {"data.vocab_size", 1}}, "test"));
}

TEST(Labs, ATpgSessionWithAnEditedSetAndRateChangesReplaysBitForBit) {
    const Config cfg = preset_with("tpg-cyclic");
    const auto live = edited_tpg_run(cfg, 20);
    Session s;
    s.config = cfg;
    s.events = live->events();
    s.step = live->step_index();
    s.data = live->session_data();
    ASSERT_EQ(s.events.size(), 2u);
    ASSERT_FALSE(s.data.is_null());
    const fs::path dir = test_dir("labs_tpg_session");
    const std::string path = (dir / "s.json").string();
    save_session_file(path, s);
    const Session back = load_session_file(path);
    const auto replayed = replay_session(back);
    const TpgRun* r = dynamic_cast<const TpgRun*>(replayed.get());
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->step_index(), 20);
    EXPECT_EQ(r->data().samples.size(), live->data().samples.size());
    EXPECT_TRUE(r->model().W == live->model().W);
    ASSERT_EQ(r->history().size(), live->history().size());
    for (std::size_t i = 0; i < live->history().size(); ++i) {
        ASSERT_EQ(r->history()[i].loss, live->history()[i].loss) << i;
        ASSERT_EQ(r->history()[i].lr, live->history()[i].lr) << i;
    }
    // A run on the config's own data needs no session data.
    EXPECT_TRUE(TpgRun(cfg).session_data().is_null());
}

TEST(Labs, ASessionsLabDataAndEventNamesAreChecked) {
    const fs::path dir = test_dir("labs_bad_session");
    const Config cfg = preset_with("tpg-cyclic");
    json base = session_to_json(Session{cfg, {}, nullptr, 3, json::object(), {}, "", 0});
    auto fails_with = [&](json j, const std::string& key, const std::string& what) {
        try {
            const Session s = session_from_json(j, "s.json");
            replay_session(s, 0);
            ADD_FAILURE() << "accepted: " << j.dump().substr(0, 300);
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.key(), key) << e.what();
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    json j = base;
    j["events"] = json::array({{{"step", 1}, {"name", "lr_z"}, {"new", 0.5}}});  // a Scan-and-Snap rate in a tpg session
    fails_with(j, "events[0]", "unknown event 'lr_z'");
    j = base;
    j["data"] = {{"K", "six"}, {"samples", json::array()}};
    fails_with(j, "data.K", "must be an integer");
    j = base;
    j["data"] = {{"K", 6}, {"samples", json::array({{{"tokens", {1, 2, 9}}, {"label", 2}}})}};
    fails_with(j, "data.samples", "sample 1: token id 9 is not below data.K = 6");
    j = base;
    j["data"] = {{"K", 6}, {"samples", json::array({{{"tokens", {1, 2.5, 3}}, {"label", 3}}})}};
    fails_with(j, "data.samples", "sample 1: tokens[1] must be a non-negative integer");
    j = base;
    j["data"] = json::array();
    fails_with(j, "data", "expected");
    // Checked when the session is read, naming the file; a lab that keeps no data refuses the key.
    j = base;
    j["data"] = {{"K", -1}, {"samples", json::array()}};
    EXPECT_THROW(session_from_json(j, "s.json"), ConfigError);
    json ss = session_to_json(Session{preset_with("fig4"), {}, nullptr, 3, json::object(), {}, "", 0});
    ss["data"] = {{"K", 6}};
    fails_with(ss, "data", "keeps no data");
}

TEST(Labs, SnapscopeCliReplaysATpgSessionWithItsTrainingSetAndRateChanges) {
    const Config cfg = preset_with("tpg-cyclic");
    const auto live = edited_tpg_run(cfg, 20);
    live->record_now();  // the CLI's files end with the state reached, as here
    Session s{cfg, live->events(), live->session_data(), live->step_index(), json::object(), {}, "", 0};
    const fs::path d = test_dir("labs_cli_tpg");
    save_session_file((d / "s.json").string(), s);
    const ProcResult r = run_cli("run --session " + (d / "s.json").string() + " -q --out " + (d / "o").string());
    ASSERT_EQ(r.status, 0) << r.err;
    // trajectory.csv: one row per recorded step, step,loss,lr,...; the rates and losses of the live run.
    const std::string csv = slurp_file(d / "o" / "trajectory.csv");
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    std::size_t row = 0;
    while (std::getline(in, line)) {
        ASSERT_LT(row, live->history().size());
        const TpgRecord& rec = live->history()[row];
        double step = 0, loss = 0, lr = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf", &step, &loss, &lr), 3) << line;
        EXPECT_EQ(step, rec.step);
        EXPECT_EQ(lr, rec.lr) << "step " << rec.step;
        EXPECT_NEAR(loss, rec.loss, 1e-12 * (1 + std::abs(rec.loss))) << "step " << rec.step;
        ++row;
    }
    EXPECT_EQ(row, live->history().size());
    const json fin = json::parse(slurp_file(d / "o" / "final.json"));
    EXPECT_EQ(fin["samples"].size(), live->data().samples.size());
}

TEST(Labs, ASessionSavedBeforeTheLabInterfaceStillReplaysTheSame) {
    // tests/data/session-before-labs.json is in the format the release before the lab interface wrote (no "data"),
    // and session-before-labs.trajectory.csv is what that release's `snapscope-cli run --session` wrote for it.
    const std::string dir = SNAPSCOPE_TEST_DATA;
    const Session s = load_session_file(dir + "/session-before-labs.json");
    EXPECT_TRUE(s.data.is_null());
    ASSERT_EQ(s.events.size(), 2u);
    const fs::path d = test_dir("labs_old_session");
    const ProcResult r = run_cli("run --session " + dir + "/session-before-labs.json -q --out " + (d / "o").string());
    ASSERT_EQ(r.status, 0) << r.err;
    // The same rows and columns, and the same numbers up to the last bits: the file was written on another CPU, and
    // builds for other CPUs (-march=native, other vector kernels) round differently in the last place (seen: a few
    // ulps on an AMD EPYC against the Intel Xeon that wrote it). A replay that missed an event or its step would differ
    // from the second decimal on.
    auto rows = [](const std::string& text) {
        std::vector<std::vector<std::string>> out;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            std::vector<std::string> cells;
            std::istringstream ls(line);
            for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
            out.push_back(cells);
        }
        return out;
    };
    const auto got = rows(slurp_file(d / "o" / "trajectory.csv")), want = rows(slurp_file(dir + "/session-before-labs.trajectory.csv"));
    ASSERT_EQ(got.size(), want.size());
    ASSERT_GT(want.size(), 10u);
    EXPECT_EQ(got[0], want[0]);  // the header
    for (std::size_t i = 1; i < want.size(); ++i) {
        ASSERT_EQ(got[i].size(), want[i].size()) << "row " << i;
        EXPECT_EQ(got[i][0], want[i][0]) << "row " << i;  // the step
        for (std::size_t c = 1; c < want[i].size(); ++c) {
            const double a = std::stod(got[i][c]), b = std::stod(want[i][c]);
            EXPECT_NEAR(a, b, 1e-9 * std::max(1.0, std::abs(b))) << "row " << i << ", " << want[0][c];
        }
    }
}

TEST(Labs, ASessionRecordsItsCompanionRunsAndSpeed) {
    // Issue 11, point 5: the window's companion runs and speed are part of the session; they round-trip, and a name
    // the lab does not have, or a speed that is not one, is refused naming the key.
    Session s{preset_with("fig4"), {{4, "lr_z", 1.0, 0.5}}, nullptr, 9, json::object(), {"mean_field"}, "steps_per_second", 30};
    const json j = session_to_json(s);
    EXPECT_EQ(j["companions"], json::array({"mean_field"}));
    EXPECT_EQ(j["speed"]["mode"], "steps_per_second");
    const Session back = session_from_json(j, "s.json");
    EXPECT_EQ(back.companions, s.companions);
    EXPECT_EQ(back.speed_mode, "steps_per_second");
    EXPECT_EQ(back.speed_value, 30);
    EXPECT_EQ(session_to_json(back), j);
    // A session without them (every earlier one) has none.
    json old = j;
    old.erase("companions");
    old.erase("speed");
    EXPECT_TRUE(session_from_json(old, "old.json").companions.empty());
    EXPECT_TRUE(session_from_json(old, "old.json").speed_mode.empty());
    auto refused = [](json bad, const std::string& key, const std::string& what) {
        try {
            session_from_json(bad, "s.json");
            ADD_FAILURE() << "accepted " << bad.dump();
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.key(), key) << e.what();
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("s.json"), std::string::npos) << e.what();
        }
    };
    json b = j;
    b["companions"] = {"pinned"};
    refused(b, "companions[0]", "no companion run 'pinned'");
    b["companions"] = {"mean_field", "mean_field"};
    refused(b, "companions[1]", "twice");
    b["companions"] = "mean_field";
    refused(b, "companions", "array");
    json t = session_to_json(Session{preset_with("tpg-cyclic"), {}, nullptr, 0, json::object(), {}, "", 0});
    t["companions"] = {"mean_field"};
    refused(t, "companions[0]", "has none");
    b = j;
    b["speed"] = {{"mode", "fast"}, {"value", 1}};
    refused(b, "speed.mode", "not a speed");
    b["speed"] = {{"mode", "steps_per_second"}, {"value", -1}};
    refused(b, "speed.value", "0 to 1e9");
}
