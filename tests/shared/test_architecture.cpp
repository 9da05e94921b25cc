// Issue 11: the shared machinery knows no lab by name. A lab is its folders plus one line in each registry
// (core/shared/src/labs.cpp, app/cli/lab_commands.cpp, app/gui/shell/window_labs.cpp, app/gui/shell/lab_panels.cpp);
// nothing else in core/shared, app/cli or app/gui/shell names one, not even the Config struct (each lab's keys are
// fields of its own settings struct, Config::lab<T>()).
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

TEST(Architecture, TheSharedCodeNamesNoLab) {
    const fs::path root = SNAPSCOPE_SOURCE_DIR;
    const std::vector<std::string> registries = {"core/shared/src/labs.cpp", "app/cli/lab_commands.cpp", "app/gui/shell/window_labs.cpp",
                                                 "app/gui/shell/lab_panels.cpp"};
    const std::regex lab_name(R"(tpg|scan_snap|scansnap|scan[ -]and[ -]snap|token-priority|mean[_-]field)", std::regex::icase);
    int files = 0;
    std::vector<std::string> found;
    for (const char* dir : {"core/shared", "app/cli", "app/gui/shell"}) {
        for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
            if (!e.is_regular_file()) continue;
            const std::string rel = fs::relative(e.path(), root).generic_string();
            if (rel.rfind("app/cli/", 0) == 0 && rel.find('/', 8) != std::string::npos) continue;  // app/cli/<lab>/: a lab's own
            bool skip = false;
            for (const auto& r : registries) skip = skip || rel == r;
            if (skip) continue;
            ++files;
            std::ifstream in(e.path());
            std::string line;
            for (int n = 1; std::getline(in, line); ++n)
                if (std::regex_search(line, lab_name)) found.push_back(rel + ":" + std::to_string(n) + ": " + line);
        }
    }
    EXPECT_GT(files, 30);
    std::ostringstream all;
    for (const auto& f : found) all << f << "\n";
    EXPECT_TRUE(found.empty()) << "shared code naming a lab:\n" << all.str();
}

TEST(Architecture, EachLabIsOneLineInEachRegistry) {
    // The registries list the labs one line each (the same labs, in the same order).
    const fs::path root = SNAPSCOPE_SOURCE_DIR;
    auto lines_with = [&](const std::string& file, const std::string& suffix) {
        std::ifstream in(root / file);
        std::vector<std::string> out;
        std::string line;
        while (std::getline(in, line)) {
            const auto a = line.find_first_not_of(' ');
            if (a != std::string::npos && line.size() > suffix.size() && line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                line.find("(") != std::string::npos && line.find("//") == std::string::npos)
                out.push_back(line.substr(a, line.find('_', a) - a));
        }
        return out;
    };
    const auto core = lines_with("core/shared/src/labs.cpp", "_lab(),");
    const auto window = lines_with("app/gui/shell/window_labs.cpp", "_window_lab(),");
    const auto panels = lines_with("app/gui/shell/lab_panels.cpp", "_panels(),");
    ASSERT_EQ(core.size(), 3u);
    EXPECT_EQ(window, core);
    EXPECT_EQ(panels, core);
}
