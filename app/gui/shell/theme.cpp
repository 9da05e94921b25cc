#include "theme.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "app_ui.hpp"

namespace snapscope::gui {

namespace {

struct Range {
    const ImDrawList* dl;
    int start, end;  // vertex indices [start, end)
};
std::vector<Range> g_data;  // this frame's DataColours scopes (the UI thread's)

}  // namespace

bool light_theme(const ViewState& view) {
    const Theme t = static_cast<Theme>(view.theme);
    return t == Theme::Light || (t == Theme::Auto && view.large_font);
}

ImVec4 light_colour(const ImVec4& c) {
    const float mx = std::max({c.x, c.y, c.z}), mn = std::min({c.x, c.y, c.z});
    const float sat = mx > 0 ? (mx - mn) / mx : 0;
    ImVec4 o = c;
    if (sat < 0.3f || mx - mn < 0.12f) {
        // A grey (or nearly): lightness inverted, its slight tint kept; pushed to the ends for contrast.
        const float l = (c.x + c.y + c.z) / 3;
        float inv = 1 - l;
        inv = inv > 0.5f ? std::min(1.f, 0.5f + (inv - 0.5f) * 1.1f) : std::max(0.f, 0.5f - (0.5f - inv) * 1.25f);
        o.x = std::clamp(inv + (c.x - l) * 0.5f, 0.f, 1.f);
        o.y = std::clamp(inv + (c.y - l) * 0.5f, 0.f, 1.f);
        o.z = std::clamp(inv + (c.z - l) * 0.5f, 0.f, 1.f);
    } else if (mx < 0.6f) {
        // A dark colour (a button's, a header's or a frame's fill, made for white text): a light tint of its hue, for
        // the black text the light theme draws on it.
        o.x = c.x + (1 - c.x) * 0.6f;
        o.y = c.y + (1 - c.y) * 0.6f;
        o.z = c.z + (1 - c.z) * 0.6f;
    } else {
        // A colour: the same hue, dark enough to read on white (luma at most 0.5).
        const float luma = 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z;
        if (luma > 0.5f) {
            const float k = 0.5f / luma;
            o.x = c.x * k;
            o.y = c.y * k;
            o.z = c.z * k;
        }
    }
    return o;
}

ImU32 light_colour(ImU32 c) {
    const ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
    return ImGui::ColorConvertFloat4ToU32(light_colour(v));
}

DataColours::DataColours(ImDrawList* dl) : dl_(dl), start_(dl ? dl->VtxBuffer.Size : 0) {}
DataColours::~DataColours() {
    if (dl_ && dl_->VtxBuffer.Size > start_) g_data.push_back({dl_, start_, dl_->VtxBuffer.Size});
}

void begin_theme_frame() { g_data.clear(); }

void lighten_draw_data(ImDrawData* dd, ImTextureID font_texture) {
    if (!dd) return;
    std::vector<char> keep;
    for (int l = 0; l < dd->CmdListsCount; ++l) {
        ImDrawList* dl = dd->CmdLists[l];
        keep.assign(static_cast<std::size_t>(dl->VtxBuffer.Size), 0);
        for (const ImDrawCmd& cmd : dl->CmdBuffer) {
            if (cmd.UserCallback || cmd.TextureId == font_texture) continue;
            for (unsigned i = 0; i < cmd.ElemCount; ++i) {
                const std::size_t v = cmd.VtxOffset + dl->IdxBuffer[static_cast<int>(cmd.IdxOffset + i)];
                if (v < keep.size()) keep[v] = 1;
            }
        }
        for (const Range& r : g_data)
            if (r.dl == dl)
                for (int v = r.start; v < r.end && v < dl->VtxBuffer.Size; ++v) keep[static_cast<std::size_t>(v)] = 1;
        // Many vertices share a few colours: map each colour once.
        ImU32 last_in = 0, last_out = light_colour(ImU32(0));
        for (int v = 0; v < dl->VtxBuffer.Size; ++v) {
            if (keep[static_cast<std::size_t>(v)]) continue;
            ImU32& c = dl->VtxBuffer[v].col;
            if (c != last_in) {
                last_in = c;
                last_out = light_colour(c);
            }
            c = last_out;
        }
    }
}

}  // namespace snapscope::gui
