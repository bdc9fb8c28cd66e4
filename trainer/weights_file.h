// The checks between a safetensors file and what is loaded from it, on the
// host: the model's tensors by name, shape and finiteness, AdamW's moments.
// Apart from the model, so the readers are fuzzed without the kernels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpt.h"

namespace gomhc::trainer {

// The `num_params` weights of `layout` from a safetensors file: every tensor
// there with its shape, and finite. Throws CheckpointError naming `where`
// and the tensor.
std::vector<float> weights_from_file(const std::string &bytes,
                                     const std::vector<ParamTensor> &layout, int64_t num_params,
                                     const std::string &where);

struct Moments {
    std::vector<float> first, second;  // exp_avg, exp_avg_sq
};
// AdamW's moments from a safetensors file: two tensors of `num_params`
// finite floats, the second never negative. Throws CheckpointError.
Moments moments_from_file(const std::string &bytes, int64_t num_params, const std::string &where);

}  // namespace gomhc::trainer
