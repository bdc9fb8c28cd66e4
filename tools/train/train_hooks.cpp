// What `gomhc train` and `gomhc compare` hand the trainer (TrainHooks): the
// machine's FMA peak and the loss curves drawn with gnuplot, so that the
// trainer library links neither tools/machine nor tools/plot.
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "fma_peak.h"
#include "plot/gnuplot.h"
#include "train/train.h"

namespace gomhc::tools::train {

namespace fs = std::filesystem;

namespace {

// Measured once per process and thread count (gomhc compare trains many runs).
double fma_peak(int threads) {
    static std::map<int, double> measured;
    static std::mutex lock;
    std::lock_guard<std::mutex> guard(lock);
    auto it = measured.find(threads);
    if (it == measured.end()) {
        it = measured.emplace(threads, machine::measure_fma_peak(threads)).first;
    }
    return it->second;
}

// DIR/loss_train.csv, DIR/loss_val.csv, and DIR/loss.gp drawing DIR/loss.png.
std::string draw_loss_curves(const fs::path &out, const trainer::LossCurves &curves) {
    std::ofstream train(out / "loss_train.csv"), val(out / "loss_val.csv");
    train << "step,loss\n";
    for (const auto &[step, loss] : curves.train) {
        train << step << "," << loss << "\n";
    }
    val << "step,val_loss\n";
    for (const auto &[step, loss] : curves.val) {
        val << step << "," << loss << "\n";
    }
    train.close();
    val.close();
    const fs::path png = fs::absolute(out / "loss.png");
    std::ostringstream gp;
    gp << "set terminal pngcairo size 900,540\nset output " << gnuplot_string(png.string())
       << "\nset datafile separator ','\nset key top right\nset grid\n"
       << "set xlabel 'step'\nset ylabel 'cross-entropy (nats per token)'\n"
       << "set title 'gomhc train: " << out.filename().string() << "'\n"
       << "plot " << gnuplot_string(fs::absolute(out / "loss_train.csv").string())
       << " using 1:2 skip 1 with lines lw 1 title 'train', "
       << gnuplot_string(fs::absolute(out / "loss_val.csv").string())
       << " using 1:2 skip 1 with linespoints lw 2 pt 7 title 'validation'\n";
    return draw_figure(out / "loss.gp", gp.str(), png).message;
}

}  // namespace

trainer::TrainHooks train_hooks() {
    trainer::TrainHooks hooks;
    hooks.fma_peak = fma_peak;
    hooks.plot = draw_loss_curves;
    return hooks;
}

}  // namespace gomhc::tools::train
