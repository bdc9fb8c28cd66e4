// What the tuner measures: one op at one of the benchmark shapes, with real
// inputs, the generator parameters that select its specialised kernel, and
// a check of the result against the float64 reference.
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include "Halide.h"

namespace gomhc::autotune {

// Which kernel at which size: op is a generator name (cayley_forward, ...),
// variant the build's name for the kernel (n8, d4s2, d4; generic and narrow
// for the coefficient path).
struct TuningShape {
    std::string op, variant;
    int64_t tokens;
    int d, s;
    int64_t c;      // features per stream; 1 for the Cayley map and projection
    int64_t k = 0;  // coefficients per token (the coefficient path only)
};

// A TuningShape with its data: inputs, outputs, reference.
class TuningCase {
public:
    explicit TuningCase(const TuningShape &shape);

    const std::string &op() const { return op_; }
    const std::string &variant() const { return variant_; }
    std::string shape() const;  // "T=4096 d=4 s=2", "T=16384 d=4 C=256", "... K=36"
    // GeneratorParams that select the specialised kernel ("n" or "d", "s").
    std::map<std::string, std::string> shape_params() const;

    // Hands the inputs to a generator built for this op (before
    // build_pipeline), and gives the outputs to realize into.
    void bind_inputs(Halide::Internal::GeneratorBase &generator) const;
    std::vector<Halide::Buffer<>> &outputs() { return outputs_; }
    // Empty when the outputs match the reference on the checked tokens,
    // otherwise what differs.
    std::string check_outputs() const;
    // The same kernel at the shapes where tiling breaks first: one token,
    // and an odd token count (and, for stream ops, an odd feature count).
    // A schedule must be right there too before it may win: autoschedulers
    // plan for the benchmark sizes and may read out of bounds elsewhere.
    std::vector<TuningCase> edge_cases() const;

private:
    std::vector<double> reference(int64_t first, int64_t count, size_t output) const;
    void make_coefficient_inputs(std::mt19937_64 &rng);

    std::string op_, variant_;
    int64_t tokens_;
    int d_, s_, n_;
    int64_t c_, k_;
    std::vector<Halide::Buffer<float>> inputs_;
    std::vector<Halide::Buffer<>> outputs_;
    // The whole expected outputs, for ops whose outputs are sums over all
    // tokens (the coefficient backward's dW, db, da): computed once, here.
    std::vector<std::vector<double>> expected_;
};

// The shape classes of an op the tuner covers: those of the benchmarks.
// Cheap: no data is made until a TuningCase is built from one.
std::vector<TuningShape> tuning_shapes(const std::string &op);

}  // namespace gomhc::autotune
