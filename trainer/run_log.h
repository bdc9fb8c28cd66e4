// The record of a training run: DIR/metrics.jsonl (rank 0 writes it; a
// resumed run keeps its lines up to the checkpoint), the header, progress
// lines and summary on the log, the loss curves, and what train() returns.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "evaluation.h"
#include "run.h"
#include "run_setup.h"

namespace gomhc::trainer {

class RunLog {
public:
    // Opens DIR/metrics.jsonl on rank 0 (creating the folder and proving it
    // writable first) and prints the run's header.
    RunLog(const Run &run, const RunThreads &threads);

    // Step `done` (1-based) took `seconds`: its metrics line and, on the
    // --log-every schedule, its progress line.
    void step(int64_t done, const StepStats &stats, double seconds);
    void validation(int64_t step, const Validation &v);
    void interrupted(int64_t done);
    // Closes metrics.jsonl, has DIR/loss.png drawn (--plot, on rank 0) and
    // prints the summary of this call's `wall_seconds`.
    TrainResult finish(double wall_seconds, const TrainHooks &hooks);

private:
    void open_metrics();
    void append_metrics(const nlohmann::json &line);
    void print_header(int threads);
    // The model flops utilisation `percent` (of every rank's FMA peak) as
    // text in `format`; empty when no peak was measured.
    std::string mfu(const char *format, double percent) const;

    const Run &run_;
    const double fma_peak_;  // 0: none measured, no MFU
    const double flops_per_token_, step_flops_;
    std::ofstream metrics_;
    LossCurves curves_;  // the whole run's on rank 0; this call's on the others
    TrainResult result_;
    double timed_seconds_ = 0;  // the steps of this call but its first (warm-up)
    int64_t timed_steps_ = 0;
};

}  // namespace gomhc::trainer
