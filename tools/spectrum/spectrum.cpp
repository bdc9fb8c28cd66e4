#include "spectrum/spectrum.h"

#include <CLI/CLI.hpp>
#include <algorithm>
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
constexpr int kGridCells = 200;
constexpr int64_t kPlotSamples = 5000;  // per method, in eigenvalues.csv and the figure
const char *kDefaultMethods = "go,go:1,kromhc,mhc,mhc-lite";

const char *kAbout =
    "Measures how much of the Karpelevic region Theta_d (the eigenvalues of all d x d\n"
    "stochastic matrices, which holds those of every doubly stochastic mixer) each\n"
    "method's mixers H_res can reach. Per method, --samples mixers start from random\n"
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
    "             or whose logits (samples x K) pass 2^26 (mhc-lite, K = d!, at d >= 8),\n"
    "             are skipped with a note.\n"
    "Writes DIR/coverage.csv (method,d,s,coverage; s is 1 for methods without a\n"
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
       << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
       << "    set terminal pngcairo size " << 460 * cols << "," << 470 * rows + 40
       << " noenhanced font ',10'\n"
       << "} else {\n"
       << "    set terminal png size " << 460 * cols << "," << 470 * rows + 40 << " noenhanced\n"
       << "}\n"
       << "set output " << gnuplot_string(fs::absolute(dir / "spectrum.png").string()) << "\n"
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

}  // namespace

int spectrum_main(int argc, char **argv) {
    int d = 0;
    int64_t samples = 0, search = 0;
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
    app.add_option("--d", d, "streams")->check(CLI::Range(2, 16))->capture_default_str();
    app.add_option("--s", s, "block size of go and go-kron")
        ->check(CLI::Range(1, kMaxN))
        ->capture_default_str();
    auto *methods_option = app.add_option("--methods", methods, "NAME or NAME:S, comma-separated")
                               ->capture_default_str();
    app.add_option("--samples", samples, "mixers per method")
        ->check(CLI::Range(int64_t(1), int64_t(10000000)))
        ->capture_default_str();
    app.add_option("--search", search, "Adam steps per mixer (0: plain sampling)")
        ->check(CLI::Range(int64_t(0), int64_t(1000000)))
        ->capture_default_str();
    app.add_option("--seed", seed, "sampling seed")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    try {
        default_methods = methods_option->count() == 0;
        entries = parse_method_list(methods, s);
        if (default_methods) {
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
        std::ostringstream coverage, eig, boundary;
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
        boundary << "re,im\n";
        const auto &upper = region.upper_boundary();
        for (const auto &z : upper)
            boundary << csv_number(z.real()) << ',' << csv_number(z.imag()) << '\n';
        for (size_t i = upper.size(); i-- > 0;) {
            boundary << csv_number(upper[i].real()) << ',' << csv_number(-upper[i].imag()) << '\n';
        }
        write_file(out / "coverage.csv", coverage.str());
        write_file(out / "eigenvalues.csv", eig.str());
        write_file(out / "boundary.csv", boundary.str());
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
