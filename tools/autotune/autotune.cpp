#include "autotune.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "candidate.h"
#include "common/cli.h"
#include "evaluate.h"
#include "gomhc/gomhc.hpp"
#include "tuning_case.h"

namespace gomhc::autotune {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char *kAbout =
    "Searches each op's schedule parameters on this machine (for cpu also Halide's\n"
    "Adams2019 and Mullapudi2016 autoschedulers), checks every candidate against\n"
    "the float64 reference, and writes DIR/<target>.tuned (default DIR:\n"
    "schedules/tuned). Every measurement goes to DIR/<target>.autotune.log, and a\n"
    "second run with the same DIR resumes from it.\n";

struct Options {
    Device device = Device::cpu;
    std::string device_name;
    std::vector<std::string> ops;
    std::set<std::string> shapes;  // empty: all
    double budget_seconds = 600;
    fs::path out = "schedules/tuned";
    uint64_t seed = 1;
};

// Returns false (with *exit_code set) when the program is to exit: --help,
// or a bad command line (message printed, exit code 2).
bool parse_options(int argc, char **argv, Options &o, int *exit_code) {
    CLI::App app{kAbout, "gomhc autotune"};
    std::string ops = "all", shapes = "all";
    app.add_option("--target", o.device_name, "cpu or cuda")
        ->required()
        ->check(CLI::IsMember({"cpu", "cuda"}));
    app.add_option("--ops", ops, "all, or tunable ops, comma-separated")->capture_default_str();
    app.add_option("--shapes", shapes, "all, or variants, comma-separated")->capture_default_str();
    app.add_option("--budget", o.budget_seconds, "seconds of search in all")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--out", o.out, "folder of the tuned file and its log")->capture_default_str();
    app.add_option("--seed", o.seed, "search seed")->capture_default_str();
    try {
        app.parse(argc, argv);
        o.device = o.device_name == "cuda" ? Device::cuda : Device::cpu;
        o.ops = ops == "all" ? tunable_ops() : tools::split_list(ops);
        for (const auto &op : o.ops) {
            const auto &known = tunable_ops();
            if (std::find(known.begin(), known.end(), op) == known.end()) {
                throw CLI::ValidationError("--ops", "unknown op '" + op + "'");
            }
        }
        if (shapes != "all") {
            const auto items = tools::split_list(shapes);
            o.shapes.insert(items.begin(), items.end());
        }
    } catch (const CLI::ParseError &e) {
        *exit_code = app.exit(e) == 0 ? 0 : 2;
        return false;
    }
    return true;
}

std::string machine_description() {
    std::string model = "unknown CPU";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    }
    return model + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " +
           Halide::get_host_target().to_string();
}

std::string today() {
    char text[16];
    std::time_t now = std::time(nullptr);
    std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&now));
    return text;
}

// One line of the log: a measured candidate of one case.
struct LogEntry {
    std::string op, variant, candidate;
    Measurement m;
};

std::string case_key(const std::string &op, const std::string &variant) {
    return op + " " + variant;
}

std::map<std::string, std::map<std::string, Measurement>> read_log(const fs::path &path) {
    std::map<std::string, std::map<std::string, Measurement>> done;
    std::ifstream in(path);
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        line_number++;
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::stringstream fields(line);
        for (std::string item; std::getline(fields, item, '\t');) f.push_back(item);
        try {
            if (f.size() < 5) throw std::invalid_argument("too few fields");
            Measurement m;
            m.status = parse_status(f[3]);
            m.median_ms = std::stod(f[4]);
            m.detail = f.size() > 5 ? f[5] : "";
            done[case_key(f[0], f[1])][parse_candidate(f[2]).key()] = m;
        } catch (const std::exception &e) {
            std::cerr << "gomhc autotune: ignoring " << path.string() << ":" << line_number << ": "
                      << e.what() << "\n";
        }
    }
    return done;
}

void append_log(const fs::path &path, const LogEntry &e) {
    std::ofstream out(path, std::ios::app);
    std::string detail = e.m.detail;
    std::replace(detail.begin(), detail.end(), '\n', ' ');
    std::replace(detail.begin(), detail.end(), '\t', ' ');
    out << e.op << '\t' << e.variant << '\t' << e.candidate << '\t' << status_name(e.m.status)
        << '\t' << e.m.median_ms << '\t' << detail << '\n';
}

struct Winner {
    std::string op, variant, shape, params;
    double default_ms = 0, best_ms = 0;
    bool tuned = false;  // false: the default stays
};

// Entries of an existing tuned file, kept for cases this run did not tune.
std::vector<std::string> kept_entries(const fs::path &path, const std::set<std::string> &tuned) {
    std::vector<std::string> kept;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string word, op, variant;
        fields >> word >> op >> variant;
        if (word == "tune" && !tuned.count(case_key(op, variant))) kept.push_back(line);
    }
    return kept;
}

void write_tuned_file(const fs::path &path, const Options &o, const std::vector<Winner> &winners) {
    std::set<std::string> tuned_cases;
    for (const Winner &w : winners) tuned_cases.insert(case_key(w.op, w.variant));
    const std::vector<std::string> kept = kept_entries(path, tuned_cases);
    const fs::path temporary = path.string() + ".new";
    {
        std::ofstream out(temporary);
        out << "# gomhc tuned schedules: written by `gomhc autotune --target " << o.device_name
            << "`.\n"
            << "# Each `tune` line sets schedule GeneratorParams of one specialised kernel:\n"
            << "#   tune <op> <variant> <param=value>... | <tuned ms> <default ms> <speedup>\n"
            << "# Kernels without a line keep the defaults. The build reads this file when\n"
            << "# GOMHC_USE_TUNED_SCHEDULES is ON (the default).\n"
            << "format 1\n"
            << "target " << o.device_name << "\n"
            << "machine " << machine_description() << "\n"
            << "date " << today() << "\n";
        for (const std::string &line : kept) out << line << "\n";
        for (const Winner &w : winners) {
            if (!w.tuned) continue;
            char stats[96];
            std::snprintf(stats, sizeof stats, "| %.4f %.4f %.2fx", w.best_ms, w.default_ms,
                          w.default_ms / w.best_ms);
            out << "tune " << w.op << " " << w.variant << " " << w.params << " " << stats << "\n";
        }
    }
    fs::rename(temporary, path);  // a reader never sees half a file
}

}  // namespace

int autotune_main(int argc, char **argv) {
    Options o;
    if (int code = 0; !parse_options(argc, argv, o, &code)) {
        return code;
    }
    Halide::Target target = Halide::get_host_target();
    if (o.device == Device::cuda) {
        if (!gomhc::cuda_available()) {
            std::cerr << "gomhc autotune: --target cuda needs a usable GPU: "
                      << gomhc::cuda_unavailable_reason() << "\n";
            return 1;
        }
        target = target.with_feature(Halide::Target::CUDA)
                     .with_feature(Halide::Target::CUDACapability86);
    }
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec) {
        std::cerr << "gomhc autotune: cannot create " << o.out.string() << ": " << ec.message()
                  << "\n";
        return 1;
    }
    const fs::path log_path = o.out / (o.device_name + ".autotune.log");
    const fs::path tuned_path = o.out / (o.device_name + ".tuned");
    auto done = read_log(log_path);
    size_t resumed = 0;
    for (const auto &[key, measured] : done) resumed += measured.size();
    std::cout << "gomhc autotune: target " << o.device_name << " (" << target.to_string()
              << "), budget " << o.budget_seconds << " s, log " << log_path.string();
    if (resumed) std::cout << " (resuming: " << resumed << " candidates already measured)";
    std::cout << "\n";

    // The cases to tune, in order.
    std::vector<TuningShape> cases;
    for (const std::string &op : o.ops) {
        for (const TuningShape &shape : tuning_shapes(op)) {
            if (o.shapes.empty() || o.shapes.count(shape.variant)) cases.push_back(shape);
        }
    }
    if (cases.empty()) {
        std::cerr << "gomhc autotune: no case matches --shapes\n";
        return 2;
    }

    const auto start = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    // A sixth of the budget is kept for re-measuring default and winner side by side.
    const double search_budget = o.budget_seconds * 5 / 6;
    std::mt19937_64 rng(o.seed);
    Timing timing;
    timing.timeout_seconds = std::max(30.0, std::min(300.0, o.budget_seconds));
    int evaluated = 0;
    std::vector<Winner> winners;

    for (size_t ci = 0; ci < cases.size(); ci++) {
        const std::string &op = cases[ci].op, &variant = cases[ci].variant;
        TuningCase tuning_case(cases[ci]);
        const std::vector<Knob> knobs = knobs_for(o.device, op);
        const Candidate default_choice = default_candidate(o.device, op);
        auto &measured = done[case_key(op, variant)];
        const double case_end = elapsed() + (search_budget - elapsed()) / double(cases.size() - ci);
        auto best = [&]() -> std::pair<std::string, double> {
            std::pair<std::string, double> b{"", 0};
            for (const auto &[key, m] : measured) {
                if (m.status == Measurement::Status::ok &&
                    (b.first.empty() || m.median_ms < b.second))
                    b = {key, m.median_ms};
            }
            return b;
        };
        auto try_candidate = [&](const Candidate &candidate) {
            const std::string key = candidate.key();
            if (measured.count(key)) return;
            Measurement m = measure_isolated(tuning_case, candidate, target, timing);
            measured[key] = m;
            append_log(log_path, {op, variant, key, m});
            evaluated++;
            const auto [best_key, best_ms] = best();
            std::printf("[%3d] %-24s %-5s %-36s %-9s %9s  best %.4f ms  %4.0f s left\n", evaluated,
                        op.c_str(), variant.c_str(), key.c_str(), status_name(m.status),
                        m.status == Measurement::Status::ok
                            ? (std::to_string(m.median_ms).substr(0, 7) + " ms").c_str()
                            : "",
                        best_ms, std::max(0.0, o.budget_seconds - elapsed()));
            if (m.status != Measurement::Status::ok && !m.detail.empty()) {
                std::printf("      %s\n", m.detail.substr(0, 200).c_str());
            }
            std::fflush(stdout);
        };

        try_candidate(default_choice);
        for (const std::string &name : autoschedulers_for(o.device)) {
            if (elapsed() >= case_end) break;
            try_candidate(Candidate{{{"autoscheduler", name}}});
        }
        size_t hand_measured = 0;
        for (const auto &[key, m] : measured)
            hand_measured += key.find("autoscheduler") == std::string::npos;
        while (elapsed() < case_end && hand_measured < space_size(knobs)) {
            // Mostly refine the best so far; sometimes jump, to leave a local optimum.
            Candidate next;
            const auto [best_key, best_ms] = best();
            for (int attempt = 0; attempt < 64; attempt++) {
                const bool explore = best_key.empty() || std::bernoulli_distribution(0.3)(rng);
                next = explore ? random_candidate(knobs, rng)
                               : mutate(parse_candidate(best_key), knobs, rng);
                if (!measured.count(next.key())) break;
            }
            if (measured.count(next.key())) break;  // the neighbourhood is exhausted
            try_candidate(next);
            hand_measured++;
        }

        Winner w{op, variant, tuning_case.shape(), default_choice.key()};
        const auto default_it = measured.find(default_choice.key());
        if (default_it == measured.end() || default_it->second.status != Measurement::Status::ok) {
            std::printf("      %s %s: the default schedule did not run; nothing tuned\n",
                        op.c_str(), variant.c_str());
            continue;
        }
        w.default_ms = w.best_ms = default_it->second.median_ms;
        // Candidates faster than the default, best first: the first that is
        // also right at the edge shapes and confirmed faster side by side wins.
        std::vector<std::pair<double, std::string>> contenders;
        for (const auto &[key, m] : measured) {
            if (m.status == Measurement::Status::ok && key != default_choice.key() &&
                m.median_ms < w.default_ms) {
                contenders.emplace_back(m.median_ms, key);
            }
        }
        std::sort(contenders.begin(), contenders.end());
        contenders.resize(std::min<size_t>(contenders.size(), 3));
        std::vector<TuningCase> edges = tuning_case.edge_cases();
        Timing once = timing;
        once.min_runs = 1;
        once.min_seconds = 0;
        for (const auto &[ms, key] : contenders) {
            const Candidate candidate = parse_candidate(key);
            std::string edge_failure;
            for (TuningCase &edge : edges) {
                Measurement e = measure_isolated(edge, candidate, target, once);
                if (e.status != Measurement::Status::ok) {
                    edge_failure = edge.shape() + ": " + status_name(e.status) + " " + e.detail;
                    break;
                }
            }
            if (!edge_failure.empty()) {
                std::printf("      %s %s %s: rejected, %s\n", op.c_str(), variant.c_str(),
                            key.c_str(), edge_failure.substr(0, 160).c_str());
                continue;
            }
            // Confirm side by side: alternate default and candidate three
            // times and compare medians, so one lucky measurement cannot win.
            std::vector<double> d_ms, b_ms;
            std::string confirm_failure;
            Timing confirm = timing;
            confirm.min_seconds = 0.3;
            for (int round = 0; round < 3 && confirm_failure.empty(); round++) {
                for (const Candidate *which : {&default_choice, &candidate}) {
                    Measurement r = measure_isolated(tuning_case, *which, target, confirm);
                    if (r.status != Measurement::Status::ok) {
                        confirm_failure =
                            which->key() + ": " + status_name(r.status) + " " + r.detail;
                        break;
                    }
                    (which == &candidate ? b_ms : d_ms).push_back(r.median_ms);
                }
            }
            if (!confirm_failure.empty()) {
                std::printf("      %s %s %s: not confirmed, %s\n", op.c_str(), variant.c_str(),
                            key.c_str(), confirm_failure.substr(0, 160).c_str());
                continue;
            }
            std::sort(d_ms.begin(), d_ms.end());
            std::sort(b_ms.begin(), b_ms.end());
            std::printf("      %s %s %s: side by side %.4f ms against the default's %.4f ms\n",
                        op.c_str(), variant.c_str(), key.c_str(), b_ms[1], d_ms[1]);
            w.default_ms = w.best_ms = d_ms[1];
            // Keep the default unless the candidate is faster beyond noise (3%).
            if (b_ms[1] < 0.97 * d_ms[1]) {
                w.best_ms = b_ms[1];
                w.params = key;
                w.tuned = true;
            }
            break;
        }
        winners.push_back(w);
    }

    write_tuned_file(tuned_path, o, winners);
    std::printf("\n%-24s %-5s %-18s %11s %11s %8s  %s\n", "op", "kernel", "shape", "default ms",
                "best ms", "speedup", "winning params");
    for (const Winner &w : winners) {
        std::printf("%-24s %-5s %-18s %11.4f %11.4f %7.2fx  %s\n", w.op.c_str(), w.variant.c_str(),
                    w.shape.c_str(), w.default_ms, w.best_ms, w.default_ms / w.best_ms,
                    w.tuned ? w.params.c_str() : "(default kept)");
    }
    std::printf("\n%d candidates measured in %.0f s; wrote %s\n", evaluated, elapsed(),
                tuned_path.string().c_str());
    return 0;
}

}  // namespace gomhc::autotune
