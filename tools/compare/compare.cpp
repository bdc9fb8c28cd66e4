#include "compare/compare.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint.h"
#include "common/cli.h"
#include "common/method_list.h"
#include "plot/gnuplot.h"
#include "train/train.h"
#include "training.h"

namespace gomhc::tools::compare {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A table cell: the value with `precision` decimals, or "-" where there is
// none (residual has no streams to compare).
std::string fixed_or_dash(double value, int precision) {
    if (!std::isfinite(value)) {
        return "-";
    }
    std::ostringstream text;
    text << std::fixed << std::setprecision(precision) << value;
    return text.str();
}

// One method of the comparison (all its seeds share it).
struct Entry {
    std::string label;  // "residual", "mhc", "go s=2", ...
    std::string key;    // its folder name: "residual", "mhc", "go_s2"
    Method method;
    int d, s;
};

// One training run's results, kept in its folder's compare.json so that a
// rerun of the same command reuses finished runs.
struct RunResult {
    int64_t num_params = 0;
    std::vector<std::pair<int64_t, double>> val;  // (step, loss)
    double final_train = 0, tokens_per_s = 0, step_ms = 0;
    // At the last evaluation (NaN for the plain residual): how alike the
    // streams are after the last block, and the layers' mean |H_res - I|
    // and H_pre spread over streams.
    double stream_cosine = NAN, stream_deviation = NAN, h_res_distance = NAN, h_pre_spread = NAN;
};

json to_json(const RunResult &r) {
    const auto number = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    return {{"num_params", r.num_params},
            {"val", r.val},
            {"final_train", r.final_train},
            {"tokens_per_s", r.tokens_per_s},
            {"step_ms", r.step_ms},
            {"stream_cosine", number(r.stream_cosine)},
            {"stream_deviation", number(r.stream_deviation)},
            {"h_res_distance", number(r.h_res_distance)},
            {"h_pre_spread", number(r.h_pre_spread)}};
}

RunResult from_json(const json &j) {
    const auto number = [&](const char *key) {
        return j.contains(key) && j.at(key).is_number() ? j.at(key).get<double>() : NAN;
    };
    RunResult r;
    r.num_params = j.at("num_params");
    r.val = j.at("val").get<std::vector<std::pair<int64_t, double>>>();
    r.final_train = j.at("final_train");
    r.tokens_per_s = j.at("tokens_per_s");
    r.step_ms = j.at("step_ms");
    r.stream_cosine = number("stream_cosine");
    r.stream_deviation = number("stream_deviation");
    r.h_res_distance = number("h_res_distance");
    r.h_pre_spread = number("h_pre_spread");
    return r;
}

// The diagnostics' summary for the table: the last block's stream cosine,
// the layers' mean |H_res - I| and mean H_pre spread.
void summarise_streams(const trainer::StreamDiagnostics &d, RunResult &r) {
    r.stream_cosine = d.cosine_after_block.back();
    r.stream_deviation = d.deviation_after_block.back();
    double distance = 0, pre = 0;
    for (const trainer::LayerDiagnostics &l : d.layers) {
        distance += l.identity_distance;
        pre += l.pre_spread;
    }
    if (!d.layers.empty()) {
        r.h_res_distance = distance / double(d.layers.size());
        r.h_pre_spread = pre / double(d.layers.size());
    }
}

std::vector<Entry> resolve(const std::string &methods, int d) {
    std::vector<Entry> out;
    std::vector<MethodEntry> others;
    for (const MethodEntry &e : parse_method_list(methods, 2)) {
        if (e.name == "residual") {
            out.push_back({"residual", "residual", Method::residual, 1, 1});
        } else {
            others.push_back(e);
        }
    }
    for (const ResolvedMethod &m :
         resolve_methods(others, d, false, [](const ResolvedMethod &) { return ""; })) {
        const bool has_s = m.method == Method::go || m.method == Method::go_kron;
        std::string key = m.name;
        std::replace(key.begin(), key.end(), '-', '_');
        out.push_back(
            {method_label(m), has_s ? key + "_s" + std::to_string(m.s) : key, m.method, d, m.s});
    }
    return out;
}

double mean(const std::vector<double> &v) {
    double total = 0;
    for (double x : v) {
        total += x;
    }
    return total / double(v.size());
}

// The sample standard deviation (0 for one seed).
double spread(const std::vector<double> &v) {
    if (v.size() < 2) {
        return 0;
    }
    const double m = mean(v);
    double total = 0;
    for (double x : v) {
        total += (x - m) * (x - m);
    }
    return std::sqrt(total / double(v.size() - 1));
}

void draw_curves(const fs::path &out, const std::vector<Entry> &entries,
                 const std::map<std::string, std::vector<RunResult>> &results, size_t seeds) {
    std::ostringstream gp;
    gp << "set terminal pngcairo size 1000,600\nset output "
       << gnuplot_string(fs::absolute(out / "val_loss.png").string())
       << "\nset datafile separator ','\nset key top right\nset grid\n"
       << "set xlabel 'step'\nset ylabel 'validation cross-entropy (nats per token)'\n"
       << "set title 'gomhc compare: validation loss per method"
       << (seeds > 1 ? " (band: min to max over " + std::to_string(seeds) + " seeds)" : "")
       << "'\nplot ";
    bool first = true;
    int color = 1;
    for (const Entry &e : entries) {
        const std::vector<RunResult> &runs = results.at(e.key);
        const fs::path csv = fs::absolute(out / ("val_" + e.key + ".csv"));
        std::ofstream data(csv);
        data << "step,mean,min,max\n";
        for (size_t i = 0; i < runs.front().val.size(); i++) {
            std::vector<double> at;
            for (const RunResult &r : runs) {
                at.push_back(r.val[i].second);
            }
            data << runs.front().val[i].first << "," << csv_number(mean(at)) << ","
                 << csv_number(*std::min_element(at.begin(), at.end())) << ","
                 << csv_number(*std::max_element(at.begin(), at.end())) << "\n";
        }
        data.close();
        const std::string file = gnuplot_string(csv.string());
        if (seeds > 1) {
            gp << (first ? "" : ", ") << file
               << " using 1:3:4 skip 1 with filledcurves fs transparent solid 0.2 lc " << color
               << " notitle";
            first = false;
        }
        gp << (first ? "" : ", ") << file << " using 1:2 skip 1 with linespoints lw 2 pt 7 lc "
           << color << " title " << gnuplot_string(e.label);
        first = false;
        color++;
    }
    gp << "\n";
    std::cout << draw_figure(out / "val_loss.gp", gp.str(), out / "val_loss.png").message << "\n";
}

}  // namespace

int compare_main(int argc, char **argv) {
    CLI::App app{
        "Train every method on the same data, seeds, steps and schedule and compare "
        "their validation loss (the paper's language-model comparison).",
        "gomhc compare"};
    std::string preset_name = "small", methods = "residual,hc,mhc,go:2";
    std::string out, data;
    int d = 4, seeds = 3, threads = 0;
    int64_t steps = 800, eval_every = 100;
    uint64_t seed = 1;
    app.add_option("--preset", preset_name, "demo, small, medium or gpt-30m")
        ->capture_default_str();
    app.add_option("--methods", methods, "methods, go and go-kron with :S for the block size")
        ->capture_default_str();
    app.add_option("--d", d, "streams (residual: 1)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--seeds", seeds, "initialisation seeds per method")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--seed", seed, "the first seed")->capture_default_str();
    app.add_option("--steps", steps, "steps per run")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--eval-every", eval_every, "steps between validation losses")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--data", data, "token shards (default: the King James Bible)");
    std::string start = "home", output = "mean";
    app.add_option("--start", start, "the gates' start: home or symmetric (gomhc train --help)")
        ->check(CLI::IsMember({"home", "symmetric"}))
        ->capture_default_str();
    app.add_option("--output", output, "mean, sum or sum-then-norm (gomhc train --help)")
        ->check(CLI::IsMember({"mean", "sum", "sum-then-norm"}))
        ->capture_default_str();
    app.add_option("--threads", threads, "CPU threads (0: every core)");
    std::string device = "cpu";
    app.add_option("--device", device, "cpu, cuda or opencl")
        ->check(CLI::IsMember(kDeviceNames))
        ->capture_default_str();
    app.add_option("--out", out, "the comparison's folder (runs in DIR/runs)")->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    std::vector<Entry> entries;
    trainer::TrainSettings base;
    try {
        base = train::preset(preset_name);
        entries = resolve(methods, d);
    } catch (const CLI::Error &e) {
        std::cerr << "gomhc compare: " << e.what() << "\n";
        return 2;
    } catch (const std::exception &e) {
        std::cerr << "gomhc compare: " << e.what() << "\n";
        return 2;
    }
    const fs::path dir = out;
    try {
        prepare_output_dir(dir);
        base.data = data.empty() ? train::default_data(std::cout) : fs::path(data);
        base.steps = steps;
        base.eval_every = eval_every;
        base.threads = threads;
        base.device = device_named(device);
        base.log_every = std::max<int64_t>(1, steps / 8);
        base.plot = false;
        base.model.symmetric_start = start == "symmetric";
        base.model.output = trainer::parse_stream_output(output, "--output");
        const std::atomic<bool> *stop = train::stop_on_signal();

        std::map<std::string, std::vector<RunResult>> results;
        const size_t total = entries.size() * size_t(seeds);
        size_t done = 0;
        for (const Entry &e : entries) {
            for (int k = 0; k < seeds; k++) {
                trainer::TrainSettings s = base;
                s.model.method = e.method;
                s.model.d = e.d;
                s.model.s = e.s;
                s.model.seed = seed + uint64_t(k);
                s.out = dir / "runs" / (e.key + "_seed" + std::to_string(s.model.seed));
                const fs::path record = s.out / "compare.json";
                done++;
                std::cout << "gomhc compare: [" << done << "/" << total << "] " << e.label
                          << ", seed " << s.model.seed << ", " << steps << " steps in "
                          << s.out.string() << "\n";
                if (fs::exists(record)) {
                    const json j = json::parse(trainer::read_file(record));
                    if (j.value("steps", int64_t(-1)) == steps) {
                        std::cout << "               finished before: reusing its results\n";
                        results[e.key].push_back(from_json(j.at("result")));
                        continue;
                    }
                }
                // A run stopped early continues, from its checkpoint or from step 0.
                s.resume = fs::exists(s.out / "state.json") || fs::exists(s.out / "metrics.jsonl");
                const trainer::TrainResult r = trainer::train(
                    s, std::cout, stop, trainer::Ranks::world(), train::train_hooks());
                if (r.interrupted) {
                    std::cout << "gomhc compare: interrupted; the same command continues it\n";
                    return 1;
                }
                RunResult rr;
                rr.num_params = r.num_params;
                for (const auto &[step, loss] : r.run_val_losses) {
                    rr.val.emplace_back(step, double(loss));
                }
                rr.final_train = r.losses.empty() ? 0 : double(r.losses.back());
                rr.tokens_per_s = r.tokens_per_second;
                const double tokens = double(s.batch * s.grad_accum * s.model.context);
                rr.step_ms = r.tokens_per_second > 0 ? 1e3 * tokens / r.tokens_per_second : 0;
                if (r.last_streams) {
                    summarise_streams(*r.last_streams, rr);
                }
                trainer::write_file_atomically(
                    record, json{{"steps", steps}, {"result", to_json(rr)}}.dump(1) + "\n");
                results[e.key].push_back(rr);
            }
        }

        // The table, the CSV and the picture.
        const auto column = [&](const std::string &key, double RunResult::*field) {
            std::vector<double> v;
            for (const RunResult &r : results[key]) {
                v.push_back(r.*field);
            }
            return v;
        };
        const auto final_losses = [&](const std::string &key) {
            std::vector<double> v;
            for (const RunResult &r : results[key]) {
                v.push_back(r.val.empty() ? NAN : r.val.back().second);
            }
            return v;
        };
        const bool have_residual = results.count("residual") > 0;
        const double residual_ms =
            have_residual ? mean(column("residual", &RunResult::step_ms)) : 0;
        const std::vector<double> residual_final =
            have_residual ? final_losses("residual") : std::vector<double>();
        std::ofstream csv(dir / "summary.csv");
        csv << "method,d,s,parameters,best_val_loss,best_val_loss_sd,final_val_loss,"
               "final_val_loss_sd,final_minus_residual,final_minus_residual_in_sd,"
               "final_train_loss,tokens_per_s,step_ms,step_ratio_to_residual,stream_cosine,"
               "stream_deviation,h_res_distance,h_pre_spread,seeds\n";
        std::cout << "\ngomhc compare: " << preset_name << " preset, " << steps << " steps, "
                  << seeds << " seed" << (seeds > 1 ? "s" : "") << " per method\n"
                  << std::left << std::setw(14) << "method" << std::right << std::setw(10)
                  << "params" << std::setw(17) << "final val" << std::setw(18) << "- residual (sd)"
                  << std::setw(11) << "tokens/s" << std::setw(12) << "x residual" << std::setw(9)
                  << "cosine" << std::setw(11) << "deviation" << std::setw(10) << "|H_res-I|"
                  << "\n";
        for (const Entry &e : entries) {
            std::vector<double> best;
            for (const RunResult &r : results[e.key]) {
                double b = INFINITY;
                for (const auto &v : r.val) {
                    b = std::min(b, v.second);
                }
                best.push_back(b);
            }
            const std::vector<double> final_val = final_losses(e.key);
            const double ratio =
                residual_ms > 0 ? mean(column(e.key, &RunResult::step_ms)) / residual_ms : NAN;
            // The difference to residual in units of the seeds' spread (the
            // two methods' sample deviations pooled): how far apart they
            // are beside how much a seed moves each.
            double difference = NAN, in_sd = NAN;
            if (have_residual && e.key != "residual") {
                difference = mean(final_val) - mean(residual_final);
                const double pooled = std::sqrt(
                    0.5 * (std::pow(spread(final_val), 2) + std::pow(spread(residual_final), 2)));
                in_sd = pooled > 0 ? difference / pooled : NAN;
            }
            const double cosine = mean(column(e.key, &RunResult::stream_cosine));
            const double deviation = mean(column(e.key, &RunResult::stream_deviation));
            const double distance = mean(column(e.key, &RunResult::h_res_distance));
            csv << e.label << "," << e.d << "," << e.s << "," << results[e.key].front().num_params
                << "," << csv_number(mean(best)) << "," << csv_number(spread(best)) << ","
                << csv_number(mean(final_val)) << "," << csv_number(spread(final_val)) << ","
                << csv_number(difference) << "," << csv_number(in_sd) << ","
                << csv_number(mean(column(e.key, &RunResult::final_train))) << ","
                << csv_number(mean(column(e.key, &RunResult::tokens_per_s))) << ","
                << csv_number(mean(column(e.key, &RunResult::step_ms))) << "," << csv_number(ratio)
                << "," << csv_number(cosine) << "," << csv_number(deviation) << ","
                << csv_number(distance) << ","
                << csv_number(mean(column(e.key, &RunResult::h_pre_spread))) << "," << seeds
                << "\n";
            std::ostringstream val, diff;
            val << std::fixed << std::setprecision(4) << mean(final_val);
            if (seeds > 1) {
                val << " +-" << std::setprecision(4) << spread(final_val);
            }
            if (std::isfinite(difference)) {
                diff << std::showpos << std::fixed << std::setprecision(4) << difference;
                if (std::isfinite(in_sd)) {
                    diff << " (" << std::setprecision(1) << in_sd << ")";
                }
            }
            std::cout << std::left << std::setw(14) << e.label << std::right << std::setw(10)
                      << results[e.key].front().num_params << std::setw(17) << val.str()
                      << std::setw(18) << diff.str() << std::setw(11)
                      << fixed_or_dash(mean(column(e.key, &RunResult::tokens_per_s)), 0)
                      << std::setw(12) << fixed_or_dash(ratio, 2) << std::setw(9)
                      << fixed_or_dash(cosine, 4) << std::setw(11) << fixed_or_dash(deviation, 3)
                      << std::setw(10) << fixed_or_dash(distance, 3) << "\n";
        }
        csv.close();
        std::cout << "wrote " << (dir / "summary.csv").string() << "\n";
        draw_curves(dir, entries, results, size_t(seeds));
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "gomhc compare: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace gomhc::tools::compare
