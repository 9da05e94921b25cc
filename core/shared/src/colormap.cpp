#include "snapscope/colormap.hpp"

#include <algorithm>
#include <cmath>

namespace snapscope {

namespace {
constexpr float kViridis[11][3] = {{0.267f, 0.005f, 0.329f}, {0.283f, 0.141f, 0.458f}, {0.254f, 0.265f, 0.530f},
                                   {0.208f, 0.372f, 0.553f}, {0.164f, 0.471f, 0.558f}, {0.128f, 0.567f, 0.551f},
                                   {0.135f, 0.659f, 0.518f}, {0.267f, 0.749f, 0.441f}, {0.478f, 0.821f, 0.318f},
                                   {0.741f, 0.873f, 0.150f}, {0.993f, 0.906f, 0.144f}};
constexpr float kDiverging[5][3] = {{0.230f, 0.299f, 0.754f}, {0.552f, 0.690f, 0.996f}, {0.950f, 0.950f, 0.950f},
                                    {0.957f, 0.604f, 0.482f}, {0.706f, 0.016f, 0.150f}};

template <int N>
std::array<float, 3> ramp(const float (&stops)[N][3], float t) {
    const float x = std::clamp(t, 0.f, 1.f) * (N - 1);
    const int i = std::min(static_cast<int>(std::floor(x)), N - 2);
    const float f = x - i;
    return {stops[i][0] + (stops[i + 1][0] - stops[i][0]) * f, stops[i][1] + (stops[i + 1][1] - stops[i][1]) * f,
            stops[i][2] + (stops[i + 1][2] - stops[i][2]) * f};
}
}  // namespace

std::array<float, 3> colormap_rgb(Colormap map, float v, float vmin, float vmax) {
    if (std::isnan(v)) return {0.3f, 0.3f, 0.3f};
    if (map == Colormap::Diverging) {
        const float m = std::max(std::abs(vmin), std::abs(vmax));
        return ramp(kDiverging, m > 0 ? 0.5f + 0.5f * v / m : 0.5f);
    }
    return ramp(kViridis, vmax > vmin ? (v - vmin) / (vmax - vmin) : 0.f);
}

}  // namespace snapscope
