// UI logic in a windowless ImGui context: clicks and drags drive the real panels,
// which send commands to a real worker thread.
#include <gtest/gtest.h>

#include <imgui.h>
#include <imgui_internal.h>

#include "app_ui.hpp"
#include "keys.hpp"
#include "snapscope/presets.hpp"
#include "worker.hpp"

using namespace snapscope;
using namespace snapscope::gui;

namespace {

class Ui {
public:
    Ui() {
        ctx_ = ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(1280, 800);
        io.IniFilename = nullptr;
        io.DeltaTime = 1.0f / 60;
        unsigned char* px;
        int w, h;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    }
    ~Ui() { ImGui::DestroyContext(ctx_); }

    // One frame of the whole app.
    void frame(const Snapshot& snap, ViewState& view, const CommandSink& send, HostRequests& host) {
        ImGui::NewFrame();
        draw_app(snap, view, send, nullptr, host);
        ImGui::Render();
    }

    void mouse(ImVec2 p, bool down) {
        ImGuiIO& io = ImGui::GetIO();
        io.MousePos = p;
        io.MouseDown[0] = down;
    }
    void key(int k, bool down, bool ctrl = false) {
        ImGuiIO& io = ImGui::GetIO();
        io.KeysDown[k] = down;
        io.KeyCtrl = ctrl;
    }

private:
    ImGuiContext* ctx_;
};

ImVec2 centre(const ViewState& v, const std::string& name, float fx = 0.5f) {
    const ImVec4 r = v.widget_rects.at(name);
    return ImVec2(r.x + (r.z - r.x) * fx, (r.y + r.w) / 2);
}

// Clicks at `p`: move there, press, release, drawing a frame at each stage.
void click(Ui& ui, ImVec2 p, const std::function<void()>& frame) {
    ui.mouse(p, false);
    frame();
    ui.mouse(p, true);
    frame();
    ui.mouse(p, false);
    frame();
}

Config fig4() { return resolve_config(preset_config("fig4"), "fig4"); }

}  // namespace

TEST(UiLogic, PlayAndPauseButtonsSendCommands) {
    Ui ui;
    ViewState view;
    HostRequests host;
    std::vector<Command> sent;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) {
        sent.push_back(c);
        worker.post(c);
    };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    ASSERT_TRUE(view.widget_rects.count("play"));
    click(ui, centre(view, "play"), frame);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.back().kind, Command::Kind::Play);
    worker.sync();
    EXPECT_TRUE(worker.snapshot()->free_running);
    frame();  // the button now says Pause
    sent.clear();
    click(ui, centre(view, "play"), frame);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent.back().kind, Command::Kind::Pause);
    worker.sync();
    EXPECT_FALSE(worker.snapshot()->free_running);
}

TEST(UiLogic, KeyboardShortcuts) {
    Ui ui;
    ViewState view;
    HostRequests host;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) { sent.push_back(c); };
    Worker worker(fig4());
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    for (auto [k, kind] : {std::pair<int, Command::Kind>{kKeySpace, Command::Kind::Play}, {kKeyS, Command::Kind::Step}, {kKeyRight, Command::Kind::Step},
                           {kKeyR, Command::Kind::Reset}}) {
        sent.clear();
        ui.key(k, true);
        frame();
        ui.key(k, false);
        frame();
        ASSERT_EQ(sent.size(), 1u) << k;
        EXPECT_EQ(sent[0].kind, kind) << k;
    }
    ui.key(kKeyF12, true);
    frame();
    ui.key(kKeyF12, false);
    EXPECT_TRUE(host.screenshot);
}

TEST(UiLogic, LearningRateSliderActsBeforeTheNextStepAndIsLogged) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    worker.post(Command::step(5));
    worker.sync();
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    ASSERT_TRUE(view.widget_rects.count("##lr_z"));
    click(ui, centre(view, "##lr_z", 0.9f), frame);  // far right of a log slider: a large rate
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    const double lr = s->lr_z;
    EXPECT_GT(lr, 5.0);
    ASSERT_EQ(s->events.size(), 1u);
    EXPECT_EQ(s->events[0].step, 5);
    EXPECT_EQ(s->events[0].name, "lr_z");
    EXPECT_EQ(s->events[0].old_value, 1.0);
    EXPECT_EQ(s->events[0].new_value, lr);
    // The next step uses the new rate: compare with the core engine doing the same by hand.
    worker.post(Command::step(1));
    worker.sync();
    ScanSnapRun ref(fig4());
    ref.run(5);
    ref.set_lr_z(lr);
    ref.run(1);
    const Frame& f = *worker.snapshot()->frames.back();
    ASSERT_EQ(f.step, 6);
    const int q = ref.data().queries()[0];
    for (int l = 0; l < ref.vocab_size(); ++l) EXPECT_EQ(f.zrows[l], ref.model().Z(q, l)) << l;
}

TEST(UiLogic, LockedRatioMovesBothRates) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    worker.post(Command::set_lr_y(2.0));
    worker.sync();
    frame();
    click(ui, centre(view, "lock"), frame);
    worker.sync();
    EXPECT_TRUE(worker.snapshot()->ratio_locked);
    click(ui, centre(view, "##lr_z", 0.25f), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_NE(s->lr_z, 1.0);
    EXPECT_NEAR(s->lr_y / s->lr_z, 2.0, 1e-12);
}

TEST(UiLogic, ClickingACurveMovesTheStepCursorAndLiveReturns) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    worker.post(Command::step(100));
    worker.sync();
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    EXPECT_TRUE(view.live);
    // The loss plot sits in the Curves panel; click a third of the way across it.
    const ImVec2 p = view.panel_pos[static_cast<int>(Panel::Curves)];
    const ImVec2 z = view.panel_size[static_cast<int>(Panel::Curves)];
    click(ui, ImVec2(p.x + z.x * 0.16f, p.y + z.y * 0.25f), frame);
    EXPECT_FALSE(view.live);
    EXPECT_GT(view.cursor_step, 0);
    EXPECT_LT(view.cursor_step, 100);
    const Frame& f = frame_at(*worker.snapshot(), view);
    EXPECT_EQ(f.step, view.cursor_step);
    click(ui, centre(view, "live"), frame);
    EXPECT_TRUE(view.live);
}

TEST(UiLogic, RestartSettingsApplyANewConfig) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    ASSERT_TRUE(view.pending);
    view.pending->data.num_last = 3;  // as if typed into the "queries" field
    frame();
    click(ui, centre(view, "apply"), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_EQ(s->info->classes.size(), 3u);
    EXPECT_EQ(s->step, 0);
}

TEST(ViewState, RoundTripsThroughJson) {
    ViewState a;
    a.live = false;
    a.cursor_step = 42;
    a.selected_class = 1;
    a.log_loss = false;
    a.export_scale = 4;
    ViewState b;
    EXPECT_TRUE(b.from_json(a.to_json(), "test").empty());
    EXPECT_EQ(b.cursor_step, 42);
    EXPECT_FALSE(b.live);
    EXPECT_EQ(b.selected_class, 1);
    EXPECT_FALSE(b.log_loss);
    EXPECT_EQ(b.export_scale, 4);
}

TEST(ViewState, WronglyTypedFieldsAreIgnoredWithAWarning) {
    // Issue 9, point 1: these aborted the GUI (a JSON type error) through --session and --restore.
    ViewState v;
    v.export_dir = "keep";
    const nlohmann::json j = {{"live", "yes"},      {"selected_class", "a"}, {"export_dir", 5},        {"export_scale", 3},
                              {"z_range", "wide"},  {"c_max", 1e300},        {"cursor_step", -7},      {"log_loss", 0},
                              {"large_font", true}, {"auto_range", nullptr}, {"unknown_key", "fine"}};
    const auto warnings = v.from_json(j, "s.json");
    EXPECT_EQ(warnings.size(), 9u);
    for (const char* key : {"view.live", "view.selected_class", "view.export_dir", "view.export_scale", "view.z_range", "view.c_max",
                            "view.cursor_step", "view.log_loss", "view.auto_range"}) {
        bool found = false;
        for (const auto& w : warnings) found = found || (w.find(key) != std::string::npos && w.find("s.json") != std::string::npos);
        EXPECT_TRUE(found) << key;
    }
    EXPECT_TRUE(v.live);                 // unchanged
    EXPECT_EQ(v.selected_class, 0);
    EXPECT_EQ(v.export_dir, "keep");
    EXPECT_EQ(v.export_scale, 1);
    EXPECT_EQ(v.cursor_step, 0);
    EXPECT_TRUE(v.large_font);           // the one good field is read
    EXPECT_EQ(v.from_json(nlohmann::json::array(), "s.json").size(), 1u);  // not an object: one warning
}

TEST(UiLogic, LoadingWindowShowsProgressAndCancels) {
    Ui ui;
    ViewState view;
    HostRequests host;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) { sent.push_back(c); };
    Worker worker(fig4());
    auto snap = std::make_shared<Snapshot>(*worker.snapshot());
    snap->loading = true;
    snap->load_target = 1000000000;
    snap->step = 250000000;
    snap->load_rate = 20000;
    ui.frame(*snap, view, send, host);
    ImGuiWindow* w = ImGui::FindWindowByName("Loading the session");
    ASSERT_NE(w, nullptr);
    EXPECT_TRUE(w->Active);
    // Esc cancels.
    ui.key(kKeyEscape, true);
    ui.frame(*snap, view, send, host);
    ui.key(kKeyEscape, false);
    ui.frame(*snap, view, send, host);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.back().kind, Command::Kind::CancelLoad);
    // Not loading: no window.
    snap->loading = false;
    sent.clear();
    ui.frame(*snap, view, send, host);
    w = ImGui::FindWindowByName("Loading the session");
    EXPECT_TRUE(w == nullptr || !w->Active);
    EXPECT_TRUE(sent.empty());
}

TEST(UiLogic, LabSwitchLoadsTheTokenPriorityGraphLab) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    ASSERT_FALSE(worker.snapshot()->tpg);
    // Open the lab combo and pick the second entry.
    click(ui, centre(view, "lab"), frame);
    const ImVec4 r = view.widget_rects.at("lab");
    click(ui, ImVec2((r.x + r.z) / 2, r.w + ImGui::GetFontSize() * 1.8f), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    ASSERT_TRUE(s->tpg);
    EXPECT_EQ(s->info->config.model.kind, "tpg");
    EXPECT_EQ(s->tpg->data.K, 6);
    frame();  // the tpg panels draw
    worker.post(Command::step(50));
    worker.sync();
    frame();
    EXPECT_EQ(worker.snapshot()->frames.back()->step, 50);
    EXPECT_GT(worker.snapshot()->frames.back()->tpg.corr_svm, worker.snapshot()->frames.front()->tpg.corr_svm);
}

TEST(UiLogic, TrainingSetEditorRecomputesTheGraphAndRestartsOnRequest) {
    Ui ui;
    ViewState view;
    HostRequests host;
    FlatConfig f = preset_config("tpg-cyclic");
    Worker worker(resolve_config(f, "tpg-cyclic"));
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    const TpgDataset original = worker.snapshot()->tpg->data;
    // The editor's working copy, as the panel keeps it; change it as typing would.
    view.tpg_edit = std::make_shared<TpgEdit>();
    view.tpg_edit->data = original;
    view.tpg_edit->run_id = worker.snapshot()->run_id;
    view.tpg_edit->data.samples.push_back({{0, 1, 2}, 1});
    view.tpg_edit->data.samples.push_back({{1, 0, 2}, 0});
    view.tpg_edit->dirty = true;
    tpg_edit_refresh(*view.tpg_edit, *worker.snapshot()->tpg);
    ASSERT_TRUE(view.tpg_edit->error.empty()) << view.tpg_edit->error;
    // 0 and 1 beat each other with query 2: they share an SCC in the edited graph.
    bool found = false;
    for (const QueryGraph& g : view.tpg_edit->graphs)
        if (g.query == 2) found = g.scc.comp[0] == g.scc.comp[1];
    EXPECT_TRUE(found);
    // A label that is not in its sequence is refused with a message.
    TpgEdit bad = *view.tpg_edit;
    bad.data.samples.push_back({{3, 4}, 5});
    tpg_edit_refresh(bad, *worker.snapshot()->tpg);
    EXPECT_NE(bad.error.find("label"), std::string::npos);
    // Collapse the sample list and the probe so the editor is on screen, open it, press "Restart training on this set".
    ImGui::GetIO().DisplaySize = ImVec2(1280, 2400);
    frame();
    click(ui, centre(view, "tpg_editor"), frame);
    ASSERT_TRUE(view.widget_rects.count("tpg_restart"));
    click(ui, centre(view, "tpg_restart"), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_EQ(s->tpg->data.samples.size(), original.samples.size() + 2);
    EXPECT_EQ(s->step, 0);
    EXPECT_NE(s->message.find("edited training set"), std::string::npos);
}

#include <thread>

#include "sweep_job.hpp"

TEST(UiLogic, PhaseDiagramFillsInAndACellOpensItsRun) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    // The button opens the window.
    click(ui, centre(view, "phase"), frame);
    ASSERT_TRUE(view.show_phase);
    // A small background sweep over eta_Z x eta_Y/eta_Z.
    FlatConfig base;
    const nlohmann::json cj = config_to_json(fig4());
    for (auto& [k, v] : cj.items()) base[k] = v;
    base["train.steps"] = 30;
    view.phase.job = std::make_shared<SweepJob>(make_sweep_definition(base, {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2"}, 2, 0.01, 10), 2);
    const std::vector<SweepAxis>& axes = view.phase.job->axes();
    for (int i = 0; i < 60000 && !view.phase.job->finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(view.phase.job->finished());
    EXPECT_EQ(view.phase.job->results().size(), 8u);
    EXPECT_TRUE(view.phase.job->error().empty());
    frame();
    // Click the bottom-right cell: lr_y_over_z = 5, lr_z = 2. The window is centred; find the canvas through the
    // window's rectangle: cells fill the area below the controls.
    ImGuiWindow* w = ImGui::FindWindowByName("Phase diagram (sweep in the background)");
    ASSERT_NE(w, nullptr);
    const ImVec2 target(w->Pos.x + w->Size.x * 0.8f, w->Pos.y + w->Size.y * 0.7f);
    click(ui, target, frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_DOUBLE_EQ(s->lr_z, 2.0);
    EXPECT_DOUBLE_EQ(s->lr_y, 10.0);
    EXPECT_FALSE(view.show_phase);
    // phase_cell_config: the base with the cell's values and seed 1.
    const FlatConfig c = phase_cell_config(base, axes, {5, 2});
    EXPECT_EQ(c.at("train.lr_z"), 2);
    EXPECT_EQ(c.at("train.seed"), 1);
}
