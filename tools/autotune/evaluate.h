// Measures one candidate schedule of one tuning case, in a child process,
// so a candidate that crashes or hangs is recorded instead of ending the run.
#pragma once

#include <string>

#include "candidate.h"
#include "tuning_case.h"

namespace gomhc::autotune {

struct Measurement {
    enum class Status { ok, wrong, failed, crashed, timed_out } status = Status::failed;
    double median_ms = 0;  // of the timed runs, when status == ok
    std::string detail;    // why it is not ok
};

const char *status_name(Measurement::Status status);
Measurement::Status parse_status(const std::string &name);

struct Timing {
    int min_runs = 5;          // at least this many timed runs
    double min_seconds = 0.2;  // and at least this long in total
    double timeout_seconds = 120;
};

// Builds `tuning_case`'s generator with `candidate` for `target` (JIT),
// checks its output against the reference and times it.
Measurement measure(TuningCase &tuning_case, const Candidate &candidate,
                    const Halide::Target &target, const Timing &timing);

// measure() in a forked child with a time limit.
Measurement measure_isolated(TuningCase &tuning_case, const Candidate &candidate,
                             const Halide::Target &target, const Timing &timing);

}  // namespace gomhc::autotune
