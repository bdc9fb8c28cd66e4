// The GPT's linear layers (c_attn, c_proj, c_fc and the head; no biases,
// docs/trainer.md "The model") over the BLAS products of matmul.h, on views
// of activations and of the flat parameter and gradient blocks, in the views'
// memory. W is stored [out][in], as PyTorch's nn.Linear stores it.
#pragma once

#include <gomhc/gomhc.hpp>

namespace gomhc::trainer {

// y [n][out] = x [n][in] W^T.
void linear_forward(const TensorView &x, const TensorView &w, const TensorView &y);

// From dy [n][out]: dx [n][in] = dy W (overwritten) and dW [out][in] += dy^T x
// (added: the gradients of a step's micro-batches add up).
void linear_backward(const TensorView &dy, const TensorView &x, const TensorView &w,
                     const TensorView &dx, const TensorView &dw);

}  // namespace gomhc::trainer
