// A Scan-and-Snap training run: data, model, optimisers, seed and history in
// one object. It has no threads of its own; the GUI's worker and the headless
// tool both drive it through step(). Learning rates may change between any two
// steps; every change is logged as an event.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snapscope/config.hpp"
#include "snapscope/data.hpp"
#include "snapscope/history.hpp"
#include "snapscope/lab.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/scansnap_settings.hpp"
#include "snapscope/optimizer.hpp"
#include "snapscope/rng.hpp"
#include "snapscope/scansnap_model.hpp"

namespace snapscope {

// Scalars of one recorded step. Per-class vectors are indexed like data().classes().
struct ScalarRecord {
    std::int64_t step = 0;
    double loss = 0;  // batch loss at the parameters of this step (exact expected loss in mean-field mode)
    double lr_z = 0, lr_y = 0;
    std::vector<double> common_mass;       // per class: sum of c_n over its common tokens
    std::vector<double> distinct_entropy;  // per class: entropy (nats) of c_n on its distinct tokens, renormalised
};

// Matrices of one recorded step.
struct MatrixRecord {
    std::int64_t step = 0;
    std::vector<double> attention;  // K x M, row-major: c_n(l) = P(l|n) e^{Z(m,l)} / sum_l' P(l'|n) e^{Z(m,l')}
    std::vector<double> zrows;      // Q x M, row-major: Z(query_q, l)
};

// Per-class metrics of the current parameters.
struct ClassMetrics {
    std::vector<double> attention;  // K x M, row-major
    std::vector<double> common_mass, distinct_entropy;
};

// How a run's own histories share history.budget_mb: the scalar records (the trajectory), and the matrix records
// (per-step attention and Z rows, used by sweeps for the snap step). A share of 0 keeps only the newest 4 records
// (the GUI's worker keeps its own frames instead).
struct RunHistoryPlan {
    double scalar_share = 0.25;
    double matrix_share = 0.75;
    bool matrices = true;  // false: no matrix records at all (snapscope-cli run writes none of them)
};

// The sizes that decide a Scan-and-Snap run's memory.
struct ScanSnapShape {
    std::int64_t M = 0;        // vocabulary
    std::int64_t classes = 0;  // (query, label) pairs
    std::int64_t queries = 0;
    std::int64_t widest = 0;   // largest number of contextual tokens of a class
    double data_bytes = 0;     // what the data source holds
    std::string vocab_key;     // the key that sets M ("data.vocab_size", "data.num_unique_per_next", ...)
};

// Everything a run of this shape holds: model, gradients and momentum buffers, caches, a batch and its work
// buffers, the data, the metrics of one record and the histories (at most their share of history.budget_mb).
MemoryEstimate scansnap_memory(const Config& cfg, const ScanSnapShape& shape, RunHistoryPlan plan = {});
// Bytes of one scalar record and one matrix record of a run of this shape.
double scansnap_scalar_record_bytes(const ScanSnapShape& shape);
double scansnap_matrix_record_bytes(const ScanSnapShape& shape);

class ScanSnapRun final : public LabRun {
public:
    // Throws ConfigError / DataError with a message naming the key or file line.
    explicit ScanSnapRun(const Config& cfg, RunHistoryPlan plan = {});

    const Config& config() const override { return cfg_; }
    const DataSource& data() const { return *data_; }
    const ScanSnapModel& model() const { return model_; }
    int vocab_size() const { return model_.vocab_size(); }

    // Number of optimiser steps taken so far (the current parameters are "at step()").
    std::int64_t step_index() const override { return step_; }

    // One optimiser step: records the current state (loss on this step's batch, metrics), then updates.
    // Returns false, changing nothing, if the loss or a gradient is not finite (see diverged()).
    bool step() override;
    // Runs up to n steps; stops early on divergence. Returns the number of steps taken.
    std::int64_t run(std::int64_t n) override;

    // Records the current state if it is not recorded yet (loss on the batch the next step will use).
    void record_now() override;
    double last_loss() const override { return scalars_.empty() ? NAN : scalars_.back().loss; }

    // Loss at the current parameters (on the batch the next step will use).
    double current_loss();

    void set_lr_z(double lr);
    void set_lr_y(double lr);
    double lr_z() const { return lr_z_; }
    double lr_y() const { return lr_y_; }

    // The lab interface: groups lr_z (eta_Z) and lr_y (eta_Y).
    std::vector<LrGroup> lr_groups() const override;
    void set_lr(const std::string& name, double value) override;

    bool diverged() const override { return !divergence_.empty(); }
    const std::string& divergence_message() const override { return divergence_; }
    void clear_divergence() override { divergence_.clear(); }

    // common_mass_<c> and distinct_entropy_<c> per class c, as trajectory.csv names them.
    std::vector<std::pair<std::string, double>> scalar_metrics() const override;
    std::string size_text() const override;
    std::vector<double> sweep_values(const SweepMeasure& m) const override;
    OutputFolder prepare_folder(const std::string& dir) const override;
    void write_results(const OutputFolder& folder, const RunTiming& t) override;
    void print_summary(std::FILE* out) const override;

    ClassMetrics class_metrics() const;
    // common_mass and distinct_entropy only (no dense classes x M attention).
    void class_scalars(std::vector<double>& common_mass, std::vector<double>& distinct_entropy) const;

    const ThinningHistory<ScalarRecord>& scalars() const { return scalars_; }
    const ThinningHistory<MatrixRecord>& matrices() const { return matrices_; }
    const std::vector<RunEvent>& events() const override { return events_; }
    const ScanSnapShape& shape() const { return shape_; }
    // How many records have been made (each step makes one, of the state it starts from; record_now() may add one).
    std::uint64_t record_count() const { return record_count_; }

private:
    void prepare_batch();
    void record(double loss);
    Config cfg_;
    ScanSnapShape shape_;
    bool record_matrices_ = true;
    std::uint64_t record_count_ = 0;
    mutable std::vector<double> class_att_;  // work buffers of class_scalars
    std::unique_ptr<DataSource> data_;
    ScanSnapModel model_;
    ScanSnapGrads grads_;
    SliceMomentum opt_z_, opt_y_;
    Rng data_rng_;
    bool mean_field_;
    int batch_size_;  // train.batch
    SparseBatch batch_;
    std::int64_t batch_step_ = -1;  // step the cached batch belongs to
    std::int64_t step_ = 0;
    double lr_z_, lr_y_, momentum_;
    std::string divergence_;
    ThinningHistory<ScalarRecord> scalars_;
    ThinningHistory<MatrixRecord> matrices_;
    std::vector<RunEvent> events_;
};

// The Scan-and-Snap lab's registry entry (model.kind scan_snap).
LabSpec scansnap_lab();
// Its config keys and cross-key rules (scansnap_config.cpp).
std::vector<KeyBinding> scansnap_config_keys();
void check_scansnap_config(const Config& c, const std::string& source);

}  // namespace snapscope
