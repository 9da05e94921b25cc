#include "snapscope/qp.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace snapscope {

void qp_kkt(const std::vector<double>& d, const std::vector<QpConstraint>& rows, QpResult& r) {
    r.primal_violation = r.complementarity = r.stationarity = 0;
    r.min_multiplier = 0;
    std::vector<double> atl(d.size(), 0.0);
    for (std::size_t k = 0; k < rows.size(); ++k) {
        double ax = 0;
        for (const auto& [i, c] : rows[k].a) {
            ax += c * r.x[i];
            atl[i] += c * r.lambda[k];
        }
        const double slack = ax - rows[k].b;
        if (rows[k].equality) {
            r.primal_violation = std::max(r.primal_violation, std::abs(slack));
        } else {
            r.primal_violation = std::max(r.primal_violation, -slack);
            r.complementarity = std::max(r.complementarity, std::abs(r.lambda[k] * slack));
            r.min_multiplier = std::min(r.min_multiplier, r.lambda[k]);
        }
    }
    for (std::size_t i = 0; i < d.size(); ++i) r.stationarity = std::max(r.stationarity, std::abs(d[i] * r.x[i] - atl[i]));
}

QpResult solve_qp(const std::vector<double>& d, const std::vector<QpConstraint>& rows, double tol, int max_sweeps, double max_work,
                  const std::function<bool()>& cancelled) {
    for (double v : d)
        if (!(v > 0)) throw std::invalid_argument("solve_qp: the diagonal must be positive");
    QpResult r;
    r.x.assign(d.size(), 0.0);
    r.lambda.assign(rows.size(), 0.0);
    // g_r = a_r D^-1 a_r (curvature of the dual along lambda_r).
    std::vector<double> g(rows.size(), 0.0);
    for (std::size_t k = 0; k < rows.size(); ++k)
        for (const auto& [i, c] : rows[k].a) g[k] += c * c / d[i];
    double nnz = 0;
    for (const auto& row : rows) nnz += static_cast<double>(row.a.size());
    const double sweep_work = std::max(1.0, 2 * nnz);
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
        if (r.work + sweep_work > max_work || (cancelled && cancelled())) {
            r.stopped = true;
            break;
        }
        r.work += sweep_work;
        double change = 0;
        for (std::size_t k = 0; k < rows.size(); ++k) {
            if (g[k] == 0) continue;
            double ax = 0;
            for (const auto& [i, c] : rows[k].a) ax += c * r.x[i];
            double next = r.lambda[k] + (rows[k].b - ax) / g[k];
            if (!rows[k].equality) next = std::max(0.0, next);
            const double delta = next - r.lambda[k];
            if (delta == 0) continue;
            r.lambda[k] = next;
            for (const auto& [i, c] : rows[k].a) r.x[i] += delta * c / d[i];
            change = std::max(change, std::abs(delta) * std::sqrt(g[k]));
        }
        r.iterations = sweep + 1;
        if (change < tol) {
            r.converged = true;
            break;
        }
    }
    qp_kkt(d, rows, r);
    return r;
}

}  // namespace snapscope
