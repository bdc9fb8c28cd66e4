// What the tuner measures: one op at one of its tuning sizes (from its
// float64 side, reference/ops/), with real inputs, the generator parameters
// that select the kernel (from registry.cmake), and a check of the result
// against the float64 reference. The op's tensors come from the catalog, or
// for an internal kernel from its reference; the generator's inputs and
// outputs are matched to them by name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "Halide.h"
#include "op_case.h"

namespace gomhc::autotune {

namespace ref = gomhc::reference;

// Which kernel at which sizes: op is a generator name (cayley_forward, ...),
// variant the build's name for the kernel (n8, d4s2, d4; generic and narrow
// for the coefficient path).
struct TuningShape {
    std::string op, variant;
    ref::Sizes sizes;                           // as the op's description names them
    std::map<std::string, std::string> params;  // the GeneratorParams selecting the kernel
};

// A TuningShape with its data: inputs, outputs, reference.
class TuningCase {
public:
    explicit TuningCase(const TuningShape &shape);

    const std::string &op() const { return shape_.op; }
    const std::string &variant() const { return shape_.variant; }
    std::string shape() const;  // "T=4096 d=4 s=2", "T=16384 d=4 C=256", "... K=36"
    const std::map<std::string, std::string> &shape_params() const { return shape_.params; }

    // Hands the inputs to a generator built for this op (before
    // build_pipeline), matching its declared inputs by name: a tensor, a size
    // (scalar `<size>` or `<size>_runtime`), or `<output>_in`, the memory of
    // an output the kernel adds into. Throws for one it cannot match, and
    // for outputs other than the description's.
    void bind_inputs(Halide::Internal::GeneratorBase &generator) const;
    std::vector<Halide::Buffer<>> &outputs() { return outputs_; }
    // Empty when the outputs match the reference on the checked tokens,
    // otherwise what differs.
    std::string check_outputs() const;
    // The same kernel at the shapes where tiling breaks first: one token,
    // and an odd token count (and, for ops over C features, an odd C).
    // A schedule must be right there too before it may win: autoschedulers
    // plan for the benchmark sizes and may read out of bounds elsewhere.
    std::vector<TuningCase> edge_cases() const;

private:
    // The reference's output `output` for tokens [first, first + count).
    ref::Vec reference(int64_t first, int64_t count, size_t output) const;
    int64_t tokens() const;

    TuningShape shape_;
    ref::OpDescription op_;
    std::vector<gomhc::OpTensor> tensors_;
    std::vector<bool> per_token_;   // per tensor
    std::vector<ref::Vec> values_;  // the inputs in float64, in catalog order
    std::vector<Halide::Buffer<>> inputs_, outputs_;
    std::vector<ref::Vec> initial_;  // per output: what it adds into, or empty
    // The whole expected outputs, for ops with an output that does not grow
    // with the tokens (a sum over all of them, like a weight's gradient):
    // computed once, here.
    std::vector<ref::Vec> expected_;
};

// The cases of an op the tuner covers, from its reference's tuning sizes.
// Cheap: no data is made until a TuningCase is built from one.
std::vector<TuningShape> tuning_shapes(const std::string &op);

}  // namespace gomhc::autotune
