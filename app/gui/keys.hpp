// Keyboard shortcuts behind one helper: Dear ImGui 1.86 indexes io.KeysDown by
// the backend's key codes (GLFW's, which for letters are ASCII). 1.87+ changed
// key handling; only this file would need to change.
#pragma once

#include <imgui.h>

namespace snapscope::gui {

enum Key : int {
    kKeySpace = 32,
    kKeyL = 76,
    kKeyM = 77,
    kKeyO = 79,
    kKeyP = 80,
    kKeyR = 82,
    kKeyS = 83,
    kKeyEscape = 256,
    kKeyRight = 262,
    kKeyLeft = 263,
    kKeyF1 = 290,
    kKeyF11 = 300,
    kKeyF12 = 301,
};

// True on the frame the key goes down (and on auto-repeat when `repeat`), unless a text field has focus.
inline bool key_pressed(Key k, bool repeat = false) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return false;
    return ImGui::IsKeyPressed(static_cast<int>(k), repeat);
}

}  // namespace snapscope::gui
