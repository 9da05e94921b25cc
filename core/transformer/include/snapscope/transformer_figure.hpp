// The headless tool's picture of attention on a text: at one pinned step, each layer's and head's map of the watched
// window (a row per query word, a column per key word, the words on both axes), coloured on one fixed scale
// (probability 0 to 1, viridis) so the pictures of different steps compare side by side.
#pragma once

#include <string>
#include <vector>

#include "snapscope/raster.hpp"
#include "snapscope/transformer_run.hpp"

namespace snapscope {

struct AttentionFigureLayout {
    int cell = 0;                  // pixels a side of one query x key cell
    int shown = 0;                 // positions drawn (the first `shown` of the window)
    int maps = 0;                  // maps drawn (layer-major, the first `maps`)
    int panel_x0 = 0, panel_y0 = 0;  // top-left pixel of the first map's cells
    int panel_dx = 0, panel_dy = 0;  // offset from one map to the next to its right / below
    int columns = 0;               // maps a row
    bool words = false;            // words drawn on the axes
};

constexpr int kFigureMaxMaps = 16;        // more layers x heads than this: the first 16 (attention.json has all)
constexpr int kFigureMaxPositions = 512;  // a longer window: its first 512 positions

// `words` names each position of p.tokens; `causal` greys the masked cells (key after query).
RgbaImage attention_figure(const PinnedAttention& p, const std::vector<std::string>& words, bool causal, const std::string& title,
                       AttentionFigureLayout* layout = nullptr);

// Mean entropy (nats) of the rows of one map [n, n].
double attention_map_entropy(const double* map, int n);

}  // namespace snapscope
