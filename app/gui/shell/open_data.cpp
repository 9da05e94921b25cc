#include "open_data.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "keys.hpp"
#include "lab_panels.hpp"
#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/sweep_folder.hpp"

namespace snapscope::gui {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxEntries = 5000;

std::string size_text(std::uintmax_t b) {
    char buf[32];
    if (b < 1024) std::snprintf(buf, sizeof buf, "%ju B", b);
    else if (b < (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f KB", b / 1024.0);
    else if (b < (1u << 30)) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1048576.0);
    else std::snprintf(buf, sizeof buf, "%.2f GB", b / 1073741824.0);
    return buf;
}
}  // namespace

void list_folder(OpenDataDialog& d, const std::string& dir) {
    d.entries.clear();
    d.error.clear();
    d.note.clear();
    d.listed = dir;
    d.dir = dir;
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        d.error = "cannot list " + dir + ": " + ec.message();
        return;
    }
    std::size_t left_off = 0;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        if (d.entries.size() >= kMaxEntries) {
            ++left_off;
            continue;
        }
        OpenDataDialog::Entry e;
        e.name = name;
        std::error_code ec2;
        e.folder = it->is_directory(ec2);
        if (!e.folder) e.bytes = it->file_size(ec2);
        else e.sweep = fs::is_regular_file(it->path() / "sweep.json", ec2);
        if (ec2) e.bytes = 0;
        d.entries.push_back(std::move(e));
    }
    std::sort(d.entries.begin(), d.entries.end(), [](const OpenDataDialog::Entry& a, const OpenDataDialog::Entry& b) {
        return a.folder != b.folder ? a.folder : a.name < b.name;
    });
    if (left_off) d.note = std::to_string(left_off) + " more entries not listed (type the path)";
}

bool open_sweep_folder(const Snapshot& snap, ViewState& view, const CommandSink& send, const std::string& path, std::string* error) {
    SweepFolder folder;
    try {
        folder = read_sweep_folder(path, SweepJob::kMaxRuns, memory_limit_bytes(snap.info->config));
    } catch (const std::exception& e) {
        view.say("Cannot open the sweep " + path + ": " + e.what(), true);
        if (error) *error = e.what();
        return false;
    }
    return show_sweep_folder(snap, view, send, std::move(folder), error);
}

bool show_sweep_folder(const Snapshot& snap, ViewState& view, const CommandSink& send, SweepFolder folder, std::string* error) {
    const std::string path = folder.dir;
    auto fail = [&](const std::string& why) {
        view.say("Cannot open the sweep " + path + ": " + why, true);
        if (error) *error = why;
        return false;
    };
    try {
        const SweepDefinition& def = folder.manifest.def;
        if (def.axes.empty()) return fail("its sweep has no grid axis (seeds only); there is nothing to draw across");
        const std::string kind = def.lab().kind;
        const LabPanels* lab = nullptr;
        for (const LabPanels& p : lab_panels())
            if (p.kind == kind) lab = &p;
        if (!lab || !lab->show_sweep) return fail("the " + def.lab().title + " lab has no sweep view");
        // The sweep's first grid point, when the run shown is another lab's (so the lab's view is drawn).
        std::optional<Config> first;
        if (panels_for(snap).kind != kind) first = resolve_config(first_grid_point(def), folder.dir + "/sweep.json");
        const std::string dir = folder.dir, note = folder.describe();
        std::string why;
        if (!lab->show_sweep(view, std::make_shared<SweepJob>(std::move(folder)), why)) return fail(why);
        if (first) send(Command::load_config(std::move(*first)));
        view.say("Sweep " + dir + ": " + note, false);
        view.open_data.open = false;
        if (error) error->clear();
        return true;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

bool open_data_path(const Snapshot& snap, ViewState& view, const CommandSink& send, const std::string& path) {
    if (path.empty()) return false;
    if (is_sweep_folder(path)) return open_sweep_folder(snap, view, send, path);
    // The lab shown first, then the others in the lab switch's order.
    std::vector<const LabPanels*> order = {&panels_for(snap)};
    for (const LabPanels& p : lab_panels())
        if (&p != order.front()) order.push_back(&p);
    for (const LabPanels* p : order) {
        if (!p->open_path) continue;
        try {
            if (std::optional<Config> cfg = p->open_path(snap, path)) {
                send(Command::load_config(std::move(*cfg)));
                view.say("Opening " + path, false);
                view.open_data.open = false;
                return true;
            }
        } catch (const std::exception& e) {
            view.say(std::string("Cannot open ") + path + ": " + e.what(), true);
            return false;
        }
    }
    view.say("No lab reads " + path + " (a text file or a folder of them opens in the small transformer's text view)", true);
    return false;
}

void draw_open_dialog(const Snapshot& snap, ViewState& view, const CommandSink& send) {
    OpenDataDialog& d = view.open_data;
    if (!d.open) return;
    if (d.dir.empty()) {
        std::error_code ec;
        d.dir = fs::current_path(ec).string();
    }
    if (d.listed != d.dir) list_folder(d, d.dir);
    const float font = ImGui::GetFontSize();
    const ImVec2 ds = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(ds.x * 0.5f, ds.y * 0.45f), ImGuiCond_FirstUseEver, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(std::min(ds.x * 0.9f, font * 42), std::min(ds.y * 0.8f, font * 30)), ImGuiCond_FirstUseEver);
    if (ImGui::Begin("Open data", &d.open, ImGuiWindowFlags_NoCollapse)) {
        ImGui::TextWrapped("A UTF-8 text file or a folder of them (WikiText: the folder holding wiki.train.tokens) trains the paper's "
                           "Fig 7 model on it. A sweep folder (snapscope-cli sweep's or merge's --out, holding sweep.json) opens in "
                           "the phase diagram. You can also drop a file or folder on the window.");
        if (ImGui::Button("Up")) d.dir = fs::path(d.dir).parent_path().string();
        view.widget_rects["open.up"] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
        ImGui::SameLine();
        ImGui::TextUnformatted(d.dir.c_str());
        const float footer = ImGui::GetFrameHeightWithSpacing() * 2 + font;
        if (ImGui::BeginChild("entries", ImVec2(0, -footer), true)) {
            if (!d.error.empty()) ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "%s", d.error.c_str());
            std::string enter;
            for (std::size_t i = 0; i < d.entries.size(); ++i) {
                const OpenDataDialog::Entry& e = d.entries[i];
                const std::string full = (fs::path(d.dir) / e.name).string();
                const std::string label = (e.sweep ? "[sweep] " : e.folder ? "[folder] " : "") + e.name + "##" + std::to_string(i);
                if (ImGui::Selectable(label.c_str(), d.typed == full, ImGuiSelectableFlags_AllowDoubleClick)) {
                    d.typed = full;
                    if (e.folder && ImGui::IsMouseDoubleClicked(0)) {
                        if (e.sweep) open_data_path(snap, view, send, full);  // a sweep opens, not lists
                        else enter = full;
                    }
                    else if (!e.folder && ImGui::IsMouseDoubleClicked(0)) {
                        open_data_path(snap, view, send, full);
                    }
                }
                view.widget_rects["open.entry." + e.name] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x,
                                                                  ImGui::GetItemRectMax().y);
                if (!e.folder) {
                    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - font * 6);
                    ImGui::TextDisabled("%s", size_text(e.bytes).c_str());
                }
            }
            if (!d.note.empty()) ImGui::TextDisabled("%s", d.note.c_str());
            if (!enter.empty()) d.dir = enter;
        }
        ImGui::EndChild();
        char buf[4096];
        std::snprintf(buf, sizeof buf, "%s", d.typed.c_str());
        ImGui::SetNextItemWidth(-1);
        const bool entered = ImGui::InputText("##openpath", buf, sizeof buf, ImGuiInputTextFlags_EnterReturnsTrue);
        d.typed = buf;
        tip("The file or folder to open (type or paste a path; Enter opens it)");
        const bool go = ImGui::Button("Open") || entered;
        view.widget_rects["open.open"] = ImVec4(ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y);
        tip("Train on the selected file, or on the selected folder's texts; a sweep folder opens in the phase diagram");
        ImGui::SameLine();
        if (ImGui::Button("Cancel (Esc)") || key_pressed(kKeyEscape)) d.open = false;
        if (go) open_data_path(snap, view, send, d.typed.empty() ? d.dir : d.typed);
    }
    ImGui::End();
}

}  // namespace snapscope::gui
