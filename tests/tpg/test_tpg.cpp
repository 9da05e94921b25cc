// Token-priority-graph lab: SCCs, the graph-SVM QP, soft composition, gradients and the paper's checks
// (theory.md section 2).
#include <gtest/gtest.h>

#include <cmath>

#include <Eigen/QR>
#include <functional>
#include <map>

#include "snapscope/graph.hpp"
#include "snapscope/qp.hpp"
#include "snapscope/tpg.hpp"
#include "snapscope/tpg_analysis.hpp"
#include "snapscope/tpg_run.hpp"
#include "test_util.hpp"

using namespace snapscope;

namespace {

std::vector<std::vector<char>> reachability(const Digraph& g) {
    std::vector<std::vector<char>> r(g.n, std::vector<char>(g.n, 0));
    for (int i = 0; i < g.n; ++i) r[i][i] = 1;
    for (const auto& e : g.edges) r[e.first][e.second] = 1;
    for (int k = 0; k < g.n; ++k)
        for (int i = 0; i < g.n; ++i)
            if (r[i][k])
                for (int j = 0; j < g.n; ++j)
                    if (r[k][j]) r[i][j] = 1;
    return r;
}

Config tpg_config(const std::vector<std::string>& sets = {}) {
    FlatConfig f;
    apply_assignment(f, "model.kind=tpg");
    apply_assignment(f, "train.optimizer=normalized_gd");
    apply_assignment(f, "train.lr=0.01");
    apply_assignment(f, "data.vocab_size=4");
    for (const auto& s : sets) apply_assignment(f, s);
    return resolve_config(f, "test");
}

TpgDataset chain() {
    return {4, {{{0, 1, 3}, 0}, {{1, 2, 3}, 1}, {{2, 3}, 2}}, {}};
}

TpgDataset cycle() {
    return {3, {{{0, 1, 2}, 0}, {{0, 1, 2}, 0}, {{0, 1, 2}, 1}}, {}};
}

}  // namespace

TEST(Tarjan, MatchesBruteForceReachabilityOnRandomGraphs) {
    Rng rng(17);
    for (int trial = 0; trial < 200; ++trial) {
        Digraph g;
        g.n = 1 + static_cast<int>(rng.below(25));
        const int m = static_cast<int>(rng.below(3 * g.n + 1));
        for (int e = 0; e < m; ++e) g.edges.emplace_back(static_cast<int>(rng.below(g.n)), static_cast<int>(rng.below(g.n)));
        const SccResult s = strongly_connected_components(g);
        const auto r = reachability(g);
        for (int i = 0; i < g.n; ++i)
            for (int j = 0; j < g.n; ++j) ASSERT_EQ(s.comp[i] == s.comp[j], r[i][j] && r[j][i]) << trial << " " << i << " " << j;
        // The order is topological: no condensation edge goes backwards.
        std::vector<int> pos(s.members.size());
        for (std::size_t p = 0; p < s.order.size(); ++p) pos[s.order[p]] = static_cast<int>(p);
        ASSERT_EQ(s.order.size(), s.members.size());
        for (std::size_t c = 0; c < s.dag.size(); ++c)
            for (int d : s.dag[c]) {
                ASSERT_LT(pos[c], pos[d]);
                ASSERT_LT(s.layer[c], s.layer[d]);
            }
    }
}

TEST(Tarjan, HundredThousandNodesWithoutRecursion) {
    // A path of 10^5 nodes (depth-first recursion would need 10^5 frames) closed into one big cycle, plus a
    // second long path hanging off it.
    Digraph g;
    const int n = 200000;
    g.n = n;
    for (int i = 0; i + 1 < n / 2; ++i) g.edges.emplace_back(i, i + 1);
    g.edges.emplace_back(n / 2 - 1, 0);
    for (int i = n / 2; i + 1 < n; ++i) g.edges.emplace_back(i, i + 1);
    g.edges.emplace_back(0, n / 2);
    const SccResult s = strongly_connected_components(g);
    EXPECT_EQ(s.members.size(), static_cast<std::size_t>(1 + n / 2));
    EXPECT_EQ(s.comp[0], s.comp[n / 2 - 1]);
    EXPECT_NE(s.comp[n / 2], s.comp[n / 2 + 1]);
    EXPECT_EQ(s.layer[s.comp[n - 1]], n / 2);
}

TEST(Qp, SolutionsSatisfyKktOnRandomDags) {
    Rng rng(5);
    for (int trial = 0; trial < 100; ++trial) {
        const int n = 2 + static_cast<int>(rng.below(12));
        std::vector<double> d(n);
        for (double& v : d) v = 0.5 + 4 * rng.uniform();
        std::vector<QpConstraint> rows;
        for (int u = 0; u < n; ++u)
            for (int v = u + 1; v < n; ++v)
                if (rng.uniform() < 0.3) rows.push_back({{{u, 1.0}, {v, -1.0}}, 1.0, false});
        const QpResult r = solve_qp(d, rows);
        EXPECT_TRUE(r.converged) << trial;
        EXPECT_LT(r.primal_violation, 1e-9) << trial;
        EXPECT_LT(r.complementarity, 1e-9) << trial;
        EXPECT_GE(r.min_multiplier, 0.0) << trial;
        EXPECT_LT(r.stationarity, 1e-9) << trial;
        // Optimality: no feasible random perturbation direction improves the objective to first order
        // beyond what the multipliers allow (checked through KKT above); spot-check with a feasible shift.
        std::vector<double> x = r.x;
        for (double& v : x) v += 0.01;  // shifting every h keeps h_u - h_v
        double f0 = 0, f1 = 0;
        for (int i = 0; i < n; ++i) {
            f0 += 0.5 * d[i] * r.x[i] * r.x[i];
            f1 += 0.5 * d[i] * x[i] * x[i];
        }
        EXPECT_LE(f0, f1 + 1e-12);
    }
}

TEST(TpgModel, GradientMatchesFiniteDifferences) {
    for (const char* emb : {"onehot", "ortho", "random", "equicorr"}) {
        Rng rng(3);
        const int K = 5, d = std::string(emb) == "onehot" ? 5 : 7;
        TpgModel m(make_embeddings(emb, K, d, 0.4, rng));
        for (int i = 0; i < d; ++i)
            for (int j = 0; j < d; ++j) m.W(i, j) = rng.uniform(-1, 1);
        const std::vector<TpgSample> samples = {{{0, 1, 2, 4}, 1}, {{3, 3, 0, 2}, 3}, {{4, 1, 2}, 4}, {{1, 0, 3}, 0}};
        Eigen::MatrixXd g = Eigen::MatrixXd::Zero(d, d);
        m.loss(samples, &g);
        const double h = 1e-6;
        for (int i = 0; i < d; ++i)
            for (int j = 0; j < d; ++j) {
                const double keep = m.W(i, j);
                m.W(i, j) = keep + h;
                const double up = m.loss(samples, nullptr);
                m.W(i, j) = keep - h;
                const double down = m.loss(samples, nullptr);
                m.W(i, j) = keep;
                EXPECT_NEAR(g(i, j), (up - down) / (2 * h), 1e-7) << emb << " " << i << "," << j;
            }
    }
}

TEST(TpgModel, EmbeddingsHaveTheirGeometry) {
    Rng rng(1);
    const Eigen::MatrixXd o = make_embeddings("ortho", 6, 8, 0, rng);
    EXPECT_LT((o * o.transpose() - Eigen::MatrixXd::Identity(6, 6)).cwiseAbs().maxCoeff(), 1e-12);
    const Eigen::MatrixXd e = make_embeddings("equicorr", 5, 8, 0.3, rng);
    const Eigen::MatrixXd G = e * e.transpose();
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) EXPECT_NEAR(G(i, j), i == j ? 1.0 : 0.3, 1e-12);
    const Eigen::MatrixXd r = make_embeddings("random", 5, 3, 0, rng);
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(r.row(i).norm(), 1.0, 1e-12);
    EXPECT_THROW(make_embeddings("ortho", 6, 4, 0, rng), ConfigError);
}

TEST(TpgGraph, AcyclicChainSvmColumn) {
    const TpgDataset data = chain();
    const auto graphs = token_priority_graphs(data);
    ASSERT_EQ(graphs.size(), 1u);
    EXPECT_EQ(graphs[0].query, 3);
    EXPECT_EQ(graphs[0].scc.members.size(), 4u);  // singletons
    // Priority 0 > 1 > 2 > 3.
    std::vector<int> order;
    for (int c : graphs[0].scc.order) order.push_back(graphs[0].scc.members[c][0]);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
    const SvmResult svm = graph_svm(data, graphs, Eigen::MatrixXd::Identity(4, 4), true);
    EXPECT_TRUE(svm.converged);
    const double want[4] = {1.5, 0.5, -0.5, -1.5};
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(svm.W(j, 3), want[j], 1e-9) << j;
    EXPECT_NEAR(svm.W.leftCols(3).cwiseAbs().maxCoeff(), 0.0, 1e-15);
    // The general d x d solver finds the same matrix.
    const SvmResult general = graph_svm(data, graphs, Eigen::MatrixXd::Identity(4, 4), false);
    EXPECT_LT((general.W - svm.W).cwiseAbs().maxCoeff(), 1e-7);
    EXPECT_LT(general.primal_violation, 1e-9);
    EXPECT_LT(general.complementarity, 1e-9);
}

TEST(TpgGraph, CycleSvmColumnAndSoftComposition) {
    const TpgDataset data = cycle();
    const auto graphs = token_priority_graphs(data);
    const auto& g = graphs[0];
    EXPECT_EQ(g.scc.comp[0], g.scc.comp[1]);
    EXPECT_NE(g.scc.comp[0], g.scc.comp[2]);
    EXPECT_EQ(g.scc.members[g.scc.order[0]], (std::vector<int>{0, 1}));  // {0,1} above {2}
    const SvmResult svm = graph_svm(data, graphs, Eigen::MatrixXd::Identity(3, 3), true);
    EXPECT_NEAR(svm.W(0, 2), 1.0 / 3, 1e-9);
    EXPECT_NEAR(svm.W(1, 2), 1.0 / 3, 1e-9);
    EXPECT_NEAR(svm.W(2, 2), -2.0 / 3, 1e-9);
    const FinResult fin = soft_composition(data, graphs, Eigen::MatrixXd::Identity(3, 3));
    EXPECT_TRUE(fin.converged);
    EXPECT_EQ(fin.reduced.size(), 3u);
    EXPECT_NEAR(fin.W_fin(0, 2) - fin.W_fin(1, 2), std::log(2.0), 1e-8);
    EXPECT_NEAR(fin.W_fin(0, 2) + fin.W_fin(1, 2), 0.0, 1e-8);  // in S_fin: centred within the SCC
    EXPECT_EQ(top_scc(g, {2, 0, 2}), g.scc.comp[0]);
    EXPECT_EQ(top_scc(g, {2, 2}), g.scc.comp[2]);
}

TEST(TpgTraining, AcyclicChainConvergesToTheSvmDirection) {
    TpgRun run(tpg_config({"train.steps=4000"}), chain());
    ASSERT_EQ(run.run(4000), 4000);
    run.record_now();
    const TpgMetrics& m = run.history().back().metrics;
    EXPECT_GE(m.corr_svm, 0.999);
    for (const TpgSample& s : run.data().samples) {
        const auto att = run.model().attention(s.tokens);
        double on_label = 0;
        for (std::size_t t = 0; t < att.size(); ++t)
            if (s.tokens[t] == s.label) on_label += att[t];
        EXPECT_GT(on_label, 0.99);
    }
    EXPECT_GT(m.top_scc_mass, 0.99);
}

TEST(TpgTraining, CycleComposesSoftlyInsideTheTopScc) {
    TpgRun run(tpg_config({"data.vocab_size=3"}), cycle());
    run.run(4000);
    run.record_now();
    const auto att = run.model().attention({0, 1, 2});
    EXPECT_NEAR(att[0], 2.0 / 3, 0.01);
    EXPECT_NEAR(att[1], 1.0 / 3, 0.01);
    EXPECT_NEAR(att[2], 0.0, 0.01);
    EXPECT_NEAR(run.model().W(0, 2) - run.model().W(1, 2), std::log(2.0), 0.02);
    const TpgMetrics& m = run.history().back().metrics;
    const TpgMetrics& m0 = run.history()[0].metrics;
    EXPECT_GT(m.corr_fit, 0.99);   // W ~ R W_svm + W_fin (the untouched init in columns 0, 1 keeps it below 1)
    EXPECT_GT(m.corr_fit, m0.corr_fit);
    EXPECT_LT(m.proj_dist, 0.05);  // the part of W inside S_fin is W_fin
    EXPECT_GT(m.top_scc_mass, 0.99);
}

TEST(TpgData, GeneratorHonoursTheGraphRequirement) {
    Rng rng(9);
    for (int rep = 0; rep < 5; ++rep) {
        const TpgDataset c = generate_tpg(6, 4, 6, "cyclic", rng);
        bool cyclic = false;
        for (const auto& g : token_priority_graphs(c))
            for (const auto& m : g.scc.members) cyclic = cyclic || m.size() > 1;
        EXPECT_TRUE(cyclic);
        const TpgDataset a = generate_tpg(4, 6, 8, "acyclic", rng);
        for (const auto& g : token_priority_graphs(a))
            for (const auto& m : g.scc.members) EXPECT_EQ(m.size(), 1u);
        for (const auto& s : a.samples) {
            EXPECT_EQ(s.tokens.size(), 6u);
            EXPECT_NE(std::find(s.tokens.begin(), s.tokens.end(), s.label), s.tokens.end());  // label present
            std::vector<int> sorted = s.tokens;
            std::sort(sorted.begin(), sorted.end());
            EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());  // distinct tokens (T <= K)
        }
    }
}

TEST(TpgGraph, SparseColumnsWithoutEmbeddingsAndSizeLimits) {
    const TpgDataset data = chain();
    const auto graphs = token_priority_graphs(data);
    const SvmResult cols = graph_svm(data, graphs, Eigen::MatrixXd(), true);
    ASSERT_EQ(cols.columns.size(), 1u);
    EXPECT_EQ(cols.columns[0].query, 3);
    for (const auto& [t, h] : cols.columns[0].values) EXPECT_NEAR(h, 1.5 - t, 1e-9);
    // A general problem beyond the limits is skipped with a reason, not solved for minutes.
    Rng rng(2);
    TpgDataset big = generate_tpg(3000, 6, 200, "any", rng);
    const auto bg = token_priority_graphs(big);
    const SvmResult skipped = graph_svm(big, bg, make_embeddings("random", 200, 70, 0, rng), false);  // 4900 variables
    EXPECT_FALSE(skipped.converged);
    EXPECT_NE(skipped.skipped.find("constraints"), std::string::npos);
}

TEST(TpgGraph, SvmQpsShareOneWorkBudget) {
    // A chain of 3000 tokens under one query: the QPs stop within the budget given and say W_svm is approximate;
    // a short chain converges well inside it, to the exact column (h_t = (n-1)/2 - t on a chain of equal weights).
    TpgDataset data{3001, {}, {}};
    for (int i = 0; i + 1 < 3000; ++i) data.samples.push_back({{i, i + 1, 3000}, i});
    const auto graphs = token_priority_graphs(data);
    const SvmResult cut = graph_svm(data, graphs, Eigen::MatrixXd(), true, 1ULL << 30, nullptr, 1e6);
    EXPECT_LE(cut.work, 1e6);
    EXPECT_GT(cut.work, 0.5e6);
    EXPECT_FALSE(cut.converged);
    EXPECT_NE(cut.skipped.find("approximate"), std::string::npos) << cut.skipped;
    TpgDataset small{11, {}, {}};
    for (int i = 0; i + 1 < 10; ++i) small.samples.push_back({{i, i + 1, 10}, i});
    const SvmResult full = graph_svm(small, token_priority_graphs(small), Eigen::MatrixXd(), true);
    EXPECT_TRUE(full.converged);
    EXPECT_TRUE(full.skipped.empty()) << full.skipped;
    EXPECT_LT(full.work, kSvmWorkBudget);
}

// ---- Issue 10, point 10: the paper's settings and definitions ------------------------------------------------------

TEST(TpgPaper, RandomUnitEmbeddingsGiveThePapersCyclicCorrelations) {
    // The paper's cyclic experiment uses random unit-norm embeddings: final corr(W, W_svm) 0.976-0.993 over 10
    // trials. Orthonormal embeddings land above that range.
    double mean_random = 0, mean_ortho = 0;
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        TpgRun r(test::preset_with("tpg-cyclic-random", {"train.seed=" + std::to_string(seed)}));
        r.run(4000);
        r.record_now();
        const double c = r.history().back().metrics.corr_svm;
        EXPECT_GT(c, 0.96) << seed;
        EXPECT_LT(c, 0.995) << seed;
        mean_random += c / 10;
        TpgRun o(test::preset_with("tpg-cyclic", {"train.seed=" + std::to_string(seed)}));
        o.run(4000);
        o.record_now();
        mean_ortho += o.history().back().metrics.corr_svm / 10;
    }
    EXPECT_GT(mean_random, 0.976);
    EXPECT_LT(mean_random, 0.993);
    EXPECT_GT(mean_ortho, 0.993);
}

TEST(TpgPaper, PaperMetricsFollowTheirDefinitions) {
    TpgRun run(tpg_config({"data.vocab_size=3", "model.embedding=random", "model.dim=5"}), cycle());
    run.record_now();
    const TpgMetrics m0 = run.history().back().metrics;
    // W_fin(0) = 0: the distance is |Pi W(0)|.
    const FinResult& fin = run.fin();
    const Eigen::MatrixXd pinv = fin.basis.completeOrthogonalDecomposition().pseudoInverse();
    auto project = [&](const Eigen::MatrixXd& W) {
        const Eigen::Map<const Eigen::VectorXd> w(W.data(), W.size());
        Eigen::VectorXd p = fin.basis * (pinv * w);
        return Eigen::MatrixXd(Eigen::Map<Eigen::MatrixXd>(p.data(), W.rows(), W.cols()));
    };
    EXPECT_NEAR(m0.proj_dist_tau, project(run.model().W).norm(), 1e-12);
    run.run(2000);
    run.record_now();
    const TpgMetrics m = run.history().back().metrics;
    const Eigen::MatrixXd& W = run.model().W;
    EXPECT_NEAR(m.proj_corr, matrix_corr(run.svm().W, W - project(W)), 1e-10);
    EXPECT_NEAR(m.proj_dist_tau, (project(W) - run.w_fin_tau()).norm(), 1e-10);
    EXPECT_LT(m.proj_dist_tau, 0.05);  // W_fin(tau) tracks the part of W inside S_fin
    EXPECT_GE(m.max_scc_mass, m.top_scc_mass - 1e-12);
    EXPECT_GT(m.max_scc_mass, 0.99);
    // The maximum over SCCs, by hand.
    double best = 0;
    for (const TpgSample& s : run.data().samples) {
        const QueryGraph& g = *find_graph(run.graphs(), s.query());
        const auto att = run.model().attention(s.tokens);
        std::map<int, double> per;
        for (std::size_t t = 0; t < att.size(); ++t) per[g.comp_of(s.tokens[t])] += att[t];
        double b = 0;
        for (const auto& [c, v] : per) b = std::max(b, v);
        best += b / run.data().samples.size();
    }
    EXPECT_NEAR(m.max_scc_mass, best, 1e-12);
}

TEST(TpgTraining, LossFallsUnderEveryOptimiser) {
    // A sign flip in an update (gradient ascent) passed every test before: the loss must fall under each optimiser the
    // GUI offers, and corr(W, W_svm) must rise.
    for (const char* opt : {"normalized_gd", "gd", "momentum"}) {
        TpgRun run(test::preset_with("tpg-acyclic", {std::string("train.optimizer=") + opt, opt == std::string("normalized_gd") ? "train.lr=0.01" : "train.lr=0.5"}));
        run.run(600);
        run.record_now();
        const auto& h = run.history();
        EXPECT_LT(h.back().loss, 0.7 * h[0].loss) << opt;
        EXPECT_GT(h.back().metrics.corr_svm, h[0].metrics.corr_svm + 0.1) << opt;
    }
}
