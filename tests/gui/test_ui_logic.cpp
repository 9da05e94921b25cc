// UI logic in a windowless ImGui context: clicks and drags drive the real panels,
// which send commands to a real worker thread.
#include <gtest/gtest.h>

#include <imgui.h>
#include <imgui_internal.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>
#include <thread>

#include "app_ui.hpp"
#include "keys.hpp"
#include "open_data.hpp"
#include "theme.hpp"
#include "tour_panel.hpp"
#include "user_settings.hpp"
#include "window_places.hpp"
#include "snapscope/presets.hpp"
#include "worker.hpp"
#include "scansnap/scansnap_panels.hpp"
#include "tpg/tpg_panels.hpp"
#include "transformer/transformer_panels.hpp"

namespace {
// The mean-field twin's frames (empty when it is off).
[[maybe_unused]] const std::vector<snapscope::gui::FramePtr>& companion_frames(const snapscope::gui::Snapshot& s) {
    static const std::vector<snapscope::gui::FramePtr> none;
    const auto* f = s.companion(snapscope::gui::kMeanFieldCompanion);
    return f ? *f : none;
}
// The tpg lab's facts of the snapshot's run (null for another lab).
const snapscope::gui::TpgInfo* tpg_of(const snapscope::gui::Snapshot& s) { return s.info ? s.info->lab_as<snapscope::gui::TpgInfo>() : nullptr; }
}  // namespace

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

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

// Right-clicks at `p` (a plot's or heatmap's print menu), drawing a frame at each stage and one more for the popup.
void right_click(Ui& ui, ImVec2 p, const std::function<void()>& frame) {
    ui.mouse(p, false);
    frame();
    ImGui::GetIO().MouseDown[1] = true;
    frame();
    ImGui::GetIO().MouseDown[1] = false;
    frame();
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
    // "?" (typed, whatever key makes it) and F1 open and close the shortcuts; F10 turns the light theme on and off.
    ImGui::GetIO().AddInputCharacter('?');
    frame();
    EXPECT_TRUE(view.show_help);
    frame();
    EXPECT_TRUE(view.show_help);  // one press, one toggle
    ImGui::GetIO().AddInputCharacter('?');
    frame();
    EXPECT_FALSE(view.show_help);
    ui.key(kKeyF1, true);
    frame();
    ui.key(kKeyF1, false);
    frame();
    EXPECT_TRUE(view.show_help);
    ASSERT_FALSE(light_theme(view));
    ui.key(kKeyF10, true);
    frame();
    ui.key(kKeyF10, false);
    frame();
    EXPECT_TRUE(light_theme(view));
    ui.key(kKeyF10, true);
    frame();
    ui.key(kKeyF10, false);
    frame();
    EXPECT_FALSE(light_theme(view));
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
    const double lr = s->lr("lr_z");
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
    for (int l = 0; l < ref.vocab_size(); ++l) EXPECT_EQ(scansnap_frame(f).zrows[l], ref.model().Z(q, l)) << l;
}

TEST(UiLogic, LockedRatioMovesBothRates) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    worker.post(Command::set_lr("lr_y", 2.0));
    worker.sync();
    frame();
    click(ui, centre(view, "lock"), frame);
    worker.sync();
    EXPECT_TRUE(worker.snapshot()->ratio_locked);
    click(ui, centre(view, "##lr_z", 0.25f), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_NE(s->lr("lr_z"), 1.0);
    EXPECT_NEAR(s->lr("lr_y") / s->lr("lr_z"), 2.0, 1e-12);
}

// A window or panel PNG (F12, "Window PNG", a panel's export) pictures the step shown, so its file is named by that
// step: with the cursor on an earlier step it was named by the live run's step (snapscope-step100-... for a
// picture of step 40).
TEST(UiLogic, AnExportedPictureIsNamedByTheStepTheCursorShows) {
    Worker worker(fig4());
    worker.post(Command::step(100));
    worker.sync();
    const SnapshotPtr snap = worker.snapshot();
    ASSERT_EQ(snap->step, 100);
    ASSERT_GE(snap->frames.size(), 3u);
    ViewState view;
    EXPECT_EQ(shown_step(*snap, view), 100);  // live
    view.live = false;
    const std::int64_t middle = snap->frames[snap->frames.size() / 2]->step;
    ASSERT_LT(middle, 100);
    view.cursor_step = middle;
    EXPECT_EQ(shown_step(*snap, view), middle);
    EXPECT_EQ(shown_step(*snap, view), frame_at(*snap, view).step);  // the frame the panels draw
    view.cursor_step = middle + 1;  // the recorded step at or before the cursor (the one drawn)
    EXPECT_EQ(shown_step(*snap, view), frame_at(*snap, view).step);
    view.cursor_step = -5;
    EXPECT_EQ(shown_step(*snap, view), snap->frames.front()->step);
    // A hover over a plot previews a step: the next frame (and a picture taken now) shows it, live or not.
    const std::int64_t early = snap->frames[1]->step;
    for (const bool live : {false, true}) {
        view.live = live;
        view.next_preview_step = early;
        EXPECT_EQ(shown_step(*snap, view), early) << "live " << live;
        view.next_preview_step = -1;
    }
    view.live = true;
    EXPECT_EQ(shown_step(*snap, view), 100);
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
    scansnap_settings(*view.pending).num_last = 3;  // as if typed into the "queries" field
    frame();
    click(ui, centre(view, "apply"), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_EQ(scansnap_info(*s->info).classes.size(), 3u);
    EXPECT_EQ(s->step, 0);
}

TEST(ViewState, RoundTripsThroughJson) {
    ViewState a;
    a.live = false;
    a.cursor_step = 42;
    scansnap_view(a).selected_class = 1;
    a.log_loss = false;
    a.export_scale = 4;
    ViewState b;
    EXPECT_TRUE(b.from_json(a.to_json(), "test").empty());
    EXPECT_EQ(b.cursor_step, 42);
    EXPECT_FALSE(b.live);
    EXPECT_EQ(scansnap_view(b).selected_class, 1);
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
    EXPECT_EQ(scansnap_view(v).selected_class, 0);
    EXPECT_EQ(v.export_dir, "keep");
    EXPECT_EQ(v.export_scale, 1);
    EXPECT_EQ(v.cursor_step, 0);
    EXPECT_TRUE(v.large_font);           // the one good field is read
    EXPECT_EQ(v.from_json(nlohmann::json::array(), "s.json").size(), 1u);  // not an object: one warning
}

TEST(UiLogic, ARunBeingBuiltShowsItsProgressAfterAMomentAndEscCancels) {
    // Issue 11, point 4: a data file read in the background shows what is loaded and how far, with Cancel; a build
    // that takes less than kLoadWindowDelay shows no window (a preset switch does not flash one).
    Ui ui;
    ViewState view;
    HostRequests host;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) { sent.push_back(c); };
    Worker worker(fig4());
    auto snap = std::make_shared<Snapshot>(*worker.snapshot());
    snap->loading = true;
    snap->load_what = "Loading /data/corpus.jsonl";
    snap->load_fraction = 0.4;
    snap->load_seconds = kLoadWindowDelay / 2;
    ui.frame(*snap, view, send, host);
    ImGuiWindow* w = ImGui::FindWindowByName("Loading");
    EXPECT_TRUE(w == nullptr || !w->Active) << "a quick build flashed a window";
    snap->load_seconds = 3;
    ui.frame(*snap, view, send, host);
    w = ImGui::FindWindowByName("Loading");
    ASSERT_NE(w, nullptr);
    EXPECT_TRUE(w->Active);
    EXPECT_EQ(ImGui::FindWindowByName("Loading the session"), nullptr);  // not the replay's window
    ui.key(kKeyEscape, true);
    ui.frame(*snap, view, send, host);
    ui.key(kKeyEscape, false);
    ui.frame(*snap, view, send, host);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.back().kind, Command::Kind::CancelLoad);
}

TEST(UiLogic, LoadingWindowOpensWhileLoadingAndEscCancels) {
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
    ASSERT_FALSE(tpg_of(*worker.snapshot()));
    // Open the lab combo and pick the second entry.
    click(ui, centre(view, "lab"), frame);
    const ImVec4 r = view.widget_rects.at("lab");
    click(ui, ImVec2((r.x + r.z) / 2, r.w + ImGui::GetFontSize() * 1.8f), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    ASSERT_TRUE(tpg_of(*s));
    EXPECT_EQ(s->info->config.model.kind, "tpg");
    EXPECT_EQ(tpg_of(*s)->data.K, 6);
    frame();  // the tpg panels draw
    worker.post(Command::step(50));
    worker.sync();
    frame();
    EXPECT_EQ(worker.snapshot()->frames.back()->step, 50);
    EXPECT_GT(tpg_frame(*worker.snapshot()->frames.back()).tpg.corr_svm, tpg_frame(*worker.snapshot()->frames.front()).tpg.corr_svm);
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
    const TpgDataset original = tpg_of(*worker.snapshot())->data;
    // The editor's working copy, as the panel keeps it; change it as typing would.
    tpg_view(view).edit = std::make_shared<TpgEdit>();
    tpg_view(view).edit->data = original;
    tpg_view(view).edit->run_id = worker.snapshot()->run_id;
    tpg_view(view).edit->data.samples.push_back({{0, 1, 2}, 1});
    tpg_view(view).edit->data.samples.push_back({{1, 0, 2}, 0});
    tpg_view(view).edit->dirty = true;
    tpg_edit_refresh(*tpg_view(view).edit, *tpg_of(*worker.snapshot()));
    ASSERT_TRUE(tpg_view(view).edit->error.empty()) << tpg_view(view).edit->error;
    // The analysis arrives in the background.
    for (int i = 0; i < 60000 && !tpg_edit_poll(*tpg_view(view).edit); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(tpg_view(view).edit->analysed);
    // 0 and 1 beat each other with query 2: they share an SCC in the edited graph.
    bool found = false;
    for (const QueryGraph& g : tpg_view(view).edit->graphs)
        if (g.query == 2) found = g.comp_of(0) == g.comp_of(1);
    EXPECT_TRUE(found);
    // A label that is not in its sequence is refused with a message.
    TpgEdit bad = *tpg_view(view).edit;
    bad.data.samples.push_back({{3, 4}, 5});
    tpg_edit_refresh(bad, *tpg_of(*worker.snapshot()));
    EXPECT_NE(bad.error.find("label"), std::string::npos);
    // A window tall enough that the editor is on screen below the samples and the probe; open it, press "Restart
    // training on this set". Two frames: the first after the resize still has the old scrollbar (and wraps text
    // at its narrower width).
    ImGui::GetIO().DisplaySize = ImVec2(1280, 2400);
    frame();
    frame();
    click(ui, centre(view, "tpg_editor"), frame);
    ASSERT_TRUE(view.widget_rects.count("tpg_restart"));
    click(ui, centre(view, "tpg_restart"), frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_EQ(tpg_of(*s)->data.samples.size(), original.samples.size() + 2);
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
    ASSERT_TRUE(scansnap_view(view).show_phase);
    // A small background sweep over eta_Z x eta_Y/eta_Z.
    FlatConfig base;
    const nlohmann::json cj = config_to_json(fig4());
    for (auto& [k, v] : cj.items()) base[k] = v;
    base["train.steps"] = 30;
    scansnap_view(view).phase.job = std::make_shared<SweepJob>(make_sweep_definition(base, {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2"}, 2, kSnapTolerance, kSnapWindow), 2);
    const std::vector<SweepAxis>& axes = scansnap_view(view).phase.job->axes();
    for (int i = 0; i < 60000 && !scansnap_view(view).phase.job->finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(scansnap_view(view).phase.job->finished());
    EXPECT_EQ(scansnap_view(view).phase.job->results().size(), 8u);
    EXPECT_TRUE(scansnap_view(view).phase.job->error().empty());
    frame();
    // Click the bottom-right cell: lr_y_over_z = 5, lr_z = 2. The window is centred; find the canvas through the
    // window's rectangle: cells fill the area below the controls.
    ImGuiWindow* w = ImGui::FindWindowByName("Phase diagram (sweep in the background)");
    ASSERT_NE(w, nullptr);
    const ImVec2 target(w->Pos.x + w->Size.x * 0.8f, w->Pos.y + w->Size.y * 0.7f);
    click(ui, target, frame);
    worker.sync();
    const SnapshotPtr s = worker.snapshot();
    EXPECT_DOUBLE_EQ(s->lr("lr_z"), 2.0);
    EXPECT_DOUBLE_EQ(s->lr("lr_y"), 10.0);
    EXPECT_FALSE(scansnap_view(view).show_phase);
    // grid_point_config: the base with the cell's values and seed 1.
    const FlatConfig c = grid_point_config(base, axes, {5, 2});
    EXPECT_EQ(c.at("train.lr_z"), 2);
    EXPECT_EQ(c.at("train.seed"), 1);
}

// ---- Issue 10 ---------------------------------------------------------------------------------------------------

TEST(UiLogic, DraggingARateAppliesItOnceOnRelease) {
    // Point 2: a drag used to send (and log) every intermediate value.
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
    const ImVec4 r = view.widget_rects.at("##lr_z");
    const float y = (r.y + r.w) / 2;
    ui.mouse(ImVec2(r.x + (r.z - r.x) * 0.3f, y), false);
    frame();
    ui.mouse(ImVec2(r.x + (r.z - r.x) * 0.3f, y), true);
    frame();
    for (float f = 0.3f; f <= 0.9f; f += 0.05f) {  // the drag: many frames, many values
        ui.mouse(ImVec2(r.x + (r.z - r.x) * f, y), true);
        frame();
    }
    EXPECT_TRUE(sent.empty()) << sent.size() << " commands during the drag";
    EXPECT_GT(view.edit_lr["lr_z"].value, 5.0);  // the pending value is shown
    ui.mouse(ImVec2(r.x + (r.z - r.x) * 0.9f, y), false);
    frame();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].kind, Command::Kind::SetLr);
    EXPECT_EQ(sent[0].name, "lr_z");
    worker.sync();
    ASSERT_EQ(worker.snapshot()->events.size(), 1u);
    EXPECT_EQ(worker.snapshot()->events[0].new_value, sent[0].value);
}

TEST(UiLogic, TypingARateAppliesExactlyThatValueOnEnter) {
    // Point 2: typing "0.5" trained a step at 0.001 (the partial "0", clamped) and stored a float.
    Ui ui;
    ViewState view;
    HostRequests host;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) { sent.push_back(c); };
    Worker worker(fig4());
    ImGuiIO& io = ImGui::GetIO();
    io.KeyMap[ImGuiKey_Enter] = 257;
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    // Ctrl+click turns the slider into a text field (its text selected: typing replaces it).
    io.KeyCtrl = true;
    click(ui, centre(view, "##lr_z", 0.5f), frame);
    io.KeyCtrl = false;
    frame();
    ASSERT_TRUE(io.WantTextInput);
    for (char ch : std::string("0.5")) {
        io.AddInputCharacter(static_cast<unsigned>(ch));
        frame();
        EXPECT_TRUE(sent.empty()) << "applied while typing '" << ch << "'";
    }
    io.KeysDown[257] = true;
    frame();
    io.KeysDown[257] = false;
    frame();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].value, 0.5);  // exactly, as a double
}

TEST(UiLogic, AKeyTappedWithinOneFrameStillCounts) {
    // Point 3: the window's key callback queues presses; ImGui 1.86's polling alone loses a tap shorter than a frame.
    Ui ui;
    ViewState view;
    HostRequests host;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) { sent.push_back(c); };
    Worker worker(fig4());
    key_queue_enable(true);
    struct Off {
        ~Off() { key_queue_enable(false); }  // even when an assertion ends the test early
    } off;
    auto frame = [&] {
        key_queue_new_frame();
        ui.frame(*worker.snapshot(), view, send, host);
    };
    frame();
    key_queue_push(kKeySpace, false);  // down and up between two frames: io.KeysDown never saw it
    frame();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].kind, Command::Kind::Play);
    // Two taps of S within one frame: two steps, one per frame.
    sent.clear();
    key_queue_push(kKeyS, false);
    key_queue_push(kKeyS, false);
    frame();
    EXPECT_EQ(sent.size(), 1u);  // one press per key and frame
    frame();
    frame();
    EXPECT_EQ(sent.size(), 2u);
    // An auto-repeat steps only where repeats are wanted (S, arrows), not for Space.
    sent.clear();
    key_queue_push(kKeySpace, true);
    key_queue_push(kKeyRight, true);
    frame();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].kind, Command::Kind::Step);
}

TEST(UiLogic, MessagesNeverMoveTheControls) {
    // Point 4: a status message inserted above Play pushed the controls down, so clicks landed on the wrong control.
    Ui ui;
    ViewState view;
    HostRequests host;
    const CommandSink send = [](Command) {};
    Worker worker(fig4());
    auto snap = std::make_shared<Snapshot>(*worker.snapshot());
    ui.frame(*snap, view, send, host);
    ui.frame(*snap, view, send, host);
    const ImVec4 play = view.widget_rects.at("play"), apply = view.widget_rects.at("apply");
    snap->message = "A long message that used to be wrapped above the Play button, over several lines of the narrow panel, "
                    "and pushed every control below it down by a few dozen pixels: now it is in the status bar.";
    snap->message_is_error = true;
    view.say("Wrote snapscope-exports/snapscope-step100.png (1280x800)", false);
    ui.frame(*snap, view, send, host);
    ui.frame(*snap, view, send, host);
    EXPECT_EQ(view.widget_rects.at("play").y, play.y);
    EXPECT_EQ(view.widget_rects.at("apply").y, apply.y);
    ImGuiWindow* bar = ImGui::FindWindowByName("##status");
    ASSERT_NE(bar, nullptr);
    EXPECT_NEAR(bar->Pos.y + bar->Size.y, ImGui::GetIO().DisplaySize.y, 1.0f);  // at the bottom
}

TEST(UiLogic, EditingATrainingSetNeverWaitsForTheQp) {
    // Issue 10, point 9: the editor solved the graph-SVM QP on the UI thread at every keystroke.
    Rng rng(3);
    TpgInfo info;
    info.E = make_embeddings("random", 64, 64, 0, rng);  // general embeddings: the d x d QP (4096 variables)
    info.orthonormal = false;
    info.d = 64;
    TpgEdit e;
    e.data = generate_tpg(2500, 6, 64, "any", rng);
    e.dirty = true;
    const auto t0 = std::chrono::steady_clock::now();
    tpg_edit_refresh(e, info);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(took, 0.1) << "the edit waited for the analysis";
    ASSERT_TRUE(e.task);
    EXPECT_FALSE(e.analysed);
    // Another edit cancels the first analysis (without waiting for it) and starts its own.
    e.data.samples.resize(40);
    const auto t1 = std::chrono::steady_clock::now();
    tpg_edit_refresh(e, info);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count(), 0.1) << "waited for the cancelled analysis";
    for (int i = 0; i < 120000 && !tpg_edit_poll(e); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(e.analysed);
    EXPECT_EQ(e.graphs.size(), token_priority_graphs(e.data).size());
}

TEST(UiLogic, TheSnapStepOfALargeRunIsComputedOffTheFrame) {
    // Issue 10 (GUI speed): the snap step was recomputed over the whole history on the UI thread at every frame
    // (frames x classes x tokens: tens of ms a frame on the large preset). While training runs, a large history is
    // handed to a background task and the frame goes on; paused, or small, it is computed at once. Same result.
    Worker worker(resolve_config(preset_config("large"), "large"));
    worker.post(Command::step(30));
    worker.sync();
    const SnapshotPtr done = worker.snapshot();
    ASSERT_GT(static_cast<double>(done->frames.size()) * scansnap_info(*done->info).classes.size() * done->info->M, kSnapInlineWork);
    ViewState paused;
    update_snap_step(*done, paused, 0.0);
    EXPECT_EQ(scansnap_view(paused).snap_serial, done->serial);  // at once
    EXPECT_FALSE(scansnap_view(paused).snap_task);

    Snapshot playing = *done;
    playing.playing = true;
    ViewState view;
    update_snap_step(playing, view, 0.0);
    ASSERT_TRUE(scansnap_view(view).snap_task) << "a large history while playing goes to a background task";
    EXPECT_NE(scansnap_view(view).snap_serial, playing.serial);
    // A newer snapshot within the interval starts no second task (the first may have finished already: the task
    // runner starts interactive work at once, and its result is then taken here).
    auto task = scansnap_view(view).snap_task;
    playing.serial += 1;
    update_snap_step(playing, view, kSnapTaskInterval / 2);
    EXPECT_TRUE(!scansnap_view(view).snap_task || scansnap_view(view).snap_task == task) << "a second task was started within the interval";
    for (int i = 0; i < 120000 && !task->ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    update_snap_step(playing, view, kSnapTaskInterval / 2);
    EXPECT_EQ(scansnap_view(view).snap, scansnap_view(paused).snap);
    EXPECT_EQ(scansnap_view(view).snap_serial, playing.serial - 1);  // the result is for the snapshot the task read
}

TEST(UiLogic, TheLearningRateSlidersAreTheLabsGroups) {
    // Issue 11: the sliders come from the lab's learning-rate groups: two (with their ratio and the lock) in Scan and
    // Snap, one in the tpg lab, and four for a lab with four groups (no ratio, no lock); a slider sends its group.
    Ui ui;
    HostRequests host;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) { sent.push_back(c); };
    Worker worker(fig4());
    {
        ViewState view;
        ui.frame(*worker.snapshot(), view, send, host);
        for (const char* id : {"##lr_z", "##lr_y", "##ratio", "lock"}) EXPECT_TRUE(view.widget_rects.count(id)) << id;
        EXPECT_FALSE(view.widget_rects.count("##lr"));
    }
    worker.post(Command::load_config(resolve_config(preset_config("tpg-cyclic"), "tpg-cyclic")));
    worker.sync();
    {
        ViewState view;
        ui.frame(*worker.snapshot(), view, send, host);
        EXPECT_TRUE(view.widget_rects.count("##lr"));
        for (const char* id : {"##lr_z", "##lr_y", "##ratio", "lock"}) EXPECT_FALSE(view.widget_rects.count(id)) << id;
    }
    Snapshot four = *worker.snapshot();
    four.lrs = {{"a", "eta_a", 1.0}, {"b", "eta_b", 0.5}, {"c", "eta_c", 0.1}, {"d", "eta_d", 2.0}};
    ViewState view;
    auto frame = [&] { ui.frame(four, view, send, host); };
    frame();
    for (const char* id : {"##a", "##b", "##c", "##d"}) EXPECT_TRUE(view.widget_rects.count(id)) << id;
    EXPECT_FALSE(view.widget_rects.count("##ratio"));
    EXPECT_FALSE(view.widget_rects.count("lock"));
    sent.clear();
    click(ui, centre(view, "##c", 0.9f), frame);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].kind, Command::Kind::SetLr);
    EXPECT_EQ(sent[0].name, "c");
    EXPECT_GT(sent[0].value, 1.0);
}

TEST(UiLogic, APinnedRunWithFewerClassesOrAnotherLabIsDrawnSafely) {
    // A pinned run with the same vocabulary but fewer classes (M = 34 with 2 classes, the live one M = 34 with 3) read
    // past the end of its per-class values (caught by the ASan build); a pinned run of another lab is not drawn.
    Ui ui;
    HostRequests host;
    const CommandSink send = [](Command) {};
    Worker two(fig4());
    two.post(Command::step(5));
    two.sync();
    Config c3 = fig4();
    scansnap_settings(c3).num_last = 3;
    scansnap_settings(c3).num_unique_per_next = 6;
    Worker three(c3);
    three.post(Command::step(5));
    three.sync();
    ASSERT_EQ(two.snapshot()->info->M, three.snapshot()->info->M);
    ViewState view;
    view.pinned = two.snapshot();
    for (int i = 0; i < 3; ++i) ui.frame(*three.snapshot(), view, send, host);
    EXPECT_EQ(scansnap_info(*three.snapshot()->info).classes.size(), 3u);
    Worker tpg(resolve_config(preset_config("tpg-cyclic"), "tpg-cyclic"));
    tpg.post(Command::step(5));
    tpg.sync();
    view.pinned = tpg.snapshot();
    for (int i = 0; i < 3; ++i) ui.frame(*three.snapshot(), view, send, host);
    view.pinned = three.snapshot();
    for (int i = 0; i < 3; ++i) ui.frame(*tpg.snapshot(), view, send, host);
    EXPECT_TRUE(view.pinned);
}

// Issue 10 (frame time under a software renderer): the tiled panels and the status bar draw no background of their
// own (the frame is cleared with the window colour), so a frame covers its pixels about once. With a background per
// panel every pixel was filled twice before anything was drawn on it (1.6 frames of area at 1920 x 1080 on the large
// preset), which was a third of llvmpipe's work.
TEST(UiLogic, AFrameFillsItsPixelsAboutOnce) {
    for (const char* preset : {"fig4", "large", "tpg-cyclic"}) {
        Ui ui;
        ImGui::GetIO().DisplaySize = ImVec2(1920, 1080);
        Worker worker(resolve_config(preset_config(preset), preset));
        worker.post(Command::step(5));
        worker.sync();
        ViewState view;
        HostRequests host;
        for (int k = 0; k < 3; ++k) ui.frame(*worker.snapshot(), view, [](Command) {}, host);
        const ImDrawData* dd = ImGui::GetDrawData();
        ASSERT_TRUE(dd && dd->Valid);
        double area = 0;
        for (int i = 0; i < dd->CmdListsCount; ++i) {
            const ImDrawList* l = dd->CmdLists[i];
            for (const ImDrawCmd& cmd : l->CmdBuffer)
                for (unsigned e = 0; e + 2 < cmd.ElemCount; e += 3) {
                    const ImDrawVert* v[3];
                    for (int j = 0; j < 3; ++j) v[j] = &l->VtxBuffer[static_cast<int>(cmd.VtxOffset + l->IdxBuffer[static_cast<int>(cmd.IdxOffset + e + j)])];
                    area += std::abs((v[1]->pos.x - v[0]->pos.x) * (v[2]->pos.y - v[0]->pos.y) - (v[2]->pos.x - v[0]->pos.x) * (v[1]->pos.y - v[0]->pos.y)) / 2;
                }
        }
        EXPECT_LT(area, 0.9 * 1920 * 1080) << preset << ": the frame's triangles cover " << area / (1920.0 * 1080) << " frames";
        EXPECT_GT(area, 0.05 * 1920 * 1080) << preset << ": nothing drawn?";
    }
}

namespace {

Config symmetry_config(const std::vector<std::string>& sets) {
    FlatConfig f = preset_config("symmetry-addition");
    for (const std::string& s : sets) apply_assignment(f, s);
    return resolve_config(f, "test");
}

}  // namespace

// Issue 12: the symmetry lab. The lab switch loads it; the probe's "Permute the prefix" button shuffles positions
// 0..n-2 of the shown sequence and the window shows that the NoPE model without mask predicts exactly the same, while
// the model with a positional encoding does not; the prediction and the maps come from the live weights.
TEST(UiLogic, TheSymmetryProbeShowsThePredictionBeforeAndAfterPermutingThePrefix) {
    Ui ui;
    HostRequests host;
    for (const auto& [sets, invariant] : std::vector<std::pair<std::vector<std::string>, bool>>{
             {{"model.causal=false", "train.loss_positions=last"}, true},
             {{"model.pos_encoding=sinusoidal"}, false},
             {{"model.layers=1"}, true},
             {{}, false}}) {
        ViewState view;
        Worker worker(symmetry_config(sets));
        const CommandSink send = [&](Command c) { worker.post(c); };
        auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
        worker.post(Command::step(30));
        worker.sync();
        frame();
        TransformerLabView& v = transformer_view(view);
        ASSERT_TRUE(v.probe.error.empty()) << v.probe.error;
        const std::vector<std::int32_t> before = v.probe.permuted;
        EXPECT_EQ(before, v.probe.tokens) << "the original order at first";
        EXPECT_EQ(v.probe.max_change, 0.0);
        click(ui, centre(view, "transformer.permute"), frame);
        frame();
        ASSERT_EQ(v.probe.permuted.size(), before.size());
        EXPECT_NE(v.probe.permuted, before) << "the button permuted nothing";
        EXPECT_EQ(v.probe.permuted.back(), before.back()) << "the last position stays";
        std::vector<std::int32_t> a = v.probe.permuted, b = before;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << "a permutation of the same tokens";
        if (invariant) EXPECT_LT(v.probe.max_change, 1e-9) << sets.size();
        else EXPECT_GT(v.probe.max_change, 1e-4) << (sets.empty() ? "NoPE causal 2 layers" : sets[0]);
        // The maps: one attention map per layer and head, rows summing to 1; the cosine map's diagonal is 1.
        const int n = v.probe.n;
        ASSERT_EQ(v.probe.attention.size(), static_cast<std::size_t>(v.probe.layers * v.probe.heads * n * n));
        for (int i = 0; i < n; ++i) {
            double row = 0;
            for (int j = 0; j < n; ++j) row += v.probe.attention[static_cast<std::size_t>(i * n + j)];
            EXPECT_NEAR(row, 1.0, 1e-9);
        }
        const int m = (v.probe.layers + 1) * n;
        for (int i = 0; i < m; ++i) EXPECT_NEAR(v.probe.cosine[static_cast<std::size_t>(i * m + i)], 1.0, 1e-9);
        // The whole answer, decoded greedily, for both orders.
        EXPECT_EQ(v.probe.answer.size(), 3u);
        // Training moves the weights: the probe follows the live ones.
        const double p0 = v.probe.probs[static_cast<std::size_t>(v.probe.predicted)];
        worker.post(Command::step(200));
        worker.sync();
        frame();
        EXPECT_NE(v.probe.probs[static_cast<std::size_t>(v.probe.predicted)], p0);
        // ... the weights of the step shown, not of one a little before it (they were copied at most every 100 ms).
        const auto* live = dynamic_cast<const TransformerLive*>(worker.snapshot()->live.get());
        ASSERT_NE(live, nullptr);
        EXPECT_EQ(live->step, worker.snapshot()->step);
        // An unpermuted sequence is not a test of the order.
        std::iota(v.perm.begin(), v.perm.end(), 0);
        frame();
        EXPECT_EQ(v.probe.permuted, v.probe.tokens);
    }
}

TEST(UiLogic, TheSymmetryLabTypesSequencesAndComparesVariants) {
    Ui ui;
    HostRequests host;
    ViewState view;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    // The lab switch's third entry.
    click(ui, centre(view, "lab"), frame);
    const ImVec4 r = view.widget_rects.at("lab");
    click(ui, ImVec2((r.x + r.z) / 2, r.w + ImGui::GetFontSize() * 3.2f), frame);
    worker.sync();
    ASSERT_EQ(worker.snapshot()->info->config.model.kind, "transformer");
    EXPECT_EQ(worker.snapshot()->stop_at, 3000) << "the lab's preset's own steps";
    frame();
    TransformerLabView& v = transformer_view(view);
    const TransformerInfo& info = transformer_info(*worker.snapshot()->info);
    EXPECT_EQ(parse_sequence("12+34=", info), (std::vector<std::int32_t>{1, 2, 10, 3, 4, 11}));
    EXPECT_THROW(parse_sequence("12*3", info), std::invalid_argument);
    v.typed = "12+34=";
    frame();
    EXPECT_EQ(v.probe.tokens, (std::vector<std::int32_t>{1, 2, 10, 3, 4, 11}));
    v.typed = "12+3x";
    frame();
    EXPECT_NE(v.probe.error.find("'x'"), std::string::npos) << v.probe.error;
    v.typed = "1234567890+1234567890=";
    frame();
    EXPECT_NE(v.probe.error.find("longer than"), std::string::npos) << v.probe.error;
    v.typed.clear();
    // Compare mode: every variant on (but the run's own model, NoPE causal 2 layers, which is refused); they train
    // beside the run and their curves are drawn.
    for (const std::string& n : transformer_variant_names()) worker.post(Command::set_companion(n, true));
    worker.post(Command::step(20));
    worker.sync();
    frame();
    const SnapshotPtr s = worker.snapshot();
    ASSERT_EQ(s->companions.size(), 3u);
    for (const CompanionFrames& c : s->companions) {
        ASSERT_FALSE(c.frames.empty()) << c.name;
        EXPECT_EQ(c.frames.back()->step, 20) << c.name;
    }
    // A session keeps the probe's example and permutation; a bad permutation is refused with a warning.
    v.example = 3;
    permute_prefix(v, 6);
    nlohmann::json j = view.to_json();
    ViewState back;
    EXPECT_TRUE(back.from_json(j, "s.json").empty());
    EXPECT_EQ(transformer_view(back).example, 3);
    EXPECT_EQ(transformer_view(back).perm, v.perm);
    j["probe_permutation"] = {0, 0, 1};
    ViewState bad;
    const auto warnings = bad.from_json(j, "s.json");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("probe_permutation"), std::string::npos);
}

// Issue 12, the depth-width preset: a sweep over layers x width in the background, drawn as the final loss against
// the parameter count, one line per depth (mean over seeds, the spread dashed).
TEST(UiLogic, TheDepthWidthWindowSweepsLayersAndWidthInTheBackground) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(symmetry_config({"train.steps=20", "data.digits=1", "data.num_test=20"}));
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    ui.key(kKeyD, true);
    frame();
    ui.key(kKeyD, false);
    frame();
    TransformerLabView& v = transformer_view(view);
    ASSERT_TRUE(v.show_depth_width) << "D opens the window";
    v.dw_layers = "1,2";
    v.dw_widths = "8,16,32";
    v.dw_seeds = 2;
    // Press Run sweep: the window's first button after the fields.
    frame();
    ImGuiWindow* w = ImGui::FindWindowByName("Depth x width (sweep in the background)");
    ASSERT_NE(w, nullptr);
    FlatConfig base;
    const nlohmann::json cj = config_to_json(worker.snapshot()->info->config);
    for (auto& [k, val] : cj.items()) base[k] = val;
    base["sweep.grid"] = "";
    v.dw_job = std::make_shared<SweepJob>(make_sweep_definition(base, {"model.layers=1,2", "model.d_model=8,16,32"}, 2, kSnapTolerance, kSnapWindow), 2);
    for (int i = 0; i < 120000 && !v.dw_job->finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(v.dw_job->finished());
    EXPECT_TRUE(v.dw_job->error().empty()) << v.dw_job->error();
    EXPECT_EQ(v.dw_job->results().size(), 12u);
    frame();
    const std::vector<PlotSeries> s = depth_width_series(*v.dw_job, 0);
    ASSERT_EQ(s.size(), 6u);  // per depth: the mean and its two dashed bounds
    for (const PlotSeries& p : s) {
        ASSERT_EQ(p.x.size(), 3u) << p.label;
        EXPECT_LT(p.x[0], p.x[1]);
        EXPECT_LT(p.x[1], p.x[2]) << "parameters grow with the width";
    }
    EXPECT_EQ(s[2].label, "1 layer");
    EXPECT_EQ(s[5].label, "2 layers");
    EXPECT_GT(s[5].x[0], s[2].x[0]) << "a second layer adds parameters";
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_LE(s[0].y[i], s[2].y[i]);
        EXPECT_GE(s[1].y[i], s[2].y[i]);
    }
    // The parameter count is the model's: d 8, 1 layer, the preset's MLP width 64, vocabulary 12.
    TransformerSpec t;
    t.vocab = 12;
    t.d = 8;
    t.ffn = 64;
    t.max_len = 8;
    EXPECT_NEAR(std::pow(10.0, s[2].x[0]), static_cast<double>(transformer_param_count(t)), 1e-6);
    // Right-click the plot, "Print figure": the six lines as drawn (x: log10 parameters; a column per line).
    const std::filesystem::path exports = std::filesystem::temp_directory_path() / ("snapscope-dwprint-" + std::to_string(::getpid()));
    std::filesystem::remove_all(exports);
    view.export_dir = exports.string();
    frame();
    ASSERT_TRUE(view.widget_rects.count("plot.dwplot"));
    right_click(ui, centre(view, "plot.dwplot"), frame);
    ASSERT_TRUE(view.widget_rects.count("print.depth-width"));
    click(ui, centre(view, "print.depth-width"), frame);
    std::string csv;
    int pngs = 0;
    for (const auto& e : std::filesystem::directory_iterator(exports)) {
        if (e.path().extension() == ".png") ++pngs;
        if (e.path().extension() == ".csv") csv = slurp(e.path());
    }
    EXPECT_EQ(pngs, 1) << view.status;
    EXPECT_EQ(csv.rfind("log10(parameters),", 0), 0u) << csv.substr(0, 300);
    EXPECT_NE(csv.find(",1 layer"), std::string::npos) << csv.substr(0, 300);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7) << csv;  // header + 2 depths x 3 widths (distinct x)
    std::filesystem::remove_all(exports);
}

// Issue 14: the transformer lab's pictures print too: every layer and head's attention map side by side, and the
// hidden states' cosine map, each with the probe's tokens on its axes.
TEST(UiLogic, TheTransformerMapsAndTheCosineMapPrintWithTheirData) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(symmetry_config({"train.steps=20", "data.digits=1", "data.num_test=20"}));
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    worker.post(Command::step(3));
    worker.sync();
    const std::filesystem::path exports = std::filesystem::temp_directory_path() / ("snapscope-tfprint-" + std::to_string(::getpid()));
    std::filesystem::remove_all(exports);
    view.export_dir = exports.string();
    view.print_width = 800;
    view.print_height = 500;
    frame();
    frame();
    const ProbeResult& r = transformer_view(view).probe;
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_GT(r.n, 0);
    auto print = [&](const std::string& where, const std::string& id) {
        std::filesystem::remove_all(exports);
        EXPECT_TRUE(view.widget_rects.count(where)) << where;
        if (!view.widget_rects.count(where)) return std::string();
        right_click(ui, centre(view, where), frame);
        EXPECT_TRUE(view.widget_rects.count("print." + id)) << id;
        if (!view.widget_rects.count("print." + id)) return std::string();
        click(ui, centre(view, "print." + id), frame);
        std::string csv;
        int pngs = 0;
        for (const auto& e : std::filesystem::directory_iterator(exports)) {
            if (e.path().extension() == ".png") ++pngs;
            if (e.path().extension() == ".csv") csv = slurp(e.path());
            EXPECT_EQ(e.path().filename().string().rfind("figure-" + id + "-step3-", 0), 0u) << e.path();
        }
        EXPECT_EQ(pngs, 1) << view.status;
        return csv;
    };
    const int n = r.n, maps = r.layers * r.heads, m = (r.layers + 1) * n;
    const std::string attn = print("transformer.maps", "attention-maps");
    // One block per map: a header and n query rows, each with its n weights (a row sums to 1).
    EXPECT_EQ(std::count(attn.begin(), attn.end(), '\n'), maps * (n + 1) + (maps - 1)) << attn.substr(0, 400);
    EXPECT_NE(attn.find("layer 1, head 1"), std::string::npos) << attn.substr(0, 400);
    // Hovering the cosine map says which states a cell compares; not while its print menu is open (the tooltip
    // covered the menu).
    auto tooltip_shown = [] {
        for (ImGuiWindow* w : GImGui->Windows)
            if ((w->Flags & ImGuiWindowFlags_Tooltip) && w->Active) return true;
        return false;
    };
    ui.mouse(centre(view, "transformer.cosine"), false);
    frame();
    frame();
    EXPECT_TRUE(tooltip_shown());
    right_click(ui, centre(view, "transformer.cosine"), frame);
    EXPECT_TRUE(view.widget_rects.count("print.hidden-cosine"));
    EXPECT_FALSE(tooltip_shown());
    ui.mouse(ImVec2(5, 795), false);
    click(ui, ImVec2(5, 795), frame);  // (closes the menu)
    const std::string cos = print("transformer.cosine", "hidden-cosine");
    EXPECT_EQ(std::count(cos.begin(), cos.end(), '\n'), m + 1) << cos.substr(0, 400);
    EXPECT_NE(cos.find("\nL0 0 "), std::string::npos) << cos.substr(0, 400);
    EXPECT_NE(cos.find("\nL" + std::to_string(r.layers) + " "), std::string::npos);
    {
        // The diagonal is each state with itself: cosine 1.
        const std::size_t first = cos.find('\n') + 1;
        const std::string row = cos.substr(first, cos.find('\n', first) - first);
        const std::string v = row.substr(row.find(',') + 1, row.find(',', row.find(',') + 1) - row.find(',') - 1);
        EXPECT_NEAR(std::stod(v), 1.0, 1e-6) << row;
    }
    std::filesystem::remove_all(exports);
}

// Issue 13: the text view. A text run (data.kind = text) shows the watched window's attention with its words, each
// frame holding that step's maps; the steps of output.attention_steps are pinned at first, P pins the step shown, a
// click on a row picks the query word whose top words are listed; a text file opened (the Open data window, or a
// drop, which calls the same function) restarts on the Fig 7 model from any lab.
namespace {
std::string grammar_words(int sentences) {
    const char* nouns[] = {"cat", "dog", "bird"};
    const char* verbs[] = {"sees", "likes"};
    const char* objects[] = {"mouse", "ball"};
    std::string t;
    for (int s = 0; s < sentences; ++s) {
        const int v = s % 2;
        t += std::string("the ") + nouns[(s * 7) % 3] + " " + verbs[v] + " the " + objects[v] + " .\n";
    }
    return t;
}
// The Fig 7 model made small, on the text file `path`.
FlatConfig small_text_config(const std::filesystem::path& path) {
    FlatConfig f = preset_config("fig7");
    for (const std::string& s : {"data.path=" + path.string(), std::string("model.d_model=16"), std::string("model.ffn=16"),
                                std::string("data.seq_len=12"), std::string("train.batch=4"), std::string("data.valid_tokens=200")})
        apply_assignment(f, s);
    return f;
}
}  // namespace

TEST(UiLogic, TheTextViewShowsTheWatchedWindowsAttentionPinsStepsAndOpensTexts) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-textview-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d / "sub");
    { std::ofstream(d / "g.txt") << grammar_words(400); }
    { std::ofstream(d / ".hidden") << "x"; }
    FlatConfig f = small_text_config(d / "g.txt");
    apply_assignment(f, "train.eval_every=5");
    apply_assignment(f, "output.attention_steps=0,10,1000");
    Ui ui;
    HostRequests host;
    ViewState view;
    Worker worker(resolve_config(f, "test"));
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    worker.post(Command::step(20));
    worker.sync();
    frame();
    frame();
    const SnapshotPtr snap = worker.snapshot();
    const TransformerInfo& info = transformer_info(*snap->info);
    ASSERT_TRUE(info.text);
    ASSERT_EQ(info.watched.size(), 12u);
    // Every frame holds its step's map of the watched window: rows are distributions over the causal prefix.
    for (const FramePtr& fr : snap->frames) {
        const float* m = watched_map(*fr, info, 0);
        ASSERT_NE(m, nullptr) << "step " << fr->step;
        for (int q = 0; q < 12; ++q) {
            double row = 0;
            for (int k = 0; k < 12; ++k) {
                if (k > q) {
                    EXPECT_EQ(m[q * 12 + k], 0.f);
                }
                row += m[q * 12 + k];
            }
            EXPECT_NEAR(row, 1.0, 1e-4);
        }
    }
    // The maps change with training (the frames are not one shared map).
    const float* first = watched_map(*snap->frames.front(), info, 0);
    const float* last = watched_map(*snap->frames.back(), info, 0);
    double diff = 0;
    for (int e = 0; e < 144; ++e) diff += std::abs(first[e] - last[e]);
    EXPECT_GT(diff, 1e-3);
    // Validation loss at evaluation steps.
    int evaluated = 0;
    for (const FramePtr& fr : snap->frames) evaluated += std::isfinite(transformer_frame(*fr).valid_loss);
    EXPECT_GE(evaluated, 3);
    TransformerLabView& v = transformer_view(view);
    EXPECT_EQ(v.pins, (std::vector<std::int64_t>{0, 10, 1000})) << "output.attention_steps are pinned at first";
    // Step 7 shown (the cursor), pinned by its button and then by P (once: a step is pinned once).
    view.live = false;
    view.cursor_step = 7;
    frame();
    click(ui, centre(view, "text.pin"), frame);
    EXPECT_EQ(v.pins, (std::vector<std::int64_t>{0, 7, 10, 1000}));
    view.cursor_step = 15;
    frame();
    ui.key(kKeyP, true);
    frame();
    ui.key(kKeyP, false);
    frame();
    EXPECT_EQ(v.pins, (std::vector<std::int64_t>{0, 7, 10, 15, 1000}));
    // A pinned step can be removed.
    click(ui, centre(view, "text.unpin.1000"), frame);
    EXPECT_EQ(v.pins, (std::vector<std::int64_t>{0, 7, 10, 15}));
    // A click on row 3 of the map makes position 3 the query word; Up moves to 2.
    const ImVec4 r = view.widget_rects.at("text.map");
    const float cell = (r.w - r.y) / 12;
    click(ui, ImVec2(r.x + cell * 0.5f, r.y + cell * 3.5f), frame);
    EXPECT_EQ(v.query, 3);
    ui.key(kKeyUp, true);
    frame();
    ui.key(kKeyUp, false);
    frame();
    EXPECT_EQ(v.query, 2);
    // Right-click the map, "Print figure": the 12 x 12 map with its words, as PNG and CSV.
    const std::filesystem::path exports = d.string() + "-exports";
    view.export_dir = exports.string();
    right_click(ui, ImVec2(r.x + cell * 3.5f, r.y + cell * 3.5f), frame);
    ASSERT_TRUE(view.widget_rects.count("print.text-attention"));
    click(ui, centre(view, "print.text-attention"), frame);
    {
        std::string csv;
        int pngs = 0;
        for (const auto& e : std::filesystem::directory_iterator(exports)) {
            if (e.path().extension() == ".png") ++pngs;
            if (e.path().extension() == ".csv") {
                std::ifstream in(e.path());
                csv.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            }
        }
        EXPECT_EQ(pngs, 1) << view.status;
        EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 13) << csv.substr(0, 300);  // header + 12 query words
        EXPECT_NE(csv.find("query word \\ key word"), std::string::npos) << csv.substr(0, 300);
        std::filesystem::remove_all(exports);
    }
    EXPECT_EQ(v.query, 2);  // (the menu's click was not a click on the map under it)
    // Top words: the heaviest keys of the query's row, in order.
    const float* m = watched_map(frame_at(*worker.snapshot(), view), info, 0);
    const auto top = top_keys(m, 12, 5, 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_GE(top[0].second, top[1].second);
    EXPECT_GE(top[1].second, top[2].second);
    for (int k = 0; k < 12; ++k)
        if (k != top[0].first) {
            EXPECT_LE(m[5 * 12 + k], top[0].second);
        }
    // Each frame's map entropy is computed once (cached by step), not at every UI frame.
    EXPECT_FALSE(v.entropy_cache.empty());
    EXPECT_LE(v.entropy_cache.size(), worker.snapshot()->frames.size());
    for (const auto& [step, h] : v.entropy_cache) {
        const Frame* fr = nullptr;
        for (const FramePtr& p : worker.snapshot()->frames)
            if (p->step == step) fr = p.get();
        ASSERT_NE(fr, nullptr);
        const float* mm = watched_map(*fr, info, 0);
        double want = 0;
        for (int e = 0; e < 144; ++e) want -= mm[e] > 0 ? mm[e] * std::log(mm[e]) : 0.0;
        EXPECT_NEAR(h, want / 12, 1e-6);
    }
    // The pins and the query word are kept in a session's view.
    ViewState back;
    back.from_json(view.to_json(), "test");
    EXPECT_EQ(transformer_view(back).pins, v.pins);
    EXPECT_EQ(transformer_view(back).query, 2);

    // Opening a text from another lab (fig4 shown): the Open data window lists folders first and leaves hidden files
    // off; a file picked and opened restarts on the Fig 7 model on it.
    std::vector<Command> sent;
    const CommandSink record = [&](Command c) { sent.push_back(c); };
    Worker other(fig4());
    ViewState v2;
    v2.open_data.open = true;
    v2.open_data.dir = d.string();
    auto frame2 = [&] { ui.frame(*other.snapshot(), v2, record, host); };
    frame2();
    ASSERT_EQ(v2.open_data.entries.size(), 2u);
    EXPECT_TRUE(v2.open_data.entries[0].folder);
    EXPECT_EQ(v2.open_data.entries[0].name, "sub");
    EXPECT_EQ(v2.open_data.entries[1].name, "g.txt");
    click(ui, centre(v2, "open.entry.g.txt"), frame2);
    EXPECT_EQ(v2.open_data.typed, (d / "g.txt").string());
    click(ui, centre(v2, "open.open"), frame2);
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].kind, Command::Kind::LoadConfig);
    EXPECT_EQ(sent[0].config->model.kind, "transformer");
    EXPECT_EQ(sent[0].config->data.kind, "text");
    EXPECT_EQ(sent[0].config->data.path, (d / "g.txt").string());
    EXPECT_FALSE(v2.open_data.open) << "the window closes once a lab opens the path";
    // From a text run, the same settings on the new text; a path that does not exist is refused with a message.
    sent.clear();
    EXPECT_TRUE(open_data_path(*worker.snapshot(), view, record, d.string()));
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(transformer_settings(*sent[0].config).d_model, 16);
    EXPECT_EQ(sent[0].config->data.path, d.string());
    sent.clear();
    EXPECT_FALSE(open_data_path(*worker.snapshot(), view, record, (d / "missing.txt").string()));
    EXPECT_TRUE(sent.empty());
    EXPECT_TRUE(view.status_error);
    EXPECT_NE(view.status.find("no such file"), std::string::npos) << view.status;
    std::filesystem::remove_all(d);
}

// Scan and Snap on a text names its tokens by their words in the window (the token labels, the query rows).
TEST(UiLogic, ScanSnapOnATextNamesItsTokensByTheirWords) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-sstext-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    { std::ofstream(d / "g.txt") << grammar_words(300); }
    FlatConfig f = preset_config("scansnap-text");
    for (const std::string& s : {"data.path=" + (d / "g.txt").string(), std::string("data.num_last=1"), std::string("data.num_next_per_last=2"),
                                std::string("data.seq_len=4")})
        apply_assignment(f, s);
    Worker worker(resolve_config(f, "test"));
    worker.post(Command::step(5));
    worker.sync();
    const RunInfo& info = *worker.snapshot()->info;
    const ScanSnapInfo& si = scansnap_info(info);
    ASSERT_FALSE(si.words.empty());
    ASSERT_EQ(si.classes.size(), 2u);
    EXPECT_EQ(si.name(si.classes[0].query), "the");
    const auto sees = std::find(si.words.begin(), si.words.end(), "sees") - si.words.begin();
    EXPECT_EQ(token_short(info, static_cast<int>(sees)).rfind("sees ", 0), 0u) << token_short(info, static_cast<int>(sees));
    Ui ui;
    HostRequests host;
    ViewState view;
    ui.frame(*worker.snapshot(), view, [](Command) {}, host);  // draws with words (no crash, no id lookups past the table)
    std::filesystem::remove_all(d);
}

// The token-priority graph of a text's query word: the Scan-and-Snap text view's "priority graph" button opens the
// tpg lab on the same text for the selected class's query word; its graph, samples, probe and editor name the words.
TEST(UiLogic, AScanSnapTextOpensTheTokenPriorityGraphOfItsQueryWord) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-tpgtext-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    { std::ofstream(d / "g.txt") << grammar_words(300); }
    FlatConfig f = preset_config("scansnap-text");
    // A window of 12 words ending in the second "the" holds the object of two sentences before (the same verb).
    for (const std::string& s : {"data.path=" + (d / "g.txt").string(), std::string("data.num_last=1"), std::string("data.num_next_per_last=2"),
                                std::string("data.seq_len=12")})
        apply_assignment(f, s);
    Worker worker(resolve_config(f, "test"));
    worker.post(Command::step(2));
    worker.sync();
    Ui ui;
    HostRequests host;
    ViewState view;
    std::vector<Command> sent;
    const CommandSink record = [&](Command c) { sent.push_back(std::move(c)); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, record, host); };
    frame();
    ASSERT_TRUE(view.widget_rects.count("scansnap.priority_graph"));
    click(ui, centre(view, "scansnap.priority_graph"), frame);
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].kind, Command::Kind::LoadConfig);
    const Config& c = *sent[0].config;
    EXPECT_EQ(c.model.kind, "tpg");
    EXPECT_EQ(c.data.kind, "text");
    EXPECT_EQ(c.data.path, (d / "g.txt").string());
    EXPECT_EQ(c.data.seq_len, 12);
    EXPECT_EQ(c.data.vocab_size, worker.snapshot()->info->config.data.vocab_size);
    EXPECT_EQ(tpg_settings(c).query_word, "the");
    // The tpg lab on it: the graph of "the", its nodes and samples named by words.
    worker.post(Command::load_config(c));
    worker.post(Command::step(50));
    worker.sync();
    const TpgInfo* t = tpg_of(*worker.snapshot());
    ASSERT_TRUE(t) << worker.snapshot()->message;
    ASSERT_FALSE(t->data.words.empty());
    ASSERT_EQ(t->graphs.size(), 1u);
    EXPECT_EQ(t->data.name(t->graphs[0].query), "the");
    for (const TpgSample& s : t->data.samples) {
        const std::string label = t->data.name(s.label);
        EXPECT_TRUE(label == "mouse" || label == "ball") << label;
    }
    // The probe and the editor read words (and ids); a word the windows lack is named in the message.
    std::vector<int> toks;
    std::string err;
    ASSERT_TRUE(tpg_parse_tokens("cat mouse the", t->data, toks, err)) << err;
    EXPECT_EQ(t->data.name(toks[0]), "cat");
    EXPECT_EQ(t->data.name(toks[2]), "the");
    ASSERT_TRUE(tpg_parse_tokens("0 the", t->data, toks, err)) << err;
    EXPECT_EQ(toks[0], 0);
    EXPECT_FALSE(tpg_parse_tokens("cat zebra the", t->data, toks, err));
    EXPECT_NE(err.find("'zebra' is neither a word"), std::string::npos) << err;
    // Drawn with words; a text's graph starts at 40 nodes at most (readable), the synthetic default being 200.
    frame();
    frame();
    EXPECT_EQ(tpg_view(view).top_n, 40);
    tpg_view(view).probe = "cat mouse the";
    frame();
    std::filesystem::remove_all(d);
}

namespace {
// Waits (at most a minute) until the worker has paused with its run built.
void wait_paused(Worker& worker) {
    worker.sync();
    for (int i = 0; i < 6000; ++i) {
        const SnapshotPtr s = worker.snapshot();
        if (!s->free_running && !s->loading) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the worker did not pause";
}
}  // namespace

TEST(UiLogic, ATourStepsForwardAndBackTrainingToEachPauseAndHighlightingItsWidgets) {
    const Tour* tour = find_tour("1-scan-and-snap");
    ASSERT_TRUE(tour);
    Worker worker(fig4());
    worker.post(Command::set_speed(SpeedMode::Unlimited, 0));
    Ui ui;
    HostRequests host;
    ViewState view;
    const CommandSink send = [&](Command c) {
        // (The tour's own speeds would make the test wait; everything else goes through.)
        if (c.kind != Command::Kind::SetSpeed) worker.post(std::move(c));
    };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    // T opens the list; its Start button starts the tour on its first step: fig4 trained to step 1, paused.
    frame();
    ui.key(kKeyT, true);
    frame();
    ui.key(kKeyT, false);
    frame();
    ASSERT_TRUE(view.tour.chooser);
    ASSERT_TRUE(view.widget_rects.count("tour.start.1-scan-and-snap"));
    click(ui, centre(view, "tour.start.1-scan-and-snap"), frame);
    frame();  // (the tour starts at the frame after the click)
    ASSERT_TRUE(view.tour.tour);
    EXPECT_FALSE(view.tour.chooser);
    wait_paused(worker);
    frame();
    EXPECT_EQ(worker.snapshot()->step, 1);
    EXPECT_EQ(view.tour.step, 0);
    EXPECT_TRUE(view.tour.missing.empty()) << view.tour.missing.front();
    // Its highlights are on screen, and the panel sits clear of them.
    for (const TourHighlight& h : tour->steps[0].highlight) {
        const auto r = resolve_highlight(view, h);
        ASSERT_TRUE(r) << h.text();
        const ImVec4 p = view.tour.panel_rect;
        EXPECT_FALSE(p.x < r->z && r->x < p.z && p.y < r->w && r->y < p.w) << h.text() << " is under the tour panel";
    }
    // Next (the button): trains on to step 10 and pauses; Next (PageDown): to 30; each step's highlights resolve.
    click(ui, centre(view, "tour.next"), frame);
    wait_paused(worker);
    frame();
    EXPECT_EQ(view.tour.step, 1);
    EXPECT_EQ(worker.snapshot()->step, 10);
    EXPECT_LT(worker.snapshot()->frames.back()->loss, 0.05);  // (the text says so)
    ui.key(kKeyPageDown, true);
    frame();
    ui.key(kKeyPageDown, false);
    wait_paused(worker);
    frame();
    EXPECT_EQ(view.tour.step, 2);
    EXPECT_EQ(worker.snapshot()->step, 30);
    EXPECT_TRUE(view.tour.missing.empty()) << view.tour.missing.front();
    // A cell highlight is the cell: column 5 of the 34-column Fig 4 image.
    const ImVec4 img = view.widget_rects.at("attention.fig4");
    const auto col = resolve_highlight(view, tour->steps[2].highlight[0]);
    ASSERT_TRUE(col);
    EXPECT_NEAR(col->x, img.x + (img.z - img.x) * 5 / 34, 0.01);
    EXPECT_NEAR(col->z - col->x, (img.z - img.x) / 34, 0.01);
    EXPECT_EQ(col->y, img.y);
    // Back (PageUp) to a step the run is past: that step is shown from history, nothing retrained.
    ui.key(kKeyPageUp, true);
    frame();
    ui.key(kKeyPageUp, false);
    worker.sync();
    frame();
    EXPECT_EQ(view.tour.step, 1);
    EXPECT_FALSE(view.live);
    EXPECT_EQ(frame_at(*worker.snapshot(), view).step, 10);
    EXPECT_EQ(worker.snapshot()->step, 30);
    // Back to the first step, which names a preset: set up again (restarted, trained to step 1).
    click(ui, centre(view, "tour.back"), frame);
    wait_paused(worker);
    frame();
    EXPECT_EQ(view.tour.step, 0);
    EXPECT_EQ(worker.snapshot()->step, 1);
    // Esc leaves the tour; the run stays as it is.
    ui.key(kKeyEscape, true);
    frame();
    ui.key(kKeyEscape, false);
    frame();
    EXPECT_FALSE(view.tour.tour);
    EXPECT_FALSE(view.widget_rects.count("tour.next"));
    EXPECT_EQ(worker.snapshot()->step, 1);
}

TEST(UiLogic, EveryShippedTourStepHighlightsWhatIsOnScreen) {
    // Each step of each tour set up in turn (training cut short: a step pauses a few steps in, which is enough for its
    // views to exist); every highlight must be found on screen, and every rate and companion a step names must be the
    // run's.
    Worker worker(fig4());
    worker.post(Command::set_speed(SpeedMode::Unlimited, 0));
    Ui ui;
    HostRequests host;
    ViewState view;
    std::vector<Command> sent;
    const CommandSink send = [&](Command c) {
        if (c.kind == Command::Kind::SetSpeed) return;
        if (c.kind == Command::Kind::StopAt) c.count = std::min<std::int64_t>(c.count, worker.snapshot()->step + 3);
        sent.push_back(c);
        worker.post(std::move(c));
    };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    for (const Tour& t : tours()) {
        view.tour = TourView{};
        view.tour.tour = std::make_shared<const Tour>(t);
        for (int i = 0; i < static_cast<int>(t.steps.size()); ++i) {
            SCOPED_TRACE(t.name + " step " + std::to_string(i + 1));
            sent.clear();
            apply_tour_step(*worker.snapshot(), view, send, i);
            wait_paused(worker);
            const SnapshotPtr s = worker.snapshot();
            ASSERT_TRUE(s->message.empty() || !s->message_is_error) << s->message;
            ASSERT_TRUE(view.status.empty() || !view.status_error) << view.status;
            for (const auto& [group, v] : t.steps[i].rates) {
                bool found = false;
                for (const LrGroup& g : s->lrs) found = found || g.name == group;
                EXPECT_TRUE(found) << "rate " << group;
            }
            for (const auto& [name, on] : t.steps[i].companions)
                EXPECT_NE(std::find(s->companions_offered.begin(), s->companions_offered.end(), name), s->companions_offered.end()) << name;
            for (int k = 0; k < 3; ++k) frame();
            EXPECT_TRUE(view.tour.missing.empty()) << view.tour.missing.front();
            EXPECT_EQ(view.tour.step, i);
            EXPECT_TRUE(view.tour.tour);
        }
    }
}

TEST(UiLogic, TheMovieButtonAndMAskTheHostForAMovieAndItsProgressHasCancel) {
    Worker worker(fig4());
    worker.post(Command::step(3));
    worker.sync();
    Ui ui;
    HostRequests host;
    ViewState view;
    const CommandSink send = [&](Command c) { worker.post(std::move(c)); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    ASSERT_TRUE(view.widget_rects.count("movie"));
    bool asked = false;
    auto frame_watch = [&] {
        frame();
        asked = asked || host.movie;
        host = HostRequests{};
    };
    click(ui, centre(view, "movie"), frame_watch);
    EXPECT_TRUE(asked);
    asked = false;
    ui.key(kKeyM, true);
    frame_watch();
    ui.key(kKeyM, false);
    frame_watch();
    EXPECT_TRUE(asked);
    // While one is written: the progress window, whose Cancel the host sees; M does not start a second one.
    view.movie.active = true;
    view.movie.total = 10;
    view.movie.done = 4;
    view.movie.path = "m.mp4";
    frame();
    frame();  // (a new auto-sized window takes a frame to find its size)
    ASSERT_TRUE(view.widget_rects.count("movie.cancel"));
    click(ui, centre(view, "movie.cancel"), frame);
    EXPECT_TRUE(view.movie.cancel);
    asked = false;
    ui.key(kKeyM, true);
    frame_watch();
    ui.key(kKeyM, false);
    EXPECT_FALSE(asked);
}

TEST(UiLogic, PresenterModeHidesTheRestartSettingsUntilAskedAndKeepsItsFontScaleInSessions) {
    Worker worker(fig4());
    Ui ui;
    HostRequests host;
    ViewState view;
    const CommandSink send = [&](Command c) { worker.post(std::move(c)); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    EXPECT_TRUE(view.widget_rects.count("apply"));
    ui.key(kKeyF11, true);
    frame();
    ui.key(kKeyF11, false);
    frame();
    ASSERT_TRUE(view.large_font);
    EXPECT_FALSE(view.widget_rects.count("apply"));
    ASSERT_TRUE(view.widget_rects.count("show_settings"));
    click(ui, centre(view, "show_settings"), frame);
    frame();
    EXPECT_TRUE(view.widget_rects.count("apply"));
    // The presenter font scale goes into a session's view and comes back, checked.
    view.font_scale = 2.2f;
    const nlohmann::json j = view.to_json();
    ViewState back;
    EXPECT_TRUE(back.from_json(j, "s.json").empty());
    EXPECT_FLOAT_EQ(back.font_scale, 2.2f);
    EXPECT_TRUE(back.large_font);
    nlohmann::json bad = j;
    bad["font_scale"] = 7;
    const auto w = back.from_json(bad, "s.json");
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("view.font_scale"), std::string::npos) << w[0];
}

TEST(UiLogic, PrintFiguresOfAPlotAndOfFigure4And6AreWrittenWithTheirData) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-print-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    Worker worker(fig4());
    worker.post(Command::step(20));
    worker.sync();
    Ui ui;
    HostRequests host;
    ViewState view;
    view.export_dir = d.string();
    view.print_width = 600;
    view.print_height = 400;
    const CommandSink send = [&](Command c) { worker.post(std::move(c)); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    frame();
    auto files = [&](const std::string& prefix, const std::string& ext) {
        std::vector<std::filesystem::path> out;
        if (!std::filesystem::exists(d)) return out;
        for (const auto& e : std::filesystem::directory_iterator(d))
            if (e.path().filename().string().rfind(prefix, 0) == 0 && e.path().extension() == ext) out.push_back(e.path());
        return out;
    };
    auto read = [](const std::filesystem::path& p) {
        std::ifstream f(p);
        return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    };
    // Right-click the loss plot, pick "Print figure": PNG and CSV, the CSV holding every recorded loss.
    ASSERT_TRUE(view.widget_rects.count("plot.loss"));
    const ImVec2 p = centre(view, "plot.loss");
    right_click(ui, p, frame);
    ASSERT_TRUE(view.widget_rects.count("print.loss"));
    click(ui, centre(view, "print.loss"), frame);
    ASSERT_EQ(files("figure-loss-step20-", ".png").size(), 1u) << view.status;
    const auto csv = files("figure-loss-step20-", ".csv");
    ASSERT_EQ(csv.size(), 1u);
    const std::string loss = read(csv[0]);
    EXPECT_EQ(loss.rfind("step,loss\n0,3.526", 0), 0u) << loss.substr(0, 200);
    EXPECT_EQ(std::count(loss.begin(), loss.end(), '\n'), 22);  // header + steps 0..20
    EXPECT_FALSE(view.status_error) << view.status;
    // Figure 4: both classes' c_n over the 21 recorded steps, 34 tokens each.
    ASSERT_TRUE(view.widget_rects.count("scansnap.figure4"));
    click(ui, centre(view, "scansnap.figure4"), frame);
    ASSERT_EQ(files("figure-4-", ".png").size(), 1u) << view.status;
    const std::string f4 = read(files("figure-4-", ".csv").at(0));
    EXPECT_NE(f4.find("class 0: query 30 -> 32 (step \\ key token),0,1,2"), std::string::npos) << f4.substr(0, 300);
    EXPECT_NE(f4.find("class 1: query 31 -> 33"), std::string::npos);
    EXPECT_EQ(std::count(f4.begin(), f4.end(), '\n'), 2 * 22 + 1);
    // Any heatmap: right-click Z, "Print figure": its 2 query rows x 34 tokens, as drawn (the diverging map).
    ASSERT_TRUE(view.widget_rects.count("attention.z"));
    right_click(ui, centre(view, "attention.z"), frame);
    ASSERT_TRUE(view.widget_rects.count("print.attention-z"));
    click(ui, centre(view, "print.attention-z"), frame);
    ASSERT_EQ(files("figure-attention-z-step20-", ".png").size(), 1u) << view.status;
    const std::string zc = read(files("figure-attention-z-step20-", ".csv").at(0));
    EXPECT_NE(zc.find("(query \\ key token)\",0,1,2"), std::string::npos) << zc.substr(0, 300);
    EXPECT_EQ(std::count(zc.begin(), zc.end(), '\n'), 3) << zc;  // header + 2 queries
    {
        // The CSV holds Z itself: a row per query, its label first, then the 34 tokens.
        const std::string row = zc.substr(zc.find('\n') + 1, zc.find('\n', zc.find('\n') + 1) - zc.find('\n') - 1);
        EXPECT_EQ(std::count(row.begin(), row.end(), ','), 34) << row;
        EXPECT_EQ(row.rfind("q30,", 0), 0u) << row;
    }
    // Figure 6: a small sweep in the phase window, then its button.
    ScanSnapView& sv = scansnap_view(view);
    sv.show_phase = true;
    sv.phase.x_values = "1,10";
    sv.phase.y_values = "0.5,3";
    sv.phase.seeds = 1;
    frame();
    frame();
    ASSERT_TRUE(view.widget_rects.count("phase.run"));
    click(ui, centre(view, "phase.run"), frame);
    ASSERT_TRUE(sv.phase.job) << sv.phase.error;
    for (int i = 0; i < 3000 && sv.phase.job->results().size() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(sv.phase.job->results().size(), 4u);
    frame();
    frame();
    ASSERT_TRUE(view.widget_rects.count("phase.figure6"));
    click(ui, centre(view, "phase.figure6"), frame);
    ASSERT_EQ(files("figure-6-", ".png").size(), 1u) << view.status;
    const std::string f6 = read(files("figure-6-", ".csv").at(0));
    EXPECT_NE(f6.find("(train.lr_z \\ train.lr_y_over_z)\",1,10\n0.5,"), std::string::npos) << f6;
    EXPECT_NE(f6.find("\n3,"), std::string::npos) << f6;
    // The phase diagram's own pictures: right-click the heatmap, and the lines view's plot.
    ASSERT_TRUE(view.widget_rects.count("phase.canvas"));
    right_click(ui, centre(view, "phase.canvas"), frame);
    ASSERT_TRUE(view.widget_rects.count("print.phase-heatmap"));
    click(ui, centre(view, "print.phase-heatmap"), frame);
    ASSERT_EQ(files("figure-phase-heatmap-", ".csv").size(), 1u) << view.status;
    EXPECT_EQ(read(files("figure-phase-heatmap-", ".csv").at(0)), f6);  // the Figure 6 button's heatmap
    sv.phase.mode = 1;
    frame();
    frame();
    ASSERT_TRUE(view.widget_rects.count("plot.phase_lines"));
    right_click(ui, centre(view, "plot.phase_lines"), frame);
    ASSERT_TRUE(view.widget_rects.count("print.phase-lines"));
    click(ui, centre(view, "print.phase-lines"), frame);
    ASSERT_EQ(files("figure-phase-lines-", ".png").size(), 1u) << view.status;
    const std::string lines = read(files("figure-phase-lines-", ".csv").at(0));
    EXPECT_EQ(lines.rfind("train.lr_y_over_z,", 0), 0u) << lines;
    EXPECT_NE(lines.find("train.lr_z = 0.5"), std::string::npos) << lines;
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3) << lines;  // header + x = 1, 10
    std::filesystem::remove_all(d);
}

// ---- Issue 15: a sweep run elsewhere (a cluster's merge) opens in the phase diagram ---------------------------------

namespace {
// Writes a sweep folder as snapscope-cli sweep would: sweep.json and results.csv with made-up values (value =
// 1 + index / 100), `grids` its axes.
std::string write_sweep_folder(const std::string& name, const std::vector<std::string>& grids, int seeds) {
    namespace fs = std::filesystem;
    const fs::path d = fs::temp_directory_path() / ("snapscope-ui-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    FlatConfig base = preset_config("fig4");
    base["train.steps"] = 30;
    SweepManifest m;
    m.def = make_sweep_definition(base, grids, seeds, kSnapTolerance, kSnapWindow);
    std::vector<SweepResult> rows;
    for (std::int64_t i = 0; i < m.def.size(); ++i) {
        SweepResult r;
        r.point = m.def.point(i);
        r.loss = 0.5;
        r.values = {1.0 + static_cast<double>(i) / 100, 0.3, 12};
        rows.push_back(r);
    }
    std::ofstream(d / "sweep.json") << sweep_manifest_text(m);
    std::ofstream(d / "results.csv") << sweep_results_csv(m.def, rows);
    return d.string();
}
}  // namespace

TEST(UiLogic, ASweepFolderOpenedFromAnotherLabShowsInThePhaseDiagramAndACellOpensItsRun) {
    const std::string dir = write_sweep_folder("open", {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2"}, 2);
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(resolve_config(preset_config("tpg-cyclic"), "tpg-cyclic"));  // another lab is shown
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    // The Open data window, the folder's path typed, Open.
    view.open_data.open = true;
    frame();
    view.open_data.typed = dir;
    frame();
    click(ui, centre(view, "open.open"), frame);
    worker.sync();
    frame();
    // The run switched to the sweep's lab (its first grid point, seed 1); the phase diagram shows the folder's runs.
    EXPECT_EQ(worker.snapshot()->info->config.model.kind, "scan_snap");
    EXPECT_DOUBLE_EQ(worker.snapshot()->lr("lr_z"), 0.5);
    ScanSnapView& sv = scansnap_view(view);
    ASSERT_TRUE(sv.show_phase);
    ASSERT_TRUE(sv.phase.job);
    EXPECT_TRUE(sv.phase.job->finished());
    EXPECT_EQ(sv.phase.job->source(), dir);
    EXPECT_EQ(sv.phase.job->results().size(), 8u);
    EXPECT_EQ(sv.phase.x_values, "1,5");
    EXPECT_EQ(sv.phase.y_values, "0.5,2");
    EXPECT_EQ(sv.phase.seeds, 2);
    EXPECT_FALSE(view.open_data.open);
    EXPECT_FALSE(view.status_error);
    EXPECT_NE(view.status.find("8 of 8 runs"), std::string::npos) << view.status;
    frame();
    EXPECT_TRUE(view.widget_rects.count("phase.source"));
    // A cell opens that setting of the sweep (its base: train.steps 30), as for a sweep run in the window.
    ImGuiWindow* w = ImGui::FindWindowByName("Phase diagram (sweep in the background)");
    ASSERT_NE(w, nullptr);
    click(ui, ImVec2(w->Pos.x + w->Size.x * 0.8f, w->Pos.y + w->Size.y * 0.7f), frame);
    worker.sync();
    EXPECT_DOUBLE_EQ(worker.snapshot()->lr("lr_z"), 2.0);
    EXPECT_DOUBLE_EQ(worker.snapshot()->lr("lr_y"), 10.0);
    EXPECT_EQ(worker.snapshot()->info->config.train.steps, 30);
    std::filesystem::remove_all(dir);
}

// In presenter mode (text 1.6 times larger) at 1920x1080, the phase diagram's y-axis title sits above the heatmap
// (it was drawn at the canvas's top edge, under the first row of cells), and the Figure 6 button keeps its place on
// the Run sweep row whatever rows a sweep adds (it trailed the last one: after "held at:" for three axes).
TEST(UiLogic, ThePhaseDiagramsAxisTitleClearsTheCellsAndFigure6StaysOnTheRunRowInPresenterMode) {
    const std::string dir2 = write_sweep_folder("title2", {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2"}, 1);
    const std::string dir3 = write_sweep_folder("title3", {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2", "train.batch=8,16"}, 1);
    Ui ui;
    ImGui::GetIO().DisplaySize = ImVec2(1920, 1080);
    ImGui::GetIO().FontGlobalScale = 1.6f;
    ViewState view;
    view.large_font = true;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    for (const std::string& dir : {dir2, dir3}) {
        SCOPED_TRACE(dir);
        std::string why;
        ASSERT_TRUE(open_sweep_folder(*worker.snapshot(), view, send, dir, &why)) << why;
        worker.sync();
        for (int i = 0; i < 3; ++i) frame();
        ASSERT_TRUE(view.widget_rects.count("phase.y_title"));
        ASSERT_TRUE(view.widget_rects.count("phase.cells"));
        const ImVec4 t = view.widget_rects.at("phase.y_title"), c = view.widget_rects.at("phase.cells");
        EXPECT_GT(t.w - t.y, 10.0f);  // a line of text
        // Above the cells (so neither the first row's cells nor its tick label can run into it, in any font).
        EXPECT_LE(t.w, c.y) << "title " << t.x << "," << t.y << "-" << t.z << "," << t.w << " cells " << c.x << "," << c.y << "-" << c.z << "," << c.w;
        ASSERT_TRUE(view.widget_rects.count("phase.figure6"));
        ASSERT_TRUE(view.widget_rects.count("phase.open"));
        const ImVec4 f = view.widget_rects.at("phase.figure6"), o = view.widget_rects.at("phase.open");
        EXPECT_NEAR((f.y + f.w) / 2, (o.y + o.w) / 2, 3.0f) << "Figure 6 is not on the Run sweep row";
        EXPECT_GT(f.x, o.z);  // after Open sweep folder..., not on top of it
        EXPECT_LE(f.z, view.widget_rects.at("phase.cells").z + 40 * 1.6f);  // inside the window's width
    }
    std::filesystem::remove_all(dir2);
    std::filesystem::remove_all(dir3);
}

TEST(UiLogic, ASweepOfThreeAxesIsDrawnOneSliceAtATimeAndACellOpensItsRunWithTheHeldValue) {
    namespace fs = std::filesystem;
    const std::string dir = write_sweep_folder("three", {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2", "train.batch=8,16"}, 1);
    const fs::path d = fs::temp_directory_path() / ("snapscope-slice-" + std::to_string(::getpid()));
    fs::remove_all(d);
    Ui ui;
    ViewState view;
    view.export_dir = d.string();
    view.print_width = 600;
    view.print_height = 400;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    std::string why;
    ASSERT_TRUE(open_sweep_folder(*worker.snapshot(), view, send, dir, &why)) << why;
    worker.sync();
    ScanSnapView& sv = scansnap_view(view);
    ASSERT_TRUE(sv.show_phase);
    ASSERT_TRUE(sv.phase.job);
    // The last two axes are drawn (lr_z across, batch down), lr_y_over_z held at its first value.
    EXPECT_EQ(sv.phase.draw_x, 1);
    EXPECT_EQ(sv.phase.draw_y, 2);
    EXPECT_EQ(sv.phase.x_values, "0.5,2");
    EXPECT_EQ(sv.phase.y_values, "8,16");
    frame();
    frame();
    EXPECT_TRUE(view.widget_rects.count("phase.draw_x"));
    EXPECT_TRUE(view.widget_rects.count("phase.draw_y"));
    ASSERT_TRUE(view.widget_rects.count("phase.held.train.lr_y_over_z"));
    EXPECT_FALSE(view.widget_rects.count("phase.held.train.lr_z"));
    // Figure 6's CSV holds the slice's runs: cell (lr_z, batch) = the value of the run at that point and the held
    // lr_y_over_z (write_sweep_folder: 1 + index / 100).
    const SweepDefinition& def = sv.phase.job->definition();
    auto figure6 = [&] {
        if (fs::exists(d))
            for (const auto& e : fs::directory_iterator(d)) fs::remove(e.path());
        click(ui, centre(view, "phase.figure6"), frame);
        std::vector<std::vector<double>> rows;  // [batch][lr_z]
        for (const auto& e : fs::directory_iterator(d))
            if (e.path().extension() == ".csv") {
                std::ifstream f(e.path());
                std::string line;
                std::getline(f, line);  // the header
                while (std::getline(f, line)) {
                    std::vector<double> row;
                    std::stringstream ss(line);
                    std::string cell;
                    std::getline(ss, cell, ',');  // the row's label
                    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
                    rows.push_back(row);
                }
            }
        return rows;
    };
    auto expected = [&](const nlohmann::json& held) {
        std::vector<std::vector<double>> rows(2, std::vector<double>(2, NAN));
        for (std::int64_t i = 0; i < def.size(); ++i) {
            const SweepPoint p = def.point(i);
            if (p.values[0] != held) continue;
            rows[p.values[2] == 8 ? 0 : 1][p.values[1] == 0.5 ? 0 : 1] = 1.0 + static_cast<double>(i) / 100;
        }
        return rows;
    };
    auto near = [](const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
        if (a.size() != b.size()) return false;
        for (std::size_t j = 0; j < a.size(); ++j) {
            if (a[j].size() != b[j].size()) return false;
            for (std::size_t i = 0; i < a[j].size(); ++i)
                if (!(std::abs(a[j][i] - b[j][i]) < 1e-4)) return false;
        }
        return true;
    };
    const auto at1 = figure6();
    EXPECT_TRUE(near(at1, expected(1))) << (at1.empty() ? std::string("no CSV: ") + view.status : std::to_string(at1[0][0]));
    // Hold lr_y_over_z at 5 from its menu: the other half of the runs.
    click(ui, centre(view, "phase.held.train.lr_y_over_z", 0.05f), frame);  // (the menu's box, not its label)
    frame();  // the popup shows
    {
        const auto r = view.widget_rects.at("phase.held.train.lr_y_over_z");
        const ImGuiStyle& st = ImGui::GetStyle();
        const float item = ImGui::GetFontSize() + st.ItemSpacing.y;
        click(ui, ImVec2(r.x + 10, r.w + st.WindowPadding.y + item * 1.5f), frame);
    }
    ASSERT_EQ(sv.phase.held.at(0), 1);
    frame();
    const auto at5 = figure6();
    EXPECT_TRUE(near(at5, expected(5)));
    EXPECT_FALSE(near(at5, at1));
    // A cell opens that run: the cell's lr_z and batch, the held lr_y_over_z (lr_y = 5 x 2).
    ImGuiWindow* w = ImGui::FindWindowByName("Phase diagram (sweep in the background)");
    ASSERT_NE(w, nullptr);
    click(ui, ImVec2(w->Pos.x + w->Size.x * 0.8f, w->Pos.y + w->Size.y * 0.75f), frame);
    worker.sync();
    EXPECT_DOUBLE_EQ(worker.snapshot()->lr("lr_z"), 2.0);
    EXPECT_DOUBLE_EQ(worker.snapshot()->lr("lr_y"), 10.0);
    EXPECT_EQ(worker.snapshot()->info->config.train.batch, 16);
    EXPECT_EQ(worker.snapshot()->info->config.train.steps, 30);
    fs::remove_all(dir);
    fs::remove_all(d);
}

TEST(UiLogic, ASweepThePhaseDiagramCannotDrawIsRefusedWithWhy) {
    // Seeds only, no grid axis: nothing to draw across.
    const std::string dir0 = write_sweep_folder("none", {}, 3);
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    ui.frame(*worker.snapshot(), view, send, host);
    std::string why;
    EXPECT_FALSE(open_sweep_folder(*worker.snapshot(), view, send, dir0, &why));
    EXPECT_NE(why.find("no grid axis (seeds only)"), std::string::npos) << why;
    EXPECT_TRUE(view.status_error);
    EXPECT_FALSE(scansnap_view(view).show_phase);
    // A broken results.csv: the file and line named, nothing shown, the run untouched.
    const std::string dir = write_sweep_folder("broken", {"train.lr_z=0.5,2"}, 1);
    std::ofstream(std::filesystem::path(dir) / "results.csv", std::ios::app) << "1,2,1,0.5,oops,0.3,12\n";
    EXPECT_FALSE(open_sweep_folder(*worker.snapshot(), view, send, dir, &why));
    EXPECT_NE(why.find("results.csv"), std::string::npos) << why;
    EXPECT_FALSE(scansnap_view(view).phase.job);
    EXPECT_FALSE(open_sweep_folder(*worker.snapshot(), view, send, dir + "-nowhere", &why));
    EXPECT_NE(why.find("no such folder"), std::string::npos) << why;
    std::filesystem::remove_all(dir0);
    std::filesystem::remove_all(dir);
}

// ---- Issue 14: the light theme's colours --------------------------------------------------------------------------

TEST(Theme, GreysInvertAndColoursDarkenToReadOnWhite) {
    auto luma = [](const ImVec4& c) { return 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z; };
    // White text becomes black, the near-black window white; alpha is kept.
    const ImVec4 text = light_colour(ImVec4(1, 1, 1, 1)), bg = light_colour(ImVec4(0.09f, 0.10f, 0.12f, 0.5f));
    EXPECT_LT(luma(text), 0.05f);
    EXPECT_GT(luma(bg), 0.9f);
    EXPECT_FLOAT_EQ(bg.w, 0.5f);
    // A light colour (the snap marker's cyan, a yellow curve) keeps its hue and is dark enough for white paper.
    for (const ImVec4 c : {ImVec4(100 / 255.f, 200 / 255.f, 1, 1), ImVec4(250 / 255.f, 210 / 255.f, 60 / 255.f, 1)}) {
        const ImVec4 o = light_colour(c);
        EXPECT_LE(luma(o), 0.501f);
        EXPECT_NEAR(o.x / o.y, c.x / c.y, 1e-4);  // the same ratios: the same hue and saturation
        EXPECT_NEAR(o.z / o.y, c.z / c.y, 1e-4);
    }
    // A dark colour already readable on white is left as it is.
    const ImVec4 red(0.7f, 0.1f, 0.1f, 1);
    const ImVec4 o = light_colour(red);
    EXPECT_FLOAT_EQ(o.x, red.x);
    EXPECT_FLOAT_EQ(o.y, red.y);
    // A dark fill made for white text (a button's navy) becomes a light tint of its hue, for black text.
    const ImVec4 navy(0.16f, 0.29f, 0.48f, 1), tint = light_colour(navy);
    EXPECT_GT(luma(tint), 0.6f);
    EXPECT_GT(tint.z, tint.x);  // still blue
    // The tour's magenta highlight stays itself.
    const ImVec4 magenta = light_colour(ImVec4(1, 0, 1, 1));
    EXPECT_FLOAT_EQ(magenta.x, 1);
    EXPECT_FLOAT_EQ(magenta.y, 0);
    // The theme: auto follows presenter mode; dark and light are what they say.
    ViewState v;
    EXPECT_FALSE(light_theme(v));
    v.large_font = true;
    EXPECT_TRUE(light_theme(v));
    v.theme = static_cast<int>(Theme::Dark);
    EXPECT_FALSE(light_theme(v));
    v.large_font = false;
    v.theme = static_cast<int>(Theme::Light);
    EXPECT_TRUE(light_theme(v));
}

TEST(Theme, TheLightThemeKeepsHeatmapsAndDataScopesAndMapsTheRest) {
    Ui ui;
    ImGui::NewFrame();
    begin_theme_frame();
    ImDrawList* dl = ImGui::GetBackgroundDrawList();  // (always drawn, even on a window's first frame)
    dl->AddRectFilled(ImVec2(0, 0), ImVec2(10, 10), IM_COL32(255, 255, 255, 255));  // UI: mapped
    {
        const DataColours data(dl);
        dl->AddRectFilled(ImVec2(10, 0), ImVec2(20, 10), IM_COL32(253, 231, 37, 255));  // data: kept
    }
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(12345)), ImVec2(20, 0), ImVec2(30, 10));  // a heatmap: kept
    ImGui::Render();
    lighten_draw_data(ImGui::GetDrawData(), ImGui::GetIO().Fonts->TexID);
    int mapped = 0, kept_data = 0, kept_image = 0;
    for (int l = 0; l < ImGui::GetDrawData()->CmdListsCount; ++l)
        for (const ImDrawVert& v : ImGui::GetDrawData()->CmdLists[l]->VtxBuffer) {
            if (v.pos.x >= 0 && v.pos.x <= 10 && v.col == light_colour(IM_COL32(255, 255, 255, 255))) ++mapped;
            if (v.pos.x >= 10 && v.pos.x <= 20 && v.col == IM_COL32(253, 231, 37, 255)) ++kept_data;
            if (v.pos.x >= 20 && v.pos.x <= 30 && v.col == IM_COL32(255, 255, 255, 255)) ++kept_image;
        }
    EXPECT_GE(mapped, 4);
    EXPECT_EQ(kept_data, 4);
    EXPECT_EQ(kept_image, 4);
}

// The View section's small buttons wrap to the next line rather than run past the Controls panel (presenter text
// is wide: here the font drawn 1.6 times larger, as presenter mode's).
TEST(UiLogic, TheViewButtonsStayInsideTheControlsPanelWithLargeText) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    ImGui::GetIO().FontGlobalScale = 1.6f;
    view.large_font = true;
    for (int i = 0; i < 3; ++i) ui.frame(*worker.snapshot(), view, send, host);
    ImGuiWindow* controls = ImGui::FindWindowByName("Controls");
    ASSERT_NE(controls, nullptr);
    ASSERT_TRUE(view.widget_rects.count("tours"));
    EXPECT_LE(view.widget_rects.at("tours").z, controls->Pos.x + controls->Size.x) << "the tours button runs past the panel";
}

// ---- Issue 14: the layout, remembered between runs --------------------------------------------------------------
// The boundaries between the tiled panels are dragged (within limits that keep every panel usable, double-click for
// the default); what the user leaves is the ViewState's fractions, which give the same layout back.
namespace {
// Presses at `from`, moves by `by` in four steps and releases, a frame at each stage.
void drag(Ui& ui, ImVec2 from, ImVec2 by, const std::function<void()>& frame) {
    ui.mouse(from, false);
    frame();
    ui.mouse(from, true);
    frame();
    for (int i = 1; i <= 4; ++i) {
        ui.mouse(ImVec2(from.x + by.x * i / 4, from.y + by.y * i / 4), true);
        frame();
    }
    ui.mouse(ImVec2(from.x + by.x, from.y + by.y), false);
    frame();
    frame();
}
float width_of(const ViewState& v, const std::string& n) { return v.widget_rects.at(n).z - v.widget_rects.at(n).x; }
float height_of(const ViewState& v, const std::string& n) { return v.widget_rects.at(n).w - v.widget_rects.at(n).y; }
}  // namespace

TEST(UiLogic, TheSplittersResizeThePanelsWithinLimitsAndDoubleClickResets) {
    Ui ui;
    ViewState view;
    HostRequests host;
    Worker worker(fig4());
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    frame();
    frame();
    const float font = ImGui::GetFontSize();
    const float full_w = ImGui::GetIO().DisplaySize.x;
    const float w0 = width_of(view, "panel.controls"), h0 = height_of(view, "panel.attention");
    const ImVec4 curves0 = view.widget_rects.at("panel.curves");
    ASSERT_TRUE(view.widget_rects.count("splitter.controls"));
    ASSERT_TRUE(view.widget_rects.count("splitter.top"));
    // The Controls panel's right edge moves with the mouse, and the lab's panels start where it ends.
    drag(ui, centre(view, "splitter.controls"), ImVec2(100, 0), frame);
    EXPECT_NEAR(width_of(view, "panel.controls"), w0 + 100, 1.0f);
    EXPECT_NEAR(view.widget_rects.at("panel.attention").x, view.widget_rects.at("panel.controls").z, 1.0f);
    EXPECT_NEAR(view.widget_rects.at("panel.attention").z, full_w, 1.0f);
    EXPECT_GT(view.controls_fraction, 0.f);
    // The same fractions in another view (the next run's, from the settings file) give the same panels.
    {
        ViewState again;
        again.controls_fraction = view.controls_fraction;
        ui.frame(*worker.snapshot(), again, send, host);
        EXPECT_EQ(again.widget_rects.at("panel.controls").z, view.widget_rects.at("panel.controls").z);
        frame();
    }
    // Limits: the lab's area keeps room for its pictures, the Controls panel for its sliders.
    drag(ui, centre(view, "splitter.controls"), ImVec2(3000, 0), frame);
    EXPECT_GE(width_of(view, "panel.attention"), font * 24 - 1);
    EXPECT_GT(width_of(view, "panel.controls"), w0 + 100);
    drag(ui, centre(view, "splitter.controls"), ImVec2(-3000, 0), frame);
    EXPECT_NEAR(width_of(view, "panel.controls"), font * 12, 1.0f);
    {
        // A drag whose move and release come in one frame (a slow frame on a software renderer) still lands.
        const ImVec2 from = centre(view, "splitter.controls");
        const float before = width_of(view, "panel.controls");
        ui.mouse(from, false);
        frame();
        ui.mouse(from, true);
        frame();
        ui.mouse(ImVec2(from.x + 60, from.y), false);
        frame();
        frame();
        EXPECT_NEAR(width_of(view, "panel.controls"), before + 60, 1.0f);
    }
    // A double-click gives the default back.
    click(ui, centre(view, "splitter.controls"), frame);
    click(ui, centre(view, "splitter.controls"), frame);
    frame();
    EXPECT_EQ(view.controls_fraction, 0.f);
    EXPECT_EQ(width_of(view, "panel.controls"), w0);
    // The line between the top and the bottom panels.
    drag(ui, centre(view, "splitter.top"), ImVec2(0, 80), frame);
    EXPECT_NEAR(height_of(view, "panel.attention"), h0 + 80, 1.0f);
    EXPECT_NEAR(view.widget_rects.at("panel.curves").y, view.widget_rects.at("panel.attention").w, 1.0f);
    EXPECT_EQ(view.widget_rects.at("panel.curves").w, curves0.w);  // the bottom edge stays above the status bar
    drag(ui, centre(view, "splitter.top"), ImVec2(0, -3000), frame);
    EXPECT_NEAR(height_of(view, "panel.attention"), font * 6, 1.0f);
    drag(ui, centre(view, "splitter.top"), ImVec2(0, 3000), frame);
    EXPECT_NEAR(height_of(view, "panel.curves"), font * 6, 1.0f);
    click(ui, centre(view, "splitter.top"), frame);
    click(ui, centre(view, "splitter.top"), frame);
    frame();
    EXPECT_EQ(view.top_fraction, 0.f);
    EXPECT_EQ(height_of(view, "panel.attention"), h0);
    // A figure (a panel exported) has no handles.
    view.figure = true;
    frame();
    EXPECT_EQ(view.widget_rects.count("splitter.controls"), 0u);
}

// A lab whose line is not at the shell's top height (the text view: the pinned steps above the curves, right of a
// full-height map) says where it is, and its handle moves that line.
TEST(UiLogic, TheTextViewsSplitterMovesTheLineBetweenPinsAndCurves) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-textsplit-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    { std::ofstream(d / "g.txt") << grammar_words(400); }
    const FlatConfig f = small_text_config(d / "g.txt");
    Ui ui;
    HostRequests host;
    ViewState view;
    Worker worker(resolve_config(f, "test"));
    const CommandSink send = [&](Command c) { worker.post(c); };
    auto frame = [&] { ui.frame(*worker.snapshot(), view, send, host); };
    worker.post(Command::step(2));
    worker.sync();
    frame();
    frame();
    const ImVec4 map0 = view.widget_rects.at("panel.attention"), curves0 = view.widget_rects.at("panel.curves");
    const ImVec4 handle = view.widget_rects.at("splitter.top");
    EXPECT_NEAR(handle.y + 1, curves0.y, 1.0f);  // the handle is on the line, over the right column only
    EXPECT_NEAR(handle.x, curves0.x, 1.0f);
    drag(ui, centre(view, "splitter.top"), ImVec2(0, 60), frame);
    EXPECT_NEAR(view.widget_rects.at("panel.curves").y, curves0.y + 60, 1.0f);
    EXPECT_EQ(view.widget_rects.at("panel.attention").w, map0.w);  // the map keeps its full height
    std::filesystem::remove_all(d);
}

// The floating windows' places: given to ImGui before the first frame (moved into a smaller screen), and read back
// for the settings file, leaving out the tiled panels and fixed windows.
TEST(UiLogic, FloatingWindowsOpenWhereTheyWereAndTheirPlacesAreReadBack) {
    Ui ui;
    place_remembered_windows({{"Phase diagram", 100, 120, 500, 400}, {"Far away", 5000, 5000, 3000, 300}}, 1280, 800);
    auto window = [](const char* name, ImGuiWindowFlags flags = 0) {
        ImGui::SetNextWindowPos(ImVec2(10, 10), ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(ImVec2(200, 200), ImGuiCond_FirstUseEver);
        ImGui::Begin(name, nullptr, flags);
        const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
        ImGui::End();
        return ImVec4(p.x, p.y, s.x, s.y);
    };
    ImGui::NewFrame();
    const ImVec4 phase = window("Phase diagram"), far = window("Far away"), fresh = window("New one");
    window("Pinned", ImGuiWindowFlags_NoMove);
    ImGui::Render();
    EXPECT_EQ(phase.x, 100);
    EXPECT_EQ(phase.y, 120);
    EXPECT_EQ(phase.z, 500);
    EXPECT_EQ(phase.w, 400);
    EXPECT_EQ(far.x, 0);  // as wide as the screen, its bottom on the screen's
    EXPECT_EQ(far.y, 500);
    EXPECT_EQ(far.z, 1280);
    EXPECT_EQ(fresh.x, 10);  // not remembered: where the code puts it
    // The user moves one; the places read back say so.
    ImGui::NewFrame();
    ImGui::SetWindowPos("Phase diagram", ImVec2(300, 210));
    window("Phase diagram");
    ImGui::Render();
    std::map<std::string, ImVec4> got;
    for (const UserSettings::Place& p : remembered_window_places()) got[p.name] = ImVec4(p.x, p.y, p.w, p.h);
    ASSERT_TRUE(got.count("Phase diagram"));
    EXPECT_EQ(got["Phase diagram"].x, 300);
    EXPECT_EQ(got["Phase diagram"].y, 210);
    EXPECT_EQ(got["Phase diagram"].z, 500);
    EXPECT_TRUE(got.count("Far away"));
    EXPECT_TRUE(got.count("New one"));
    EXPECT_FALSE(got.count("Pinned"));
    for (const auto& [name, r] : got) EXPECT_EQ(name.rfind("Debug##", 0), std::string::npos) << name;
}

// The settings file's layout keys: read back as written; a wrong value is named and ignored, the rest still read.
TEST(UiLogic, TheLayoutKeysOfTheSettingsFileAreCheckedAndRoundTrip) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-layout-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    const std::string file = (d / "settings.json").string();
    UserSettings s;
    s.controls_fraction = 0.31234f;
    s.top_fraction = 0.6f;
    s.windows = {{"Phase diagram", 100, 120, 500, 400}, {"Depth \xc3\x97 width", -30, 5, 640, 480}};
    save_user_settings(file, s);
    std::vector<std::string> warnings;
    const UserSettings r = load_user_settings(file, warnings);
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    EXPECT_NEAR(r.controls_fraction, 0.3123f, 1e-6);
    EXPECT_NEAR(r.top_fraction, 0.6f, 1e-6);
    ASSERT_EQ(r.windows.size(), 2u);
    std::map<std::string, std::vector<float>> places;
    for (const auto& p : r.windows) places[p.name] = {p.x, p.y, p.w, p.h};
    EXPECT_EQ(places["Depth \xc3\x97 width"], (std::vector<float>{-30, 5, 640, 480}));
    EXPECT_EQ(places["Phase diagram"], (std::vector<float>{100, 120, 500, 400}));
    // Wrong values.
    std::string many = "{";
    for (std::size_t i = 0; i < kMaxRememberedWindows + 5; ++i) many += (i ? "," : "") + std::string("\"w") + std::to_string(i) + "\": [0, 0, 100, 100]";
    many += "}";
    {
        std::ofstream(file) << R"({"width": 900, "controls_width": 1.5, "top_height": "tall", "windows": {"ok": [1, 2, 300, 200],)"
                               R"( "text": "x", "short": [1, 2, 3], "tiny": [0, 0, 5, 5], "huge": [1e9, 0, 100, 100], "": [0, 0, 100, 100]}})";
    }
    warnings.clear();
    const UserSettings b = load_user_settings(file, warnings);
    std::string all;
    for (const std::string& w : warnings) all += w + "\n";
    EXPECT_EQ(b.width, 900);
    EXPECT_EQ(b.controls_fraction, 0.f);
    EXPECT_EQ(b.top_fraction, 0.f);
    ASSERT_EQ(b.windows.size(), 1u);
    EXPECT_EQ(b.windows[0].name, "ok");
    EXPECT_NE(all.find("key 'controls_width': expected 0 (the default) or a number from 0.001 to 0.999, got 1.5; ignored"), std::string::npos) << all;
    EXPECT_NE(all.find("key 'top_height': expected 0 (the default) or a number from 0.001 to 0.999, got \"tall\""), std::string::npos) << all;
    for (const char* k : {"'text'", "'short'", "'tiny'", "'huge'", "''"})
        EXPECT_NE(all.find(std::string("key 'windows' / ") + k + ": expected [x, y, width, height]"), std::string::npos) << k << "\n" << all;
    { std::ofstream(file) << "{\"windows\": " << many << "}"; }
    warnings.clear();
    EXPECT_EQ(load_user_settings(file, warnings).windows.size(), kMaxRememberedWindows);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("key 'windows': more than 64 windows; the rest ignored"), std::string::npos) << warnings[0];
    { std::ofstream(file) << R"({"windows": [1, 2]})"; }
    warnings.clear();
    EXPECT_TRUE(load_user_settings(file, warnings).windows.empty());
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("key 'windows': expected an object"), std::string::npos) << warnings[0];
    std::filesystem::remove_all(d);
}

// A shard's folder says which part of how large a sweep it is: the phase diagram's "from ..." line showed the size
// of a definition already moved out of the folder ("shard 1/2 of a sweep of 3 runs" for a sweep of 12).
TEST(UiLogic, AShardsFolderInThePhaseDiagramNamesTheWholeSweepsSize) {
    SweepFolder f;
    FlatConfig base = preset_config("fig4");
    f.manifest.def = make_sweep_definition(base, {"train.lr_y_over_z=1,5", "train.lr_z=0.5,2"}, 3, kSnapTolerance, kSnapWindow);
    f.manifest.shard_index = 1;
    f.manifest.shard_count = 2;
    f.expected = 6;
    f.dir = "/somewhere/part-1";
    const std::string want = f.describe();
    EXPECT_EQ(want, "0 of 6 runs (shard 1/2 of a sweep of 12 runs)");
    const SweepJob job(std::move(f));
    EXPECT_EQ(job.source_note(), want);
}
