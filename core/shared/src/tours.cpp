#include "snapscope/tours.hpp"

#include <cctype>
#include <cmath>

#include "snapscope/input.hpp"
#include "snapscope/presets.hpp"
#include "tours_data.hpp"

namespace snapscope {

namespace {

[[noreturn]] void tour_fail(const std::string& source, const std::string& key, const std::string& what) {
    throw InputError(source + ": " + (key.empty() ? "" : key + ": ") + what, key);
}

std::string text_field(const nlohmann::json& v, const std::string& source, const std::string& key, bool required) {
    if (!v.is_string()) tour_fail(source, key, "expected a string, got " + brief(v));
    std::string s = v.get<std::string>();
    if (required && s.empty()) tour_fail(source, key, "must not be empty");
    if (s.size() > kMaxTourText)
        tour_fail(source, key, "is " + std::to_string(s.size()) + " bytes; at most " + std::to_string(kMaxTourText) + " (a step says one thing)");
    for (unsigned char c : s)
        if (c < 0x20 && c != '\n') tour_fail(source, key, "holds a control character (only newlines may break a text)");
    return s;
}

// "12" or "*" (kAll); nullopt if neither.
std::optional<int> index_of(const std::string& s) {
    if (s == "*") return TourHighlight::kAll;
    if (s.empty() || s.size() > 9) return std::nullopt;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    return std::stoi(s);
}

TourStep parse_step(const nlohmann::json& j, const std::string& source, const std::string& at) {
    if (!j.is_object()) tour_fail(source, at, "expected an object (a step), got " + brief(j));
    TourStep s;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        const nlohmann::json& v = it.value();
        const std::string key = at + "." + k;
        if (k == "title") s.title = text_field(v, source, key, false);
        else if (k == "text") s.text = text_field(v, source, key, true);
        else if (k == "question") s.question = text_field(v, source, key, false);
        else if (k == "answer") s.answer = text_field(v, source, key, false);
        else if (k == "preset") {
            s.preset = text_field(v, source, key, true);
            if (!find_preset(s.preset)) {
                std::string list;
                for (const Preset& p : presets()) list += (list.empty() ? "" : ", ") + p.name;
                tour_fail(source, key, "unknown preset '" + brief_text(s.preset) + "' (available: " + list + ")");
            }
        } else if (k == "set") {
            if (!v.is_object()) tour_fail(source, key, "expected an object of config keys, got " + brief(v));
            try {
                s.set = flatten_config(v, source + " " + key);
            } catch (const ConfigError& e) {
                tour_fail(source, key, e.what());
            }
        } else if (k == "rates" || k == "companions") {
            if (!v.is_object()) tour_fail(source, key, "expected an object, got " + brief(v));
            for (auto r = v.begin(); r != v.end(); ++r) {
                const std::string rk = key + "." + r.key();
                if (r.key().empty() || r.key().size() > 64) tour_fail(source, rk, "a name of 1 to 64 characters");
                if (k == "rates") {
                    if (!r.value().is_number() || !std::isfinite(r.value().get<double>()) || r.value().get<double>() <= 0)
                        tour_fail(source, rk, "expected a learning rate (a number > 0), got " + brief(r.value()));
                    s.rates.emplace_back(r.key(), r.value().get<double>());
                } else {
                    if (!r.value().is_boolean()) tour_fail(source, rk, "expected true or false, got " + brief(r.value()));
                    s.companions.emplace_back(r.key(), r.value().get<bool>());
                }
            }
        } else if (k == "view") {
            if (!v.is_object()) tour_fail(source, key, "expected an object of view settings (as a session's \"view\"), got " + brief(v));
            s.view = v;
        } else if (k == "speed") {
            if (v.is_string() && v.get<std::string>() == "unlimited") s.speed = 0.0;
            else if (v.is_number() && v.get<double>() >= 1 && v.get<double>() <= 5000) s.speed = v.get<double>();
            else tour_fail(source, key, "expected steps per second (1 to 5000) or \"unlimited\", got " + brief(v));
        } else if (k == "pause_at") {
            if (!(v.is_number_integer() || v.is_number_unsigned()) || v.get<double>() < 1 || v.get<double>() > static_cast<double>(kMaxTourPauseAt))
                tour_fail(source, key, "expected a step from 1 to " + std::to_string(kMaxTourPauseAt) + ", got " + brief(v));
            s.pause_at = v.get<std::int64_t>();
        } else if (k == "highlight") {
            std::vector<std::string> names;
            if (v.is_string()) names.push_back(v.get<std::string>());
            else if (v.is_array() && v.size() <= 16) {
                for (std::size_t i = 0; i < v.size(); ++i) {
                    if (!v[i].is_string()) tour_fail(source, key + "[" + std::to_string(i) + "]", "expected a string, got " + brief(v[i]));
                    names.push_back(v[i].get<std::string>());
                }
            } else tour_fail(source, key, "expected a name or a list of at most 16 names, got " + brief(v));
            for (const std::string& n : names) s.highlight.push_back(parse_tour_highlight(n, source + ": " + key));
        } else {
            tour_fail(source, key,
                      "unknown key (a step has: title, text, question, answer, preset, set, rates, companions, view, speed, "
                      "pause_at, highlight)");
        }
    }
    if (s.text.empty()) tour_fail(source, at + ".text", "missing (every step says something)");
    if (!s.answer.empty() && s.question.empty()) tour_fail(source, at + ".answer", "an answer needs a question");
    if (!s.preset.empty()) {
        // The step's run must be a valid config (its overrides named in the message).
        try {
            const Config c = tour_step_config(s, Config{}, source + " " + at);
            if (s.pause_at > c.train.steps)
                tour_fail(source, at + ".pause_at",
                          std::to_string(s.pause_at) + " is past the run's end (train.steps " + std::to_string(c.train.steps) + ")");
        } catch (const ConfigError& e) {
            tour_fail(source, at + ".set", e.what());
        }
    }
    return s;
}

}  // namespace

std::string TourHighlight::text() const {
    if (!cell()) return name;
    auto idx = [](int i) { return i == kAll ? std::string("*") : std::to_string(i); };
    return name + "[" + idx(row) + "," + idx(col) + "]";
}

TourHighlight parse_tour_highlight(const std::string& s, const std::string& key) {
    auto bad = [&](const std::string& why) -> TourHighlight {
        throw InputError(key + ": '" + brief_text(s) + "': " + why +
                             " (a widget name, or name[row,col] with whole numbers or * for a heatmap cell, row or column)",
                         key);
    };
    TourHighlight h;
    const std::size_t open = s.find('[');
    h.name = s.substr(0, open);
    if (h.name.empty() || h.name.size() > 200) return bad("a name of 1 to 200 characters");
    for (unsigned char c : h.name)
        if (c < 0x20) return bad("a control character in the name");
    if (open == std::string::npos) return h;
    if (s.back() != ']') return bad("no closing ]");
    const std::string inner = s.substr(open + 1, s.size() - open - 2);
    const std::size_t comma = inner.find(',');
    if (comma == std::string::npos) return bad("expected [row,col]");
    auto trim = [](std::string t) {
        while (!t.empty() && t.front() == ' ') t.erase(t.begin());
        while (!t.empty() && t.back() == ' ') t.pop_back();
        return t;
    };
    const auto r = index_of(trim(inner.substr(0, comma))), c = index_of(trim(inner.substr(comma + 1)));
    if (!r || !c) return bad("row and column are whole numbers or *");
    if (*r == TourHighlight::kAll && *c == TourHighlight::kAll) return bad("[*,*] is the whole widget: write the name alone");
    h.row = *r;
    h.col = *c;
    return h;
}

Config tour_step_config(const TourStep& step, const Config& current, const std::string& source) {
    FlatConfig flat;
    if (!step.preset.empty()) {
        flat = preset_config(step.preset);
    } else {
        const nlohmann::json j = config_to_json(current);
        for (auto it = j.begin(); it != j.end(); ++it) flat[it.key()] = it.value();
    }
    for (const auto& [k, v] : step.set) flat[k] = v;
    return resolve_config(flat, source);
}

Tour parse_tour(const std::string& text, const std::string& name, const std::string& source) {
    if (text.size() > kMaxTourBytes)
        tour_fail(source, "", "is " + std::to_string(text.size()) + " bytes; a tour is at most " + std::to_string(kMaxTourBytes));
    const nlohmann::json j = parse_json_text(text, source);
    if (!j.is_object()) tour_fail(source, "", "expected an object with \"title\" and \"steps\", got " + brief(j));
    Tour t;
    t.name = name;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k == "title") t.title = text_field(it.value(), source, k, true);
        else if (k == "description") t.description = text_field(it.value(), source, k, false);
        else if (k == "steps") {
            const nlohmann::json& v = it.value();
            if (!v.is_array() || v.empty() || v.size() > kMaxTourSteps)
                tour_fail(source, k, "expected a list of 1 to " + std::to_string(kMaxTourSteps) + " steps, got " + brief(v));
            for (std::size_t i = 0; i < v.size(); ++i) t.steps.push_back(parse_step(v[i], source, "steps[" + std::to_string(i) + "]"));
        } else {
            tour_fail(source, k, "unknown key (a tour has: title, description, steps)");
        }
    }
    if (t.title.empty()) tour_fail(source, "title", "missing");
    if (t.steps.empty()) tour_fail(source, "steps", "missing");
    // The first step sets the scene: a tour starts from a known run, whatever the window showed before.
    if (!t.steps[0].restarts()) tour_fail(source, "steps[0].preset", "missing: the first step names the preset the tour starts on");
    return t;
}

Tour load_tour_file(const std::string& path) {
    const std::string text = read_input_file(path, "tour file", kMaxTourBytes);
    std::string name = path;
    if (const auto slash = name.find_last_of('/'); slash != std::string::npos) name = name.substr(slash + 1);
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) name.resize(name.size() - 5);
    return parse_tour(text, name, path);
}

namespace {
struct Shipped {
    std::vector<Tour> tours;
    std::vector<std::string> errors;
};
const Shipped& shipped() {
    static const Shipped s = [] {
        Shipped out;
        for (std::size_t i = 0; i < kEmbeddedTourCount; ++i) {
            const std::string name = kEmbeddedTours[i].name;
            if (name.empty()) continue;
            try {
                out.tours.push_back(parse_tour(kEmbeddedTours[i].text, name, "assets/tours/" + name + ".json"));
            } catch (const std::exception& e) {
                out.errors.push_back(e.what());
            }
        }
        return out;
    }();
    return s;
}
}  // namespace

const std::vector<Tour>& tours() { return shipped().tours; }
const std::vector<std::string>& tour_errors() { return shipped().errors; }

const Tour* find_tour(const std::string& name) {
    for (const Tour& t : tours())
        if (t.name == name) return &t;
    return nullptr;
}

}  // namespace snapscope
