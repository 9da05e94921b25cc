// Guided tours: the shipped ones parse and set up valid runs; a malformed tour file is refused with its step and key.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "snapscope/input.hpp"
#include "snapscope/presets.hpp"
#include "snapscope/tours.hpp"

using namespace snapscope;

namespace {
// The message of parse_tour on `text` ("" if it parses).
std::string error_of(const std::string& text) {
    try {
        parse_tour(text, "t", "t.json");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}
const char* kStep0 = R"({"preset": "fig4", "text": "hello"})";
std::string tour_with(const std::string& step1) { return std::string(R"({"title": "T", "steps": [)") + kStep0 + "," + step1 + "]}"; }
}  // namespace

TEST(Tours, EveryShippedTourParsesAndCoversEachLab) {
    for (const std::string& e : tour_errors()) ADD_FAILURE() << e;
    ASSERT_GE(tours().size(), 5u);
    std::set<std::string> kinds;
    for (const Tour& t : tours()) {
        SCOPED_TRACE(t.name);
        EXPECT_FALSE(t.title.empty());
        EXPECT_FALSE(t.description.empty());
        ASSERT_FALSE(t.steps.empty());
        Config run;
        for (std::size_t i = 0; i < t.steps.size(); ++i) {
            const TourStep& s = t.steps[i];
            if (s.restarts()) run = tour_step_config(s, run, t.name);
            if (i == 0) kinds.insert(run.model.kind + (run.data.kind == "text" ? "+text" : ""));
            // Training only goes forward within one run, and never past its end.
            if (s.pause_at > 0) EXPECT_LE(s.pause_at, run.train.steps) << "step " << i + 1;
            EXPECT_FALSE(s.highlight.empty()) << "step " << i + 1 << " points at nothing";
            // The window's font has Latin-1 glyphs only: a tour's text must be drawable.
            for (const std::string* txt : {&s.title, &s.text, &s.question, &s.answer})
                for (unsigned char c : *txt) EXPECT_LT(c, 0x80) << "step " << i + 1 << ": not ASCII: " << *txt;
        }
    }
    EXPECT_TRUE(kinds.count("scan_snap")) << "no Scan-and-Snap tour";
    EXPECT_TRUE(kinds.count("tpg")) << "no token-priority-graph tour";
    EXPECT_TRUE(kinds.count("transformer")) << "no symmetry tour";
    EXPECT_TRUE(kinds.count("transformer+text")) << "no real-text tour";
    EXPECT_TRUE(find_tour("1-scan-and-snap"));
    EXPECT_FALSE(find_tour("no-such-tour"));
}

TEST(Tours, AStepReadsEveryField) {
    const Tour t = parse_tour(tour_with(R"({"title": "Two", "text": "x\ny", "question": "q?", "answer": "a", "set": {"train": {"lr_y": 10}},
        "rates": {"lr_z": 5}, "companions": {"mean_field": true}, "view": {"show_phase": true}, "speed": "unlimited", "pause_at": 40,
        "highlight": ["play", "attention.c[0,12]", "attention.fig4[*,3]", "attention.z[1,*]"]})"),
                              "t", "t.json");
    ASSERT_EQ(t.steps.size(), 2u);
    const TourStep& s = t.steps[1];
    EXPECT_EQ(s.title, "Two");
    EXPECT_EQ(s.text, "x\ny");
    EXPECT_EQ(s.set.at("train.lr_y"), 10);
    ASSERT_EQ(s.rates.size(), 1u);
    EXPECT_EQ(s.rates[0].first, "lr_z");
    EXPECT_EQ(s.rates[0].second, 5.0);
    ASSERT_EQ(s.companions.size(), 1u);
    EXPECT_TRUE(s.companions[0].second);
    EXPECT_EQ(s.view["show_phase"], true);
    ASSERT_TRUE(s.speed);
    EXPECT_EQ(*s.speed, 0.0);
    EXPECT_EQ(s.pause_at, 40);
    ASSERT_EQ(s.highlight.size(), 4u);
    EXPECT_FALSE(s.highlight[0].cell());
    EXPECT_EQ(s.highlight[1].row, 0);
    EXPECT_EQ(s.highlight[1].col, 12);
    EXPECT_EQ(s.highlight[2].row, TourHighlight::kAll);
    EXPECT_EQ(s.highlight[2].col, 3);
    EXPECT_EQ(s.highlight[3].text(), "attention.z[1,*]");
    EXPECT_TRUE(s.restarts());
    // A step without a preset applies its overrides to the run it finds.
    EXPECT_EQ(config_to_json(tour_step_config(s, Config{}, "x"))["train.lr_y"], 10);
    FlatConfig f = preset_config("fig4");
    f["data.seq_len"] = 64;
    const Config base = resolve_config(f, "fig4 at 64");
    TourStep keep;
    keep.set["train.lr_y"] = 3;
    const nlohmann::json j = config_to_json(tour_step_config(keep, base, "x"));
    EXPECT_EQ(j["train.lr_y"], 3);
    EXPECT_EQ(j["data.seq_len"], 64);  // the run it found, not the preset
}

TEST(Tours, MalformedToursNameTheStepAndTheKey) {
    struct Case {
        std::string text, expect;
    };
    const std::vector<Case> cases = {
        {"[1]", "expected an object"},
        {R"({"title": "T"})", "steps: missing"},
        {R"({"title": "T", "steps": []})", "a list of 1 to 200 steps"},
        {R"({"title": "T", "steps": [{"text": "no preset"}]})", "steps[0].preset: missing"},
        {R"({"title": "T", "stepz": []})", "stepz: unknown key"},
        {tour_with(R"({"txt": "x"})"), "steps[1].txt: unknown key"},
        {tour_with(R"({"pause_at": 3})"), "steps[1].text: missing"},
        {tour_with(R"({"text": ""})"), "steps[1].text: must not be empty"},
        {tour_with(R"({"text": 5})"), "steps[1].text: expected a string"},
        {tour_with(R"({"text": "a\u0007b"})"), "control character"},
        {tour_with(R"({"text": "x", "preset": "fig99"})"), "steps[1].preset: unknown preset 'fig99'"},
        {tour_with(R"({"text": "x", "preset": "fig4", "set": {"train.lr_q": 1}})"), "train.lr_q"},
        {tour_with(R"({"text": "x", "preset": "fig4", "set": {"train.lr_y": -1}})"), "train.lr_y"},
        {tour_with(R"({"text": "x", "preset": "fig4", "pause_at": 5000})"), "past the run's end (train.steps 100)"},
        {tour_with(R"({"text": "x", "pause_at": 0})"), "steps[1].pause_at: expected a step from 1"},
        {tour_with(R"({"text": "x", "pause_at": 2.5})"), "steps[1].pause_at"},
        {tour_with(R"({"text": "x", "pause_at": 10000000000})"), "steps[1].pause_at"},
        {tour_with(R"({"text": "x", "rates": {"lr_z": 0}})"), "steps[1].rates.lr_z: expected a learning rate"},
        {tour_with(R"({"text": "x", "rates": {"lr_z": "big"}})"), "steps[1].rates.lr_z"},
        {tour_with(R"({"text": "x", "companions": {"mean_field": 1}})"), "steps[1].companions.mean_field: expected true or false"},
        {tour_with(R"({"text": "x", "speed": 0})"), "steps[1].speed"},
        {tour_with(R"({"text": "x", "speed": "fast"})"), "steps[1].speed"},
        {tour_with(R"({"text": "x", "view": [1]})"), "steps[1].view"},
        {tour_with(R"({"text": "x", "highlight": 3})"), "steps[1].highlight"},
        {tour_with(R"({"text": "x", "highlight": ["a[1]"]})"), "expected [row,col]"},
        {tour_with(R"({"text": "x", "highlight": ["a[1,2"]})"), "no closing ]"},
        {tour_with(R"({"text": "x", "highlight": ["a[-1,2]"]})"), "whole numbers or *"},
        {tour_with(R"({"text": "x", "highlight": ["a[*,*]"]})"), "the whole widget"},
        {tour_with(R"({"text": "x", "highlight": [""]})"), "a name of 1 to 200 characters"},
        {tour_with(R"({"text": "x", "answer": "a"})"), "an answer needs a question"},
        {tour_with("{\"text\": \"" + std::string(5000, 'a') + "\"}"), "5000 bytes; at most 4000"},
        {R"({"title": "T", "steps": [{"preset": "fig4", "text": "x"}], "title": "again"})", "twice"},
        {"{\"title\": \"T\", \"steps\": [}", "t.json:1:"},
    };
    for (const Case& c : cases) {
        const std::string e = error_of(c.text);
        EXPECT_NE(e.find(c.expect), std::string::npos) << "tour: " << c.text.substr(0, 200) << "\nmessage: " << e;
        if (!e.empty()) EXPECT_EQ(e.rfind("t.json", 0), 0u) << e;  // the file comes first
    }
    // Too many steps, too large a file.
    std::string many = R"({"title": "T", "steps": [)";
    for (int i = 0; i < 201; ++i) many += std::string(i ? "," : "") + kStep0;
    EXPECT_NE(error_of(many + "]}").find("a list of 1 to 200 steps"), std::string::npos);
    EXPECT_NE(error_of(std::string(kMaxTourBytes + 1, ' ')).find("a tour is at most"), std::string::npos);
}

TEST(Tours, ATourFileIsReadWithItsName) {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("snapscope-tour-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    { std::ofstream(d / "mine.json") << tour_with(R"({"text": "next", "pause_at": 10, "highlight": "play"})"); }
    const Tour t = load_tour_file((d / "mine.json").string());
    EXPECT_EQ(t.name, "mine");
    EXPECT_EQ(t.steps.size(), 2u);
    try {
        load_tour_file((d / "absent.json").string());
        ADD_FAILURE() << "a missing file was read";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("absent.json"), std::string::npos) << e.what();
    }
    { std::ofstream(d / "bad.json") << R"({"title": "T", "steps": [{"preset": "fig4", "text": "x", "pause_at": "soon"}]})"; }
    try {
        load_tour_file((d / "bad.json").string());
        ADD_FAILURE() << "a bad file was read";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.json: steps[0].pause_at"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(d);
}
