#include "synth/synth.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
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
constexpr double kLearningRate = 1e-3;
// Adam's eps: the notebook's 1e-6 for the paper's protocol, the usual 1e-8 for ours.
constexpr double kPaperEps = 1e-6, kLayerInitEps = 1e-8;
// The default method list skips a method with more logits than this in all
// (mhc-lite, d! logits per target, from d = 8).
constexpr int64_t kMaxDefaultLogits = int64_t(1) << 20;
const char *kPaperMethods = "go:1,go:2,mhc,mhc-lite,kromhc,go-kron";
const char *kLayerInitMethods = "go,go:1,mhc,mhc-lite,kromhc,hc";

const char *kAbout =
    "The synthetic stream-mixing task of the go-mHC paper: 64 ground-truth doubly\n"
    "stochastic d x d targets T_i, 100 inputs x each, y = T_i x + 0.1 u with\n"
    "u ~ U[0,1)^d. Each method fits one static mixer per target (prediction H x) by\n"
    "full-batch Adam (lr 1e-3) on the mean squared error over targets, samples and\n"
    "outputs, for every d of --d in one run. An exact fit leaves the noise: the floor\n"
    "of a doubly stochastic mixer is E[(0.1 u)^2] = 0.1^2/3 (hc, unconstrained, can go\n"
    "below it).\n"
    "  --protocol paper (default): the authors' notebook. Targets: Sinkhorn-Knopp of\n"
    "             U[0,1) matrices; inputs u ~ U[0,1)^d times the count of kept entries\n"
    "             (d without --sparsity); every method starts from its own random\n"
    "             point: go and go-kron skew parameters A = R - R^T with R's entries\n"
    "             U[0,1), mhc, mhc-lite and hc logits N(0,1), kromhc the difference of\n"
    "             two N(0,1) logits; Adam eps 1e-6.\n"
    "           layer-init: each method starts at the layer's near-identity logits\n"
    "             (initial_residual_logits); targets mixed; inputs U[0,1)^d; eps 1e-8.\n"
    "  --d        comma-separated stream counts, default 2,4,8,16. With more than one d,\n"
    "             or the default --methods, a method that cannot take a d (kromhc: a\n"
    "             power of 2; go-kron: composite d) is skipped there with a note, and\n"
    "             the default list skips mhc-lite from d = 8 (d! logits).\n"
    "  --methods  comma-separated NAME or NAME:S (S the block size of go and go-kron,\n"
    "             default --s); paper default go:1,go:2,mhc,mhc-lite,kromhc,go-kron,\n"
    "             layer-init default go,go:1,mhc,mhc-lite,kromhc,hc.\n"
    "  --targets  sinkhorn (paper default), birkhoff (Dirichlet(1) mixtures of all d!\n"
    "             permutations; d <= 7), mixed (layer-init default: cycles and mixtures\n"
    "             of 2-4 random permutations), cycle3 (the 3-cycle; d >= 3), cycle\n"
    "  --sparsity each input entry is zero with this probability (default 0)\n"
    "Per target, the final loss is its least loss over the epochs and its epochs to\n"
    "converge the first epoch within 5% of its last loss (the notebook's measures);\n"
    "the summary averages both over the targets.\n"
    "Writes DIR/curves.csv (method,d,s,epoch,seconds,loss: the mean over targets),\n"
    "DIR/summary.csv (method,d,s,final_loss,noise_floor,final_over_floor,\n"
    "epochs_to_converge,last_loss,seconds; s is 1 for methods without a block size),\n"
    "DIR/loss.png (loss vs epoch, one panel per d) and DIR/converge.png (epochs to\n"
    "converge and final loss over the floor vs d), with their gnuplot scripts.\n";

enum class Protocol { paper, layer_init };

Protocol parse_protocol(const std::string &name) {
    if (name == "paper") return Protocol::paper;
    if (name == "layer-init") return Protocol::layer_init;
    throw UsageError("unknown --protocol '" + name + "' (paper, layer-init)");
}

struct Run {
    Method method;
    std::string name;
    int s = 1;
    int d = 0;
    std::vector<double> loss;     // per epoch, the mean over targets
    std::vector<double> seconds;  // training time when that epoch's loss was measured
    std::vector<std::vector<double>> target_loss;  // [target][epoch]
    double final_loss = 0;                         // mean over targets of each one's least loss
    double epochs_to_converge = 0;                 // mean over targets
    bool diverged = false;
};

TensorView view(std::vector<float> &v, std::vector<int64_t> shape) {
    return TensorView::host(v.data(), std::move(shape));
}
TensorView view(const std::vector<float> &v, std::vector<int64_t> shape) {
    return TensorView::host(v.data(), std::move(shape));
}

// Where one target's mixer starts, in the library's logits, and the factor on
// Adam's learning rate that makes its steps those of the notebook's own
// parameters.
struct Start {
    std::vector<float> logits;
    double lr_scale = 1;
};

// The notebook's random starting points. Its go parameter is a full n x n
// matrix R with U[0,1) entries and A = R - R^T: each logit (an entry of the
// strict upper triangle of A) is the difference of two such entries. Adam on R
// moves R_ij and R_ji by opposite steps of the same size (their gradients are
// opposite), so A's entry moves twice as far as Adam on the logit alone would
// take it: lr_scale 2 reproduces it exactly. KromHC's factor weights are
// softmax(c_id, c_swap), so our logit is c_id - c_swap, and the same argument
// gives lr_scale 2.
Start paper_start(Method method, int64_t k, std::mt19937_64 &rng) {
    Start start;
    start.logits.resize(size_t(k));
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    switch (method) {
        case Method::go:
        case Method::go_kron:
            for (float &v : start.logits) v = uniform(rng) - uniform(rng);
            start.lr_scale = 2;
            break;
        case Method::kromhc:
            for (float &v : start.logits) v = normal(rng) - normal(rng);
            start.lr_scale = 2;
            break;
        default:  // mhc log-weights, mhc-lite logits, hc entries
            for (float &v : start.logits) v = normal(rng);
            break;
    }
    return start;
}

// One method's fit: all targets at once, one token per target.
void train(Run &run, const Dataset &data, int64_t epochs, Protocol protocol, uint64_t seed) {
    const int64_t t = data.targets, d = data.d, c = data.samples;
    Mixer mixer(run.method, int(d), run.s);
    const int64_t k = mixer.logit_count();
    std::vector<float> logits(size_t(t * k));
    std::mt19937_64 rng(seed * 0xA0761D6478BD642Full + uint64_t(d) * 131 + uint64_t(run.s));
    double lr_scale = 1;
    for (int64_t i = 0; i < t; i++) {
        Start start;
        if (protocol == Protocol::paper) {
            start = paper_start(run.method, k, rng);
        } else {
            start.logits =
                initial_residual_logits(run.method, int(d), run.s, seed * 1000003u + uint64_t(i));
        }
        if (int64_t(start.logits.size()) != k) {
            throw Error("the starting point has " + std::to_string(start.logits.size()) +
                        " logits, the mixer takes " + std::to_string(k));
        }
        lr_scale = start.lr_scale;
        std::copy(start.logits.begin(), start.logits.end(), logits.begin() + i * k);
    }
    std::vector<float> h(size_t(t * d * d)), h_post(size_t(t * d), 0.0f), f(size_t(t * c), 0.0f);
    std::vector<float> pred(size_t(t * d * c)), dpred, dx(pred.size()), dh(h.size());
    std::vector<float> dh_post(h_post.size()), df(f.size()), dlogits(logits.size());
    Adam adam(logits.size(), kLearningRate * lr_scale, 0.9, 0.999,
              protocol == Protocol::paper ? kPaperEps : kLayerInitEps);
    const TensorView x_v = view(data.x, {t, d, c}), h_v = view(h, {t, d, d});
    const TensorView post_v = view(h_post, {t, d}), f_v = view(f, {t, c});
    run.target_loss.assign(size_t(t), {});
    const auto start = Clock::now();
    for (int64_t epoch = 0;; epoch++) {
        mixer.forward(view(logits, {t, k}), h_v);
        stream_write_forward(x_v, h_v, post_v, f_v, view(pred, {t, d, c}));
        const double loss = mse_loss(pred, data.y, &dpred);
        const std::vector<double> per_target = per_target_loss(data, pred);
        for (int64_t i = 0; i < t; i++) run.target_loss[size_t(i)].push_back(per_target[size_t(i)]);
        run.loss.push_back(loss);
        run.seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
        if (!std::isfinite(loss)) {
            run.diverged = true;
            break;
        }
        if (epoch == epochs) break;
        stream_write_backward(x_v, h_v, post_v, f_v, view(dpred, {t, d, c}), view(dx, {t, d, c}),
                              view(dh, {t, d, d}), view(dh_post, {t, d}), view(df, {t, c}));
        mixer.backward(view(dh, {t, d, d}), view(dlogits, {t, k}));
        adam.step(logits, dlogits);
    }
    double least_sum = 0, converge_sum = 0;
    for (const std::vector<double> &curve : run.target_loss) {
        least_sum += *std::min_element(curve.begin(), curve.end());
        converge_sum += double(epochs_to_converge(curve));
    }
    run.final_loss = run.diverged ? std::nan("") : least_sum / double(t);
    run.epochs_to_converge = run.diverged ? std::nan("") : converge_sum / double(t);
    run.target_loss.clear();  // only the summary needs them
}

std::string label(const Run &run) { return method_label({run.method, run.name, run.s}); }

void write_csv(const fs::path &path, const std::string &text) {
    std::ofstream out(path);
    if (!out || !(out << text) || !out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

// The distinct (name, s) methods in the order they first ran, with a label each.
std::vector<const Run *> distinct_methods(const std::vector<Run> &runs) {
    std::vector<const Run *> out;
    std::set<std::pair<std::string, int>> seen;
    for (const Run &run : runs) {
        if (seen.insert({run.name, run.s}).second) out.push_back(&run);
    }
    return out;
}

// The line colour of a method: its place in distinct_methods, the same in every panel.
int colour(const std::vector<const Run *> &methods, const Run &run) {
    for (size_t i = 0; i < methods.size(); i++) {
        if (methods[i]->name == run.name && methods[i]->s == run.s) return int(i) + 1;
    }
    return 0;
}

std::string selector(const Run &run) {
    return "strcol(1) eq '" + run.name + "' && $3 == " + std::to_string(run.s);
}

std::string loss_script(const fs::path &dir, const std::vector<Run> &runs,
                        const std::vector<int> &ds, const std::string &targets, int64_t epochs) {
    const std::vector<const Run *> methods = distinct_methods(runs);
    const std::string curves = gnuplot_string(fs::absolute(dir / "curves.csv").string());
    const int cols = ds.size() == 1 ? 1 : 2, rows = (int(ds.size()) + cols - 1) / cols;
    std::ostringstream gp;
    gp << "# gomhc synth: loss per epoch, one panel per d, one line per method\n"
       << png_terminal(cols == 1 ? 1000 : 1400, rows == 1 ? 650 : 500 * rows) << "set output "
       << gnuplot_string(fs::absolute(dir / "loss.png").string()) << "\n"
       << "set datafile separator ','\n"
       << "set xlabel 'epoch + 1'\nset ylabel 'loss (mean squared error)'\n"
       << "set logscale xy\nset format y '%.0e'\nset grid\nset key top right\n"
       << "set xrange [1:" << std::max<int64_t>(epochs + 1, 2) << "]\n"
       << "set multiplot layout " << rows << "," << cols << " title 'gomhc synth: " << kTargets
       << " targets (" << targets << ") x " << kSamples
       << " samples, Adam lr 1e-3, full batch; dashed: the floor 0.1^2/3'\n";
    for (int d : ds) {
        gp << "set title 'd = " << d << "'\nplot \\\n";
        for (const Run &run : runs) {
            if (run.d != d) continue;
            gp << "    " << curves << " skip 1 using ($2 == " << d << " && " << selector(run)
               << " ? $4 + 1 : 1/0):6 with lines lw 2 lc " << colour(methods, run) << " title '"
               << label(run) << "', \\\n";
        }
        gp << "    " << csv_number(kMinimumLoss)
           << " with lines dashtype 2 lw 2 lc rgb 'black' notitle\n";
    }
    gp << "unset multiplot\n";
    return gp.str();
}

// The points come from the runs as inline data blocks, one per method, so
// each method's line joins its own d values.
std::string converge_script(const fs::path &dir, const std::vector<Run> &runs,
                            const std::string &targets) {
    const std::vector<const Run *> methods = distinct_methods(runs);
    std::ostringstream gp;
    gp << "# gomhc synth: epochs to converge and final loss over the floor vs d\n";
    for (size_t i = 0; i < methods.size(); i++) {
        gp << "$m" << i << " << EOD\n";
        for (const Run &run : runs) {
            if (run.name == methods[i]->name && run.s == methods[i]->s && !run.diverged) {
                gp << run.d << ' ' << csv_number(run.epochs_to_converge) << ' '
                   << csv_number(run.final_loss / kMinimumLoss) << '\n';
            }
        }
        gp << "EOD\n";
    }
    gp << png_terminal(1400, 600) << "set output "
       << gnuplot_string(fs::absolute(dir / "converge.png").string()) << "\n"
       << "set xlabel 'd (streams)'\nset logscale x 2\nset logscale y\nset grid\n"
       << "set key top left\n"
       << "set multiplot layout 1,2 title 'gomhc synth: " << kTargets << " targets (" << targets
       << "), the notebook''s measures averaged over targets'\n";
    const auto panel = [&](const std::string &title, const std::string &ylabel, int column) {
        gp << "set title '" << title << "'\nset ylabel '" << ylabel << "'\nplot \\\n";
        for (size_t i = 0; i < methods.size(); i++) {
            gp << "    $m" << i << " using 1:" << column << " with linespoints lw 2 pt 7 lc "
               << i + 1 << " title '" << label(*methods[i]) << "'"
               << (i + 1 < methods.size() ? ", \\\n" : "\n");
        }
    };
    panel("epochs to converge (first epoch within 5% of the last loss)", "epochs", 2);
    panel("final loss / floor 0.1^2/3", "least loss / floor", 3);
    gp << "unset multiplot\n";
    return gp.str();
}

}  // namespace

int synth_main(int argc, char **argv) {
    fs::path out;
    int s = 2;
    int64_t epochs = kDefaultEpochs;
    uint64_t seed = 1;
    double sparsity = 0;
    std::string protocol_name = "paper", d_text = "2,4,8,16", methods, targets;
    CLI::App app{kAbout, "gomhc synth"};
    app.add_option("--out", out, "output folder")->required();
    app.add_option("--protocol", protocol_name, "paper or layer-init")->capture_default_str();
    app.add_option("--d", d_text, "stream counts, comma-separated")->capture_default_str();
    app.add_option("--s", s, "block size of go and go-kron entries without :S")
        ->check(CLI::Range(1, kMaxN))
        ->capture_default_str();
    auto *methods_option = app.add_option("--methods", methods, "NAME or NAME:S, comma-separated");
    app.add_option("--epochs", epochs, "Adam steps per method")
        ->check(CLI::Range(int64_t(0), int64_t(100000000)))
        ->capture_default_str();
    auto *targets_option = app.add_option(
        "--targets", targets, "sinkhorn, birkhoff, mixed, cycle3 or cycle (default: by protocol)");
    app.add_option("--sparsity", sparsity, "probability that an input entry is zero")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    app.add_option("--seed", seed, "targets', data's and starting points' seed")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    Protocol protocol = Protocol::paper;
    TargetSet target_set = TargetSet::sinkhorn;
    std::vector<int> ds;
    std::vector<MethodEntry> entries;
    const bool default_methods = methods_option->count() == 0;
    try {
        protocol = parse_protocol(protocol_name);
        ds = parse_d_list(d_text);
        if (targets_option->count() == 0) {
            targets = protocol == Protocol::paper ? "sinkhorn" : "mixed";
        }
        target_set = parse_target_set(targets);
        for (int d : ds) {
            if (target_set == TargetSet::cycle3 && d < 3) {
                throw UsageError("--targets cycle3 needs every --d to be 3 or more, got " +
                                 std::to_string(d));
            }
            if (target_set == TargetSet::birkhoff && d > kMaxBirkhoffD) {
                throw UsageError(
                    "--targets birkhoff sums all d! permutations: every --d must "
                    "be at most " +
                    std::to_string(kMaxBirkhoffD) + ", got " + std::to_string(d));
            }
        }
        if (default_methods) {
            methods = protocol == Protocol::paper ? kPaperMethods : kLayerInitMethods;
        }
        entries = parse_method_list(methods, s);
        if (default_methods && protocol == Protocol::layer_init) {
            // go with --s, then go with s = 1
            entries[0].s = s;
            if (s == 1) entries.erase(entries.begin() + 1);
        }
    } catch (const std::invalid_argument &e) {
        std::cerr << "gomhc synth: " << e.what() << "\n" << kSeeHelp;
        return 2;
    }

    // Resolve the methods at every d before any work, so a bad list fails at once.
    std::vector<Run> runs;
    try {
        const auto too_slow = [&](const ResolvedMethod &m, int d) -> std::string {
            const int64_t logits = residual_logit_count(m.method, d, m.s);
            if (!default_methods || logits * kTargets <= kMaxDefaultLogits) return "";
            return std::to_string(logits) +
                   " logits per target make it slow; name it in --methods to run it anyway";
        };
        for (int d : ds) {
            const auto refuse = [&](const ResolvedMethod &m) { return too_slow(m, d); };
            for (const ResolvedMethod &m :
                 resolve_methods(entries, d, default_methods || ds.size() > 1, refuse)) {
                Run run;
                run.method = m.method;
                run.name = m.name;
                run.s = m.s;
                run.d = d;
                runs.push_back(run);
            }
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
        const InputOptions inputs{sparsity, protocol == Protocol::paper};
        std::printf(
            "gomhc synth: protocol %s, %d targets (%s) x %d samples%s, %lld epochs, seed %llu; "
            "floor 0.1^2/3 = %.6g\n",
            protocol_name.c_str(), kTargets, target_set_name(target_set).c_str(), kSamples,
            sparsity > 0 ? (", sparsity " + csv_number(sparsity)).c_str() : "", (long long)epochs,
            (unsigned long long)seed, kMinimumLoss);
        std::ostringstream curves, summary;
        curves << "method,d,s,epoch,seconds,loss\n";
        summary << "method,d,s,final_loss,noise_floor,final_over_floor,epochs_to_converge,"
                   "last_loss,seconds\n";
        const auto started = Clock::now();
        int current_d = 0;
        Dataset data;
        for (size_t r = 0; r < runs.size(); r++) {
            Run &run = runs[r];
            if (run.d != current_d) {
                current_d = run.d;
                data = make_dataset(make_targets(current_d, kTargets, target_set, seed), current_d,
                                    kSamples, seed, inputs);
                std::printf("\nd = %d\n%-12s %11s %9s %12s %11s %9s\n", current_d, "method",
                            "final_loss", "/floor", "epochs_to_5%", "last_loss", "seconds");
            }
            std::printf("%-12s ", label(run).c_str());
            std::fflush(stdout);
            train(run, data, epochs, protocol, seed);
            for (size_t e = 0; e < run.loss.size(); e++) {
                curves << run.name << ',' << run.d << ',' << run.s << ',' << e << ','
                       << csv_number(run.seconds[e]) << ',' << csv_number(run.loss[e]) << '\n';
            }
            summary << run.name << ',' << run.d << ',' << run.s << ',' << csv_number(run.final_loss)
                    << ',' << csv_number(kMinimumLoss) << ','
                    << csv_number(run.final_loss / kMinimumLoss) << ','
                    << csv_number(run.epochs_to_converge) << ',' << csv_number(run.loss.back())
                    << ',' << csv_number(run.seconds.back()) << '\n';
            std::printf("%11.6f %9.3f %12.0f %11.6f %9.2f%s  [%.0f s so far]\n", run.final_loss,
                        run.final_loss / kMinimumLoss, run.epochs_to_converge, run.loss.back(),
                        run.seconds.back(), run.diverged ? "  (diverged: loss not finite)" : "",
                        std::chrono::duration<double>(Clock::now() - started).count());
            std::fflush(stdout);
        }
        write_csv(out / "curves.csv", curves.str());
        write_csv(out / "summary.csv", summary.str());
        std::cout << "\nwrote " << (out / "curves.csv").string() << " and "
                  << (out / "summary.csv").string() << "\n";
        const std::string name = target_set_name(target_set);
        std::cout << draw_figure(out / "loss.gp", loss_script(out, runs, ds, name, epochs),
                                 out / "loss.png")
                         .message
                  << "\n";
        std::cout << draw_figure(out / "converge.gp", converge_script(out, runs, name),
                                 out / "converge.png")
                         .message
                  << "\n";
    } catch (const std::exception &e) {
        std::cerr << "gomhc synth: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace gomhc::tools::synth
