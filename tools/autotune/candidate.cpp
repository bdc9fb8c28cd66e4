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

// An op's own schedule GeneratorParams beyond the common knobs, and their
// generator defaults (generators/coefficients_generator.cpp and
// generators/stream_mixing_generator.cpp).
struct OpKnob {
    Knob knob;
    int default_value;
};

std::vector<OpKnob> op_knobs(Device device, const std::string &op) {
    if (device != Device::cpu) {
        return {};
    }
    const Knob tokens{"tile_tokens", {1, 2, 3, 4, 6, 8}};
    const Knob coefficients{"tile_coefficients", {1, 2, 3, 4, 6}};
    if (op == "coefficients_forward") {
        return {{tokens, 4}, {coefficients, 3}};
    }
    if (op == "coefficients_backward") {
        return {{tokens, 4},
                {coefficients, 4},
                {{"token_block", {16, 32, 64, 128, 256}}, 64},
                {{"features_per_task", {64, 96, 192, 384, 768}}, 192}};
    }
    if (op == "stream_write_backward") {
        return {{{"dx_rows", {1, 2, 4, 8, 16}}, 1}};
    }
    return {};
}

}  // namespace

std::vector<Knob> knobs_for(Device device, const std::string &op) {
    std::vector<Knob> knobs;
    if (device == Device::cuda) {
        knobs = {{"gpu_threads", {32, 64, 128, 256, 512, 1024}}, {"gpu_tokens", {1, 2, 4, 8, 16}}};
    } else {
        knobs = {{"vector_width", {4, 8, 16, 32}},
                 {"tokens_per_task", {4, 8, 16, 32, 64, 128, 256, 512}}};
    }
    for (const OpKnob &extra : op_knobs(device, op)) {
        knobs.push_back(extra.knob);
    }
    return knobs;
}

Candidate default_candidate(Device device, const std::string &op) {
    // The generators' GeneratorParam defaults (generators/stages.h).
    Candidate c;
    if (device == Device::cuda) {
        c.params = {{"gpu_threads", "128"}, {"gpu_tokens", "1"}};
    } else {
        c.params = {{"vector_width", "8"}, {"tokens_per_task", "64"}};
    }
    for (const OpKnob &extra : op_knobs(device, op)) {
        c.params[extra.knob.name] = std::to_string(extra.default_value);
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
