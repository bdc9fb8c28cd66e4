// The op catalog (gomhc/ops.hpp) and its C API (gomhc_op_*): every op runs
// at its example sizes by name, the C API gives the same outputs, backward
// ops follow the naming the bridge relies on, and bad calls say what is
// wrong.
#include <doctest/doctest.h>
#include <gomhc.h>

#include <cstring>
#include <gomhc/ops.hpp>
#include <limits>
#include <set>

#include "kernel_util.h"

using namespace gomhc_test;

namespace {

// Host data for one call: floats in [-1, 1] (outputs the op adds into too),
// token ids below their bound.
struct HostCall {
    std::vector<std::vector<float>> floats;
    std::vector<std::vector<int32_t>> ids;
    std::vector<void *> pointers;

    HostCall(const std::vector<gomhc::OpTensor> &tensors, uint64_t seed) {
        ref::Rng rng(seed);
        floats.resize(tensors.size());
        ids.resize(tensors.size());
        for (size_t i = 0; i < tensors.size(); i++) {
            const gomhc::OpTensor &t = tensors[i];
            const size_t count = size_t(element_count(t.shape));
            if (t.ids_below > 0) {
                ids[i] = random_token_ids(rng, int64_t(count), t.ids_below);
                pointers.push_back(ids[i].data());
            } else {
                for (double v : rng.uniform_vec(count, -1.0, 1.0)) {
                    floats[i].push_back(float(v));
                }
                pointers.push_back(floats[i].data());
            }
        }
    }
};

}  // namespace

TEST_CASE("op catalog: every op runs by name at its examples, the C API alike") {
    const auto ops = gomhc::op_catalog();
    REQUIRE(ops.size() >= 22);
    for (const gomhc::OpInfo *op : ops) {
        REQUIRE_MESSAGE(!op->examples.empty(), op->name << " has no example sizes");
        uint64_t seed = 1;
        for (const std::vector<double> &sizes : op->examples) {
            INFO(std::string(op->name) << " at (" << sizes_text(sizes) << ")");
            const std::vector<gomhc::OpTensor> tensors = op->tensors(sizes);
            HostCall cpp(tensors, seed), c(tensors, seed);
            seed++;
            gomhc::run_op(op->name, sizes, cpp.pointers, gomhc::Device::host);
            REQUIRE(gomhc_op_run(op->name, sizes.data(), int(sizes.size()), c.pointers.data(),
                                 int(c.pointers.size())) == GOMHC_OK);
            for (size_t i = 0; i < tensors.size(); i++) {
                if (tensors[i].output) {
                    INFO(tensors[i].name);
                    CHECK(cpp.floats[i] == c.floats[i]);
                    for (float v : cpp.floats[i]) {
                        REQUIRE(std::isfinite(v));
                    }
                }
            }
        }
    }
}

TEST_CASE("op catalog: a backward reads its forward's tensors and writes their gradients") {
    for (const gomhc::OpInfo *op : gomhc::op_catalog()) {
        if (std::strlen(op->forward_of) == 0) {
            continue;
        }
        INFO(std::string(op->name) << " is the backward of " << std::string(op->forward_of));
        const gomhc::OpInfo &forward = gomhc::op_info(op->forward_of);
        // The backward takes the forward's sizes, then any scalar of its own
        // (the cross-entropy's loss scale).
        REQUIRE(forward.sizes.size() <= op->sizes.size());
        for (size_t i = 0; i < forward.sizes.size(); i++) {
            CHECK(std::string(forward.sizes[i]) == op->sizes[i]);
        }
        const std::vector<double> &sizes = op->examples.back();
        const std::vector<double> forward_sizes(sizes.begin(),
                                                sizes.begin() + long(forward.sizes.size()));
        std::set<std::string> forward_inputs, forward_outputs;
        for (const gomhc::OpTensor &t : forward.tensors(forward_sizes)) {
            (t.output ? forward_outputs : forward_inputs).insert(t.name);
        }
        for (const gomhc::OpTensor &t : op->tensors(sizes)) {
            INFO(t.name);
            const std::string name = t.name;
            if (t.output) {
                CHECK(name[0] == 'd');
                CHECK(forward_inputs.count(name.substr(1)) == 1);
            } else {
                const bool gradient = name[0] == 'd' && forward_outputs.count(name.substr(1)) == 1;
                CHECK((gradient || forward_inputs.count(name) || forward_outputs.count(name)));
            }
        }
    }
}

TEST_CASE("op catalog: the C API lists and describes the ops") {
    REQUIRE(gomhc_op_count() == int(gomhc::op_catalog().size()));
    CHECK(gomhc_op_name(-1) == nullptr);
    CHECK(gomhc_op_name(gomhc_op_count()) == nullptr);
    const char *names[8];
    const char *forward_of = nullptr;
    int count = 0;
    REQUIRE(gomhc_op_sizes("stream_read_backward", names, 8, &count, &forward_of) == GOMHC_OK);
    REQUIRE(count == 3);
    CHECK(std::string(names[2]) == "C");
    CHECK(std::string(forward_of) == "stream_read_forward");
    const double sizes[] = {5, 4, 9};
    gomhc_op_tensor tensors[8];
    REQUIRE(gomhc_op_tensors("stream_read_backward", sizes, 3, tensors, 8, &count) == GOMHC_OK);
    REQUIRE(count == 5);
    CHECK(std::string(tensors[3].name) == "dx");
    CHECK(tensors[3].rank == 3);
    CHECK(tensors[3].shape[2] == 9);
    CHECK(tensors[3].output == 1);
    CHECK(tensors[0].output == 0);

    const gomhc::OpInfo &layernorm = gomhc::op_info("layernorm_forward");
    std::vector<double> examples(layernorm.examples.size() * 2);
    REQUIRE(gomhc_op_examples("layernorm_forward", examples.data(), int(examples.size()), &count) ==
            GOMHC_OK);
    REQUIRE(count == int(layernorm.examples.size()));
    CHECK(examples[2] == layernorm.examples[1][0]);
    CHECK(examples[3] == layernorm.examples[1][1]);
    CHECK(gomhc_op_examples("layernorm_forward", examples.data(), 1, &count) ==
          GOMHC_INVALID_ARGUMENT);
}

TEST_CASE("op catalog: bad calls name the problem and write nothing") {
    std::vector<float> x(4 * 2 * 3, 1.0f), h(4 * 2, 1.0f), y(4 * 3, -7.0f);
    void *data[] = {x.data(), h.data(), y.data()};
    const double sizes[] = {4, 2, 3};
    const auto error = [] { return std::string(gomhc_last_error()); };

    CHECK(gomhc_op_run("stream_reed_forward", sizes, 3, data, 3) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("unknown op 'stream_reed_forward'") != std::string::npos);
    CHECK(error().find("stream_read_forward") != std::string::npos);

    CHECK(gomhc_op_run("stream_read_forward", sizes, 2, data, 3) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("expected 3 (tokens, d, C)") != std::string::npos);

    CHECK(gomhc_op_run("stream_read_forward", sizes, 3, data, 2) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("2 tensors given, expected 3") != std::string::npos);

    void *with_null[] = {x.data(), nullptr, y.data()};
    CHECK(gomhc_op_run("stream_read_forward", sizes, 3, with_null, 3) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("'h_pre' is a null pointer") != std::string::npos);

    const double fractional[] = {4, 2.5, 3};
    CHECK(gomhc_op_run("stream_read_forward", fractional, 3, data, 3) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("size 'd'") != std::string::npos);

    const double infinite[] = {4, 2, std::numeric_limits<double>::infinity()};
    CHECK(gomhc_op_run("stream_read_forward", infinite, 3, data, 3) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("size 'C' is not finite") != std::string::npos);

    const double too_large[] = {1, 65, 1};
    CHECK(gomhc_op_run("cayley_forward", too_large, 3, data, 2) == GOMHC_INVALID_ARGUMENT);
    CHECK(error().find("n = d*s = 65") != std::string::npos);

    const std::vector<void *> pointers(data, data + 3);
    const std::vector<double> size_list(sizes, sizes + 3);
    const auto cpp_error = [&](const std::vector<int64_t> &offsets) {
        try {
            gomhc::run_op("stream_read_forward", size_list, pointers, gomhc::Device::host, offsets);
        } catch (const gomhc::InvalidArgument &e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(cpp_error({0, 0}).find("2 offsets given, expected 3") != std::string::npos);
    CHECK(cpp_error({0, -1, 0}).find("'h_pre' has offset -1") != std::string::npos);

    for (float v : y) {
        CHECK(v == -7.0f);
    }
}
