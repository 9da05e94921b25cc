#include "snapscope/graph.hpp"

#include <algorithm>
#include <queue>

namespace snapscope {

SccResult strongly_connected_components(const Digraph& g) {
    const int n = g.n;
    // CSR adjacency.
    std::vector<int> start(n + 1, 0), adj(g.edges.size());
    for (const auto& e : g.edges) ++start[e.first + 1];
    for (int i = 0; i < n; ++i) start[i + 1] += start[i];
    {
        std::vector<int> fill(start.begin(), start.end() - 1);
        for (const auto& e : g.edges) adj[fill[e.first]++] = e.second;
    }
    std::vector<int> index(n, -1), low(n, 0), comp(n, -1);
    std::vector<char> on_stack(n, 0);
    std::vector<int> stack;
    std::vector<std::pair<int, int>> call;  // (node, next edge position)
    int counter = 0, ncomp = 0;
    for (int root = 0; root < n; ++root) {
        if (index[root] >= 0) continue;
        call.emplace_back(root, start[root]);
        index[root] = low[root] = counter++;
        stack.push_back(root);
        on_stack[root] = 1;
        while (!call.empty()) {
            auto& [v, pos] = call.back();
            if (pos < start[v + 1]) {
                const int w = adj[pos++];
                if (index[w] < 0) {
                    index[w] = low[w] = counter++;
                    stack.push_back(w);
                    on_stack[w] = 1;
                    call.emplace_back(w, start[w]);
                } else if (on_stack[w]) {
                    low[v] = std::min(low[v], index[w]);
                }
                continue;
            }
            // v is finished.
            if (low[v] == index[v]) {
                int w;
                do {
                    w = stack.back();
                    stack.pop_back();
                    on_stack[w] = 0;
                    comp[w] = ncomp;
                } while (w != v);
                ++ncomp;
            }
            const int done = v;
            call.pop_back();
            if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
        }
    }
    SccResult r;
    r.comp = comp;
    r.members.assign(ncomp, {});
    for (int v = 0; v < n; ++v) r.members[comp[v]].push_back(v);
    r.dag.assign(ncomp, {});
    std::vector<int> indeg(ncomp, 0);
    for (const auto& e : g.edges) {
        const int a = comp[e.first], b = comp[e.second];
        if (a != b) r.dag[a].push_back(b);
    }
    for (auto& d : r.dag) {
        std::sort(d.begin(), d.end());
        d.erase(std::unique(d.begin(), d.end()), d.end());
        for (int b : d) ++indeg[b];
    }
    // Kahn's algorithm, smallest first member first among ready components.
    auto key = [&](int c) { return r.members[c].front(); };
    auto cmp = [&](int a, int b) { return key(a) > key(b); };
    std::priority_queue<int, std::vector<int>, decltype(cmp)> ready(cmp);
    r.layer.assign(ncomp, 0);
    for (int c = 0; c < ncomp; ++c)
        if (indeg[c] == 0) ready.push(c);
    while (!ready.empty()) {
        const int c = ready.top();
        ready.pop();
        r.order.push_back(c);
        for (int b : r.dag[c]) {
            r.layer[b] = std::max(r.layer[b], r.layer[c] + 1);
            if (--indeg[b] == 0) ready.push(b);
        }
    }
    return r;
}

}  // namespace snapscope
