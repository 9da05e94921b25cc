#include "tpg/graph_cmd.hpp"

#include <cstdio>
#include <utility>

#include "commands.hpp"
#include "snapscope/files.hpp"
#include "snapscope/input.hpp"
#include "snapscope/limits.hpp"
#include "snapscope/tpg_analysis.hpp"
#include "snapscope/tpg_output.hpp"
#include "snapscope/tpg_run.hpp"

namespace snapscope::cli {

namespace {

// The dataset reader's messages name config keys; the graph command's user gave options.
std::string graph_options_text(std::string msg) {
    for (const auto& [key, option] : {std::pair<std::string, std::string>{"data.vocab_size", "--vocab-size"}, {"data.path", "--data"}})
        for (std::size_t at = msg.find(key); at != std::string::npos; at = msg.find(key, at + option.size())) msg.replace(at, key.size(), option);
    return msg;
}

int cmd_graph(const std::string& path, int vocab_size) {
    return guarded([&] {
        const Config defaults;
        TpgDataset data;
        try {
            data = load_tpg_file(path, vocab_size, memory_limit_bytes(defaults));
        } catch (const InputError& e) {
            throw std::runtime_error(graph_options_text(e.what()));
        }
        const auto graphs = token_priority_graphs(data);
        const SvmResult svm = graph_svm(data, graphs, Eigen::MatrixXd(), true);  // token coordinates = onehot
        StreamSink out(stdout, "standard output");
        JsonWriter w(out);
        w.begin_object();
        w.key("K").value(data.K);
        if (data.K <= 1000) {
            // onehot embeddings: W_svm[j][k] = (e_j)^T W_svm e_k
            Eigen::MatrixXd W = Eigen::MatrixXd::Zero(data.K, data.K);
            for (const SvmColumn& c : svm.columns)
                for (const auto& [t, h] : c.values) W(t, c.query) = h;
            w.key("W_svm").matrix(W.data(), data.K, data.K, 1, data.K);
        } else {
            // A dense K x K matrix would be too large to print: its non-zero columns instead.
            w.key("W_svm_columns").begin_array();
            for (const SvmColumn& c : svm.columns) {
                w.begin_object().key("query").value(c.query).key("values").begin_array();
                for (const auto& [t, h] : c.values) w.begin_array().value(t).value(h).end_array();
                w.end_array().end_object();
            }
            w.end_array();
        }
        w.key("graphs");
        write_tpg_graphs(w, graphs);
        w.key("svm_converged").value(svm.converged);
        if (!svm.skipped.empty()) {
            w.key("svm_note").value(svm.skipped);
            std::fprintf(stderr, "snapscope-cli: warning: %s\n", message_text(svm.skipped).c_str());
        }
        w.end_object();
        w.finish();
        out.finish();
        return 0;
    });
}

class GraphCommand : public LabCommand {
public:
    std::string name() const override { return "graph"; }
    std::string help() const override {
        return "Print the token-priority graphs, their SCCs and W_svm (onehot) of a JSON Lines dataset";
    }
    void declare(CLI::App& sub) override {
        sub.add_option("--data", path_, "JSON Lines file: {\"tokens\": [...], \"label\": n} per line")->required();
        sub.add_option("--vocab-size", vocab_, "K (default: largest id + 1)")->check(integer_in(0, 100000000));
    }
    int run() override { return cmd_graph(path_, vocab_); }

private:
    std::string path_;
    int vocab_ = 0;
};

}  // namespace

std::unique_ptr<LabCommand> tpg_graph_command() { return std::make_unique<GraphCommand>(); }

}  // namespace snapscope::cli
