// Each op's float64 side (reference/op_reference.h) against its kernel, by
// name: the benchmark and the tuner trust these entries, so each must name a
// described op, take its inputs in catalog order and give its outputs so.
#include <doctest/doctest.h>

#include <cmath>

#include "kernel_util.h"
#include "layer_reference.h"
#include "op_case.h"

using namespace gomhc_test;

TEST_CASE("op references: every kernel with a reference matches it at the catalog's examples") {
    std::mt19937_64 rng(3000);
    int checked = 0;
    for (const ref::OpReference *reference : ref::op_references()) {
        if (reference->tensors != nullptr) {
            continue;  // an internal kernel: the tuner's end-to-end test runs it
        }
        const gomhc::OpInfo &op = gomhc::op_info(reference->op);
        const ref::OpDescription description = ref::describe_op(op.name);
        for (const Sizes &sizes : op.examples) {
            INFO(std::string(op.name) << " at (" << sizes_text(sizes) << ")");
            const std::vector<Vec> inputs = ref::make_inputs(description, sizes, rng);
            HostBackend b;
            const std::vector<Vec> got = run_kernel(b, op.name, sizes, inputs);
            const std::vector<Vec> want = reference->run(sizes, inputs);
            REQUIRE(got.size() == want.size());
            for (size_t k = 0; k < got.size(); k++) {
                CAPTURE(k);
                CHECK(ref::all_finite(got[k]));
                CHECK(ref::normwise_error(got[k], want[k]) <= 1e-5);
            }
            checked++;
        }
    }
    CHECK(checked > 0);
}

TEST_CASE("op references: their bench and tuning sizes make tensors, and flops are counted") {
    for (const ref::OpReference *reference : ref::op_references()) {
        INFO(reference->op);
        const ref::OpDescription op = ref::describe_op(reference->op);
        CHECK((reference->bench_sizes.empty() || reference->flops_per_token != nullptr));
        std::vector<Sizes> sizes = reference->bench_sizes;
        for (const ref::TuningSizes &tuning : reference->tuning) {
            sizes.push_back(tuning.sizes);
        }
        for (const Sizes &at : sizes) {
            CAPTURE(sizes_text(at));
            REQUIRE(at.size() == op.sizes.size());
            CHECK_NOTHROW(op.tensors(at));
            if (reference->flops_per_token != nullptr) {
                CHECK(reference->flops_per_token(at) > 0);
            }
        }
        for (const ref::InputRange &range : reference->input_ranges) {
            CHECK(range.lo < range.hi);
        }
    }
}

TEST_CASE("op references: an internal kernel's backward reads its forward's outputs by name") {
    const ref::OpDescription backward = ref::describe_op("coefficients_backward");
    REQUIRE(backward.forward_of == "coefficients_forward");
    std::mt19937_64 rng(1);
    const Sizes sizes = {3, 2, 5, 9};  // tokens, d, C, K
    const std::vector<Vec> inputs = ref::make_inputs(backward, sizes, rng);
    // z and inv_rms are the forward's: inv_rms = 1 / rms of x.
    const ref::Vec &x = inputs[0], &inv_rms = inputs[4];
    for (int64_t t = 0; t < 3; t++) {
        double sum = 0;
        for (int64_t m = 0; m < 10; m++) {
            sum += x[size_t(t * 10 + m)] * x[size_t(t * 10 + m)];
        }
        CHECK(inv_rms[size_t(t)] ==
              doctest::Approx(1.0 / std::sqrt(sum / 10 + ref::kRmsNormEps)).epsilon(1e-6));
    }
    CHECK_THROWS_AS(ref::describe_op("coefficients_sideways"), std::invalid_argument);
}
