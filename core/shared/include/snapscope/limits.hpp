// Memory limits. Every allocation that grows with an input (vocabulary, dimension, batch, steps, samples, grid
// size, history) is estimated in bytes before it is made and refused, naming the key to change, when it would
// not fit in limits.memory_mb. Running out of memory anyway (another program took it) surfaces as
// std::bad_alloc, which the tools turn into a clear error.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "snapscope/config.hpp"

namespace snapscope {

// This machine's physical memory (0 if unknown).
std::uint64_t physical_memory_bytes();
// limits.memory_mb in bytes; 0 means three quarters of the physical memory (8 GiB if that is unknown).
std::uint64_t memory_limit_bytes(const Config& cfg);
// history.budget_mb in bytes.
std::uint64_t history_budget_bytes(const Config& cfg);

// "12.3 MiB", "4.0 GiB", "512 bytes".
std::string format_bytes(double bytes);

// A breakdown of what a run will hold, part by part, with the key that sizes each part.
struct MemoryEstimate {
    struct Part {
        std::string what;  // "the model's Z and Y with their gradients and momentum buffers"
        std::string key;   // the key to lower ("data.vocab_size")
        double bytes = 0;
    };
    std::vector<Part> parts;
    void add(std::string what, std::string key, double bytes) { parts.push_back({std::move(what), std::move(key), bytes}); }
    double total() const;
    // Throws ConfigError naming the largest part's key when total() > limit.
    void check(std::uint64_t limit, const std::string& source) const;
};

// Records of `record_bytes` that fit `share` of history.budget_mb (at most history.capacity). Throws ConfigError
// naming history.budget_mb when fewer than 4 fit.
std::size_t history_records(const Config& cfg, double share, double record_bytes, const std::string& what);

}  // namespace snapscope
