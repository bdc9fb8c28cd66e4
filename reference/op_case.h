// One op as the tuner and the generic tests see it, by name: its tensors
// (the catalog's, or for an internal kernel its reference's), its forward,
// its float64 side; and inputs for a call that are consistent as in
// training.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "op_reference.h"

namespace gomhc::reference {

struct OpDescription {
    std::string name;
    std::vector<const char *> sizes;
    std::vector<OpTensor> (*tensors)(const Sizes &sizes) = nullptr;
    std::string forward_of;                  // empty for a forward
    const OpReference *reference = nullptr;  // null: none registered
};

// Throws std::invalid_argument when neither the catalog nor a reference
// describes `name`.
OpDescription describe_op(const std::string &name);

// Inputs of one call, in catalog order and float32-exact: uniform in
// [-1, 1] (or the op's InputRange), token ids below their bound. A backward's
// inputs that its forward makes (a Q, a mean) come from the forward's float64
// reference on such inputs, so a backward sees an orthogonal Q.
std::vector<Vec> make_inputs(const OpDescription &op, const Sizes &sizes, std::mt19937_64 &rng);

// Whether each tensor grows with the size called "tokens" (false for every
// tensor of an op without one): a weight or a per-call vector does not.
std::vector<bool> per_token(const OpDescription &op, const Sizes &sizes);

// `sizes` with the size called `name` set to `value` (unchanged if none is).
Sizes with_size(const OpDescription &op, Sizes sizes, const std::string &name, double value);

}  // namespace gomhc::reference
