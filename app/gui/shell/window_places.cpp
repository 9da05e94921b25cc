#include "window_places.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstring>

namespace snapscope::gui {

namespace {
short to_short(float v) { return static_cast<short>(std::clamp(v, -32000.0f, 32000.0f)); }
}  // namespace

void place_remembered_windows(const std::vector<UserSettings::Place>& places, float width, float height) {
    // (ImGui reads its own settings at the first frame and wants none before; there is no imgui.ini, so ours stand for it.)
    ImGuiContext& g = *ImGui::GetCurrentContext();
    if (!g.SettingsLoaded) {
        if (ImGui::GetIO().IniFilename) ImGui::LoadIniSettingsFromDisk(ImGui::GetIO().IniFilename);
        g.SettingsLoaded = true;
    }
    for (UserSettings::Place p : places) {
        // Inside this window, which may be smaller than the last run's.
        p.w = std::min(p.w, std::max(20.0f, width));
        p.h = std::min(p.h, std::max(20.0f, height));
        p.x = std::clamp(p.x, 0.0f, std::max(0.0f, width - p.w));
        p.y = std::clamp(p.y, 0.0f, std::max(0.0f, height - p.h));
        const ImGuiID id = ImHashStr(p.name.c_str());
        ImGuiWindowSettings* s = ImGui::FindWindowSettings(id);
        if (!s) s = ImGui::CreateNewWindowSettings(p.name.c_str());
        s->Pos = ImVec2ih(to_short(p.x), to_short(p.y));
        s->Size = ImVec2ih(to_short(p.w), to_short(p.h));
        s->Collapsed = false;
        s->WantApply = true;
    }
}

std::vector<UserSettings::Place> remembered_window_places() {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    ImGui::SaveIniSettingsToMemory();  // (brings the settings of the windows shown up to date)
    std::vector<UserSettings::Place> out;
    for (ImGuiWindowSettings* s = g.SettingsWindows.begin(); s != nullptr; s = g.SettingsWindows.next_chunk(s)) {
        if (s->ID == 0 || out.size() >= kMaxRememberedWindows) continue;
        const ImGuiWindow* w = ImGui::FindWindowByID(s->ID);
        if (w && (w->Flags & (ImGuiWindowFlags_NoMove | ImGuiWindowFlags_ChildWindow | ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_Popup))) continue;
        if (s->Size.x < 20 || s->Size.y < 20 || std::strncmp(s->GetName(), "Debug##", 7) == 0) continue;  // (ImGui's implicit window)
        out.push_back({s->GetName(), static_cast<float>(s->Pos.x), static_cast<float>(s->Pos.y), static_cast<float>(s->Size.x), static_cast<float>(s->Size.y)});
    }
    return out;
}

}  // namespace snapscope::gui
