// The float64 side (op_reference.h) of the trainer's ops over rows of C
// features, LayerNorm and GELU: sizes tokens, C.
#include "model_reference.h"
#include "op_reference.h"

namespace gomhc::reference {
namespace {

int64_t row_width(const Sizes &z) { return size_at(z, 1); }

// Flops per token, per element as the kernels evaluate them (recomputed
// terms included, tanh counted as one flop):
//   layernorm forward:  mean 1, variance 3, y 4: 8 C
//   layernorm backward: the two per-token sums 2 + 5, dx 9, dgamma 4, dbeta 1: 21 C
//   gelu forward:       the tanh argument 5, tanh 1, the product 3: 9 C
//   gelu backward:      the argument 5, tanh 1, its derivative 4, dx 9: 19 C
template<int kPerElement>
double flops_per_element(const Sizes &z) {
    return kPerElement * double(row_width(z));
}

// The benchmark: C = 768 and, as the MLP's hidden layer sees GELU, 4C = 3072.
const std::vector<Sizes> kBenchSizes = {{4096, 768}, {4096, 3072}};

const OpReference layernorm_forward_reference{
    "layernorm_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        LayerNormForward f = layernorm_forward(size_at(z, 0), row_width(z), in[0], in[1], in[2]);
        return {std::move(f.y), std::move(f.mean), std::move(f.rstd)};
    },
    flops_per_element<8>, kBenchSizes};
// Its mean and rstd inputs are the forward's; the reference recomputes them.
const OpReference layernorm_backward_reference{
    "layernorm_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        LayerNormBackward g = layernorm_backward(size_at(z, 0), row_width(z), in[0], in[1], in[2]);
        return {std::move(g.dx), std::move(g.dgamma), std::move(g.dbeta)};
    },
    flops_per_element<21>, kBenchSizes};
const OpReference gelu_forward_reference{
    "gelu_forward",
    [](const Sizes &, const std::vector<Vec> &in) -> std::vector<Vec> {
        return {gelu_forward(in[0])};
    },
    flops_per_element<9>, kBenchSizes};
const OpReference gelu_backward_reference{
    "gelu_backward",
    [](const Sizes &, const std::vector<Vec> &in) -> std::vector<Vec> {
        return {gelu_backward(in[0], in[1])};
    },
    flops_per_element<19>, kBenchSizes};
const OpReferenceRegistration layernorm_forward_op(layernorm_forward_reference);
const OpReferenceRegistration layernorm_backward_op(layernorm_backward_reference);
const OpReferenceRegistration gelu_forward_op(gelu_forward_reference);
const OpReferenceRegistration gelu_backward_op(gelu_backward_reference);

}  // namespace
}  // namespace gomhc::reference
