// The token-priority-graph lab's panels (the graph, the samples with probe and editor, the curves) and its entry in
// the window's lab list.
#pragma once

#include "lab_panels.hpp"
#include "tpg/tpg_window.hpp"

namespace snapscope::gui {

// What the paper predicts for a training set: its graphs, W_svm and W_fin (computed in the background).
struct TpgAnalysis {
    std::vector<QueryGraph> graphs;
    SvmResult svm;
    FinResult fin;
};

// The training-set editor's working copy (token-priority-graph lab) and what the paper predicts for it. Every edit
// starts the analysis in the background (a newer edit cancels an older one); the last finished analysis is shown
// meanwhile, so typing never waits for the QP.
struct TpgEdit {
    TpgDataset data;
    std::vector<QueryGraph> graphs;  // of `data` once the analysis is in (see analysed)
    SvmResult svm;
    FinResult fin;
    bool analysed = false;           // graphs/svm/fin describe the current `data`
    std::shared_ptr<Task<TpgAnalysis>> task;
    std::string error;  // why the edited set cannot be used, if it cannot
    bool dirty = false; // differs from the running set
    std::uint64_t run_id = 0;
};

// The lab's view state (ViewState::lab_views["tpg"]); sessions keep none of it.
struct TpgView : LabView {
    int query_index = 0;       // which query's graph is shown
    std::uint64_t run_id = 0;
    int sample = 0;            // the sample whose attention fills the graph's nodes
    bool condensed = false;    // draw the condensation DAG
    int top_n = 200;           // node limit for large graphs (highest degree first)
    int focus = -1;            // show only this token's SCC and its neighbours (-1: all)
    float zoom = 1.0f;
    ImVec2 pan{0, 0};
    std::string probe = "";
    std::shared_ptr<TpgEdit> edit;  // the training-set editor's working copy
    PlotState corr_plot, proj_plot, mass_plot;
};
TpgView& tpg_view(ViewState& view);
const TpgView& tpg_view(const ViewState& view);

void draw_tpg_graph(const Snapshot& snap, ViewState& view);
void draw_tpg_samples(const Snapshot& snap, ViewState& view, const CommandSink& send);
void draw_tpg_curves(const Snapshot& snap, ViewState& view);
// Checks the edited set and starts its analysis in the background (after an edit).
void tpg_edit_refresh(TpgEdit& e, const TpgInfo& info);
// Takes a finished analysis (called every frame); true when one arrived.
bool tpg_edit_poll(TpgEdit& e);

// The probe's and the editor's tokens: space-separated words of a text's windows (`d.words`) or token ids in 0..K-1.
// False with `err` saying which one is neither.
bool tpg_parse_tokens(const std::string& text, const TpgDataset& d, std::vector<int>& out, std::string& err);

LabPanels tpg_panels();

}  // namespace snapscope::gui
