// The symmetry lab's panels (the transformer lab): the probe (a sequence, "permute the prefix", the prediction
// before and after), the attention maps per layer and head and the cosine map of hidden states, the curves with the
// compare runs; and its entry in the window's lab list.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lab_panels.hpp"
#include "sweep_job.hpp"
#include "snapscope/transformer.hpp"
#include "transformer/transformer_window.hpp"

namespace snapscope::gui {

// What the probe computed for the shown sequence and its permuted prefix, with the live weights.
struct ProbeResult {
    std::vector<std::int32_t> tokens, permuted;  // the shown sequence and the same with positions 0..n-2 permuted
    std::vector<int> perm;                       // permuted[i] = tokens[perm[i]]
    std::vector<double> probs, probs_permuted;   // softmax of the last position's logits
    double max_change = 0;                       // max |logit change| at the last position
    double max_logit = 0;                        // max |logit| there (the change is rounding below 1e-9 of it)
    int predicted = -1, predicted_permuted = -1;
    // Addition, a prefix ending in '=': the whole answer decoded greedily from each order.
    std::vector<std::int32_t> answer, answer_permuted;
    int n = 0, layers = 0, heads = 0;
    std::vector<double> attention;               // of `tokens` (or `permuted`, see TransformerLabView::show_permuted): [layers, heads, n, n]
    std::vector<double> cosine;                  // [(layers + 1) n, (layers + 1) n] between hidden states
    std::string error;                           // why nothing was computed (a sequence too long, an unknown token)
};

// The lab's view state (ViewState::lab_views["transformer"]); a session keeps the example and the permutation.
struct TransformerLabView : LabView {
    int example = 0;                // which held-out example is shown
    std::string typed;              // a sequence the user typed (shown instead of the example when not empty)
    std::vector<int> perm;          // the permutation of the prefix (empty: identity)
    std::uint64_t perm_seed = 1;    // the next "permute" draws from this
    bool show_permuted = false;     // the maps show the permuted sequence
    PlotState acc_plot, grad_plot;
    // The probe's model and what it last computed (recomputed when the weights, the sequence or the order change).
    std::unique_ptr<Transformer<double>> model;
    std::uint64_t model_serial = 0;
    std::string input_key;
    ProbeResult probe;
    // The depth x width window (D): its sweep in the background and what it plots.
    bool show_depth_width = false;
    std::string dw_layers = "1,2,3,4", dw_widths = "16,32,64";
    int dw_seeds = 2, dw_metric = 0;
    std::shared_ptr<SweepJob> dw_job;
    std::string dw_error;
    PlotState dw_plot;
    // The text view (data.kind = text): the steps pinned side by side (from output.attention_steps at first), the map
    // shown (layer-major index), the query word (position in the watched window, -1: its last), a step being typed.
    std::vector<std::int64_t> pins;
    bool pins_set = false;
    int text_map = 0;
    int query = -1;
    std::int64_t pin_input = 0;
    PlotState ppl_plot, ent_plot, top_plot;
    // Each frame's map entropy, by step, for the run and map it was computed for.
    std::weak_ptr<const RunInfo> entropy_info;
    int entropy_map = -1;
    std::map<std::int64_t, double> entropy_cache;
    void to_json(nlohmann::json& view) const override;
    void from_json(ViewJsonReader& r) override;
};
TransformerLabView& transformer_view(ViewState& view);

// The sequence a string names in this task's tokens ("12+34=" for addition, "CAB?" for first, "3 1 4" otherwise).
// Throws std::invalid_argument naming the part it cannot read.
std::vector<std::int32_t> parse_sequence(const std::string& text, const TransformerInfo& info);
std::string sequence_text(const std::vector<std::int32_t>& s, const TransformerInfo& info);
// Recomputes the probe if needed (the UI thread, from the snapshot's live weights).
void update_probe(const Snapshot& snap, TransformerLabView& v);
// Draws a new random permutation of the shown sequence's prefix (different from the current one when n >= 3).
void permute_prefix(TransformerLabView& v, int n);

void draw_transformer_probe(const Snapshot& snap, ViewState& view);
void draw_transformer_maps(const Snapshot& snap, ViewState& view, HeatmapTextures* textures);
void draw_transformer_curves(const Snapshot& snap, ViewState& view);
// The depth x width window and the series it draws (per depth: the metric, 0 loss or 1 accuracy, against
// log10(parameters), mean over seeds, mean +- sd dashed).
void draw_depth_width(const Snapshot& snap, ViewState& view);
std::vector<PlotSeries> depth_width_series(const SweepJob& job, int metric);

// The text view (app/gui/transformer/text_view.cpp): the watched window's attention with its words, the pinned steps,
// the top words of a query, loss / perplexity / entropy; and the config that trains on a text the user opened.
void draw_text_panels(const Snapshot& snap, ViewState& view, HeatmapTextures* textures, const LabArea& area);
void text_keys(const Snapshot& snap, ViewState& view);
std::optional<Config> open_text_path(const Snapshot& snap, const std::string& path);
// The map of frame `f` for map index m (layer-major), n positions; null when the frame has none.
const float* watched_map(const Frame& f, const TransformerInfo& info, int m);
// The k keys query q attends to most in `map` [n, n]: (position, weight), heaviest first.
std::vector<std::pair<int, float>> top_keys(const float* map, int n, int q, int k);

LabPanels transformer_panels();

}  // namespace snapscope::gui
