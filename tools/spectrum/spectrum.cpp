#include "spectrum/spectrum.h"

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
#include "spectrum/eigenvalues.h"
#include "spectrum/karpelevic.h"
#include "spectrum/reach.h"

namespace gomhc::tools::spectrum {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDefaultSamples = 20000;
constexpr int64_t kDefaultSearch = 100;
constexpr double kSearchLr = 0.05;
// The most logits (samples x K) one method may hold: with gradients and Adam's
// moments that is about 1.3 GB. mhc-lite has K = d! logits per mixer.
constexpr int64_t kMaxLogits = int64_t(1) << 26;
// The default method list skips a method with more logits per mixer than this
// (mhc-lite from d = 8: 8! = 40320 weights, minutes for a few hundred mixers).
constexpr int64_t kMaxDefaultLogitsPerMixer = 5040;
constexpr int kGridCells = 200;
constexpr int64_t kPlotSamples = 5000;  // per method, in eigenvalues.csv and the figure
const char *kDefaultMethods = "go,go:1,kromhc,mhc,mhc-lite";
// The paper's protocol (spectra.ipynb).
constexpr int64_t kPaperTargets = 10000;
constexpr int kPaperCoverageCells = 50;  // coverage grid over [-1,1]^2
constexpr int kHistogramBins = 101;      // the notebook's histogram over [-1.05,1.05]^2
constexpr double kHistogramHalfWidth = 1.05;
constexpr double kReachedDistance = 0.05;
const char *kPaperMethods = "go:1,go:2,mhc,mhc-lite,kromhc,go-kron";

const char *kAbout =
    "Spectral reach of each method's mixers H_res against the Karpelevic region\n"
    "Theta_d (the eigenvalues of all d x d stochastic matrices, which holds those of\n"
    "every doubly stochastic mixer).\n"
    "--protocol paper (default), the authors' spectra notebook: --samples target points\n"
    "w uniform on the square [-1,1]^2 of the complex plane (on [-1,1] for d = 2); one\n"
    "mixer per target starts at the notebook's random point (go, go-kron: A = R - R^T,\n"
    "R's entries N(0,1); mhc log-weights 100 U[-1,1]; mhc-lite and hc logits N(0,1);\n"
    "kromhc the difference of two N(0,1) logits) and Adam moves its nearest eigenvalue\n"
    "onto w (loss min_k |lambda_k - w|^2; go and go-kron 100 steps at lr 0.1, the others\n"
    "250 at lr 0.08; --steps overrides). Every eigenvalue of every step goes into the\n"
    "picture's histogram. Per method: coverage, the fraction of Theta_d's cells of a\n"
    "50 x 50 grid over [-1,1]^2 holding a final nearest eigenvalue; reached, the\n"
    "fraction of targets inside Theta_d ended within 0.05; and their mean distance.\n"
    "Writes DIR/coverage.csv (method,d,s,coverage,reached,mean_distance,steps,lr),\n"
    "DIR/visits.csv (method,s,re,im,count: the histogram's non-empty cells),\n"
    "DIR/boundary.csv and DIR/spectrum.png (with DIR/spectrum.gp).\n"
    "--protocol region-search (ours): per method, --samples mixers start from random\n"
    "logits sigma * z, z ~ N(0, I), one sigma per sample with log10(sigma) ~ U[-1, 1];\n"
    "each then takes --search Adam steps (lr 0.05) on its logits that pull an\n"
    "eigenvalue towards its own target w drawn uniformly from Theta_d (descent on\n"
    "log|det(H - w I)|^2). Random logits alone show where a family's mass lies (for go\n"
    "it concentrates as s grows), not how far it reaches; --search 0 measures that.\n"
    "Coverage: the fraction of the cells of a 200 x 200 grid over [-1,1]^2 whose\n"
    "centres lie inside Theta_d that hold at least one final eigenvalue (for d = 2,\n"
    "where Theta_2 = [-1,1], the 200 intervals of [-1,1]).\n"
    "  --methods  comma-separated NAME or NAME:S (S the block size of go and go-kron,\n"
    "             default --s); with the default list, methods that cannot take --d,\n"
    "             and mhc-lite from d = 8 (K = d! logits per mixer), are skipped with a\n"
    "             note; any list is refused past 2^26 logits in all (samples x K).\n"
    "It writes DIR/coverage.csv (method,d,s,coverage; s is 1 for methods without a\n"
    "block size), DIR/eigenvalues.csv (the first 5000 mixers' eigenvalues per\n"
    "method), DIR/boundary.csv (the boundary of Theta_d) and DIR/spectrum.png (with\n"
    "DIR/spectrum.gp).\n";

struct Family {
    Method method;
    std::string name;
    int s = 1;
    double coverage = 0;          // after the search
    double sampled_coverage = 0;  // of the random starting points
    int64_t hit_cells = 0;
    double real_fraction = 0;  // eigenvalues with |Im| <= 1e-6
    double max_modulus = 0;
    std::vector<std::complex<double>> shown;  // for the figure
    // The paper's protocol.
    double reached = 0, mean_distance = 0, lr = 0;
    int64_t steps = 0;
    std::vector<int64_t> visits;  // kHistogramBins^2, row-major over (im, re)
};

std::string label(const Family &f) { return method_label({f.method, f.name, f.s}); }

void write_file(const fs::path &path, const std::string &text) {
    std::ofstream out(path);
    if (!out || !(out << text) || !out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

// Samples the family's mixers, moves them towards their targets and measures
// the eigenvalues before and after.
void measure(Family &family, int d, int64_t samples, int64_t search, uint64_t seed,
             const KarpelevicRegion &region) {
    Mixer mixer(family.method, d, family.s);
    const int64_t k = mixer.logit_count();
    const size_t dd = size_t(d) * d;
    std::vector<float> logits(size_t(samples * k)), h(size_t(samples) * dd);
    std::vector<std::complex<double>> targets(samples);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> exponent(-1.0, 1.0);
    for (int64_t i = 0; i < samples; i++) {
        const double sigma = std::pow(10.0, exponent(rng));
        for (int64_t j = 0; j < k; j++) logits[size_t(i * k + j)] = float(sigma * normal(rng));
        targets[i] = sample_region_point(region, rng);
    }
    const TensorView logits_v = TensorView::host(logits.data(), {samples, k});
    const TensorView h_v = TensorView::host(h.data(), {samples, int64_t(d), int64_t(d)});
    mixer.forward(logits_v, h_v);

    std::vector<double> m(dd);
    auto for_each_eigenvalue = [&](auto &&visit) {
        for (int64_t i = 0; i < samples; i++) {
            for (size_t j = 0; j < dd; j++) m[j] = h[size_t(i) * dd + j];
            for (const auto &z : eigenvalues(d, m)) visit(i, z);
        }
    };
    CoverageGrid sampled(region, kGridCells);
    for_each_eigenvalue([&](int64_t, std::complex<double> z) { sampled.add(z); });
    family.sampled_coverage = sampled.coverage();

    if (search > 0) {
        std::vector<float> dh(h.size()), dlogits(logits.size());
        Adam adam(logits.size(), kSearchLr);
        for (int64_t step = 0; step < search; step++) {
            for (int64_t i = 0; i < samples; i++) {
                float *g = &dh[size_t(i) * dd];
                if (!log_det_gradient(d, &h[size_t(i) * dd], targets[i], g)) {
                    std::fill(g, g + dd, 0.0f);  // an eigenvalue is at the target already
                }
            }
            mixer.backward(TensorView::host(dh.data(), {samples, int64_t(d), int64_t(d)}),
                           TensorView::host(dlogits.data(), {samples, k}));
            for (float &g : dlogits) {
                if (!std::isfinite(g)) g = 0;
            }
            adam.step(logits, dlogits);
            mixer.forward(logits_v, h_v);
        }
    }

    CoverageGrid grid(region, kGridCells);
    int64_t real = 0, total = 0;
    for_each_eigenvalue([&](int64_t i, std::complex<double> z) {
        grid.add(z);
        total++;
        if (std::abs(z.imag()) <= 1e-6) real++;
        family.max_modulus = std::max(family.max_modulus, std::abs(z));
        if (i < kPlotSamples) family.shown.push_back(z);
    });
    family.coverage = grid.coverage();
    family.hit_cells = grid.hit_cells();
    family.real_fraction = total ? double(real) / double(total) : 0;
}

std::string spectrum_script(const fs::path &dir, const std::vector<Family> &families, int d,
                            int64_t samples, int64_t search) {
    const std::string eig = gnuplot_string(fs::absolute(dir / "eigenvalues.csv").string());
    const std::string boundary = gnuplot_string(fs::absolute(dir / "boundary.csv").string());
    const int count = int(families.size());
    const int cols = count <= 3 ? count : (count <= 4 ? 2 : 3);
    const int rows = (count + cols - 1) / cols;
    std::ostringstream gp;
    gp << "# gomhc spectrum: eigenvalues of sampled mixers against the Karpelevic region\n"
       << png_terminal(460 * cols, 470 * rows + 40) << "set output "
       << gnuplot_string(fs::absolute(dir / "spectrum.png").string()) << "\n"
       << "set datafile separator ','\n"
       << "set size ratio -1\nset xrange [-1.1:1.1]\nset yrange [-1.1:1.1]\n"
       << "set xtics 0.5\nset ytics 0.5\nset grid\nunset key\n"
       << "set object 1 circle at 0,0 size 1 fs empty border lc rgb 'gray60' dt 2\n"
       << "set multiplot layout " << rows << "," << cols << " title 'gomhc spectrum: d = " << d
       << ", " << samples << " mixers per method after " << search << " search steps (first "
       << std::min(samples, kPlotSamples)
       << " shown); line: Karpelevic region, dashed: unit circle'\n";
    for (const Family &f : families) {
        char coverage[32];
        std::snprintf(coverage, sizeof coverage, "%.3f", f.coverage);
        gp << "set title '" << label(f) << ": coverage " << coverage << "'\n"
           << "plot " << eig << " skip 1 using (strcol(1) eq '" << f.name << "' && $2 == " << f.s
           << " ? $3 : 1/0):4 with points pt 7 ps 0.25 lc rgb '#c01f5fbf', \\\n"
           << "     " << boundary << " skip 1 using 1:2 with lines lw 2 lc rgb 'black'\n";
    }
    gp << "unset multiplot\n";
    return gp.str();
}

// The notebook's optimiser settings and starting point per method, in the
// library's logits. As in `gomhc synth`, a go or go-kron logit is the
// difference of two entries of the notebook's R (A = R - R^T) and a kromhc
// logit the difference of its two softmax logits; Adam on the pair moves the
// difference twice as far, so those methods take twice the notebook's lr.
struct PaperSettings {
    int64_t steps = 250;
    double lr = 0.08;
    double lr_scale = 1;
};
PaperSettings paper_settings(Method method) {
    if (method == Method::go || method == Method::go_kron) return {100, 0.1, 2};
    if (method == Method::kromhc) return {250, 0.08, 2};
    return {};
}
float paper_logit(Method method, std::mt19937_64 &rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    switch (method) {
        case Method::go:
        case Method::go_kron:
        case Method::kromhc:
            return normal(rng) - normal(rng);
        case Method::mhc:
            return 100 * uniform(rng);
        default:
            return normal(rng);
    }
}

void histogram_add(std::vector<int64_t> &visits, std::complex<double> z) {
    const double cell = 2 * kHistogramHalfWidth / kHistogramBins;
    const int x = int(std::floor((z.real() + kHistogramHalfWidth) / cell));
    const int y = int(std::floor((z.imag() + kHistogramHalfWidth) / cell));
    if (x >= 0 && x < kHistogramBins && y >= 0 && y < kHistogramBins) {
        visits[size_t(y) * kHistogramBins + x]++;
    }
}

void measure_paper(Family &family, int d, const std::vector<std::complex<double>> &targets,
                   int64_t steps_override, uint64_t seed, const KarpelevicRegion &region) {
    Mixer mixer(family.method, d, family.s);
    const int64_t k = mixer.logit_count(), n = int64_t(targets.size());
    const size_t dd = size_t(d) * d;
    const PaperSettings settings = paper_settings(family.method);
    family.steps = steps_override > 0 ? steps_override : settings.steps;
    family.lr = settings.lr;
    std::vector<float> logits(size_t(n * k)), h(size_t(n) * dd), dh(h.size()),
        dlogits(logits.size());
    std::mt19937_64 rng(seed);
    for (float &v : logits) v = paper_logit(family.method, rng);
    const TensorView logits_v = TensorView::host(logits.data(), {n, k});
    const TensorView h_v = TensorView::host(h.data(), {n, int64_t(d), int64_t(d)});
    Adam adam(logits.size(), settings.lr * settings.lr_scale);
    family.visits.assign(size_t(kHistogramBins) * kHistogramBins, 0);
    std::vector<std::complex<double>> nearest(static_cast<size_t>(n)), all;
    for (int64_t step = 0;; step++) {
        mixer.forward(logits_v, h_v);
        for (int64_t i = 0; i < n; i++) {
            nearest_eigenvalue_loss(d, &h[size_t(i) * dd], targets[size_t(i)], &dh[size_t(i) * dd],
                                    &nearest[size_t(i)], &all);
            for (const auto &z : all) histogram_add(family.visits, z);
        }
        if (step == family.steps) break;
        mixer.backward(TensorView::host(dh.data(), {n, int64_t(d), int64_t(d)}),
                       TensorView::host(dlogits.data(), {n, k}));
        for (float &g : dlogits) {
            if (!std::isfinite(g)) g = 0;
        }
        adam.step(logits, dlogits);
    }
    CoverageGrid grid(region, kPaperCoverageCells);
    int64_t inside = 0, reached = 0;
    double distance = 0;
    for (int64_t i = 0; i < n; i++) {
        const std::complex<double> w = targets[size_t(i)];
        grid.add(nearest[size_t(i)]);
        family.max_modulus = std::max(family.max_modulus, std::abs(nearest[size_t(i)]));
        if (region.has_interior() ? region.contains(w) : true) {
            inside++;
            const double r = std::abs(nearest[size_t(i)] - w);
            distance += r;
            if (r <= kReachedDistance) reached++;
        }
    }
    family.coverage = grid.coverage();
    family.hit_cells = grid.hit_cells();
    family.reached = inside ? double(reached) / double(inside) : 0;
    family.mean_distance = inside ? distance / double(inside) : 0;
}

std::string paper_script(const fs::path &dir, const std::vector<Family> &families, int d,
                         int64_t targets) {
    const std::string visits = gnuplot_string(fs::absolute(dir / "visits.csv").string());
    const std::string boundary = gnuplot_string(fs::absolute(dir / "boundary.csv").string());
    const int count = int(families.size());
    const int cols = count <= 3 ? count : 3;
    const int rows = (count + cols - 1) / cols;
    const double half_cell = kHistogramHalfWidth / kHistogramBins;
    std::ostringstream gp;
    gp << "# gomhc spectrum (the paper's protocol): every eigenvalue of every Adam step\n"
       << png_terminal(480 * cols, 450 * rows + 40) << "set output "
       << gnuplot_string(fs::absolute(dir / "spectrum.png").string()) << "\n"
       << "set datafile separator ','\n"
       << "set size ratio -1\nset xrange [-1.1:1.1]\nset yrange [-1.1:1.1]\n"
       << "set xtics 0.5\nset ytics 0.5\nset grid\nunset key\n"
       << "set logscale cb\nset cbrange [1:*]\nset palette defined (0 '#ffffcc', 1 '#fd8d3c', "
          "2 '#bd0026', 3 '#49006a')\n"
       << "set object 1 circle at 0,0 size 1 fs empty border lc rgb 'gray60' dt 2 front\n"
       << "set multiplot layout " << rows << "," << cols << " title 'gomhc spectrum: d = " << d
       << ", " << targets
       << " random targets per method, eigenvalues of every Adam step (counts per cell); "
          "line: Karpelevic region, dashed: unit circle'\n";
    for (const Family &f : families) {
        char title[96];
        std::snprintf(title, sizeof title, "%s: coverage %.3f, reached %.3f", label(f).c_str(),
                      f.coverage, f.reached);
        gp << "set title '" << title << "'\n"
           << "plot " << visits << " skip 1 using (strcol(1) eq '" << f.name << "' && $2 == " << f.s
           << " ? $3 : 1/0):4:(" << half_cell << "):(" << half_cell
           << "):5 with boxxyerror fs solid 1.0 noborder lc palette, \\\n"
           << "     " << boundary << " skip 1 using 1:2 with lines lw 2 lc rgb 'black'\n";
    }
    gp << "unset multiplot\n";
    return gp.str();
}

std::string boundary_csv(const KarpelevicRegion &region) {
    std::ostringstream boundary;
    boundary << "re,im\n";
    const auto &upper = region.upper_boundary();
    for (const auto &z : upper)
        boundary << csv_number(z.real()) << ',' << csv_number(z.imag()) << '\n';
    for (size_t i = upper.size(); i-- > 0;) {
        boundary << csv_number(upper[i].real()) << ',' << csv_number(-upper[i].imag()) << '\n';
    }
    return boundary.str();
}

// The paper's protocol, from the resolved families to the files.
void run_paper(std::vector<Family> &families, int d, int64_t n, int64_t steps, uint64_t seed,
               const fs::path &out) {
    const KarpelevicRegion region(d);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> square(-1.0, 1.0);
    std::vector<std::complex<double>> targets(static_cast<size_t>(n));
    for (auto &w : targets) {
        const double re = square(rng);
        w = {re, region.has_interior() ? square(rng) : 0.0};
    }
    std::printf(
        "gomhc spectrum (paper protocol): d = %d, %lld targets uniform on %s, one mixer "
        "per target moving its nearest eigenvalue onto it; seed %llu\n",
        d, (long long)n, region.has_interior() ? "[-1,1]^2" : "[-1,1]", (unsigned long long)seed);
    std::printf("%-12s %6s %6s %9s %9s %14s %12s %9s\n", "method", "steps", "lr", "coverage",
                "reached", "mean_distance", "max_|lambda|", "seconds");
    std::ostringstream coverage, visits;
    coverage << "method,d,s,coverage,reached,mean_distance,steps,lr\n";
    visits << "method,s,re,im,count\n";
    const double cell = 2 * kHistogramHalfWidth / kHistogramBins;
    for (size_t i = 0; i < families.size(); i++) {
        Family &f = families[i];
        const auto start = std::chrono::steady_clock::now();
        measure_paper(f, d, targets, steps, seed * 7919u + i, region);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        coverage << f.name << ',' << d << ',' << f.s << ',' << csv_number(f.coverage) << ','
                 << csv_number(f.reached) << ',' << csv_number(f.mean_distance) << ',' << f.steps
                 << ',' << csv_number(f.lr) << '\n';
        for (int y = 0; y < kHistogramBins; y++) {
            for (int x = 0; x < kHistogramBins; x++) {
                const int64_t c = f.visits[size_t(y) * kHistogramBins + x];
                if (c == 0) continue;
                visits << f.name << ',' << f.s << ','
                       << csv_number(-kHistogramHalfWidth + (x + 0.5) * cell) << ','
                       << csv_number(-kHistogramHalfWidth + (y + 0.5) * cell) << ',' << c << '\n';
            }
        }
        std::printf("%-12s %6lld %6.2f %9.4f %9.4f %14.4f %12.6f %9.1f\n", label(f).c_str(),
                    (long long)f.steps, f.lr, f.coverage, f.reached, f.mean_distance, f.max_modulus,
                    seconds);
        std::fflush(stdout);
    }
    write_file(out / "coverage.csv", coverage.str());
    write_file(out / "visits.csv", visits.str());
    write_file(out / "boundary.csv", boundary_csv(region));
    std::cout << "wrote " << (out / "coverage.csv").string() << ", visits.csv, boundary.csv\n";
    std::cout << draw_figure(out / "spectrum.gp", paper_script(out, families, d, n),
                             out / "spectrum.png")
                     .message
              << "\n";
}

}  // namespace

int spectrum_main(int argc, char **argv) {
    int d = 0;
    int64_t samples = 0, search = 0, steps = 0;
    std::string protocol = "paper";
    uint64_t seed = 0;
    fs::path out;
    std::vector<MethodEntry> entries;
    bool default_methods = false;
    CLI::App app{kAbout, "gomhc spectrum"};
    int s = 2;
    std::string methods = kDefaultMethods;
    d = 4;
    samples = kDefaultSamples;
    search = kDefaultSearch;
    seed = 1;
    app.add_option("--out", out, "output folder")->required();
    app.add_option("--protocol", protocol, "paper or region-search")
        ->check(CLI::IsMember({"paper", "region-search"}))
        ->capture_default_str();
    app.add_option("--d", d, "streams")->check(CLI::Range(2, 16))->capture_default_str();
    app.add_option("--s", s, "block size of go and go-kron")
        ->check(CLI::Range(1, kMaxN))
        ->capture_default_str();
    auto *methods_option = app.add_option(
        "--methods", methods,
        "NAME or NAME:S, comma-separated (default: paper go:1,go:2,mhc,mhc-lite,kromhc,go-kron; "
        "region-search go,go:1,kromhc,mhc,mhc-lite)");
    auto *samples_option =
        app.add_option("--samples", samples,
                       "targets (paper) or mixers (region-search) per method, default "
                       "10000 or 20000")
            ->check(CLI::Range(int64_t(1), int64_t(10000000)));
    app.add_option("--steps", steps,
                   "paper: Adam steps per mixer (default the notebook's: go and go-kron 100, "
                   "others 250)")
        ->check(CLI::Range(int64_t(1), int64_t(1000000)));
    app.add_option("--search", search, "region-search: Adam steps per mixer (0: plain sampling)")
        ->check(CLI::Range(int64_t(0), int64_t(1000000)))
        ->capture_default_str();
    app.add_option("--seed", seed, "sampling seed")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    const bool paper = protocol == "paper";
    if (samples_option->count() == 0) samples = paper ? kPaperTargets : kDefaultSamples;
    try {
        default_methods = methods_option->count() == 0;
        if (default_methods && paper) methods = kPaperMethods;
        entries = parse_method_list(methods, s);
        if (default_methods && !paper) {
            entries[0].s = s;
            if (s == 1) entries.erase(entries.begin() + 1);
        }
    } catch (const std::invalid_argument &e) {
        std::cerr << "gomhc spectrum: " << e.what() << "\n" << kSeeHelp;
        return 2;
    }

    std::vector<Family> families;
    try {
        const auto too_many = [&](const ResolvedMethod &m) -> std::string {
            const int64_t logits = residual_logit_count(m.method, d, m.s);
            if (default_methods && logits > kMaxDefaultLogitsPerMixer) {
                return std::to_string(logits) +
                       " logits per mixer make it slow; name it in --methods to run it anyway";
            }
            if (logits <= kMaxLogits / samples) {
                return "";
            }
            return std::to_string(logits) + " logits per mixer, too many for " +
                   std::to_string(samples) + " samples (at most " + std::to_string(kMaxLogits) +
                   " logits in all; ask for fewer --samples)";
        };
        for (const ResolvedMethod &m : resolve_methods(entries, d, default_methods, too_many)) {
            Family f;
            f.method = m.method;
            f.name = m.name;
            f.s = m.s;
            families.push_back(f);
        }
    } catch (const UsageError &e) {
        std::cerr << "gomhc spectrum: " << e.what() << "\n" << kSeeHelp;
        return 2;
    }
    try {
        prepare_output_dir(out);
    } catch (const std::exception &e) {
        std::cerr << "gomhc spectrum: " << e.what() << "\n";
        return 1;
    }

    if (paper) {
        try {
            run_paper(families, d, samples, steps, seed, out);
        } catch (const std::exception &e) {
            std::cerr << "gomhc spectrum: " << e.what() << "\n";
            return 1;
        }
        return 0;
    }
    try {
        const KarpelevicRegion region(d);
        const CoverageGrid empty(region, kGridCells);
        std::printf(
            "gomhc spectrum: d = %d, %lld mixers per method from logits sigma * N(0, 1), "
            "log10(sigma) ~ U[-1, 1], then %lld search steps towards targets in "
            "Theta_%d; seed %llu\n",
            d, (long long)samples, (long long)search, d, (unsigned long long)seed);
        if (region.has_interior()) {
            std::printf("Karpelevic region Theta_%d: %d of the %d x %d grid cells over [-1,1]^2\n",
                        d, empty.region_cells(), kGridCells, kGridCells);
        } else {
            std::printf("Karpelevic region Theta_%d = [-1, 1]: coverage over its %d intervals\n", d,
                        empty.region_cells());
        }
        std::printf("%-12s %9s %10s %9s %14s %12s\n", "method", "coverage", "cells_hit", "sampled",
                    "real_fraction", "max_|lambda|");
        std::ostringstream coverage, eig;
        coverage << "method,d,s,coverage\n";
        eig << "method,s,re,im\n";
        for (size_t i = 0; i < families.size(); i++) {
            Family &f = families[i];
            measure(f, d, samples, search, seed * 7919u + i, region);
            coverage << f.name << ',' << d << ',' << f.s << ',' << csv_number(f.coverage) << '\n';
            for (const auto &z : f.shown) {
                char line[96];
                std::snprintf(line, sizeof line, "%.6g,%.6g\n", z.real(), z.imag());
                eig << f.name << ',' << f.s << ',' << line;
            }
            std::printf("%-12s %9.4f %10lld %9.4f %14.3f %12.6f\n", label(f).c_str(), f.coverage,
                        (long long)f.hit_cells, f.sampled_coverage, f.real_fraction, f.max_modulus);
            std::fflush(stdout);
        }
        write_file(out / "coverage.csv", coverage.str());
        write_file(out / "eigenvalues.csv", eig.str());
        write_file(out / "boundary.csv", boundary_csv(region));
        std::cout << "wrote " << (out / "coverage.csv").string()
                  << ", eigenvalues.csv, boundary.csv\n";
        const PlotResult plot =
            draw_figure(out / "spectrum.gp", spectrum_script(out, families, d, samples, search),
                        out / "spectrum.png");
        std::cout << plot.message << "\n";
    } catch (const std::exception &e) {
        std::cerr << "gomhc spectrum: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace gomhc::tools::spectrum
