// gomhc_demo: builds random go-mHC residual mixers with the float32 kernels,
// H_res = projection_s(Cayley(A)), checks in float64 that they are doubly
// stochastic and that Q is orthogonal, shows one mixer, and times the forward
// pass.
//
//   gomhc_demo [--tokens N] [--seed S]
//
// --tokens N  tokens of the timed Cayley + projection forward (default 4096)
// --seed S    seed of the random parameters (default 1)
// Exit status: 0 when every check passes, 1 when one fails or a kernel
// reports an error, 2 on a bad command line.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <gomhc/gomhc.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int64_t kCheckTokens = 256;  // random mixers per table row
constexpr int kTimedRuns = 21;
constexpr double kTolerance = 1e-5;  // docs/math.md section 2.3, for sigma <= 10

struct Options {
    int64_t tokens = 4096;
    uint64_t seed = 1;
};

void usage(std::FILE *out) {
    std::fprintf(out,
                 "usage: gomhc_demo [--tokens N] [--seed S]\n"
                 "  --tokens N  tokens of the timed forward pass, 1 <= N <= 16777216 "
                 "(default 4096)\n"
                 "  --seed S    seed of the random parameters, an unsigned integer "
                 "(default 1)\n");
}

[[noreturn]] void bad_args(const std::string &message) {
    std::fprintf(stderr, "gomhc_demo: %s\n", message.c_str());
    usage(stderr);
    std::exit(2);
}

// Whole-string unsigned decimal integer, no sign, no trailing characters.
bool parse_u64(const char *text, uint64_t *out) {
    if (text == nullptr || *text < '0' || *text > '9') {
        return false;
    }
    errno = 0;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

Options parse_args(int argc, char **argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_value = false;
        const size_t eq = arg.find('=');
        if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (arg == "--help" || arg == "-h") {
            usage(stdout);
            std::exit(0);
        }
        if (arg != "--tokens" && arg != "--seed") {
            bad_args("unknown argument '" + std::string(argv[i]) + "'");
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                bad_args(arg + " needs a value");
            }
            value = argv[++i];
        }
        uint64_t v = 0;
        if (arg == "--tokens") {
            if (!parse_u64(value.c_str(), &v) || v < 1 || v > (uint64_t(1) << 24)) {
                bad_args("--tokens wants an integer in [1, 16777216], got '" + value + "'");
            }
            opt.tokens = int64_t(v);
        } else {
            if (!parse_u64(value.c_str(), &v)) {
                bad_args("--seed wants an unsigned integer, got '" + value + "'");
            }
            opt.seed = v;
        }
    }
    return opt;
}

std::vector<float> normal_params(int64_t count, double sigma, std::mt19937_64 &rng) {
    std::normal_distribution<double> dist(0.0, sigma);
    std::vector<float> out(size_t(std::max<int64_t>(count, 1)));
    for (int64_t i = 0; i < count; ++i) {
        out[size_t(i)] = float(dist(rng));
    }
    return out;
}

// H_res (and the Q it came from) for `tokens` random parameter vectors.
struct Mixers {
    std::vector<float> q, h;
};

Mixers make_mixers(int d, int s, int64_t tokens, const std::vector<float> &params) {
    const int64_t n = int64_t(d) * s;
    Mixers m;
    m.q.resize(size_t(tokens * n * n));
    m.h.resize(size_t(tokens * d * d));
    const auto p = gomhc::TensorView::host(params.data(), {tokens, n * (n - 1) / 2});
    const auto q = gomhc::TensorView::host(m.q.data(), {tokens, n, n});
    const auto h = gomhc::TensorView::host(m.h.data(), {tokens, int64_t(d), int64_t(d)});
    gomhc::cayley_forward(d, s, p, q);
    gomhc::orthostochastic_forward(d, s, q, h);
    return m;
}

struct Errors {
    double row = 0, col = 0, min_entry = INFINITY, orth = 0;
};

// The structural errors of a batch, all computed in double.
Errors measure(int d, int s, int64_t tokens, const Mixers &m) {
    const int n = d * s;
    Errors e;
    for (int64_t t = 0; t < tokens; ++t) {
        const float *h = m.h.data() + t * d * d;
        for (int i = 0; i < d; ++i) {
            double row = 0, col = 0;
            for (int j = 0; j < d; ++j) {
                row += double(h[i * d + j]);
                col += double(h[j * d + i]);
                e.min_entry = std::min(e.min_entry, double(h[i * d + j]));
            }
            e.row = std::max(e.row, std::fabs(row - 1.0));
            e.col = std::max(e.col, std::fabs(col - 1.0));
        }
        const float *q = m.q.data() + t * n * n;
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                double dot = 0;  // (Q^T Q)[i][j]
                for (int k = 0; k < n; ++k) {
                    dot += double(q[k * n + i]) * double(q[k * n + j]);
                }
                e.orth = std::max(e.orth, std::fabs(dot - (i == j ? 1.0 : 0.0)));
            }
        }
    }
    return e;
}

int run(const Options &opt) {
    std::mt19937_64 rng(opt.seed);
    struct DS {
        int d, s;
    };
    const DS shapes[] = {{2, 2}, {4, 1}, {4, 2}, {4, 4}, {8, 2}, {8, 4}, {16, 2}, {5, 3}};
    const double sigmas[] = {0.01, 1.0, 10.0, 100.0};

    std::printf(
        "gomhc demo: go-mHC residual mixers H_res = projection_s(Cayley(A)), float32 "
        "kernels\n");
    std::printf(
        "%lld random mixers per row, parameters ~ N(0, sigma^2), seed %llu; errors in "
        "float64\n\n",
        static_cast<long long>(kCheckTokens), static_cast<unsigned long long>(opt.seed));
    std::printf(
        "  d   s   n  kernel        sigma  max|row-1|  max|col-1|     min H  max|QtQ-I|  "
        "check\n");
    bool all_ok = true;
    for (const DS &ds : shapes) {
        const int n = ds.d * ds.s;
        for (double sigma : sigmas) {
            const auto params = normal_params(kCheckTokens * n * (n - 1) / 2, sigma, rng);
            const Mixers m = make_mixers(ds.d, ds.s, kCheckTokens, params);
            const Errors e = measure(ds.d, ds.s, kCheckTokens, m);
            const bool ok = e.row <= kTolerance && e.col <= kTolerance && e.min_entry >= 0.0 &&
                            e.orth <= kTolerance;
            const char *verdict = sigma > 10.0 ? "(info)" : ok ? "ok" : "FAIL";
            if (sigma <= 10.0 && !ok) {
                all_ok = false;
            }
            std::printf("%3d %3d %3d  %-12s %6g  %10.2e  %10.2e  %8.1e  %10.2e  %s\n", ds.d, ds.s,
                        n, gomhc::kernel_variant(ds.d, ds.s).c_str(), sigma, e.row, e.col,
                        e.min_entry, e.orth, verdict);
        }
    }
    std::printf(
        "check: all errors <= %g and H >= 0 for sigma <= 10 (docs/math.md section 2.3); sigma = 100 is "
        "reported only\n\n",
        kTolerance);

    // One example mixer.
    {
        const int d = 4, s = 2, n = d * s;
        const auto params = normal_params(n * (n - 1) / 2, 1.0, rng);
        const Mixers m = make_mixers(d, s, 1, params);
        std::printf("example H_res (d = %d, s = %d, sigma = 1):\n", d, s);
        double col[4] = {0, 0, 0, 0};
        for (int i = 0; i < d; ++i) {
            double row = 0;
            std::printf("  ");
            for (int j = 0; j < d; ++j) {
                const double v = m.h[size_t(i * d + j)];
                row += v;
                col[j] += v;
                std::printf(" %8.5f", v);
            }
            std::printf("   | row sum %.7f\n", row);
        }
        std::printf("  ");
        for (int j = 0; j < d; ++j) {
            std::printf(" %8.6f", col[j]);
        }
        std::printf("   column sums\n\n");
    }

    // Timing: Cayley + projection forward, back to back.
    {
        const int d = 4, s = 2;
        const int64_t n = d * s, t = opt.tokens;
        const auto params = normal_params(t * n * (n - 1) / 2, 1.0, rng);
        std::vector<float> qd(size_t(t * n * n)), hd(size_t(t * d * d));
        const auto p = gomhc::TensorView::host(params.data(), {t, n * (n - 1) / 2});
        const auto q = gomhc::TensorView::host(qd.data(), {t, n, n});
        const auto h = gomhc::TensorView::host(hd.data(), {t, int64_t(d), int64_t(d)});
        for (int i = 0; i < 3; ++i) {  // warm-up: thread pool, caches
            gomhc::cayley_forward(d, s, p, q);
            gomhc::orthostochastic_forward(d, s, q, h);
        }
        std::vector<double> times;
        for (int i = 0; i < kTimedRuns; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            gomhc::cayley_forward(d, s, p, q);
            gomhc::orthostochastic_forward(d, s, q, h);
            times.push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(times.begin(), times.end());
        const double median = times[times.size() / 2];
        std::printf(
            "timing: Cayley + projection forward, T = %lld, d = %d, s = %d (%s), median "
            "of %d runs\n",
            static_cast<long long>(t), d, s, gomhc::kernel_variant(d, s).c_str(), kTimedRuns);
        std::printf("  %.3f ms (min %.3f ms)  ->  %.3f M tokens/s\n", median * 1e3,
                    times.front() * 1e3, double(t) / median * 1e-6);
    }

    if (!all_ok) {
        std::printf("\nFAIL: a mixer missed the tolerances of docs/math.md section 2.3 (see the table)\n");
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const Options opt = parse_args(argc, argv);
    try {
        return run(opt);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gomhc_demo: error: %s\n", e.what());
        return 1;
    }
}
