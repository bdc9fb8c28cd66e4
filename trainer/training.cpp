#include "training.h"

#include <cerrno>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "checkpoint.h"
#include "dataset.h"
#include "device_buffer.h"
#include "distributed.h"
#include "fma_peak.h"
#include "matmul.h"
#include "model_files.h"
#include "plot/gnuplot.h"
#include "sampling.h"

namespace gomhc::trainer {

namespace fs = std::filesystem;
using json = nlohmann::json;

double learning_rate(const TrainSettings &s, int64_t step) {
    if (step < s.warmup) {
        return s.lr * double(step + 1) / double(s.warmup);
    }
    const int64_t decay_steps = s.steps - s.warmup;
    if (decay_steps <= 1) {
        return s.lr;
    }
    const double ratio = double(step - s.warmup) / double(decay_steps - 1);
    return s.min_lr + 0.5 * (1.0 + std::cos(M_PI * ratio)) * (s.lr - s.min_lr);
}

double flops_per_token(const GptConfig &c, int64_t num_params, int64_t t) {
    const double multiplying = double(num_params - c.context * c.width);
    return 6.0 * multiplying + 12.0 * double(c.layers) * double(t) * double(c.width);
}

namespace {

void check_settings(const TrainSettings &s) {
    const auto at_least = [](const char *flag, double value, double low) {
        if (!(value >= low)) {
            std::ostringstream msg;
            msg << flag << " = " << value << ", expected >= " << low;
            throw TrainError(msg.str());
        }
    };
    // The optimizer computes in float: a value past its range is infinite there.
    const auto a_float = [](const char *flag, double value) {
        if (!(std::fabs(value) <= double(FLT_MAX))) {
            std::ostringstream msg;
            msg << flag << " = " << value << ", expected a finite value within a float's range ("
                << FLT_MAX << ")";
            throw TrainError(msg.str());
        }
    };
    a_float("--lr", s.lr);
    a_float("--min-lr", s.min_lr);
    a_float("--weight-decay", s.weight_decay);
    a_float("--clip", s.clip);
    at_least("--batch", double(s.batch), 1);
    at_least("--grad-accum", double(s.grad_accum), 1);
    at_least("--steps", double(s.steps), 1);
    at_least("--lr", s.lr, 0);
    at_least("--min-lr", s.min_lr, 0);
    at_least("--warmup", double(s.warmup), 0);
    at_least("--weight-decay", s.weight_decay, 0);
    at_least("--clip", s.clip, 0);
    at_least("--threads", s.threads, 0);
    at_least("--eval-every", double(s.eval_every), 0);
    at_least("--eval-batches", double(s.eval_batches), 1);
    at_least("--sample-every", double(s.sample_every), 0);
    at_least("--checkpoint-every", double(s.checkpoint_every), 0);
    if (s.min_lr > s.lr) {
        throw TrainError("--min-lr is above --lr");
    }
    if (s.out.empty()) {
        throw TrainError("--out: no output folder given");
    }
    if (s.device == Device::cuda && !(cuda_available() && cuda_blas_built())) {
        throw TrainError(std::string("--device cuda: ") +
                         (cuda_blas_built() ? "no usable GPU here"
                                            : "this build has no cuBLAS (no CUDA toolkit)"));
    }
    try {
        check_config(s.model);
    } catch (const Error &e) {
        throw TrainError(e.what());
    }
}

// A folder holding a run: refuse to start over it unless resuming. Returns
// whether there is a checkpoint to resume: a run stopped before its first
// save (metrics.jsonl, no state.json) resumes from step 0.
bool check_out_folder(const TrainSettings &s) {
    const bool has_state = fs::exists(s.out / "state.json");
    const bool has_metrics = fs::exists(s.out / "metrics.jsonl");
    if (s.resume && !has_state && !has_metrics) {
        throw TrainError("--resume: " + s.out.string() + " holds no checkpoint (no state.json)");
    }
    if (!s.resume && (has_state || has_metrics)) {
        throw TrainError("--out " + s.out.string() +
                         " already holds a run; pass --resume to continue it, or choose another "
                         "--out (nothing was written)");
    }
    return s.resume && has_state;
}

// Creates the folder and proves it writable before anything else is written.
void make_writable(const fs::path &out) {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) {
        throw TrainError("--out " + out.string() + ": cannot create the folder (" + ec.message() +
                         ")");
    }
    const fs::path probe = out / ".gomhc-write-probe";
    {
        std::ofstream f(probe);
        if (!(f << "probe\n") || !(f.flush())) {
            throw TrainError("--out " + out.string() + ": the folder is not writable");
        }
    }
    fs::remove(probe, ec);
}

// One line of metrics.jsonl, flushed. A line that cannot be written (a
// full disk) stops the run rather than leaving a record with holes.
void append_metrics(std::ofstream &metrics, const json &line, const fs::path &path,
                    const std::string &kept) {
    metrics << line.dump() << "\n" << std::flush;
    if (!metrics) {
        throw TrainError("step " + line.value("step", json(0)).dump() + ": cannot write " +
                         path.string() + " (" + std::strerror(errno) + "); stopped, " + kept);
    }
}

std::string format_duration(double seconds) {
    const int64_t s = int64_t(seconds + 0.5);
    std::ostringstream out;
    if (s >= 3600) {
        out << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s / 60) % 60 << "m";
    } else if (s >= 60) {
        out << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
    } else {
        out << s << "s";
    }
    return out.str();
}

// The run's history from metrics.jsonl: lines of steps up to `keep_through`
// are kept (the rest were written after the checkpoint being resumed).
struct History {
    std::vector<std::pair<int64_t, double>> train, val;
    std::string kept_lines;
};

History read_history(const fs::path &path, int64_t keep_through) {
    History h;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        json j;
        try {
            j = json::parse(line);
        } catch (const json::exception &) {
            continue;  // a line cut short by a crash
        }
        const int64_t step = j.value("step", int64_t(-1));
        if (step < 0 || step > keep_through) {
            continue;
        }
        if (j.contains("val_loss")) {
            h.val.emplace_back(step, j["val_loss"].get<double>());
        } else if (j.contains("loss")) {
            h.train.emplace_back(step, j["loss"].get<double>());
        }
        h.kept_lines += line + "\n";
    }
    return h;
}

void draw_loss_curves(const fs::path &out, const History &h, std::ostream &log) {
    std::ofstream train(out / "loss_train.csv"), val(out / "loss_val.csv");
    train << "step,loss\n";
    for (const auto &[step, loss] : h.train) {
        train << step << "," << loss << "\n";
    }
    val << "step,val_loss\n";
    for (const auto &[step, loss] : h.val) {
        val << step << "," << loss << "\n";
    }
    train.close();
    val.close();
    const fs::path png = fs::absolute(out / "loss.png");
    std::ostringstream gp;
    gp << "set terminal pngcairo size 900,540\nset output " << tools::gnuplot_string(png.string())
       << "\nset datafile separator ','\nset key top right\nset grid\n"
       << "set xlabel 'step'\nset ylabel 'cross-entropy (nats per token)'\n"
       << "set title 'gomhc train: " << out.filename().string() << "'\n"
       << "plot " << tools::gnuplot_string(fs::absolute(out / "loss_train.csv").string())
       << " using 1:2 skip 1 with lines lw 1 title 'train', "
       << tools::gnuplot_string(fs::absolute(out / "loss_val.csv").string())
       << " using 1:2 skip 1 with linespoints lw 2 pt 7 title 'validation'\n";
    const tools::PlotResult plot = tools::draw_figure(out / "loss.gp", gp.str(), png);
    log << plot.message << "\n";
}

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

// CRC-32 of the weights, to compare ranks.
uint64_t weights_checksum(Gpt &gpt) {
    const std::vector<float> host = host_copy(gpt.device(), gpt.params(), gpt.num_params());
    return crc32_of(
        std::string(reinterpret_cast<const char *>(host.data()), host.size() * sizeof(float)));
}

// The settings a resumed run must repeat to continue bitwise. How the
// micro-batches of a step split into ranks and accumulation ("ranks",
// "grad_accum") may change: the sequences stay those of
// "micro_batches_per_step".
json run_settings(const TrainSettings &s, int ranks) {
    return {{"batch", s.batch},
            {"grad_accum", s.grad_accum},
            {"ranks", ranks},
            {"micro_batches_per_step", s.grad_accum * ranks},
            {"steps", s.steps},
            {"lr", s.lr},
            {"min_lr", s.min_lr},
            {"warmup", s.warmup},
            {"beta1", s.beta1},
            {"beta2", s.beta2},
            {"weight_decay", s.weight_decay},
            {"clip", s.clip},
            {"threads", s.threads}};
}

// Notes where a resumed run differs from the checkpoint's.
void note_run_changes(const json &saved, const json &now, std::ostream &log) {
    for (const auto &[key, value] : now.items()) {
        if (key != "grad_accum" && key != "ranks" && saved.contains(key) && saved[key] != value) {
            log << "gomhc train: note: " << key << " is " << value.dump()
                << ", the checkpoint's run had " << saved[key].dump()
                << "; the run goes on but is not the one it would have been\n";
        }
    }
    const json saved_ranks = saved.value("ranks", json(1));
    if (saved.value("micro_batches_per_step", now["micro_batches_per_step"]) ==
            now["micro_batches_per_step"] &&
        (saved.value("grad_accum", now["grad_accum"]) != now["grad_accum"] ||
         saved_ranks != now["ranks"])) {
        log << "gomhc train: note: the checkpoint's run split each step into " << saved_ranks.dump()
            << " ranks x " << saved.value("grad_accum", json(0)).dump()
            << " micro-batches, this one into " << now["ranks"].dump() << " x "
            << now["grad_accum"].dump()
            << ": the same sequences, summed in another order (equal to rounding, not "
               "bitwise)\n";
    }
}

}  // namespace

TrainResult train(const TrainSettings &settings, std::ostream &root_log,
                  const std::atomic<bool> *stop, Ranks &ranks) {
    const TrainSettings &s = settings;
    const GptConfig &cfg = s.model;
    const int world = ranks.size();
    std::ostream silent(nullptr);  // the other ranks print nothing
    std::ostream &log = ranks.root() ? root_log : silent;
    // Every input is checked on every rank before anything is written.
    std::optional<Dataset> data;
    std::optional<Batches> train_batches, val_batches;
    bool from_checkpoint = false;
    ranks.together([&] {
        check_settings(s);
        data.emplace(load_dataset(s.data, cfg.vocab));
        train_batches.emplace(data->train, s.batch, cfg.context, "training");
        val_batches.emplace(data->val, s.batch, cfg.context, "validation");
        from_checkpoint = check_out_folder(s);
    });

    // The machine's cores are shared by its ranks.
    const int threads =
        s.threads > 0 ? s.threads
                      : std::max(1, int(std::thread::hardware_concurrency()) / ranks.local_size());
    // The FMA peak for the MFU: measured before the BLAS threads start (they
    // spin after starting and after each call, and would halve it), once
    // per process and thread count.
    const double peak = fma_peak(threads);
    set_num_threads(threads);
    set_blas_threads(threads);

    std::optional<Gpt> model;
    std::optional<Adamw> optimizer;
    ranks.together([&] {
        model.emplace(cfg, s.batch, s.device);
        optimizer.emplace(model->num_params(), model->decayed_ranges(), s.device);
    });
    Gpt &gpt = *model;
    Adamw &opt = *optimizer;
    const int64_t n = gpt.num_params();
    int64_t first_step = 0;
    const auto resume = [&] {
        const CheckpointFiles files = read_checkpoint(s.out);
        const GptConfig &saved = files.state.config;
        if (config_json(saved) != config_json(cfg)) {
            throw TrainError(
                "--resume: " + s.out.string() + " holds a checkpoint of another configuration (" +
                config_json(saved).dump() + "); this run asks for " + config_json(cfg).dump());
        }
        load_model_weights(gpt, files.model, (s.out / "model.safetensors").string());
        load_optimizer(opt, n, files.optimizer, (s.out / "optimizer.safetensors").string());
        first_step = files.state.step;
        note_run_changes(files.state.run, run_settings(s, world), log);
        opt.set_steps(first_step);
        if (first_step >= s.steps) {
            throw TrainError("--resume: the checkpoint in " + s.out.string() + " is at step " +
                             std::to_string(first_step) + ", already --steps = " +
                             std::to_string(s.steps) + "; raise --steps to go on");
        }
    };
    if (from_checkpoint) {
        // Rank 0 first: its read may finish the renames of a stopped save.
        ranks.together([&] {
            if (ranks.root()) {
                resume();
            }
        });
        ranks.together([&] {
            if (!ranks.root()) {
                resume();
            }
        });
    } else if (!s.init.empty()) {
        ranks.together(
            [&] { load_model_weights(gpt, read_file(s.init), "--init " + s.init.string()); });
    }

    // Rank 0 alone writes the run's files.
    const fs::path metrics_path = s.out / "metrics.jsonl";
    History history;
    std::ofstream metrics;
    ranks.together([&] {
        if (ranks.root()) {
            make_writable(s.out);
            history = read_history(metrics_path, from_checkpoint ? first_step : -1);
            write_file_atomically(metrics_path, history.kept_lines);
            metrics.open(metrics_path, std::ios::app);
        }
    });

    const int64_t micro_per_step = s.grad_accum * world;  // micro-batches over all ranks
    const int64_t tokens_per_step = s.batch * micro_per_step * cfg.context;
    const double step_flops = flops_per_token(cfg, n, cfg.context) * double(tokens_per_step);
    log << "gomhc train: " << method_name(cfg.method) << " d=" << cfg.d << " s=" << cfg.s << ", "
        << cfg.layers << " layers x " << cfg.width << " wide, " << cfg.heads << " heads, ctx "
        << cfg.context << ", vocab " << cfg.vocab << "; " << n << " parameters\n"
        << "             " << data->train.size() << " training and " << data->val.size()
        << " validation tokens from " << s.data.string() << "\n"
        << "             batch " << s.batch << " x " << s.grad_accum << " accumulation"
        << (world > 1 ? " x " + std::to_string(world) + " ranks" : std::string()) << " x ctx "
        << cfg.context << " = " << tokens_per_step << " tokens per step, " << s.steps
        << " steps on " << (s.device == Device::cuda ? "cuda" : "cpu") << " (" << threads
        << " threads" << (world > 1 ? " per rank" : "") << ", FMA peak " << std::fixed
        << std::setprecision(1) << peak * 1e-9 << " GFLOP/s)\n";
    if (from_checkpoint) {
        log << "             resuming from step " << first_step << " in " << s.out.string() << "\n";
    } else if (s.resume) {
        log << "             " << s.out.string() << " holds no checkpoint yet (the run stopped "
            << "before its first save): starting from step 0\n";
    }
    log.unsetf(std::ios::floatfield);

    std::vector<int32_t> inputs, targets;
    DeviceBuffer grad_sq(s.device, 1);
    TrainResult result;
    for (const auto &[step, loss] : history.val) {  // rank 0 read it; empty elsewhere
        result.run_val_losses.emplace_back(step, float(loss));
    }
    result.first_step = first_step;
    result.steps_done = first_step;
    result.num_params = n;

    // What a failed step leaves: the last checkpoint saved, untouched.
    int64_t last_saved = from_checkpoint ? first_step : -1;
    const auto kept = [&] {
        return last_saved < 0 ? "no checkpoint was saved yet in " + s.out.string()
                              : "the last checkpoint in " + s.out.string() + " (step " +
                                    std::to_string(last_saved) + ") is kept as it was";
    };
    // An error every rank meets alike (from summed values).
    const auto fail = [&](const std::string &message) {
        if (world > 1) {
            throw AgreedError(message);
        }
        throw TrainError(message);
    };
    const auto evaluate = [&](int64_t step) {
        double total = 0;
        for (int64_t i = ranks.rank(); i < s.eval_batches; i += world) {
            val_batches->fill(i, inputs, targets);
            total += gpt.forward(inputs.data(), targets.data(), s.batch, cfg.context);
        }
        ranks.sum(&total, 1);
        const double val = total / double(s.eval_batches);
        if (!std::isfinite(val)) {
            fail("step " + std::to_string(step) + ": the validation loss is " +
                 std::to_string(val) + "; stopped, " + kept());
        }
        result.val_losses.emplace_back(step, float(val));
        if (ranks.root()) result.run_val_losses.emplace_back(step, float(val));
        history.val.emplace_back(step, val);
        if (ranks.root()) {
            append_metrics(metrics, {{"step", step}, {"val_loss", val}}, metrics_path, kept());
        }
        log << "step " << step << "/" << s.steps << "  val loss " << std::fixed
            << std::setprecision(4) << val << "\n";
        log.unsetf(std::ios::floatfield);
    };
    const auto save = [&](int64_t step) {
        json state = {{"step", step},
                      {"config", config_json(cfg)},
                      {"data",
                       {{"folder", s.data.string()},
                        {"next_batch", step * micro_per_step},
                        {"batch", s.batch},
                        {"grad_accum", s.grad_accum}}},
                      {"rng",
                       "none consumed by training steps (batches are a function of "
                       "the step; samples seed from --seed and the step)"},
                      {"run", run_settings(s, world)},
                      {"optimizer_steps", opt.steps()}};
        try {
            write_checkpoint(s.out, gpt, opt, state);
        } catch (const CheckpointError &e) {
            throw TrainError("step " + std::to_string(step) + ": the checkpoint was not saved (" +
                             e.what() + "); stopped, " + kept());
        }
        last_saved = step;
    };

    if (first_step == 0) {
        evaluate(0);
    }
    const auto run_start = std::chrono::steady_clock::now();
    double timed_seconds = 0;
    int64_t timed_steps = 0;
    for (int64_t step = first_step; step < s.steps; step++) {
        const auto t0 = std::chrono::steady_clock::now();
        gpt.zero_grads();
        double loss = 0;
        // This rank's micro-batches of the step: those one process with
        // micro_per_step accumulation steps would train on, in rank order.
        for (int64_t micro = 0; micro < s.grad_accum; micro++) {
            train_batches->fill(step * micro_per_step + ranks.rank() * s.grad_accum + micro, inputs,
                                targets);
            loss += gpt.forward(inputs.data(), targets.data(), s.batch, cfg.context);
            gpt.backward(1.0f / float(micro_per_step));
        }
        const auto t_sum = std::chrono::steady_clock::now();
        double summed[2] = {loss, stop && stop->load() ? 1.0 : 0.0};  // a stop on any rank
        ranks.sum(gpt.grads(), n, s.device);
        ranks.sum(summed, 2);
        const double sum_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_sum).count();
        loss = summed[0] / double(micro_per_step);
        const bool stopping = summed[1] > 0;
        squared_norm(s.device == Device::cuda ? TensorView::cuda(gpt.grads(), {n})
                                              : TensorView::host(gpt.grads(), {n}),
                     grad_sq.view({1}));
        float norm_sq = 0;
        grad_sq.download(&norm_sq, 1);
        const double norm = std::sqrt(double(norm_sq));
        const int64_t done = step + 1;
        if (!std::isfinite(loss) || !std::isfinite(norm)) {
            fail("step " + std::to_string(done) + ": the " +
                 (std::isfinite(loss) ? "gradient norm" : "training loss") + " is " +
                 std::to_string(std::isfinite(loss) ? norm : loss) + "; stopped, " + kept());
        }
        AdamwSettings as;
        as.lr = float(learning_rate(s, step));
        as.beta1 = float(s.beta1);
        as.beta2 = float(s.beta2);
        as.weight_decay = float(s.weight_decay);
        as.max_norm = float(s.clip);
        const TensorView pv = s.device == Device::cuda ? TensorView::cuda(gpt.params(), {n})
                                                       : TensorView::host(gpt.params(), {n});
        const TensorView gv = s.device == Device::cuda ? TensorView::cuda(gpt.grads(), {n})
                                                       : TensorView::host(gpt.grads(), {n});
        opt.step(pv, gv, grad_sq.view({1}), as);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (step > first_step || s.steps - first_step == 1) {  // the first step warms up
            timed_seconds += seconds;
            timed_steps++;
        }
        const double tokens_per_s = double(tokens_per_step) / seconds;
        result.losses.push_back(float(loss));
        result.steps_done = done;
        history.train.emplace_back(done, loss);
        if (ranks.root()) {
            json line = {{"step", done},        {"loss", loss},
                         {"lr", as.lr},         {"grad_norm", norm},
                         {"ms", seconds * 1e3}, {"tokens_per_s", tokens_per_s}};
            if (world > 1) {
                line["allreduce_ms"] = sum_seconds * 1e3;
            }
            append_metrics(metrics, line, metrics_path, kept());
        }
        const bool last = done == s.steps;
        if (s.log_every > 0 && (done % s.log_every == 0 || done == first_step + 1 || last)) {
            const double mean = timed_steps > 0 ? timed_seconds / double(timed_steps) : seconds;
            char line[256];
            std::snprintf(line, sizeof(line),
                          "step %lld/%lld  loss %.4f  lr %.2e  norm %.3f  %.1f ms  %.0f tok/s  "
                          "MFU %.1f%%  ETA %s",
                          static_cast<long long>(done), static_cast<long long>(s.steps), loss,
                          double(as.lr), norm, seconds * 1e3, tokens_per_s,
                          100.0 * step_flops / seconds / (peak * world),
                          format_duration(mean * double(s.steps - done)).c_str());
            log << line;
            if (world > 1) {
                log << "  allreduce " << std::fixed << std::setprecision(1) << sum_seconds * 1e3
                    << " ms";
                log.unsetf(std::ios::floatfield);
            }
            log << "\n" << std::flush;
        }
        if (last || (s.eval_every > 0 && done % s.eval_every == 0)) {
            evaluate(done);
        }
        if (ranks.root() && s.sample_every > 0 && (done % s.sample_every == 0 || last) &&
            cfg.vocab == 256) {
            SampleSettings ss;
            ss.tokens = s.sample_tokens;
            ss.temperature = 0.8;
            ss.top_k = 40;
            ss.seed = cfg.seed + uint64_t(done);
            const std::vector<int32_t> text = generate(gpt, {'\n'}, ss);
            log << "---- sample at step " << done << " ----\n"
                << decode_bytes(text) << "\n-----------------------------\n";
        }
        if (last || stopping || (s.checkpoint_every > 0 && done % s.checkpoint_every == 0)) {
            // Every rank must hold the weights rank 0 saves.
            if (world > 1 && !ranks.same(weights_checksum(gpt))) {
                fail("step " + std::to_string(done) + ": the ranks hold different weights; " +
                     kept());
            }
            if (ranks.root()) {
                save(done);
            }
        }
        if (stopping && !last) {
            result.interrupted = true;
            log << "gomhc train: interrupted after step " << done << "; checkpoint saved in "
                << s.out.string() << " (continue with the same flags and --resume)\n";
            break;
        }
    }
    if (metrics.is_open()) {
        metrics.close();
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
    result.tokens_per_second =
        timed_steps > 0 ? double(tokens_per_step) * double(timed_steps) / timed_seconds : 0;
    if (s.plot && ranks.root()) {
        draw_loss_curves(s.out, history, log);
    }
    char summary[512];
    std::snprintf(
        summary, sizeof(summary),
        "summary: %lld steps in %s, %.0f tokens/s (MFU %.1f%%), final training loss "
        "%.4f, validation loss %.4f (best %.4f)\n         files: %s/{model,optimizer}"
        ".safetensors, state.json, metrics.jsonl, loss.png",
        static_cast<long long>(result.steps_done - first_step), format_duration(wall).c_str(),
        result.tokens_per_second,
        100.0 * result.tokens_per_second * flops_per_token(cfg, n, cfg.context) / (peak * world),
        result.losses.empty() ? 0.0 : double(result.losses.back()),
        history.val.empty() ? 0.0 : history.val.back().second,
        [&] {
            double best = INFINITY;
            for (const auto &v : history.val) {
                best = std::min(best, v.second);
            }
            return history.val.empty() ? 0.0 : best;
        }(),
        s.out.string().c_str());
    log << summary << "\n";
    return result;
}

}  // namespace gomhc::trainer
