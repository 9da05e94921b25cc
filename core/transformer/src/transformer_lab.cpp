// The transformer run as a lab (LabRun): its files (config.json, trajectory.csv, final.json with every parameter),
// summary and registry entry.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "snapscope/transformer_run.hpp"
#include "snapscope/transformer_figure.hpp"
#include "snapscope/transformer_text.hpp"

namespace snapscope {

namespace {

void write_trajectory(ByteSink& out, const TransformerRun& run) {
    // A text adds the validation loss and perplexity, the watched batch's attention entropy, the seconds since the
    // run was built and the steps per second since the row before.
    const bool text = run.config().data.kind == "text";
    std::string header = "step,loss";
    for (const char* n : transformer_lr_names()) header += std::string(",") + n;
    out.write(header + ",grad_norm,accuracy" + (text ? ",valid_loss,valid_perplexity,attention_entropy,seconds,steps_per_second" : "") + "\n");
    std::string line;
    std::int64_t prev_step = -1;
    double prev_seconds = 0;
    for (const TransformerRecord& r : run.history()) {
        line = std::to_string(r.step) + ',' + format_double(r.loss);
        for (double v : r.lr) line += ',' + format_double(v);
        line += ',' + format_double(r.grad_norm) + ',' + format_double(r.accuracy);
        if (text) {
            const double rate = prev_step >= 0 && r.seconds > prev_seconds ? static_cast<double>(r.step - prev_step) / (r.seconds - prev_seconds) : NAN;
            line += ',' + format_double(r.valid_loss) + ',' + format_double(std::exp(r.valid_loss)) + ',' + format_double(r.attention_entropy) + ',' +
                    format_double(r.seconds) + ',' + format_double(rate);
            prev_step = r.step;
            prev_seconds = r.seconds;
        }
        out.write(line + '\n');
    }
}

// attention.json: the watched sequence's words and, per pinned step, its maps [layer][head][query][key].
void write_attention(ByteSink& out, const TransformerRun& run) {
    JsonWriter w(out);
    w.begin_object();
    w.key("maps").begin_array();
    for (const PinnedAttention& p : run.pinned_attention()) {
        w.begin_object();
        w.key("attention").begin_array();
        const std::size_t n = p.tokens.size();
        for (int l = 0; l < p.layers; ++l) {
            w.begin_array();
            for (int h = 0; h < p.heads; ++h) {
                w.begin_array();
                for (std::size_t q = 0; q < n; ++q)
                    w.numbers(p.attention.data() + ((static_cast<std::size_t>(l) * p.heads + h) * n + q) * n, n);
                w.end_array();
            }
            w.end_array();
        }
        w.end_array();
        w.key("step").value(p.step);
        w.end_object();
    }
    w.end_array();
    w.key("steps").begin_array();
    for (const PinnedAttention& p : run.pinned_attention()) w.value(p.step);
    w.end_array();
    w.key("words").begin_array();
    if (!run.pinned_attention().empty())
        for (std::int32_t t : run.pinned_attention().front().tokens) w.value(run.source().token_name(t));
    w.end_array();
    w.end_object();
    w.finish();
}

void write_final(ByteSink& out, TransformerRun& run, const RunTiming& t) {
    run.evaluate_now();
    const TransformerRecord& last = run.history().back();
    const TransformerSpec& s = run.engine().spec();
    const TransformerSettings& ts = transformer_settings(run.config());
    JsonWriter w(out);
    w.begin_object();
    w.key("accuracy").value(run.accuracy());
    if (const auto* text = dynamic_cast<const TextSequences*>(&run.source())) {
        const Corpus& c = text->corpus();
        w.key("attention_entropy").value(run.attention_entropy());
        w.key("corpus").begin_object();
        w.key("describe").value(c.describe());
        w.key("steps_per_epoch").value(text->steps_per_epoch());
        w.key("train_words").value(static_cast<std::int64_t>(c.train.size()));
        w.key("valid_words").value(static_cast<std::int64_t>(c.valid.size()));
        w.key("validation_windows").value(text->validation_windows());
        // The vocabulary, id by id (the rows of tok_emb and the columns of unembed).
        w.key("words").begin_array();
        for (const std::string& word : c.words) w.value(word);
        w.end_array();
        w.end_object();
    }
    w.key("d_model").value(s.d);
    if (run.diverged()) w.key("diverged").value(run.divergence_message());
    w.key("elapsed_seconds").value(t.elapsed_seconds);
    w.key("events").begin_array();
    for (const RunEvent& e : run.events()) {
        w.begin_object();
        w.key("name").value(e.name);
        w.key("new").value(e.new_value);
        w.key("old").value(e.old_value);
        w.key("step").value(e.step);
        w.end_object();
    }
    w.end_array();
    w.key("heads").value(s.heads);
    if (t.interrupted) w.key("interrupted").value(true);
    w.key("layers").value(s.layers);
    w.key("loss").value(last.loss);
    w.key("max_len").value(s.max_len);
    // The settings the weights belong to (model.init_from compares them with its run's).
    w.key("model").value(transformer_architecture_json(ts, s));
    w.key("order_blind_ceiling").value(run.source().order_blind_ceiling());
    w.key("param_count").value(static_cast<std::int64_t>(run.param_count()));
    // Every parameter, row-major, by the names model.init_from reads.
    w.key("params").begin_object();
    const std::vector<double> p = run.engine().params();
    for (const ParamTensor& pt : run.engine().tensors()) {
        w.key(pt.name).begin_object();
        w.key("data").numbers(p.data() + pt.offset, pt.size);
        w.key("shape").numbers(pt.shape);
        w.end_object();
    }
    w.end_object();
    w.key("precision").value(ts.precision);
    w.key("seed").value(run.config().train.seed);
    w.key("step").value(run.step_index());
    w.key("steps_per_second").value(t.steps_per_second);
    w.key("task").value(run.config().data.kind != "synthetic" ? run.config().data.kind : ts.task);
    w.key("test_size").value(static_cast<std::int64_t>(run.source().test_size()));
    if (run.config().data.kind == "text") {
        w.key("valid_loss").value(run.valid_loss());
        w.key("valid_perplexity").value(std::exp(run.valid_loss()));
    }
    w.key("vocab").value(s.vocab);
    w.end_object();
    w.finish();
}

double files_bytes(const TransformerRun& run) {
    double maps = 0;
    const TransformerSpec& s = run.engine().spec();
    const std::string& pins = transformer_settings(run.config()).attention_steps;
    if (!pins.empty()) {
        const double pinned = static_cast<double>(transformer_attention_steps(pins, "config").size());
        maps = 26.0 * pinned * s.layers * s.heads * s.max_len * s.max_len;
        // Each PNG at most its raw RGBA pixels: per drawn map, its cells and a margin for the words.
        const double side = std::min(s.max_len, kFigureMaxPositions) * std::clamp(560 / std::max(std::min(s.max_len, kFigureMaxPositions), 1), 1, 18) + 300.0;
        maps += pinned * std::min(s.layers * s.heads, kFigureMaxMaps) * side * side * 4;
    }
    return 26.0 * static_cast<double>(run.param_count()) + static_cast<double>(run.history().capacity()) * 300 + maps + 20.0 * s.vocab + 65536;
}

std::unique_ptr<LabRun> make_transformer(const Config& cfg, RunUse, const nlohmann::json&) { return std::make_unique<TransformerRun>(cfg); }

}  // namespace

OutputFolder TransformerRun::prepare_folder(const std::string& dir) const { return run_output_folder(dir, files_bytes(*this)); }

void TransformerRun::write_results(const OutputFolder& folder, const RunTiming& t) {
    evaluate_now();  // the last row of the trajectory and final.json carry the final accuracy
    const bool maps = !transformer_settings(cfg_).attention_steps.empty();
    write_run_file_set(
        folder, *this, [&](ByteSink& o) { write_trajectory(o, *this); }, [&](ByteSink& o) { write_final(o, *this, t); },
        [&](FileSet& set) {
            if (!maps) return;
            write_attention(set.open("attention.json"), *this);
            for (const PinnedAttention& p : pinned_) set.open(attention_png_name(p.step)).write(encode_png(attention_png(p)));
        });
}

std::string attention_png_name(std::int64_t step) { return "attention_" + std::to_string(step) + ".png"; }

RgbaImage TransformerRun::attention_png(const PinnedAttention& p) const {
    std::vector<std::string> words;
    for (std::int32_t t : p.tokens) words.push_back(source_->token_name(t));
    return attention_figure(p, words, engine_->spec().causal,
                            "step " + std::to_string(p.step) + ": attention of the watched window (rows: query word, columns: key word)");
}

std::vector<std::string> TransformerRun::output_files() const {
    std::vector<std::string> f = {"config.json", "trajectory.csv"};
    if (!transformer_settings(cfg_).attention_steps.empty()) {
        f.push_back("attention.json");
        for (const PinnedAttention& p : pinned_) f.push_back(attention_png_name(p.step));
    }
    f.push_back("final.json");
    return f;
}

void TransformerRun::print_summary(std::FILE* out) const {
    if (history_.empty()) return;
    const TransformerSpec& s = engine_->spec();
    std::fprintf(out, "final loss %.6g; %s, %zu parameters (%s)\n", history_.back().loss, size_text().c_str(), param_count(),
                 transformer_settings(cfg_).precision.c_str());
    std::fprintf(out, "model: PE %s, %s, LayerNorm %s%s%s\n", pos_encoding_name(s.pe), s.causal ? "causal mask" : "no mask (bidirectional)",
                 layer_norm_name(s.ln), s.residual ? ", residual" : ", no residual", s.mlp ? ", MLP" : ", no MLP");
    if (std::isfinite(valid_loss_))
        std::fprintf(out, "validation loss %.4f (perplexity %.2f) on %lld windows; watched batch's attention entropy %.4f nats\n", valid_loss_,
                     std::exp(valid_loss_), static_cast<long long>(dynamic_cast<const TextSequences&>(*source_).validation_windows()), attention_entropy_);
    if (std::isfinite(accuracy_))
        std::fprintf(out, "held-out accuracy %.4f (%zu %s); a model blind to order gets at most %.4f\n", accuracy_, source_->test_size(),
                     transformer_settings(cfg_).task == "addition" ? "problems, whole answers" : "sequences", source_->order_blind_ceiling());
}

const std::vector<std::string>& transformer_variant_names() {
    static const std::vector<std::string> n = {"nope_bidirectional", "nope_causal_1", "nope_causal_2", "sinusoidal"};
    return n;
}

Config transformer_variant_config(const Config& cfg, const std::string& name) {
    Config c = cfg;
    TransformerSettings& t = transformer_settings(c);
    if (name == "nope_bidirectional") {
        t.pos_encoding = "none";
        t.causal = false;
        t.loss_positions = "last";
    } else if (name == "nope_causal_1" || name == "nope_causal_2") {
        t.pos_encoding = "none";
        t.causal = true;
        t.layers = name == "nope_causal_1" ? 1 : 2;
    } else if (name == "sinusoidal") {
        t.pos_encoding = "sinusoidal";
        t.causal = true;
        if (t.d_model % 2 != 0) throw ConfigError("model.d_model", "a sinusoidal compare run needs an even model.d_model");
    } else {
        throw ConfigError("companions", "the transformer lab has no compare run '" + name + "'");
    }
    t.init_from.clear();  // (another shape, perhaps) fresh weights from the same seed
    check_transformer_config(c, "compare run " + name);
    return c;
}

LabSpec transformer_lab() {
    LabSpec lab;
    lab.kind = "transformer";
    lab.title = "small transformer";
    for (const char* n : transformer_lr_names()) lab.lr_names.push_back(n);
    lab.lr_labels = {"eta_emb", "eta_attn", "eta_mlp", "eta_unemb"};
    lab.check_session_data = nullptr;
    lab.make = &make_transformer;
    lab.sweep_columns = {{"accuracy", false, ""}, {"params", false, ""}};
    lab.companions = transformer_variant_names();
    lab.config_keys = transformer_config_keys();
    lab.check_config = &check_transformer_config;
    return lab;
}

}  // namespace snapscope
