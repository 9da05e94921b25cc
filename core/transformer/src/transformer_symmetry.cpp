#include "snapscope/transformer_symmetry.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace snapscope {

namespace {

Eigen::MatrixXd all_logits(Transformer<double>& m, const std::vector<std::int32_t>& tokens) {
    SeqBatch b;
    b.add(tokens, std::vector<std::int32_t>(tokens.size(), -1));
    m.forward(b, nullptr, true);
    return m.logits();
}

void shuffle(std::vector<int>& v, std::size_t count, Rng& rng) {
    for (std::size_t i = count; i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(rng.below(i))]);
}

}  // namespace

std::vector<double> last_logits(Transformer<double>& model, const std::vector<std::int32_t>& tokens) {
    const Eigen::MatrixXd l = all_logits(model, tokens);
    const auto row = l.row(l.rows() - 1);
    return std::vector<double>(row.data(), row.data() + row.size());
}

std::vector<SymmetryResult> symmetry_checks(const TransformerSpec& base, const std::vector<SymmetryCase>& cases, int n, int permutations,
                                            std::uint64_t seed, const std::vector<double>* weights) {
    if (n < 2 || n > base.max_len) throw std::invalid_argument("symmetry: the sequence length must be 2 to the model's max_len");
    std::vector<SymmetryResult> out;
    for (const SymmetryCase& c : cases) {
        TransformerSpec s = base;
        s.pe = c.pe;
        s.causal = c.causal;
        s.layers = c.layers;
        s.dropout = 0;
        Transformer<double> m(s);
        Rng rng(seed);
        if (weights) {
            if (weights->size() != m.params.size() || transformer_tensors(s).size() != transformer_tensors(base).size())
                throw std::invalid_argument(std::string("the weights do not fit a model with PE ") + pos_encoding_name(c.pe) + " and " +
                                            std::to_string(c.layers) + " layers");
            m.params.assign(weights->begin(), weights->end());
        } else {
            m.init(rng);
        }
        Rng seq_rng(seed ^ 0x5EC0E5CEULL);
        std::vector<std::int32_t> x(static_cast<std::size_t>(n));
        for (auto& t : x) t = static_cast<std::int32_t>(seq_rng.below(static_cast<std::uint64_t>(s.vocab)));
        const Eigen::MatrixXd ref = all_logits(m, x);
        SymmetryResult r;
        r.c = c;
        r.scale = ref.cwiseAbs().maxCoeff();
        std::vector<int> perm(static_cast<std::size_t>(n));
        std::vector<std::int32_t> y(x.size());
        for (int k = 0; k < permutations; ++k) {
            // Positions 0..n-2 permuted, the last kept.
            std::iota(perm.begin(), perm.end(), 0);
            shuffle(perm, static_cast<std::size_t>(n - 1), seq_rng);
            for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])];
            const Eigen::MatrixXd p = all_logits(m, y);
            r.max_change = std::max(r.max_change, (p.row(n - 1) - ref.row(n - 1)).cwiseAbs().maxCoeff());
            // All positions permuted: an equivariant model's outputs permute the same way.
            std::iota(perm.begin(), perm.end(), 0);
            shuffle(perm, static_cast<std::size_t>(n), seq_rng);
            for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])];
            const Eigen::MatrixXd q = all_logits(m, y);
            for (int i = 0; i < n; ++i)
                r.equivariance_error = std::max(r.equivariance_error, (q.row(i) - ref.row(perm[static_cast<std::size_t>(i)])).cwiseAbs().maxCoeff());
        }
        out.push_back(r);
    }
    return out;
}

}  // namespace snapscope
