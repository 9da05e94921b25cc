// Keyboard shortcuts behind one helper. Dear ImGui 1.86 (Debian's) polls key state once a frame, so a key pressed
// and released between two frames would be lost: the window's GLFW key callback (chained with ImGui's) queues every
// press here instead, and each frame delivers one queued press per key (a second tap of the same key within a frame
// arrives in the next frame). Without that callback (windowless tests that set io.KeysDown), key_pressed() falls back
// to ImGui's polling. ImGui 1.86 indexes io.KeysDown by the backend's key codes (GLFW's; letters are ASCII); 1.87+
// changed key handling, and only this helper would need to change.
#pragma once

#include <imgui.h>

namespace snapscope::gui {

enum Key : int {
    kKeySpace = 32,
    kKeyB = 66,
    kKeyD = 68,
    kKeyL = 76,
    kKeyM = 77,
    kKeyN = 78,
    kKeyO = 79,
    kKeyP = 80,
    kKeyR = 82,
    kKeyS = 83,
    kKeyT = 84,
    kKeyX = 88,
    kKeyEscape = 256,
    kKeyRight = 262,
    kKeyDown = 264,
    kKeyUp = 265,
    kKeyPageUp = 266,
    kKeyPageDown = 267,
    kKeyLeft = 263,
    kKeyF1 = 290,
    kKeyF10 = 299,
    kKeyF11 = 300,
    kKeyF12 = 301,
};

// Turns the queue on (the window does, when it installs its key callback) or off.
void key_queue_enable(bool on);
// A press (repeat = false) or an auto-repeat (repeat = true) from the key callback.
void key_queue_push(int key, bool repeat);
// At the start of a frame: takes this frame's presses from the queue (dropped while a text field has focus).
void key_queue_new_frame();

// True on the frame the key goes down (and on auto-repeat when `repeat`), unless a text field has focus.
bool key_pressed(Key k, bool repeat = false);

}  // namespace snapscope::gui
