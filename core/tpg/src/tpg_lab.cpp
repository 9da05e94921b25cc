// The token-priority-graph run as a lab (LabRun): its learning rate, metrics, files, session data and registry entry.
#include <cmath>
#include <cstdio>
#include <limits>

#include "snapscope/tpg_output.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope {

void TpgRun::set_lr(double lr) {
    if (lr == lr_) return;
    events_.push_back({step_, "lr", lr_, lr});
    lr_ = lr;
}

std::vector<LrGroup> TpgRun::lr_groups() const { return {{"lr", "eta", lr_}}; }

void TpgRun::set_lr(const std::string& name, double value) {
    if (name != "lr") throw ConfigError("events", "unknown event '" + name + "' (the token-priority-graph lab's learning rate: lr)");
    set_lr(value);
}

std::vector<std::pair<std::string, double>> TpgRun::scalar_metrics() const {
    if (history_.empty()) return {};
    const TpgMetrics& m = history_.back().metrics;
    return {{"corr_svm", m.corr_svm},   {"corr_fit", m.corr_fit},           {"fit_R", m.fit_R},
            {"proj_dist", m.proj_dist}, {"top_scc_mass", m.top_scc_mass},   {"proj_dist_tau", m.proj_dist_tau},
            {"proj_corr", m.proj_corr}, {"max_scc_mass", m.max_scc_mass}};
}

std::vector<double> TpgRun::sweep_values(const SweepMeasure&) const {
    // The last record's metrics, in scalar_metrics() order.
    std::vector<double> out;
    for (const auto& [name, v] : scalar_metrics()) out.push_back(diverged() ? NAN : v);
    if (out.empty()) out.assign(tpg_lab().sweep_columns.size(), NAN);
    return out;
}

std::string TpgRun::size_text() const { return "K " + std::to_string(data_.K) + ", d " + std::to_string(model_.d()); }

OutputFolder TpgRun::prepare_folder(const std::string& dir) const { return run_folder(dir, *this); }

void TpgRun::write_results(const OutputFolder& folder, const RunTiming& t) { write_run_files(folder, *this, t); }

void TpgRun::print_summary(std::FILE* out) const {
    if (history_.empty()) return;
    const TpgMetrics& m = history_.back().metrics;
    std::fprintf(out, "final loss %.6g; K = %d, d = %d, %zu samples\n", history_.back().loss, data_.K, model_.d(), data_.samples.size());
    if (!data_.words.empty() && !graphs_.empty()) {
        // A text's query word: its graph's order, the top SCCs first (the words a trained W attends to).
        const QueryGraph& g = graphs_.front();
        std::fprintf(out, "query word '%s': %zu words, %zu edges, %zu SCCs; top SCC:", data_.name(g.query).c_str(), g.tokens.size(), g.edges.size(),
                     g.scc.members.size());
        if (!g.scc.order.empty()) {
            const std::vector<int>& top = g.scc.members[static_cast<std::size_t>(g.scc.order.front())];
            for (std::size_t i = 0; i < top.size() && i < 12; ++i) std::fprintf(out, " %s", data_.name(top[i]).c_str());
            if (top.size() > 12) std::fprintf(out, " ... (%zu words)", top.size());
        }
        std::fprintf(out, "\n");
    }
    std::fprintf(out, "corr(W, W_svm) %.4f; corr(W, R W_svm + W_fin) %.4f (R %.3g); |Pi W - W_fin| %.4g; top-SCC mass %.4f\n",
                 m.corr_svm, m.corr_fit, m.fit_R, m.proj_dist, m.top_scc_mass);
    std::fprintf(out, "paper's metrics: |Pi W - W_fin(tau)| %.4g; projected corr %.4f; softmax probability (max over SCCs) %.4f\n",
                 m.proj_dist_tau, m.proj_corr, m.max_scc_mass);
    if (!fin_.note.empty()) std::fprintf(out, "note: %s\n", fin_.note.c_str());
    if (!svm_.skipped.empty()) std::fprintf(out, "note: %s\n", svm_.skipped.c_str());
    else if (!svm_.converged) std::fprintf(out, "warning: the graph-SVM QP did not converge (infeasible constraints?)\n");
}

nlohmann::json TpgRun::session_data() const { return explicit_data_ ? tpg_dataset_to_json(data_) : nlohmann::json(); }

nlohmann::json tpg_dataset_to_json(const TpgDataset& d) {
    nlohmann::json samples = nlohmann::json::array();
    for (const TpgSample& s : d.samples) samples.push_back({{"tokens", s.tokens}, {"label", s.label}});
    return {{"K", d.K}, {"samples", std::move(samples)}};
}

TpgDataset tpg_dataset_from_json(const nlohmann::json& j, const std::string& source) {
    const std::string where = source + ": key 'data'";
    if (!j.is_object() || !j.contains("K") || !j.contains("samples"))
        throw ConfigError("data", where + ": expected {\"K\": int, \"samples\": [{\"tokens\": [...], \"label\": n}, ...]}");
    const nlohmann::json& k = j["K"];
    if (!k.is_number_integer() || k.get<std::int64_t>() < 1 || k.get<std::int64_t>() > std::numeric_limits<int>::max())
        throw ConfigError("data.K", where + ".K: must be an integer from 1 to " + std::to_string(std::numeric_limits<int>::max()) +
                                        ", got " + brief(k));
    if (!j["samples"].is_array()) throw ConfigError("data.samples", where + ".samples: must be an array, got " + brief(j["samples"]));
    // Each sample as one line of a JSON Lines dataset: the dataset reader type-checks it; its messages ("SOURCE:LINE:
    // what", naming data.vocab_size for K) are put in the session's terms.
    std::string text;
    for (const nlohmann::json& s : j["samples"]) text += s.dump() + "\n";
    const std::string tag = "\x01samples";
    try {
        return tpg_dataset(read_jsonl_text(text, tag, k.get<int>(), kMaxConfigFileBytes));
    } catch (const InputError& e) {
        std::string msg = e.what();
        if (msg.rfind(tag + ":", 0) == 0) msg = where + ".samples, sample " + msg.substr(tag.size() + 1);
        for (std::size_t at; (at = msg.find("data.vocab_size")) != std::string::npos;) msg.replace(at, 15, "data.K");
        for (std::size_t at; (at = msg.find(tag)) != std::string::npos;) msg.replace(at, tag.size(), where + ".samples");
        throw ConfigError("data.samples", msg);
    }
}

namespace {

std::unique_ptr<LabRun> make_tpg(const Config& cfg, RunUse, const nlohmann::json& session_data) {
    if (session_data.is_null()) return std::make_unique<TpgRun>(cfg);
    return std::make_unique<TpgRun>(cfg, tpg_dataset_from_json(session_data, "session"));
}

}  // namespace

static void check_tpg_data(const nlohmann::json& data, const std::string& source) { tpg_dataset_from_json(data, source); }

LabSpec tpg_lab() {
    LabSpec lab;
    lab.kind = "tpg";
    lab.title = "token-priority-graph";
    lab.lr_names = {"lr"};
    lab.lr_labels = {"eta"};
    lab.check_session_data = &check_tpg_data;
    lab.make = &make_tpg;
    for (const char* name : {"corr_svm", "corr_fit", "fit_R", "proj_dist", "top_scc_mass", "proj_dist_tau", "proj_corr", "max_scc_mass"})
        lab.sweep_columns.push_back({name, false, ""});
    lab.config_keys = tpg_config_keys();
    lab.check_config = &check_tpg_config;
    return lab;
}

}  // namespace snapscope
