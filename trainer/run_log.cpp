#include "run_log.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint.h"

namespace gomhc::trainer {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The device as the command line names it, with OpenCL's platform and device.
std::string device_label(Device device) {
    switch (device) {
        case Device::host:
            return "cpu";
        case Device::cuda:
            return "cuda";
        case Device::opencl:
            return "opencl (" + opencl_device() + ")";
    }
    return "?";
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

// The run's history from metrics.jsonl: lines of steps up to `keep_through`
// are kept (the rest were written after the checkpoint being resumed).
struct History {
    LossCurves curves;
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
            h.curves.val.emplace_back(step, j["val_loss"].get<double>());
        } else if (j.contains("loss")) {
            h.curves.train.emplace_back(step, j["loss"].get<double>());
        }
        h.kept_lines += line + "\n";
    }
    return h;
}

}  // namespace

RunLog::RunLog(const Run &run, const RunThreads &threads)
    : run_(run),
      fma_peak_(threads.fma_peak),
      flops_per_token_(
          flops_per_token(run.settings.model, run.gpt->num_params(), run.settings.model.context)),
      step_flops_(flops_per_token_ * double(run.tokens_per_step)) {
    open_metrics();
    print_header(threads.count);
    for (const auto &[step, loss] : curves_.val) {  // rank 0 read them; empty elsewhere
        result_.run_val_losses.emplace_back(step, float(loss));
    }
    result_.first_step = run.first_step;
    result_.steps_done = run.first_step;
    result_.num_params = run.gpt->num_params();
}

void RunLog::append_metrics(const json &line) {
    // A line that cannot be written (a full disk) stops the run rather than
    // leaving a record with holes.
    metrics_ << line.dump() << "\n" << std::flush;
    if (!metrics_) {
        throw TrainError("step " + line.value("step", json(0)).dump() + ": cannot write " +
                         (run_.settings.out / "metrics.jsonl").string() + " (" +
                         std::strerror(errno) + "); stopped, " + run_.kept());
    }
}

void RunLog::open_metrics() {
    const TrainSettings &s = run_.settings;
    const fs::path path = s.out / "metrics.jsonl";
    run_.ranks.together([&] {
        if (run_.ranks.root()) {
            make_writable(s.out);
            History history = read_history(path, run_.from_checkpoint ? run_.first_step : -1);
            write_file_atomically(path, history.kept_lines);
            metrics_.open(path, std::ios::app);
            curves_ = std::move(history.curves);
        }
    });
}

void RunLog::print_header(int threads) {
    const TrainSettings &s = run_.settings;
    const GptConfig &cfg = s.model;
    std::ostream &log = run_.log;
    log << "gomhc train: " << method_name(cfg.method) << " d=" << cfg.d << " s=" << cfg.s << ", "
        << cfg.layers << " layers x " << cfg.width << " wide, " << cfg.heads << " heads, ctx "
        << cfg.context << ", vocab " << cfg.vocab << "; " << run_.gpt->num_params()
        << " parameters\n"
        << "             " << run_.data->train.size() << " training and " << run_.data->val.size()
        << " validation tokens from " << s.data.string() << "\n"
        << "             batch " << s.batch << " x " << s.grad_accum << " accumulation"
        << (run_.world > 1 ? " x " + std::to_string(run_.world) + " ranks" : std::string())
        << " x ctx " << cfg.context << " = " << run_.tokens_per_step << " tokens per step, "
        << s.steps << " steps on " << device_label(s.device) << " (" << threads << " threads"
        << (run_.world > 1 ? " per rank" : "");
    if (fma_peak_ > 0) {
        log << ", FMA peak " << std::fixed << std::setprecision(1) << fma_peak_ * 1e-9
            << " GFLOP/s";
    }
    log << ")\n";
    if (!run_.from_checkpoint && s.resume) {
        log << "             " << s.out.string() << " holds no checkpoint yet (the run stopped "
            << "before its first save): starting from step 0\n";
    }
    if (run_.from_checkpoint) {
        log << "             resuming from step " << run_.first_step << " in " << s.out.string()
            << "\n";
    }
    log.unsetf(std::ios::floatfield);
}

std::string RunLog::mfu(const char *format, double percent) const {
    if (!(fma_peak_ > 0)) {
        return "";
    }
    char text[64];
    std::snprintf(text, sizeof(text), format, percent);
    return text;
}

void RunLog::step(int64_t done, const StepStats &st, double seconds) {
    const TrainSettings &s = run_.settings;
    if (done - 1 > run_.first_step || s.steps - run_.first_step == 1) {  // the first warms up
        timed_seconds_ += seconds;
        timed_steps_++;
    }
    const double tokens_per_s = double(run_.tokens_per_step) / seconds;
    result_.losses.push_back(float(st.loss));
    result_.steps_done = done;
    curves_.train.emplace_back(done, st.loss);
    if (run_.ranks.root()) {
        json line = {{"step", done},        {"loss", st.loss},
                     {"lr", st.lr},         {"grad_norm", st.grad_norm},
                     {"ms", seconds * 1e3}, {"tokens_per_s", tokens_per_s}};
        if (run_.world > 1) {
            line["allreduce_ms"] = st.allreduce_seconds * 1e3;
        }
        append_metrics(line);
    }
    const bool last = done == s.steps;
    if (s.log_every > 0 && (done % s.log_every == 0 || done == run_.first_step + 1 || last)) {
        const double mean = timed_steps_ > 0 ? timed_seconds_ / double(timed_steps_) : seconds;
        char line[256];
        std::snprintf(
            line, sizeof(line),
            "step %lld/%lld  loss %.4f  lr %.2e  norm %.3f  %.1f ms  %.0f tok/s%s  ETA %s",
            static_cast<long long>(done), static_cast<long long>(s.steps), st.loss, double(st.lr),
            st.grad_norm, seconds * 1e3, tokens_per_s,
            mfu("  MFU %.1f%%", 100.0 * step_flops_ / seconds / (fma_peak_ * run_.world)).c_str(),
            format_duration(mean * double(s.steps - done)).c_str());
        std::ostream &log = run_.log;
        log << line;
        if (run_.world > 1) {
            log << "  allreduce " << std::fixed << std::setprecision(1)
                << st.allreduce_seconds * 1e3 << " ms";
            log.unsetf(std::ios::floatfield);
        }
        log << "\n" << std::flush;
    }
}

void RunLog::validation(int64_t step, const Validation &v) {
    const double loss = v.loss;
    result_.val_losses.emplace_back(step, float(loss));
    if (run_.ranks.root()) {
        result_.run_val_losses.emplace_back(step, float(loss));
    }
    curves_.val.emplace_back(step, loss);
    if (run_.ranks.root()) {
        json line = {{"step", step}, {"val_loss", loss}};
        if (v.streams) {
            line["streams"] = to_json(*v.streams);
            result_.last_streams = v.streams;
        }
        append_metrics(line);
    }
    run_.log << "step " << step << "/" << run_.settings.steps << "  val loss " << std::fixed
             << std::setprecision(4) << loss;
    if (v.streams) {
        // How alike the streams are after the last block (copies: cosine 1,
        // deviation 0).
        run_.log << "  streams' cosine " << v.streams->cosine_after_block.back() << " deviation "
                 << v.streams->deviation_after_block.back();
    }
    run_.log << "\n";
    run_.log.unsetf(std::ios::floatfield);
}

void RunLog::interrupted(int64_t done) {
    result_.interrupted = true;
    run_.log << "gomhc train: interrupted after step " << done << "; checkpoint saved in "
             << run_.settings.out.string() << " (continue with the same flags and --resume)\n";
}

TrainResult RunLog::finish(double wall_seconds, const TrainHooks &hooks) {
    const TrainSettings &s = run_.settings;
    if (metrics_.is_open()) {
        metrics_.close();
    }
    result_.tokens_per_second =
        timed_steps_ > 0 ? double(run_.tokens_per_step) * double(timed_steps_) / timed_seconds_ : 0;
    if (s.plot && run_.ranks.root() && hooks.plot) {
        run_.log << hooks.plot(s.out, curves_) << "\n";
    }
    double best = INFINITY;
    for (const auto &v : curves_.val) {
        best = std::min(best, v.second);
    }
    char summary[512];
    std::snprintf(summary, sizeof(summary),
                  "summary: %lld steps in %s, %.0f tokens/s%s, final training loss "
                  "%.4f, validation loss %.4f (best %.4f)\n         files: "
                  "%s/{model,optimizer}.safetensors, state.json, metrics.jsonl, loss.png",
                  static_cast<long long>(result_.steps_done - run_.first_step),
                  format_duration(wall_seconds).c_str(), result_.tokens_per_second,
                  mfu(" (MFU %.1f%%)", 100.0 * result_.tokens_per_second * flops_per_token_ /
                                           (fma_peak_ * run_.world))
                      .c_str(),
                  result_.losses.empty() ? 0.0 : double(result_.losses.back()),
                  curves_.val.empty() ? 0.0 : curves_.val.back().second,
                  curves_.val.empty() ? 0.0 : best, s.out.string().c_str());
    run_.log << summary << "\n";
    return result_;
}

}  // namespace gomhc::trainer
