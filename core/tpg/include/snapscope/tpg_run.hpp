// A token-priority-graph training run: dataset, embeddings, W, optimiser, the
// analysis of the dataset (graphs, W_svm, W_fin) and the metrics over steps.
#pragma once

#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "snapscope/config.hpp"
#include "snapscope/tpg_settings.hpp"
#include "snapscope/history.hpp"
#include "snapscope/lab.hpp"
#include "snapscope/tpg.hpp"
#include "snapscope/tpg_analysis.hpp"

namespace snapscope {

struct TpgRecord {
    std::int64_t step = 0;
    double loss = 0, lr = 0;
    TpgMetrics metrics;
};

class TpgRun final : public LabRun {
public:
    // Dataset from the config (generator or file). Throws ConfigError / DataError.
    explicit TpgRun(const Config& cfg);
    // An explicit dataset (tests, the GUI's editor); cfg.data is ignored.
    TpgRun(const Config& cfg, TpgDataset data);

    const Config& config() const override { return cfg_; }
    const TpgDataset& data() const { return data_; }
    const std::vector<QueryGraph>& graphs() const { return graphs_; }
    const SvmResult& svm() const { return svm_; }
    const Eigen::MatrixXd& w_fin_tau() const { return wfin_tau_; }
    const FinResult& fin() const { return fin_; }
    const TpgModel& model() const { return model_; }
    bool orthonormal() const { return orthonormal_; }
    std::int64_t step_index() const override { return step_; }

    bool step() override;  // records the current state, then updates; false (nothing changed) on divergence
    std::int64_t run(std::int64_t n) override;
    void record_now() override;
    double last_loss() const override { return history_.empty() ? NAN : history_.back().loss; }
    // The learning rate (one group, "lr"); a change is logged as an event.
    void set_lr(double lr);
    double lr() const { return lr_; }
    std::vector<LrGroup> lr_groups() const override;
    void set_lr(const std::string& name, double value) override;
    const std::vector<RunEvent>& events() const override { return events_; }
    bool diverged() const override { return !divergence_.empty(); }
    const std::string& divergence_message() const override { return divergence_; }
    void clear_divergence() override { divergence_.clear(); }
    const ThinningHistory<TpgRecord>& history() const { return history_; }
    // Records made so far (a new one is a new state to show).
    std::uint64_t record_count() const { return record_count_; }

    // The trajectory's metrics of the newest record (corr_svm, corr_fit, ...), as trajectory.csv names them.
    std::vector<std::pair<std::string, double>> scalar_metrics() const override;
    std::string size_text() const override;
    std::vector<double> sweep_values(const SweepMeasure& m) const override;
    OutputFolder prepare_folder(const std::string& dir) const override;
    void write_results(const OutputFolder& folder, const RunTiming& t) override;
    void print_summary(std::FILE* out) const override;
    // The training set (it may have been edited in the window, so the config alone does not give it back).
    nlohmann::json session_data() const override;

private:
    void init(const Config& cfg);
    void record(double loss);
    Config cfg_;
    TpgDataset data_;
    std::vector<QueryGraph> graphs_;
    TpgModel model_;
    bool orthonormal_ = false;
    SvmResult svm_;
    FinResult fin_;
    Eigen::MatrixXd grad_, buf_;
    // W_fin(tau): trained in parallel from 0 on the reduced set with the same optimiser (the paper's comparison).
    Eigen::MatrixXd wfin_tau_, wfin_grad_, wfin_buf_;
    double lr_ = 0.01;
    std::int64_t step_ = 0;
    std::string divergence_;
    std::vector<RunEvent> events_;
    bool explicit_data_ = false;  // built on a given training set (the editor's), not the config's
    ThinningHistory<TpgRecord> history_;
    std::uint64_t record_count_ = 0;
};

// The token-priority-graph lab's registry entry (model.kind tpg).
LabSpec tpg_lab();
// Its config keys and cross-key rules (tpg_config.cpp).
std::vector<KeyBinding> tpg_config_keys();
void check_tpg_config(const Config& c, const std::string& source);
// A training set as a session holds it ({"K": K, "samples": [{"tokens": [...], "label": n}, ...]}) and back; the
// reader type-checks every value and names the key. Throws ConfigError.
nlohmann::json tpg_dataset_to_json(const TpgDataset& d);
TpgDataset tpg_dataset_from_json(const nlohmann::json& j, const std::string& source);

// The dataset a config describes (generator or file), after checking that a run on it can fit in memory.
TpgDataset tpg_dataset_from_config(const Config& cfg);

// Everything a token-priority-graph run holds: the samples, embeddings, W and the optimiser's matrices, the graphs,
// the analysis (W_svm, W_fin) and the history (its share of history.budget_mb). `tokens` is the total number of
// token ids in the samples (n T for the generator).
MemoryEstimate tpg_memory(const Config& cfg, std::int64_t K, std::int64_t samples, double tokens);
double tpg_record_bytes();  // one recorded step (its metrics; no per-sample data)

}  // namespace snapscope
