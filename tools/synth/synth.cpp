#include "synth/synth.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "common/adam.h"
#include "common/cli.h"
#include "common/method_list.h"
#include "gomhc/gomhc.hpp"
#include "plot/gnuplot.h"
#include "synth/synth_task.h"

namespace gomhc::tools::synth {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kTargets = 64;
constexpr int kSamples = 100;
constexpr int64_t kDefaultEpochs = 10000;
// The default method list skips a method with more logits than this in all.
constexpr int64_t kMaxDefaultLogits = int64_t(1) << 20;
const char *kDefaultMethods = "go,go:1,mhc,mhc-lite,kromhc,hc";

const char *kAbout =
    "The synthetic stream-mixing task of the go-mHC paper: 64 ground-truth doubly\n"
    "stochastic d x d targets T_i, 100 inputs x ~ U[0,1]^d each, y = T_i x + 0.1 u\n"
    "with u ~ U[0,1). Each method fits one mixer per target (logits from\n"
    "initial_residual_logits, H = the method's mixer, prediction H x) by full-batch\n"
    "Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8) on the mean squared error over\n"
    "targets, samples and outputs. An exact fit leaves the noise: the minimum loss\n"
    "of a doubly stochastic mixer is E[(0.1 u)^2] = 0.1^2/3 (hc, unconstrained, can\n"
    "absorb part of the noise's mean and go below it).\n"
    "  --methods  comma-separated NAME or NAME:S (S the block size of go and go-kron,\n"
    "             default --s); default go,go:1,mhc,mhc-lite,kromhc,hc. With the\n"
    "             default list, methods that cannot take --d are skipped with a note,\n"
    "             and so is mhc-lite at d >= 8 (d! logits: ~0.2 s per epoch at d = 8).\n"
    "  --targets  mixed (default: the d-cycle, the 3-cycle on streams 0-2, their\n"
    "             inverses, and random convex combinations of 2-4 random permutations),\n"
    "             cycle3 (every target the 3-cycle; d >= 3) or cycle (the d-cycle)\n"
    "  --epochs   Adam steps per method (the curves hold epochs 0..N)\n"
    "Writes DIR/curves.csv (method,d,s,epoch,seconds,loss), DIR/summary.csv\n"
    "(method,d,s,final_loss,min_loss,epochs_to_converge; min_loss is the minimum\n"
    "0.1^2/3, epochs_to_converge the first epoch within 5% of the final loss; s is 1\n"
    "for methods without a block size) and DIR/loss.png (with DIR/loss.gp).\n";

struct Run {
    Method method;
    std::string name;
    int s = 1;
    std::vector<double> loss;     // per epoch
    std::vector<double> seconds;  // training time when that epoch's loss was measured
    bool diverged = false;
};

TensorView view(std::vector<float> &v, std::vector<int64_t> shape) {
    return TensorView::host(v.data(), std::move(shape));
}
TensorView view(const std::vector<float> &v, std::vector<int64_t> shape) {
    return TensorView::host(v.data(), std::move(shape));
}

// One method's fit: all targets at once, one token per target.
void train(Run &run, const Dataset &data, int64_t epochs, uint64_t seed) {
    const int64_t t = data.targets, d = data.d, c = data.samples;
    Mixer mixer(run.method, int(d), run.s);
    const int64_t k = mixer.logit_count();
    std::vector<float> logits(size_t(t * k));
    for (int64_t i = 0; i < t; i++) {
        const std::vector<float> init =
            initial_residual_logits(run.method, int(d), run.s, seed * 1000003u + uint64_t(i));
        if (int64_t(init.size()) != k) {
            throw Error("initial_residual_logits gave " + std::to_string(init.size()) +
                        " logits, the mixer takes " + std::to_string(k));
        }
        std::copy(init.begin(), init.end(), logits.begin() + i * k);
    }
    std::vector<float> h(size_t(t * d * d)), h_post(size_t(t * d), 0.0f), f(size_t(t * c), 0.0f);
    std::vector<float> pred(size_t(t * d * c)), dpred, dx(pred.size()), dh(h.size());
    std::vector<float> dh_post(h_post.size()), df(f.size()), dlogits(logits.size());
    Adam adam(logits.size());
    const TensorView x_v = view(data.x, {t, d, c}), h_v = view(h, {t, d, d});
    const TensorView post_v = view(h_post, {t, d}), f_v = view(f, {t, c});
    const auto start = Clock::now();
    for (int64_t epoch = 0;; epoch++) {
        mixer.forward(view(logits, {t, k}), h_v);
        stream_write_forward(x_v, h_v, post_v, f_v, view(pred, {t, d, c}));
        const double loss = mse_loss(pred, data.y, &dpred);
        run.loss.push_back(loss);
        run.seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
        if (!std::isfinite(loss)) {
            run.diverged = true;
            return;
        }
        if (epoch == epochs) return;
        stream_write_backward(x_v, h_v, post_v, f_v, view(dpred, {t, d, c}), view(dx, {t, d, c}),
                              view(dh, {t, d, d}), view(dh_post, {t, d}), view(df, {t, c}));
        mixer.backward(view(dh, {t, d, d}), view(dlogits, {t, k}));
        adam.step(logits, dlogits);
    }
}

std::string label(const Run &run) { return method_label({run.method, run.name, run.s}); }

void write_csv(const fs::path &path, const std::string &text) {
    std::ofstream out(path);
    if (!out || !(out << text) || !out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

std::string loss_script(const fs::path &dir, const std::vector<Run> &runs, int d,
                        const std::string &targets, int64_t epochs) {
    const std::string curves = gnuplot_string(fs::absolute(dir / "curves.csv").string());
    double lo = kMinimumLoss, hi = kMinimumLoss;  // the y range: every curve and the minimum
    for (const Run &run : runs) {
        for (double loss : run.loss) {
            if (std::isfinite(loss) && loss > 0) {
                lo = std::min(lo, loss);
                hi = std::max(hi, loss);
            }
        }
    }
    std::ostringstream gp;
    gp << "# gomhc synth: loss per epoch, one line per method\n"
       << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
       << "    set terminal pngcairo size 1000,650 noenhanced font ',11'\n"
       << "} else {\n"
       << "    set terminal png size 1000,650 noenhanced\n"
       << "}\n"
       << "set output " << gnuplot_string(fs::absolute(dir / "loss.png").string()) << "\n"
       << "set datafile separator ','\n"
       << "set title 'gomhc synth: d = " << d << ", " << kTargets << " targets (" << targets
       << ") x " << kSamples << " samples, Adam lr 1e-3, full batch'\n"
       << "set xlabel 'epoch'\nset ylabel 'loss (mean squared error)'\n"
       << "set logscale y\nset format y '%.0e'\nset grid\nset key top right\n"
       << "set xrange [0:" << std::max<int64_t>(epochs, 1) << "]\n"
       << "set yrange [" << csv_number(lo / 1.5) << ":" << csv_number(hi * 1.5) << "]\n"
       << "plot \\\n";
    for (const Run &run : runs) {
        gp << "    " << curves << " skip 1 using (strcol(1) eq '" << run.name
           << "' && $3 == " << run.s << " ? $4 : 1/0):6 with lines lw 2 title '" << label(run)
           << "', \\\n";
    }
    gp << "    " << csv_number(kMinimumLoss)
       << " with lines dashtype 2 lw 2 lc rgb 'black' title 'minimum 0.1^2/3'\n";
    return gp.str();
}

}  // namespace

int synth_main(int argc, char **argv) {
    int d = 0;
    int64_t epochs = 0;
    uint64_t seed = 0;
    TargetSet target_set = TargetSet::mixed;
    fs::path out;
    std::vector<MethodEntry> entries;
    bool default_methods = false;
    CLI::App app{kAbout, "gomhc synth"};
    int s = 2;
    std::string methods = kDefaultMethods, targets = "mixed";
    d = 4;
    epochs = kDefaultEpochs;
    seed = 1;
    app.add_option("--out", out, "output folder")->required();
    app.add_option("--d", d, "streams")->check(CLI::Range(2, kMaxN))->capture_default_str();
    app.add_option("--s", s, "block size of go and go-kron")
        ->check(CLI::Range(1, kMaxN))
        ->capture_default_str();
    auto *methods_option = app.add_option("--methods", methods, "NAME or NAME:S, comma-separated")
                               ->capture_default_str();
    app.add_option("--epochs", epochs, "Adam steps per method")
        ->check(CLI::Range(int64_t(0), int64_t(100000000)))
        ->capture_default_str();
    app.add_option("--targets", targets, "mixed, cycle3 or cycle")->capture_default_str();
    app.add_option("--seed", seed, "targets' and data's seed")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        target_set = parse_target_set(targets);
        if (target_set == TargetSet::cycle3 && d < 3) {
            throw UsageError("--targets cycle3 needs --d 3 or more");
        }
        default_methods = methods_option->count() == 0;
        entries = parse_method_list(methods, s);
        if (default_methods) {  // the default list: go with --s, then go with s = 1
            entries[0].s = s;
            if (s == 1) entries.erase(entries.begin() + 1);
        }
    } catch (const std::invalid_argument &e) {
        std::cerr << "gomhc synth: " << e.what() << "\n" << kSeeHelp;
        return 2;
    }

    // Resolve the methods before any work, so a bad list fails at once.
    std::vector<Run> runs;
    try {
        // mhc-lite has d! logits per target: at d = 8 its epochs take ~0.2 s.
        const auto too_slow = [&](const ResolvedMethod &m) -> std::string {
            const int64_t logits = residual_logit_count(m.method, d, m.s);
            if (!default_methods || logits * kTargets <= kMaxDefaultLogits) {
                return "";
            }
            return std::to_string(logits) +
                   " logits per target make it slow; name it in --methods to run it anyway";
        };
        for (const ResolvedMethod &m : resolve_methods(entries, d, default_methods, too_slow)) {
            Run run;
            run.method = m.method;
            run.name = m.name;
            run.s = m.s;
            runs.push_back(run);
        }
    } catch (const UsageError &e) {
        std::cerr << "gomhc synth: " << e.what() << "\n" << kSeeHelp;
        return 2;
    }
    try {
        prepare_output_dir(out);
    } catch (const std::exception &e) {
        std::cerr << "gomhc synth: " << e.what() << "\n";
        return 1;
    }

    try {
        const std::vector<Matrix> targets = make_targets(d, kTargets, target_set, seed);
        const Dataset data = make_dataset(targets, d, kSamples, seed);
        std::printf(
            "gomhc synth: d = %d, %d targets (%s) x %d samples, %lld epochs, seed %llu; "
            "minimum loss 0.1^2/3 = %.6g\n",
            d, kTargets, target_set_name(target_set).c_str(), kSamples, (long long)epochs,
            (unsigned long long)seed, kMinimumLoss);
        std::fflush(stdout);
        std::ostringstream curves, summary;
        curves << "method,d,s,epoch,seconds,loss\n";
        summary << "method,d,s,final_loss,min_loss,epochs_to_converge\n";
        std::printf("%-12s %10s %9s %12s %9s\n", "method", "final_loss", "/minimum", "epochs_to_5%",
                    "seconds");
        for (Run &run : runs) {
            train(run, data, epochs, seed);
            for (size_t e = 0; e < run.loss.size(); e++) {
                curves << run.name << ',' << d << ',' << run.s << ',' << e << ','
                       << csv_number(run.seconds[e]) << ',' << csv_number(run.loss[e]) << '\n';
            }
            const double final_loss = run.loss.back();
            const int64_t converge = epochs_to_converge(run.loss);
            summary << run.name << ',' << d << ',' << run.s << ',' << csv_number(final_loss) << ','
                    << csv_number(kMinimumLoss) << ',' << converge << '\n';
            std::printf("%-12s %10.6f %9.3f %12lld %9.2f%s\n", label(run).c_str(), final_loss,
                        final_loss / kMinimumLoss, (long long)converge, run.seconds.back(),
                        run.diverged ? "  (diverged: loss not finite)" : "");
            std::fflush(stdout);
        }
        write_csv(out / "curves.csv", curves.str());
        write_csv(out / "summary.csv", summary.str());
        std::cout << "wrote " << (out / "curves.csv").string() << " and "
                  << (out / "summary.csv").string() << "\n";
        const PlotResult plot = draw_figure(
            out / "loss.gp", loss_script(out, runs, d, target_set_name(target_set), epochs),
            out / "loss.png");
        std::cout << plot.message << "\n";
    } catch (const std::exception &e) {
        std::cerr << "gomhc synth: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace gomhc::tools::synth
