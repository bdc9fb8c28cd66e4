// Stream mixing's float64 side (op_reference.h), with the sum of the streams
// and the stream embedding: sizes tokens, d, C; the streams x [T][d][C], one
// row y / f [T][C], the stream embedding wse [d][C].
#include "op_reference.h"

namespace gomhc::reference {
namespace {

struct StreamSizes {
    int64_t tokens;
    int d;
    int64_t c;
};
StreamSizes stream_sizes(const Sizes &z) {
    return {size_at(z, 0), int(size_at(z, 1)), size_at(z, 2)};
}

// Flops per token:
//   read forward:   y = sum_j h_pre[j] x[j]: d C multiply-adds
//   read backward:  dx = h_pre dy (d C mults) + dh_pre = x . dy (d C multiply-adds)
//   write forward:  d^2 C multiply-adds for h_res x + d C for h_post f
//   write backward: dx and dh_res d^2 C multiply-adds each, dh_post and df d C each
double read_forward_flops(const Sizes &z) {
    const auto [tokens, d, c] = stream_sizes(z);
    return 2.0 * d * double(c);
}
double read_backward_flops(const Sizes &z) {
    const auto [tokens, d, c] = stream_sizes(z);
    return 3.0 * d * double(c);
}
double write_forward_flops(const Sizes &z) {
    const auto [tokens, d, c] = stream_sizes(z);
    return (2.0 * d * d + 2.0 * d) * double(c);
}
double write_backward_flops(const Sizes &z) {
    const auto [tokens, d, c] = stream_sizes(z);
    return (4.0 * d * d + 4.0 * d) * double(c);
}

// The benchmark: d of the mixer's shapes at C = 768, and the target shape
// T = 16384, C = 256 at d = 4. The tuner: one kernel per d, the target first.
const std::vector<Sizes> kBenchSizes = {
    {4096, 4, 768}, {4096, 8, 768}, {4096, 16, 768}, {16384, 4, 256}};
const std::vector<TuningSizes> kTuningSizes = {
    {{16384, 4, 256}}, {{4096, 8, 768}}, {{4096, 16, 768}}};

const OpReference stream_read_forward_reference{
    "stream_read_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        return {stream_read_forward(tokens, d, c, in[0], in[1])};
    },
    read_forward_flops, kBenchSizes, kTuningSizes};
const OpReference stream_read_backward_reference{
    "stream_read_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        StreamReadGrads g = stream_read_backward(tokens, d, c, in[0], in[1], in[2]);
        return {std::move(g.dx), std::move(g.dh_pre)};
    },
    read_backward_flops, kBenchSizes, kTuningSizes};
const OpReference stream_write_forward_reference{
    "stream_write_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        return {stream_write_forward(tokens, d, c, in[0], in[1], in[2], in[3])};
    },
    write_forward_flops, kBenchSizes, kTuningSizes};
const OpReference stream_write_backward_reference{
    "stream_write_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        StreamWriteGrads g = stream_write_backward(tokens, d, c, in[0], in[1], in[2], in[3], in[4]);
        return {std::move(g.dx), std::move(g.dh_res), std::move(g.dh_post), std::move(g.df)};
    },
    write_backward_flops, kBenchSizes, kTuningSizes};
// The sum of the streams and the stream embedding: d C additions per token.
double add_per_stream_flops(const Sizes &z) {
    const auto [tokens, d, c] = stream_sizes(z);
    return double(d) * double(c);
}
const OpReference stream_sum_forward_reference{
    "stream_sum_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        return {stream_sum_forward(tokens, d, c, in[0], z[3])};
    },
    add_per_stream_flops};
const OpReference stream_sum_backward_reference{
    "stream_sum_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        return {stream_sum_backward(tokens, d, c, in[0], z[3])};
    },
    add_per_stream_flops};
const OpReference stream_embed_forward_reference{
    "stream_embed_forward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        return {stream_embed_forward(tokens, d, c, in[0], in[1])};
    },
    add_per_stream_flops};
const OpReference stream_embed_backward_reference{
    "stream_embed_backward",
    [](const Sizes &z, const std::vector<Vec> &in) -> std::vector<Vec> {
        const auto [tokens, d, c] = stream_sizes(z);
        // dwse adds into what it held: the generic runs start it at 0.
        return {stream_embed_backward(tokens, d, c, in[0], Vec(size_t(d) * size_t(c), 0.0))};
    },
    add_per_stream_flops};
const OpReferenceRegistration stream_sum_forward_op(stream_sum_forward_reference);
const OpReferenceRegistration stream_sum_backward_op(stream_sum_backward_reference);
const OpReferenceRegistration stream_embed_forward_op(stream_embed_forward_reference);
const OpReferenceRegistration stream_embed_backward_op(stream_embed_backward_reference);
const OpReferenceRegistration stream_read_forward_op(stream_read_forward_reference);
const OpReferenceRegistration stream_read_backward_op(stream_read_backward_reference);
const OpReferenceRegistration stream_write_forward_op(stream_write_forward_reference);
const OpReferenceRegistration stream_write_backward_op(stream_write_backward_reference);

}  // namespace
}  // namespace gomhc::reference
