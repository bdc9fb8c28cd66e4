// A schedule candidate: values for an op's schedule GeneratorParams (or the
// name of a Halide autoscheduler), and the space the search draws them from.
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

namespace gomhc::autotune {

enum class Device { cpu, cuda };

// "vector_width=16 tokens_per_task=32", or "autoscheduler=Adams2019".
struct Candidate {
    std::map<std::string, std::string> params;

    std::string key() const;  // the canonical text above
    bool uses_autoscheduler() const { return params.count("autoscheduler") > 0; }
};

// Parses Candidate::key() text back; throws std::invalid_argument.
Candidate parse_candidate(const std::string &text);

// One knob and the values worth trying, in increasing order.
struct Knob {
    std::string name;
    std::vector<int> values;
};

// A schedule knob of the op registry (registry.cmake): on `device`, for
// every op (op empty) or one op, its generator default and the values tried.
struct RegistryKnob {
    Device device;
    const char *op;
    const char *name;
    int default_value;
    std::vector<int> values;
};

// The knobs of an op's hand-written schedule for a device, with the
// defaults the generators use when a knob is not set: the device's common
// knobs, then the op's own (all from registry.cmake).
std::vector<Knob> knobs_for(Device device, const std::string &op);
// The ops the registry marks TUNABLE, in registry order.
const std::vector<std::string> &tunable_ops();
Candidate default_candidate(Device device, const std::string &op);
// The autoschedulers Halide 14 ships for this device (CPU only).
std::vector<std::string> autoschedulers_for(Device device);

// A neighbour of `from`: one knob moved one step up or down.
Candidate mutate(const Candidate &from, const std::vector<Knob> &knobs, std::mt19937_64 &rng);
// Any point of the space.
Candidate random_candidate(const std::vector<Knob> &knobs, std::mt19937_64 &rng);
// Number of hand-schedule candidates in the space.
size_t space_size(const std::vector<Knob> &knobs);

}  // namespace gomhc::autotune
