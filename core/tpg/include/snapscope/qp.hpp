// A small convex QP solver:   minimise 1/2 sum_i d_i x_i^2   subject to   a_r . x >= b_r  (or = b_r),
// with d_i > 0. Solved on the dual by Hildreth's exact coordinate ascent (each step maximises the concave dual
// in one multiplier, clipped at 0 for inequalities); x = D^-1 A^T lambda. The result carries the KKT
// residuals so callers and tests can see that it is optimal.
#pragma once

#include <functional>
#include <vector>

namespace snapscope {

struct QpConstraint {
    std::vector<std::pair<int, double>> a;  // sparse row: (variable, coefficient)
    double b = 0;
    bool equality = false;
};

struct QpResult {
    std::vector<double> x;
    std::vector<double> lambda;  // one per constraint (>= 0 for inequalities)
    int iterations = 0;
    double work = 0;       // multiply-adds spent (2 per nonzero per sweep)
    bool converged = false;
    bool stopped = false;  // the work budget ran out or it was cancelled
    // KKT residuals: max constraint violation, max |lambda_r * slack_r| over inequalities,
    // min lambda over inequalities (should be >= 0), stationarity max |d_i x_i - (A^T lambda)_i|.
    double primal_violation = 0, complementarity = 0, min_multiplier = 0, stationarity = 0;
};

// Stops (converged = false) after `max_sweeps` sweeps, after about `max_work` multiply-adds (so a large problem
// cannot run for hours), or when `cancelled` says so (checked after every sweep).
QpResult solve_qp(const std::vector<double>& d, const std::vector<QpConstraint>& rows, double tol = 1e-11,
                  int max_sweeps = 200000, double max_work = 2e10, const std::function<bool()>& cancelled = nullptr);

// Recomputes the KKT residuals of a candidate (x, lambda) (used by tests).
void qp_kkt(const std::vector<double>& d, const std::vector<QpConstraint>& rows, QpResult& r);

}  // namespace snapscope
