#include "transformer/symmetry_cmd.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "commands.hpp"
#include "snapscope/files.hpp"
#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/transformer_run.hpp"
#include "snapscope/transformer_symmetry.hpp"

namespace snapscope::cli {

namespace {

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, ',');) out.push_back(part);
    return out;
}

class SymmetryCommand : public LabCommand {
public:
    std::string name() const override { return "symmetry"; }
    std::string help() const override {
        return "Print, as JSON, how far the last position's logits move when the prefix is permuted, for each positional "
               "encoding x causal mask x depth (the transformer lab)";
    }
    void declare(CLI::App& sub) override {
        sub.add_option("--preset", opt_.preset, "Start from a preset (default: symmetry-addition)");
        sub.add_option("--config", opt_.config_file, "Start from a config file")->excludes("--preset");
        sub.add_option("--set", opt_.sets, "Override a config key: key=value (repeatable)");
        sub.add_option("--pe", pe_, "Positional encodings to check: none,sinusoidal,learned (default: all three; with model.init_from: the one its weights were trained with)");
        sub.add_option("--causal", causal_, "Masks to check: off,on (default: both)");
        sub.add_option("--layers", layers_, "Depths to check, e.g. 1,2,3 (default 1,2,3, whatever model.layers says; with model.init_from: the model's)");
        sub.add_option("--permutations", perms_, "Random permutations per case (default 20)")->check(integer_in(1, 100000));
        sub.add_option("--length", length_, "Sequence length n (default: the model's longest, at most 16)")->check(integer_in(2, 4096));
    }
    int run() override {
        return guarded([&] {
            FlatConfig none;
            RunOptions o = opt_;
            if (o.preset.empty() && o.config_file.empty()) {
                o.preset = "symmetry-addition";
            }
            const Config cfg = build_run_config(o);
            if (cfg.model.kind != "transformer")
                throw ConfigError("model.kind", "symmetry: model.kind is '" + cfg.model.kind + "'; the symmetry checks are of the transformer lab's model");
            // The model the config describes (its vocabulary and length from its data), random or from init_from.
            const TransformerRun probe(cfg);
            const TransformerSpec base = probe.engine().spec();
            const TransformerSettings& t = transformer_settings(cfg);
            std::vector<double> weights;
            const bool from_file = !t.init_from.empty();
            if (from_file) weights = probe.engine().params();
            // With weights from a file, the encoding they were trained with (final.json records it), else the config's.
            std::string file_pe = pos_encoding_name(base.pe);
            if (from_file) {
                const nlohmann::json arch = transformer_weights_architecture(t.init_from, memory_limit_bytes(cfg));
                if (arch.is_object() && arch.contains("model.pos_encoding") && arch["model.pos_encoding"].is_string())
                    file_pe = arch["model.pos_encoding"].get<std::string>();
            }
            std::vector<SymmetryCase> cases;
            const std::vector<std::string> pes = pe_.empty() ? (from_file ? std::vector<std::string>{file_pe}
                                                                          : std::vector<std::string>{"none", "sinusoidal", "learned"})
                                                             : split(pe_);
            const std::vector<std::string> masks = causal_.empty() ? std::vector<std::string>{"off", "on"} : split(causal_);
            std::vector<int> depths;
            if (layers_.empty()) depths = from_file ? std::vector<int>{base.layers} : std::vector<int>{1, 2, 3};
            for (const std::string& l : split(layers_)) {
                int v = 0;
                try {
                    std::size_t used = 0;
                    v = std::stoi(l, &used);
                    if (used != l.size()) throw std::invalid_argument(l);
                } catch (const std::exception&) {
                    throw std::runtime_error("--layers '" + brief_text(l) + "': expected depths from 1 to 8, e.g. 1,2,3");
                }
                if (v < 1 || v > 8) throw std::runtime_error("--layers " + std::to_string(v) + ": depths are 1 to 8");
                depths.push_back(v);
            }
            for (const std::string& p : pes) {
                PosEncoding pe;
                if (p == "none") pe = PosEncoding::None;
                else if (p == "sinusoidal") pe = PosEncoding::Sinusoidal;
                else if (p == "learned") pe = PosEncoding::Learned;
                else throw std::runtime_error("--pe '" + brief_text(p) + "': expected none, sinusoidal or learned");
                if (pe == PosEncoding::Sinusoidal && base.d % 2 != 0) throw std::runtime_error("--pe sinusoidal needs an even model.d_model");
                for (const std::string& m : masks) {
                    if (m != "on" && m != "off") throw std::runtime_error("--causal '" + brief_text(m) + "': expected on or off");
                    for (int l : depths) {
                        if (from_file && (l != base.layers || ((pe == PosEncoding::Learned) != (base.pe == PosEncoding::Learned))))
                            throw std::runtime_error("the weights of model.init_from have " + std::to_string(base.layers) + " layers and " +
                                                     (base.pe == PosEncoding::Learned ? "a" : "no") +
                                                     " learned PE; check other depths or a learned PE with random weights (no model.init_from)");
                        cases.push_back({pe, m == "on", l});
                    }
                }
            }
            const int n = length_ > 0 ? length_ : std::min(16, base.max_len);
            TransformerSpec spec = base;
            spec.max_len = std::max(spec.max_len, n);
            if (from_file && n > base.max_len && base.pe == PosEncoding::Learned)
                throw std::runtime_error("--length " + std::to_string(n) + " is longer than the learned PE's " + std::to_string(base.max_len) + " positions");
            const auto results = symmetry_checks(spec, cases, n, perms_, cfg.train.seed, from_file ? &weights : nullptr);
            StreamSink out(stdout, "standard output");
            JsonWriter w(out);
            w.begin_object();
            w.key("cases").begin_array();
            for (const SymmetryResult& r : results) {
                w.begin_object();
                w.key("causal").value(r.c.causal);
                w.key("equivariance_error").value(r.equivariance_error);
                w.key("equivariant").value(r.equivariant());
                w.key("invariant").value(r.invariant());
                w.key("layers").value(r.c.layers);
                w.key("max_abs_logit").value(r.scale);
                w.key("max_abs_logit_change").value(r.max_change);
                w.key("pos_encoding").value(pos_encoding_name(r.c.pe));
                w.end_object();
            }
            w.end_array();
            w.key("d_model").value(base.d);
            w.key("heads").value(base.heads);
            w.key("layer_norm").value(layer_norm_name(base.ln));
            w.key("length").value(n);
            w.key("mlp").value(base.mlp);
            w.key("permutations").value(perms_);
            w.key("residual").value(base.residual);
            w.key("seed").value(cfg.train.seed);
            w.key("vocab").value(base.vocab);
            w.key("weights").value(from_file ? t.init_from : std::string("random (seed)"));
            w.end_object();
            w.finish();
            out.finish();
            return 0;
        });
    }

private:
    RunOptions opt_;
    std::string pe_, causal_, layers_;
    int perms_ = 20, length_ = 0;
};

}  // namespace

std::unique_ptr<LabCommand> transformer_symmetry_command() { return std::make_unique<SymmetryCommand>(); }

}  // namespace snapscope::cli
