#include "keys.hpp"

#include <deque>
#include <utility>
#include <vector>

namespace snapscope::gui {

namespace {

struct KeyQueue {
    bool enabled = false;
    std::deque<std::pair<int, bool>> pending;  // (key, repeat) in arrival order
    std::vector<std::pair<int, bool>> frame;   // this frame's events: at most one press per key
};

KeyQueue& queue() {
    static KeyQueue q;
    return q;
}

}  // namespace

void key_queue_enable(bool on) {
    queue().enabled = on;
    queue().pending.clear();
    queue().frame.clear();
}

void key_queue_push(int key, bool repeat) {
    KeyQueue& q = queue();
    if (!q.enabled) return;
    if (q.pending.size() > 256) q.pending.pop_front();  // a stuck key cannot grow it without bound
    q.pending.emplace_back(key, repeat);
}

void key_queue_new_frame() {
    KeyQueue& q = queue();
    q.frame.clear();
    if (ImGui::GetCurrentContext() && ImGui::GetIO().WantTextInput) {
        q.pending.clear();  // typed into a text field: not shortcuts
        return;
    }
    // One event per key this frame; later taps of the same key wait for the next frame, in order.
    std::deque<std::pair<int, bool>> rest;
    for (const auto& e : q.pending) {
        bool seen = false;
        for (const auto& f : q.frame) seen = seen || f.first == e.first;
        if (seen) rest.push_back(e);
        else q.frame.push_back(e);
    }
    q.pending.swap(rest);
}

bool key_pressed(Key k, bool repeat) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return false;
    const KeyQueue& q = queue();
    if (!q.enabled) return ImGui::IsKeyPressed(static_cast<int>(k), repeat);
    for (const auto& [key, rep] : q.frame)
        if (key == static_cast<int>(k) && (!rep || repeat)) return true;
    return false;
}

}  // namespace snapscope::gui
