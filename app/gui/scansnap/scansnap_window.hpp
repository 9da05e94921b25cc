// The Scan-and-Snap lab in the window: what its frames hold (the attention c_n and rows of Z per record), its fixed
// facts (tokens, classes, queries), and its WindowRun (with the mean-field twin as a companion run).
#pragma once

#include <vector>

#include "lab_window.hpp"
#include "snapscope/data.hpp"
#include "snapscope/scansnap_run.hpp"

namespace snapscope::gui {

struct ScanSnapFrame : LabFrame {
    std::vector<double> common_mass, distinct_entropy;  // per class
    std::vector<double> attention;                       // K x M row-major: c_n(l)
    std::vector<double> zrows;                           // Q x M row-major: Z(query_q, l)
};

struct ScanSnapInfo : LabInfo {
    std::vector<TokenInfo> tokens;
    std::vector<ClassInfo> classes;
    std::vector<int> queries;
    std::vector<std::string> words;  // a text's word per token id (empty for numbered tokens)
    std::string name(int token) const {
        return token >= 0 && token < static_cast<int>(words.size()) ? words[static_cast<std::size_t>(token)] : std::to_string(token);
    }
};

// The companion run of Scan and Snap: the deterministic T -> infinity model on the same data and rates.
constexpr const char* kMeanFieldCompanion = "mean_field";

// A frame's Scan-and-Snap part (an empty one for another lab's frame).
const ScanSnapFrame& scansnap_frame(const Frame& f);
// The run's Scan-and-Snap facts (empty for another lab's run).
const ScanSnapInfo& scansnap_info(const RunInfo& info);

WindowLab scansnap_window_lab();

}  // namespace snapscope::gui
