#include "snapscope/tpg_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include <Eigen/Cholesky>
#include <Eigen/QR>

namespace snapscope {

namespace {

void worst(SvmResult& s, const QpResult& q) {
    s.converged = s.converged && q.converged;
    s.primal_violation = std::max(s.primal_violation, q.primal_violation);
    s.complementarity = std::max(s.complementarity, q.complementarity);
    s.stationarity = std::max(s.stationarity, q.stationarity);
    s.min_multiplier = std::min(s.min_multiplier, q.min_multiplier);
    s.constraints += static_cast<int>(q.lambda.size());
}

}  // namespace

double matrix_corr(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    const double na = a.norm(), nb = b.norm();
    if (na == 0 || nb == 0) return 0;
    return (a.array() * b.array()).sum() / (na * nb);
}

SvmResult graph_svm(const TpgDataset& data, const std::vector<QueryGraph>& graphs, const Eigen::MatrixXd& E, bool orthonormal,
                    std::uint64_t max_bytes, const std::function<bool()>& cancelled, double max_work) {
    const int d = static_cast<int>(E.cols());
    SvmResult out;
    out.W = Eigen::MatrixXd::Zero(d, d);
    if (orthonormal) {
        // One work budget for all the per-query QPs: each takes an equal share of what is left.
        double left = max_work;
        std::size_t stopped = 0;
        for (std::size_t gi = 0; gi < graphs.size(); ++gi) {
            const QueryGraph& g = graphs[gi];
            const int nc = static_cast<int>(g.scc.members.size());
            std::vector<int> var(nc, -1), count(nc, 0);
            for (std::size_t v = 0; v < g.tokens.size(); ++v) ++count[g.scc.comp[v]];
            std::vector<double> diag;
            for (int c = 0; c < nc; ++c)
                if (count[c] > 0) {
                    var[c] = static_cast<int>(diag.size());
                    diag.push_back(2.0 * count[c]);  // sum_v n_v h_v^2 = 1/2 sum_v (2 n_v) h_v^2
                }
            std::vector<QpConstraint> rows;
            for (int u = 0; u < nc; ++u)
                for (int v : g.scc.dag[u])
                    if (var[u] >= 0 && var[v] >= 0) rows.push_back({{{var[u], 1.0}, {var[v], -1.0}}, 1.0, false});
            if (diag.empty()) continue;
            const QpResult q = solve_qp(diag, rows, 1e-11, 200000, left / static_cast<double>(graphs.size() - gi), cancelled);
            left = std::max(0.0, left - q.work);
            out.work += q.work;
            if (q.stopped) ++stopped;
            worst(out, q);
            SvmColumn col;
            col.query = g.query;
            for (std::size_t v = 0; v < g.tokens.size(); ++v) col.values.emplace_back(g.tokens[v], q.x[var[g.scc.comp[v]]]);
            out.columns.push_back(std::move(col));
        }
        if (stopped > 0)
            out.skipped = "W_svm not converged: " + std::to_string(stopped) + " of the " + std::to_string(graphs.size()) +
                          " per-query QPs stopped on the analysis' work budget (or were cancelled); W_svm is approximate";
        // W = E^T H E with H sparse: W += (E^T h_k) e_k^T per query column.
        if (E.size() > 0)
            for (const SvmColumn& col : out.columns) {
                Eigen::VectorXd v = Eigen::VectorXd::Zero(d);
                for (const auto& [t, h] : col.values) v += h * E.row(t).transpose();
                out.W += v * E.row(col.query);
            }
        return out;
    }
    // General embeddings: variables are the d*d entries of W (column-major), objective 1/2 |W|^2.
    // First the distinct constraints (k, y, j) and the size check, before any row is built.
    std::set<std::tuple<int, int, int>> seen;
    for (const QueryGraph& g : graphs)
        for (int i : g.samples) {
            const TpgSample& s = data.samples[i];
            for (int j : s.tokens)
                if (j != s.label) seen.insert({g.query, s.label, j});
        }
    const double row_bytes = 16.0 * static_cast<double>(seen.size()) * d * d;
    if (row_bytes > static_cast<double>(max_bytes)) {
        out.converged = false;
        out.skipped = "W_svm not computed: its " + std::to_string(seen.size()) + " constraints over d x d = " + std::to_string(d * d) +
                      " variables would need " + format_bytes(row_bytes) + " (limits.memory_mb); use onehot or ortho embeddings, or a smaller set";
        return out;
    }
    if (static_cast<long>(seen.size()) > kMaxSvmConstraints || d * d > kMaxSvmVariables) {
        out.converged = false;
        out.skipped = "W_svm not computed: the d x d problem has " + std::to_string(seen.size()) + " constraints and " +
                      std::to_string(d * d) + " variables (limits " + std::to_string(kMaxSvmConstraints) + " and " +
                      std::to_string(kMaxSvmVariables) + "); use onehot or ortho embeddings, or a smaller set";
        return out;
    }
    std::vector<QpConstraint> rows;
    for (const auto& [k, y, j] : seen) {
        const QueryGraph& g = *find_graph(graphs, k);
        QpConstraint c;
        const Eigen::VectorXd diff = (E.row(y) - E.row(j)).transpose();
        for (int col = 0; col < d; ++col)
            for (int r = 0; r < d; ++r) {
                const double a = diff[r] * E(k, col);
                if (a != 0) c.a.emplace_back(r + col * d, a);
            }
        c.equality = g.comp_of(j) == g.comp_of(y);
        c.b = c.equality ? 0.0 : 1.0;
        rows.push_back(std::move(c));
    }
    const QpResult q = solve_qp(std::vector<double>(static_cast<std::size_t>(d) * d, 1.0), rows, 1e-11, 200000, max_work, cancelled);
    out.work = q.work;
    worst(out, q);
    if (q.stopped)
        out.skipped = "W_svm not converged: the QP over d x d = " + std::to_string(d * d) + " variables and " + std::to_string(rows.size()) +
                      " constraints stopped after " + std::to_string(q.iterations) + " sweeps (its work budget); the result is approximate";
    for (int col = 0; col < d; ++col)
        for (int r = 0; r < d; ++r) out.W(r, col) = q.x[r + col * d];
    return out;
}

Eigen::MatrixXd orthonormal_span(const Eigen::MatrixXd& columns) {
    if (columns.cols() == 0) return Eigen::MatrixXd(columns.rows(), 0);
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(columns.rows(), columns.cols());
    qr.setThreshold(kSpanRankTolerance);
    qr.compute(columns);
    return qr.householderQ() * Eigen::MatrixXd::Identity(columns.rows(), qr.rank());
}

FinResult soft_composition(const TpgDataset& data, const std::vector<QueryGraph>& graphs, const Eigen::MatrixXd& E,
                           std::uint64_t max_bytes, const std::function<bool()>& cancelled) {
    const int d = static_cast<int>(E.cols());
    const std::string dkey = static_cast<int>(E.rows()) == d ? "data.vocab_size" : "model.dim";
    FinResult f;
    // Reduced samples: the sample's tokens in its label's SCC, once each with their counts (the softmax over positions
    // equals the softmax over tokens with log-count offsets), and the (query, SCC) pairs they touch.
    std::map<std::pair<int, int>, std::vector<int>> groups;  // (query, comp) -> members
    double reduced_entries = 0;
    for (const QueryGraph& g : graphs)
        for (int i : g.samples) {
            const TpgSample& s = data.samples[i];
            const int cy = g.comp_of(s.label);
            ReducedSample r;
            r.query = g.query;
            r.label = s.label;
            std::vector<int> in;
            for (int t : s.tokens)
                if (g.comp_of(t) == cy) in.push_back(t);
            std::sort(in.begin(), in.end());
            for (std::size_t a = 0; a < in.size();) {
                std::size_t b = a;
                while (b < in.size() && in[b] == in[a]) ++b;
                r.keys.push_back(in[a]);
                r.counts.push_back(static_cast<double>(b - a));
                a = b;
            }
            if (r.keys.size() < 2) continue;  // no other token of the label's SCC: nothing to mix
            reduced_entries += static_cast<double>(r.keys.size());
            f.reduced.push_back(std::move(r));
            groups[{g.query, cy}] = g.scc.members[cy];
        }
    // Basis of S_fin: vec((e_j - mean of the SCC) e_k^T) for every (query k, SCC) touched and member j.
    std::size_t nb_count = 0, widest_group = 0;
    for (const auto& [key, members] : groups) {
        nb_count += members.size();
        widest_group = std::max(widest_group, members.size());
    }
    const double dd = static_cast<double>(d) * d, nbd = static_cast<double>(nb_count);
    // The basis and its orthonormal factor (d*d x nb each), the design rows of every reduced sample (its tokens x the
    // basis elements of its query's SCC) and the Newton system (nb x nb).
    const double need = 8.0 * (2 * dd * nbd + 3 * nbd * nbd + reduced_entries * static_cast<double>(widest_group) + 4 * nbd * d);
    if (need > static_cast<double>(max_bytes))
        throw ConfigError(dkey, "config: key '" + dkey + "': the soft-composition analysis (W_fin) needs about " + format_bytes(need) +
                                    " (" + std::to_string(nb_count) + " basis matrices of " + std::to_string(d) + " x " + std::to_string(d) +
                                    ", " + std::to_string(f.reduced.size()) + " reduced samples), more than the memory limit of " +
                                    format_bytes(static_cast<double>(max_bytes)) + " (limits.memory_mb); lower " + dkey +
                                    " or use fewer samples");
    // Each basis element b: its query k_b, the vector v_b = e_j - mean (so B_b = v_b e_k^T), its (query, SCC) group.
    std::vector<int> bq;
    std::vector<Eigen::VectorXd> bv;
    for (const auto& [key, members] : groups) {
        Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(d);
        for (int j : members) mean += E.row(j);
        mean /= static_cast<double>(members.size());
        for (int j : members) {
            bq.push_back(key.first);
            bv.push_back((E.row(j) - mean).transpose());
        }
    }
    const int nb = static_cast<int>(bq.size());
    f.basis.resize(static_cast<Eigen::Index>(d) * d, nb);
    for (int b = 0; b < nb; ++b) {
        Eigen::MatrixXd Bb = bv[b] * E.row(bq[b]);
        f.basis.col(b) = Eigen::Map<const Eigen::VectorXd>(Bb.data(), static_cast<Eigen::Index>(d) * d);
    }
    f.W_fin = Eigen::MatrixXd::Zero(d, d);
    if (nb > 0) {
        // An orthonormal basis of span(basis) by a thin column-pivoted QR: projecting onto S_fin is Q Q^T w, at
        // O(d^2 nb) per projection and memory (a pseudo-inverse would solve against a d^2 x d^2 identity).
        f.span = orthonormal_span(f.basis);
    }
    if (f.reduced.empty() || nb == 0) return f;

    // z_t = e_{key_t}^T W e_q with W = sum_b alpha_b v_b e_{k_b}^T: G(t, b) = (e_{key_t} . v_b)(e_{k_b} . e_q). Only the
    // basis elements whose query embedding meets e_q take part (with orthonormal embeddings: the sample's own query).
    struct Rows {
        std::vector<int> cols;  // basis columns
        Eigen::MatrixXd G;      // keys x cols
        Eigen::VectorXd log_count;
        int label_row = -1;
    };
    std::vector<Rows> rows(f.reduced.size());
    // Per query: the basis columns it meets and e_{k_b} . e_q for each (computed once per query, not per sample).
    std::map<int, std::pair<std::vector<int>, std::vector<double>>> meets;
    double work_per_eval = 0;
    for (std::size_t i = 0; i < f.reduced.size(); ++i) {
        const ReducedSample& r = f.reduced[i];
        Rows& w = rows[i];
        auto [it, fresh] = meets.try_emplace(r.query);
        if (fresh)
            for (int b = 0; b < nb; ++b)
                if (const double q = E.row(bq[b]).dot(E.row(r.query)); q != 0) {
                    it->second.first.push_back(b);
                    it->second.second.push_back(q);
                }
        const std::vector<double>& qdot = it->second.second;
        w.cols = it->second.first;
        w.G.resize(static_cast<Eigen::Index>(r.keys.size()), static_cast<Eigen::Index>(w.cols.size()));
        for (std::size_t t = 0; t < r.keys.size(); ++t)
            for (std::size_t c = 0; c < w.cols.size(); ++c)
                w.G(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(c)) = E.row(r.keys[t]).dot(bv[w.cols[c]]) * qdot[c];
        w.log_count.resize(static_cast<Eigen::Index>(r.keys.size()));
        for (std::size_t t = 0; t < r.keys.size(); ++t) {
            w.log_count[static_cast<Eigen::Index>(t)] = std::log(r.counts[t]);
            if (r.keys[t] == r.label) w.label_row = static_cast<int>(t);
        }
        work_per_eval += static_cast<double>(r.keys.size()) * static_cast<double>(w.cols.size()) * static_cast<double>(w.cols.size() + 2);
    }
    const double weight = 1.0 / static_cast<double>(f.reduced.size());
    auto evaluate = [&](const Eigen::VectorXd& a, Eigen::VectorXd* grad, Eigen::MatrixXd* hess) {
        double L = 0;
        if (grad) grad->setZero(nb);
        if (hess) hess->setZero(nb, nb);
        Eigen::VectorXd ac, z, s;
        for (std::size_t i = 0; i < f.reduced.size(); ++i) {
            const Rows& w = rows[i];
            const Eigen::Index m = static_cast<Eigen::Index>(w.cols.size());
            ac.resize(m);
            for (Eigen::Index c = 0; c < m; ++c) ac[c] = a[w.cols[static_cast<std::size_t>(c)]];
            z = w.G * ac + w.log_count;
            const double zmax = z.maxCoeff();
            s = (z.array() - zmax).exp();
            s /= s.sum();
            const double p = s[w.label_row];  // the label's share (q = e_label: one token once aggregated)
            L -= weight * std::log(p);
            if (!grad && !hess) continue;
            // Gradient in z of LSE(z) - z_label: s - e_label. Hessian: diag s - s s^T (no dense keys x keys matrix).
            const Eigen::VectorXd gs = w.G.transpose() * s;
            if (grad) {
                Eigen::VectorXd gz = gs - w.G.row(w.label_row).transpose();
                for (Eigen::Index c = 0; c < m; ++c) (*grad)[w.cols[static_cast<std::size_t>(c)]] += weight * gz[c];
            }
            if (hess) {
                const Eigen::MatrixXd h = w.G.transpose() * s.asDiagonal() * w.G - gs * gs.transpose();
                for (Eigen::Index c = 0; c < m; ++c)
                    for (Eigen::Index e = 0; e < m; ++e) (*hess)(w.cols[static_cast<std::size_t>(c)], w.cols[static_cast<std::size_t>(e)]) += weight * h(c, e);
            }
        }
        return L;
    };
    // Damped Newton with backtracking; the redundant direction per SCC (sum of its coefficients) has zero
    // curvature and zero gradient, so a small ridge is harmless. Its work is bounded (about 2e10 multiply-adds):
    // a very large set stops early, and says so.
    const double per_iteration = 4 * work_per_eval + nbd * nbd * nbd / 3;
    const int max_iterations = static_cast<int>(std::clamp(2e10 / std::max(per_iteration, 1.0), 1.0, 500.0));
    Eigen::VectorXd a = Eigen::VectorXd::Zero(nb), g;
    Eigen::MatrixXd H;
    double L = evaluate(a, &g, &H);
    f.converged = false;
    int it = 0;
    for (; it < max_iterations; ++it) {
        if (cancelled && cancelled()) break;
        if (g.norm() < 1e-12) {
            f.converged = true;
            break;
        }
        const double ridge = 1e-10 * std::max(1.0, H.diagonal().maxCoeff());
        const Eigen::VectorXd step = -(H + ridge * Eigen::MatrixXd::Identity(nb, nb)).ldlt().solve(g);
        double t = 1;
        double Ln = evaluate(a + t * step, nullptr, nullptr);
        while (Ln > L + 1e-4 * t * g.dot(step) && t > 1e-12) {
            t *= 0.5;
            Ln = evaluate(a + t * step, nullptr, nullptr);
        }
        if (!(Ln <= L)) break;
        a += t * step;
        L = evaluate(a, &g, &H);
    }
    if (g.norm() < 1e-9) f.converged = true;
    if (!f.converged && it == max_iterations && max_iterations < 500)
        f.note = "W_fin stopped after " + std::to_string(it) + " Newton iterations (its work budget); it is approximate";
    f.reduced_loss = L;
    f.gradient_norm = g.norm();
    for (int b = 0; b < nb; ++b) f.W_fin += a[b] * (bv[b] * E.row(bq[b]));
    return f;
}

int top_scc(const QueryGraph& g, const std::vector<int>& tokens) {
    std::set<int> present;
    for (int t : tokens) {
        const int c = g.comp_of(t);
        if (c >= 0) present.insert(c);
    }
    // Components reachable from another present component are dominated; the first undominated one in priority
    // order is the top.
    std::set<int> dominated;
    for (int c : present) {
        std::vector<int> stack(g.scc.dag[c].begin(), g.scc.dag[c].end());
        std::set<int> seen;
        while (!stack.empty()) {
            const int x = stack.back();
            stack.pop_back();
            if (!seen.insert(x).second) continue;
            if (present.count(x)) dominated.insert(x);
            for (int y : g.scc.dag[x]) stack.push_back(y);
        }
    }
    for (int c : g.scc.order)
        if (present.count(c) && !dominated.count(c)) return c;
    return -1;
}

double reduced_loss(const Eigen::MatrixXd& E, const Eigen::MatrixXd& W, const std::vector<ReducedSample>& reduced, std::size_t n,
                    Eigen::MatrixXd* grad) {
    double total = 0;
    const double w = 1.0 / static_cast<double>(std::max<std::size_t>(n, 1));
    Eigen::VectorXd acc(E.cols());
    std::vector<double> s;
    for (const ReducedSample& r : reduced) {
        // The positions of a token share its logit: weights = counts.
        const Eigen::VectorXd v = W * E.row(r.query).transpose();
        s.resize(r.keys.size());
        double zmax = -INFINITY;
        for (std::size_t t = 0; t < r.keys.size(); ++t) {
            s[t] = E.row(r.keys[t]).dot(v);
            zmax = std::max(zmax, s[t]);
        }
        double z = 0;
        for (std::size_t t = 0; t < s.size(); ++t) {
            s[t] = r.counts[t] * std::exp(s[t] - zmax);
            z += s[t];
        }
        double p = 0;
        for (std::size_t t = 0; t < s.size(); ++t) {
            s[t] /= z;
            if (r.keys[t] == r.label) p += s[t];
        }
        total -= w * std::log(p);
        if (!grad) continue;
        acc.setZero();
        for (std::size_t t = 0; t < s.size(); ++t) acc += (s[t] - (r.keys[t] == r.label ? s[t] / p : 0.0)) * E.row(r.keys[t]).transpose();
        grad->noalias() += (w * acc) * E.row(r.query);
    }
    return total;
}

TpgMetrics tpg_metrics(const TpgModel& model, const TpgDataset& data, const std::vector<QueryGraph>& graphs, const SvmResult& svm,
                       const FinResult& fin, const Eigen::MatrixXd* w_fin_tau) {
    TpgMetrics m;
    const Eigen::MatrixXd& W = model.W;
    m.corr_svm = matrix_corr(W, svm.W);
    const double ns = svm.W.squaredNorm();
    m.fit_R = ns > 0 ? ((W - fin.W_fin).array() * svm.W.array()).sum() / ns : 0.0;
    m.corr_fit = matrix_corr(W, m.fit_R * svm.W + fin.W_fin);
    Eigen::MatrixXd proj_w = Eigen::MatrixXd::Zero(W.rows(), W.cols());  // Pi_{S_fin} W
    if (fin.span.cols() > 0) {
        const Eigen::Map<const Eigen::VectorXd> w(W.data(), W.size());
        Eigen::Map<Eigen::VectorXd>(proj_w.data(), proj_w.size()) = fin.span * (fin.span.transpose() * w);
    }
    m.proj_dist = (proj_w - fin.W_fin).norm();
    if (w_fin_tau) m.proj_dist_tau = (proj_w - *w_fin_tau).norm();
    m.proj_corr = matrix_corr(svm.W, W - proj_w);
    double mass = 0, best_mass = 0;
    std::vector<double> per_scc;  // (run every recorded step: a vector per SCC, not a map per sample)
    for (const TpgSample& s : data.samples) {
        const QueryGraph& g = *find_graph(graphs, s.query());
        const std::vector<double> att = model.attention(s.tokens);
        const int cy = g.comp_of(s.label);
        per_scc.assign(g.scc.members.size() + 1, 0.0);  // the last slot: a token outside the graph (none in practice)
        for (std::size_t t = 0; t < att.size(); ++t) {
            const int c = g.comp_of(s.tokens[t]);
            if (c == cy) mass += att[t];
            per_scc[c >= 0 ? static_cast<std::size_t>(c) : per_scc.size() - 1] += att[t];
        }
        double best = 0;
        for (double v : per_scc) best = std::max(best, v);
        best_mass += best;
    }
    const double n = static_cast<double>(std::max<std::size_t>(data.samples.size(), 1));
    m.top_scc_mass = mass / n;
    m.max_scc_mass = best_mass / n;
    return m;
}

}  // namespace snapscope
