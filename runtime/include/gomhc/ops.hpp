// gomhc op catalog: every tensor op of the C++ API, described, so that a
// caller that knows an op only by its name can call it: the benchmarks, the
// GPU tests, the C API's gomhc_op_run and the PyTorch bridge. Each op's
// description lives beside its wrapper (runtime/src/<family>.cpp); adding an
// op adds its entry there, not to a list.
#pragma once

#include <string>
#include <vector>

#include "gomhc/gomhc.hpp"

namespace gomhc {

// One tensor argument of an op, at given sizes.
struct OpTensor {
    const char *name;  // the C++ API's name for it
    Shape shape;
    bool output;            // written by the op (else only read)
    bool adds = false;      // an output the op adds into (its old values count)
    int64_t ids_below = 0;  // > 0: int32 token ids below this (a TokenView), else float32
};

// The data of one call: a pointer per tensor, in OpInfo::tensors order, all
// in one device's memory, each with an element offset (empty: all 0); the
// views come from the op's own shapes.
class OpData {
public:
    OpData(std::vector<OpTensor> tensors, std::vector<void *> data, Device device,
           std::vector<int64_t> offsets = {});
    TensorView tensor(size_t i) const;
    TokenView ids(size_t i) const;

private:
    int64_t offset(size_t i) const { return offsets_.empty() ? 0 : offsets_.at(i); }
    std::vector<OpTensor> tensors_;
    std::vector<void *> data_;
    Device device_;
    std::vector<int64_t> offsets_;
};

struct OpInfo {
    const char *name;  // as in registry.cmake, e.g. "stream_read_forward"
    // What a call takes besides tensors, in order: sizes ("tokens", "d",
    // "s", "C", ...) and scalars ("scale", "vocab").
    std::vector<const char *> sizes;
    // Its tensors at these sizes (one value per entry of `sizes`), in the
    // order the C++ API takes them. Throws InvalidArgument for sizes that
    // make no tensor (a negative extent, n > kMaxN, ...).
    std::vector<OpTensor> (*tensors)(const std::vector<double> &sizes);
    // Runs the op through the C++ API, which checks everything again.
    void (*run)(const std::vector<double> &sizes, const OpData &data);
    // The op whose outputs this op's gradients are of ("" for a forward):
    // X_backward reads X_forward's tensors by name and takes d<output> for
    // each of X_forward's outputs; it writes d<input>.
    const char *forward_of = "";
    // Sizes to try it at: small, with odd counts that reach the kernels'
    // tails, and for ops whose GPU kernels work on whole rows one wide enough
    // to fill their blocks (the generic tests, test_cuda's host-versus-device
    // comparison and the bridge's tests run every op at each).
    std::vector<std::vector<double>> examples = {};
};

// Every described op, sorted by name.
std::vector<const OpInfo *> op_catalog();
// The op of this name; throws InvalidArgument listing the names for an
// unknown one.
const OpInfo &op_info(const std::string &name);
// Checks the sizes' count, builds the views on `device` and runs the op.
// offsets (empty: all 0) gives each tensor's first element within its
// buffer, the way to reach into an OpenCL buffer, whose cl_mem cannot point
// past its start.
void run_op(const std::string &name, const std::vector<double> &sizes,
            const std::vector<void *> &data, Device device,
            const std::vector<int64_t> &offsets = {});

// Registers one op at load time; each op's file holds one per op.
struct OpRegistration {
    explicit OpRegistration(const OpInfo &info);
};

}  // namespace gomhc
