// The transformer (symmetry) lab in the window: what its frames hold (held-out accuracy, gradient norm), its fixed
// facts (the task, its tokens, held-out examples, the order-blind ceiling), its live state (the weights as they are
// now, for the probe panel that runs the model on any sequence on the UI thread), its compare runs and its WindowRun.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lab_window.hpp"
#include "snapscope/transformer_run.hpp"

namespace snapscope::gui {

struct TransformerFrame : LabFrame {
    double accuracy = NAN;  // NaN except at evaluation steps
    double grad_norm = NAN;
    // A text: the validation loss and the watched batch's attention entropy (NaN except at evaluation steps), and the
    // attention of the watched window at this step, [layers, heads, n, n] (the text view's maps; empty otherwise).
    double valid_loss = NAN, attention_entropy = NAN;
    std::shared_ptr<const std::vector<float>> watched;
};

struct TransformerInfo : LabInfo {
    TransformerSpec spec;
    std::string task;                      // addition | first | file
    int digits = 0;                        // addition
    std::vector<std::string> token_names;  // per token id
    std::vector<std::vector<std::int32_t>> examples;  // held-out inputs (what a prediction is asked for at the end)
    double ceiling = NAN;                  // the order-blind ceiling of the accuracy
    std::size_t params = 0;
    std::size_t test_size = 0;
    // A text (data.kind = text): the watched window (its token ids), the corpus, the steps output.attention_steps pins.
    bool text = false;
    std::vector<std::int32_t> watched;
    std::string corpus;
    std::int64_t steps_per_epoch = 0;
    std::vector<std::int64_t> pins;
};

// The weights as they are now (Snapshot::live).
struct TransformerLive : LabFrame {
    std::int64_t step = 0;
    std::uint64_t serial = 0;  // changes whenever the weights do
    std::vector<double> params;
};


const TransformerFrame& transformer_frame(const Frame& f);
const TransformerInfo& transformer_info(const RunInfo& info);

WindowLab transformer_window_lab();

}  // namespace snapscope::gui
