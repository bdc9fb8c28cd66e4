// The float64 side of an op, registered beside its reference
// (reference/ops/<family>.cpp) and found by the op's registry name: what the
// op catalog (gomhc/ops.hpp), which describes the C++ API, cannot know. The
// benchmark times every op that has bench sizes, the tuner takes its cases
// from here, and the generic tests check each kernel against `run`.
#pragma once

#include <gomhc/ops.hpp>
#include <string>
#include <vector>

#include "gomhc_reference.h"

namespace gomhc::reference {

// The sizes of a call, in the order the op's catalog entry names them.
using Sizes = std::vector<double>;

// A case of `gomhc autotune`: sizes, and the registry VARIANT it tunes
// (empty: the kernel the build specialises for these sizes).
struct TuningSizes {
    Sizes sizes;
    const char *variant = "";
};

// Inputs drawn from [lo, hi] instead of [-1, 1], where that would not be
// representative (a weight that would saturate the sigmoids after it).
struct InputRange {
    const char *name;
    double lo, hi;
};

struct OpReference {
    const char *op;  // as in registry.cmake and the catalog
    // The op in float64: its inputs in catalog order (token ids as whole
    // numbers) -> its outputs in catalog order.
    std::vector<Vec> (*run)(const Sizes &sizes, const std::vector<Vec> &inputs);
    // Flops per token as the kernel computes them, for the rooflines (null
    // for an op the benchmark does not time).
    double (*flops_per_token)(const Sizes &sizes) = nullptr;
    // gomhc_bench's rows, in order.
    std::vector<Sizes> bench_sizes = {};
    // gomhc autotune's cases, the target shape first.
    std::vector<TuningSizes> tuning = {};
    std::vector<InputRange> input_ranges = {};
    // Only for an internal kernel the catalog does not describe (the layer's
    // coefficient path): its size names, tensors and forward, as OpInfo's.
    std::vector<const char *> sizes = {};
    std::vector<OpTensor> (*tensors)(const Sizes &sizes) = nullptr;
    const char *forward_of = "";
};

// The registered op of this name, or null.
const OpReference *find_op_reference(const std::string &op);
// Every registered op, sorted by name.
std::vector<const OpReference *> op_references();

// Registers one op at load time; each family's file holds one per op.
struct OpReferenceRegistration {
    explicit OpReferenceRegistration(const OpReference &reference);
};

// Reading sizes: a whole number (the catalog has checked it).
inline int64_t size_at(const Sizes &sizes, size_t i) { return int64_t(sizes.at(i)); }

}  // namespace gomhc::reference
