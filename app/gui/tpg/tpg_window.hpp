// The token-priority-graph lab in the window: what its frames hold (W, the paper's metrics, the attention of the
// shown samples), its fixed facts (the training set and what the paper predicts for it), and its WindowRun.
#pragma once

#include <string>
#include <vector>

#include "lab_window.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope::gui {

// Samples whose attention each frame keeps (and the Samples panel lists).
constexpr std::size_t kTpgShownSamples = 200;

struct TpgFrame : LabFrame {
    TpgMetrics tpg;
    std::vector<double> W;                              // d x d, column-major
    std::vector<std::vector<double>> sample_attention;  // per shown sample, per position
};

// The token-priority-graph lab's fixed facts: the training set and what the paper predicts for it.
struct TpgInfo : LabInfo {
    TpgDataset data;
    std::vector<QueryGraph> graphs;
    Eigen::MatrixXd E, W_svm, W_fin;
    SvmResult svm;
    std::string fin_note;  // why W_fin is approximate, if it is
    bool orthonormal = false;
    int d = 0;
};

// The training-set editor's command: restart the lab on this training set.
struct TpgSetTrainingSet : LabCommand {
    explicit TpgSetTrainingSet(TpgDataset d) : data(std::move(d)) {}
    TpgDataset data;
};

// A frame's tpg part (an empty one for another lab's frame).
const TpgFrame& tpg_frame(const Frame& f);

WindowLab tpg_window_lab();

}  // namespace snapscope::gui
