// A generator's declared inputs and outputs by name, and binding values to
// its inputs by position, for a tuning case that knows its tensors only by
// name. Halide 14 keeps what this needs, GeneratorBase::param_info() and
// set_inputs_vector(), private; its public set_inputs() takes the inputs as
// a variadic list whose count and kinds are fixed at compile time.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "Halide.h"

namespace gomhc::autotune {

struct GeneratorIo {
    struct Input {
        std::string name;
        bool scalar;  // else a buffer
    };
    std::vector<Input> inputs;
    std::vector<std::string> outputs;
};

// What `generator` declares, in declaration order.
GeneratorIo generator_io(Halide::Internal::GeneratorBase &generator);

// One value per declared input, in declaration order: an int32 scalar or a
// buffer (compiled into the pipeline, as set_inputs() does).
using GeneratorValue = std::variant<int32_t, Halide::Buffer<>>;
void set_generator_inputs(Halide::Internal::GeneratorBase &generator,
                          const std::vector<GeneratorValue> &values);

}  // namespace gomhc::autotune
