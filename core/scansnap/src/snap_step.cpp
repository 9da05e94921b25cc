#include "snapscope/snap_step.hpp"

#include <algorithm>
#include <cmath>

namespace snapscope {

std::int64_t snap_step(const std::vector<std::int64_t>& steps, const std::vector<const std::vector<double>*>& attention,
                       std::size_t num_classes, double tol, int window) {
    const std::size_t n = steps.size();
    if (n == 0 || num_classes == 0) return -1;
    const std::size_t A = attention[0]->size();
    const std::size_t L = A / num_classes;  // tokens per class row
    const std::vector<double>& first = *attention[0];
    // Backward: lo/hi hold each coordinate's range over the records from s to the end.
    std::vector<double> lo(A, INFINITY), hi(A, -INFINITY);
    std::int64_t best = -1;
    for (std::size_t k = n; k-- > 0;) {
        const std::vector<double>& c = *attention[k];
        for (std::size_t i = 0; i < A; ++i) {
            lo[i] = std::min(lo[i], c[i]);
            hi[i] = std::max(hi[i], c[i]);
        }
        if (steps.back() < steps[k] + window) continue;  // not enough run after it to tell
        bool frozen = true;
        for (std::size_t cls = 0; cls < num_classes && frozen; ++cls) {
            double envelope = 0, moved = 0;
            for (std::size_t l = cls * L; l < (cls + 1) * L; ++l) {
                envelope += std::max(hi[l] - c[l], c[l] - lo[l]);
                moved += std::abs(c[l] - first[l]);
            }
            frozen = !(0.5 * envelope > tol * 0.5 * moved);  // (NaN: not frozen)
            frozen = frozen && std::isfinite(envelope);
        }
        if (frozen) best = steps[k];  // the smallest such step wins
    }
    return best;
}

std::int64_t snap_step(const std::vector<const MatrixRecord*>& records, std::size_t num_classes, double tol, int window) {
    std::vector<std::int64_t> steps;
    std::vector<const std::vector<double>*> att;
    for (const MatrixRecord* r : records) {
        steps.push_back(r->step);
        att.push_back(&r->attention);
    }
    return snap_step(steps, att, num_classes, tol, window);
}

}  // namespace snapscope
