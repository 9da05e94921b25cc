// The lab interface (issue 11): the registry picks a lab by model.kind, and a session holds what its lab needs to
// replay a run bit for bit (the token-priority-graph lab's edited training set and its learning-rate changes).
// The end-to-end test runs snapscope-cli (SNAPSCOPE_CLI_UNDER_TEST=/path/to/old/snapscope-cli shows it failing on
// the build before the lab interface: a tpg session's training set and rate changes were dropped).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "proc_util.hpp"
#include "snapscope/lab.hpp"
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
    EXPECT_EQ(tp->lr_groups()[0].value, preset_with("tpg-cyclic").train.lr);
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
    json base = session_to_json(Session{cfg, {}, nullptr, 3, json::object()});
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
    json ss = session_to_json(Session{preset_with("fig4"), {}, nullptr, 3, json::object()});
    ss["data"] = {{"K", 6}};
    fails_with(ss, "data", "keeps no data");
}

TEST(Labs, SnapscopeCliReplaysATpgSessionWithItsTrainingSetAndRateChanges) {
    const Config cfg = preset_with("tpg-cyclic");
    const auto live = edited_tpg_run(cfg, 20);
    live->record_now();  // the CLI's files end with the state reached, as here
    Session s{cfg, live->events(), live->session_data(), live->step_index(), json::object()};
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
    EXPECT_EQ(slurp_file(d / "o" / "trajectory.csv"), slurp_file(dir + "/session-before-labs.trajectory.csv"));
}
