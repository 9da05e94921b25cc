// Directed graphs, strongly connected components (iterative Tarjan: no
// recursion, so graphs with 10^5+ nodes are fine), the condensation DAG and a
// priority layering. Used for the token-priority graphs of Li et al. (2024).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace snapscope {

struct Digraph {
    int n = 0;
    std::vector<std::pair<int, int>> edges;  // (from, to), duplicates allowed
};

struct SccResult {
    std::vector<int> comp;                // node -> component id
    std::vector<std::vector<int>> members;  // component -> nodes (ascending)
    // Condensation: component -> successor components (deduplicated, ascending). Edges go from higher to lower
    // priority (u reaches v: u ranks at least as high as v).
    std::vector<std::vector<int>> dag;
    // Components in priority order: a topological order of the condensation (sources first), ties by smallest
    // member.
    std::vector<int> order;
    // Layer of each component: 0 for sources, else 1 + max layer of its predecessors.
    std::vector<int> layer;
};

// Tarjan's algorithm with an explicit stack. O(n + m).
SccResult strongly_connected_components(const Digraph& g);

}  // namespace snapscope
