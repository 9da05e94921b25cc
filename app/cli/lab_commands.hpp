// Commands a lab adds to snapscope-cli (from its folder app/cli/<lab>/). The dispatch in main.cpp knows no
// lab: it adds each command's subcommand, lets the command declare its options, and runs the one chosen.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace snapscope::cli {

class LabCommand {
public:
    virtual ~LabCommand() = default;
    virtual std::string name() const = 0;
    virtual std::string help() const = 0;
    // Adds the command's options to its subcommand (they write into the command's own members).
    virtual void declare(CLI::App& sub) = 0;
    // Runs it; returns the process exit status (errors printed as one line).
    virtual int run() = 0;
};

// Every lab's commands, one line per lab that has any (app/cli/lab_commands.cpp).
std::vector<std::unique_ptr<LabCommand>> lab_commands();

// An integer from lo to hi, written as digits (for options of lab commands too).
CLI::Validator integer_in(long long lo, long long hi);

}  // namespace snapscope::cli
