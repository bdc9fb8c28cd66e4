// `gomhc inspect --checkpoint DIR`: one validation batch through a trained
// model, and what its hyper-connections do with the streams there (docs/
// trainer.md, "Stream diagnostics"): how alike the streams are after each
// block, how far each layer's H_res is from the identity, how unevenly H_pre
// and H_post weigh the streams. Prints a table and writes DIR/inspect/:
// diagnostics.json, h_res.png (every layer's mean H_res as a heat map) and
// similarity.png (the streams' similarity against depth).
#include "inspect.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "dataset.h"
#include "gpt.h"
#include "model_files.h"
#include "plot/gnuplot.h"
#include "stream_diagnostics.h"

namespace gomhc::tools::inspect {

namespace fs = std::filesystem;
using trainer::StreamDiagnostics;

namespace {

// The mean H_res of every layer as a grid of heat maps, and the streams'
// similarity after each block.
void draw(const fs::path &out, const StreamDiagnostics &diagnostics, std::ostream &log) {
    const int d = diagnostics.d;
    std::ofstream similarity(out / "similarity.csv");
    similarity << "after_block,stream_cosine,stream_deviation\n";
    for (size_t b = 0; b < diagnostics.cosine_after_block.size(); b++) {
        similarity << int(b) - 1 << "," << diagnostics.cosine_after_block[b] << ","
                   << diagnostics.deviation_after_block[b] << "\n";
    }
    similarity.close();
    const std::string csv = gnuplot_string((out / "similarity.csv").string());
    std::string script = png_terminal(800, 500) + "set output " +
                         gnuplot_string((out / "similarity.png").string()) + "\n" +
                         "set datafile separator ','\nset key bottom right\nset grid\n"
                         "set xlabel 'after block (-1: the embedding)'\n"
                         "set ylabel 'mean pairwise cosine of the streams'\n"
                         "set y2label 'streams\\' RMS distance from their mean / its norm'\n"
                         "set ytics nomirror\nset y2tics\n"
                         "set title 'How alike the streams are, by depth'\n"
                         "plot " +
                         csv + " skip 1 using 1:2 with linespoints lw 2 pt 7 title 'cosine', " +
                         csv +
                         " skip 1 using 1:3 axes x1y2 with linespoints lw 2 pt 5 "
                         "title 'deviation (right axis)'\n";
    log << draw_figure(out / "similarity.gp", script, out / "similarity.png").message << "\n";

    if (diagnostics.layers.empty() || d < 2) {
        return;
    }
    const int layers = int(diagnostics.layers.size());
    const int columns = 2, rows = (layers + columns - 1) / columns;
    std::ofstream matrices(out / "h_res.dat");
    for (const trainer::LayerDiagnostics &l : diagnostics.layers) {
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                matrices << j << " " << i << " " << l.mean_h_res[size_t(i * d + j)] << "\n";
            }
            matrices << "\n";
        }
        matrices << "\n\n";  // one gnuplot index per layer
    }
    matrices.close();
    script = png_terminal(360 * columns, 300 * rows) + "set output " +
             gnuplot_string((out / "h_res.png").string()) + "\n" + "set multiplot layout " +
             std::to_string(rows) + "," + std::to_string(columns) +
             " title 'mean H_res per layer (row i: stream i of X_next)'\n"
             "set cbrange [0:1]\nset palette defined (0 'white', 1 'navy')\nset yrange [] "
             "reverse\nset xtics 1\nset ytics 1\nunset key\n";
    for (int k = 0; k < layers; k++) {
        script += "set title " + gnuplot_string(diagnostics.layers[size_t(k)].name) + "\n" +
                  "plot " + gnuplot_string((out / "h_res.dat").string()) + " index " +
                  std::to_string(k) + " using 1:2:3 with image\n";
    }
    script += "unset multiplot\n";
    log << draw_figure(out / "h_res.gp", script, out / "h_res.png").message << "\n";
}

}  // namespace

int inspect_main(int argc, char **argv) {
    CLI::App app{"How a trained hyper-connection GPT uses its streams, on one validation batch.",
                 "gomhc inspect"};
    std::string checkpoint, data, out;
    int64_t batch = 4;
    app.add_option("--checkpoint", checkpoint, "a run's folder (gomhc train --out)")->required();
    app.add_option("--data", data, "token shards (default: the run's own, from its state.json)");
    app.add_option("--batch", batch, "sequences of the validation batch")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--out", out, "where the figures go (default: CHECKPOINT/inspect)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        const fs::path dir = checkpoint;
        const trainer::CheckpointFiles files = trainer::read_checkpoint(dir);
        const std::string state_file = (dir / "state.json").string();
        const trainer::GptConfig &config = files.state.config;
        if (data.empty()) {
            const nlohmann::json &state = files.state.json;
            if (!state.contains("data") || !state["data"].is_object() ||
                !state["data"].contains("folder") || !state["data"]["folder"].is_string()) {
                throw std::runtime_error(state_file + " names no data folder; give --data");
            }
            data = state["data"]["folder"].get<std::string>();
        }
        const trainer::Dataset dataset = trainer::load_dataset(data, config.vocab);
        const trainer::Batches batches(dataset.val, batch, config.context, "validation data");
        std::vector<int32_t> inputs, targets;
        batches.fill(0, inputs, targets);

        trainer::Gpt gpt(config, batch);
        trainer::load_model_weights(gpt, files.model, (dir / "model.safetensors").string());
        const float loss = gpt.forward(inputs.data(), targets.data(), batch, config.context);
        const StreamDiagnostics diagnostics = gpt.stream_diagnostics();

        std::cout << "gomhc inspect: " << checkpoint << " (" << method_name(config.method)
                  << ", d = " << config.d << ", s = " << config.s << "), validation batch 0 of "
                  << batch << " x " << config.context << " tokens: loss " << loss << "\n\n"
                  << trainer::format_diagnostics(diagnostics) << "\n";
        const fs::path figures = out.empty() ? dir / "inspect" : fs::path(out);
        fs::create_directories(figures);
        std::ofstream(figures / "diagnostics.json")
            << trainer::to_json(diagnostics).dump(2) << "\n";
        draw(figures, diagnostics, std::cout);
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "gomhc inspect: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace gomhc::tools::inspect
