#include "candidate.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace gomhc::autotune {

std::string Candidate::key() const {
    std::string text;
    for (const auto &[name, value] : params) {
        text += (text.empty() ? "" : " ") + name + "=" + value;
    }
    return text;
}

Candidate parse_candidate(const std::string &text) {
    Candidate candidate;
    std::istringstream in(text);
    std::string item;
    while (in >> item) {
        const size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
            throw std::invalid_argument("'" + item + "' is not name=value");
        }
        candidate.params[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return candidate;
}

namespace {

#include "tuning_registry.inc"  // generated from registry.cmake

// The registry's knobs of `op` on `device`: the device's, then the op's own.
std::vector<const RegistryKnob *> registry_knobs_for(Device device, const std::string &op) {
    std::vector<const RegistryKnob *> out;
    for (bool own : {false, true}) {
        for (const RegistryKnob &k : registry_knobs()) {
            if (k.device == device && (own ? op == k.op : std::string(k.op).empty())) {
                out.push_back(&k);
            }
        }
    }
    return out;
}

}  // namespace

const std::vector<std::string> &tunable_ops() { return registry_tunable_ops(); }

std::vector<Knob> knobs_for(Device device, const std::string &op) {
    std::vector<Knob> knobs;
    for (const RegistryKnob *k : registry_knobs_for(device, op)) {
        knobs.push_back({k->name, k->values});
    }
    return knobs;
}

Candidate default_candidate(Device device, const std::string &op) {
    Candidate c;
    for (const RegistryKnob *k : registry_knobs_for(device, op)) {
        c.params[k->name] = std::to_string(k->default_value);
    }
    return c;
}

std::vector<std::string> autoschedulers_for(Device device) {
    // Halide 14's autoschedulers schedule CPU code only.
    if (device == Device::cuda) {
        return {};
    }
    return {"Adams2019", "Mullapudi2016"};
}

Candidate mutate(const Candidate &from, const std::vector<Knob> &knobs, std::mt19937_64 &rng) {
    Candidate next = from.uses_autoscheduler() ? random_candidate(knobs, rng) : from;
    const Knob &knob = knobs[std::uniform_int_distribution<size_t>(0, knobs.size() - 1)(rng)];
    const int current = std::stoi(next.params.at(knob.name));
    auto at = std::find(knob.values.begin(), knob.values.end(), current);
    size_t index = at == knob.values.end() ? 0 : size_t(at - knob.values.begin());
    const bool up = std::bernoulli_distribution(0.5)(rng);
    if (up && index + 1 < knob.values.size()) {
        index++;
    } else if (!up && index > 0) {
        index--;
    } else if (index + 1 < knob.values.size()) {
        index++;
    } else if (index > 0) {
        index--;
    }
    next.params[knob.name] = std::to_string(knob.values[index]);
    return next;
}

Candidate random_candidate(const std::vector<Knob> &knobs, std::mt19937_64 &rng) {
    Candidate c;
    for (const Knob &knob : knobs) {
        c.params[knob.name] = std::to_string(
            knob.values[std::uniform_int_distribution<size_t>(0, knob.values.size() - 1)(rng)]);
    }
    return c;
}

size_t space_size(const std::vector<Knob> &knobs) {
    size_t size = 1;
    for (const Knob &knob : knobs) {
        size *= knob.values.size();
    }
    return size;
}

}  // namespace gomhc::autotune
