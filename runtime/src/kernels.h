// The compiled kernel variants, as the build generated them (see
// cmake/GomhcKernels.cmake), and the lookup that picks one.
#pragma once

#include <cstdint>

#include "HalideRuntime.h"
#include "gomhc/gomhc.hpp"

namespace gomhc::kernels {

using Buf = halide_buffer_t *;
using CayleyForward = int (*)(int32_t n, Buf params, Buf q);
using CayleyBackward = int (*)(Buf q, Buf dq, Buf dparams);
using OrthostochasticForward = int (*)(int32_t d, int32_t s, Buf q, Buf h);
using OrthostochasticBackward = int (*)(int32_t d, int32_t s, Buf q, Buf dh, Buf dq);
using StreamReadForward = int (*)(Buf x, Buf h_pre, Buf y);
using StreamReadBackward = int (*)(Buf x, Buf h_pre, Buf dy, Buf dx, Buf dh_pre);
using StreamWriteForward = int (*)(Buf x, Buf h_res, Buf h_post, Buf f, Buf x_next);
using StreamWriteBackward = int (*)(Buf x, Buf h_res, Buf h_post, Buf f, Buf dx_next, Buf dx,
                                    Buf dh_res, Buf dh_post, Buf df);
using CoefficientsForward = int (*)(Buf x, Buf w, Buf bias, Buf scales, Buf y, Buf h_pre,
                                    Buf h_post, Buf logits, Buf z, Buf inv_rms);
using CoefficientsBackward = int (*)(Buf x, Buf w, Buf scales, Buf z, Buf inv_rms, Buf h_pre,
                                     Buf h_post, Buf dy, Buf dh_post, Buf dlogits, Buf dx_in,
                                     Buf dw_in, Buf db_in, Buf da_in, Buf dx, Buf dw, Buf db,
                                     Buf da);
using Accumulate = int (*)(Buf a, Buf b, Buf sum);
using SinkhornForward = int (*)(int32_t d, Buf logits, Buf h);
using SinkhornBackward = int (*)(int32_t d, Buf logits, Buf dh, Buf dlogits);
using PermutationMixForward = int (*)(int32_t d, Buf permutations, Buf logits, Buf h);
using PermutationMixBackward = int (*)(int32_t d, Buf permutations, Buf logits, Buf dh,
                                       Buf dlogits);
using KromhcForward = int (*)(int32_t d, Buf logits, Buf h);
using KromhcBackward = int (*)(int32_t d, Buf logits, Buf dh, Buf dlogits);
using KroneckerForward = int (*)(Buf h1, Buf h2, Buf h);
using KroneckerBackward = int (*)(Buf h1, Buf h2, Buf dh, Buf dh1, Buf dh2);

// A variant serves key (a, b): n for the Cayley map, (d, s) for the
// projection, d for stream mixing; (0, 0) is the generic variant.
template<typename Fn>
struct Variant {
    int a, b;
    Device device;
    Fn fn;
};

template<typename Fn>
struct Chosen {
    Fn fn;
    bool specialised;
};

const Variant<CayleyForward> *cayley_forward_variants(int *count);
const Variant<CayleyBackward> *cayley_backward_variants(int *count);
const Variant<OrthostochasticForward> *orthostochastic_forward_variants(int *count);
const Variant<OrthostochasticBackward> *orthostochastic_backward_variants(int *count);
const Variant<StreamReadForward> *stream_read_forward_variants(int *count);
const Variant<StreamReadBackward> *stream_read_backward_variants(int *count);
const Variant<StreamWriteForward> *stream_write_forward_variants(int *count);
const Variant<StreamWriteBackward> *stream_write_backward_variants(int *count);
const Variant<CoefficientsForward> *coefficients_forward_variants(int *count);
const Variant<CoefficientsBackward> *coefficients_backward_variants(int *count);
const Variant<Accumulate> *accumulate_variants(int *count);
const Variant<SinkhornForward> *sinkhorn_forward_variants(int *count);
const Variant<SinkhornBackward> *sinkhorn_backward_variants(int *count);
const Variant<PermutationMixForward> *permutation_mix_forward_variants(int *count);
const Variant<PermutationMixBackward> *permutation_mix_backward_variants(int *count);
const Variant<KromhcForward> *kromhc_forward_variants(int *count);
const Variant<KromhcBackward> *kromhc_backward_variants(int *count);
const Variant<KroneckerForward> *kronecker_forward_variants(int *count);
const Variant<KroneckerBackward> *kronecker_backward_variants(int *count);

// The specialised variant for (a, b) on `device`, else the generic one.
template<typename Fn>
Chosen<Fn> choose(const Variant<Fn> *variants, int count, int a, int b, Device device) {
    Chosen<Fn> generic{nullptr, false};
    for (int i = 0; i < count; i++) {
        if (variants[i].device != device) {
            continue;
        }
        if (variants[i].a == a && variants[i].b == b) {
            return {variants[i].fn, true};
        }
        if (variants[i].a == 0 && variants[i].b == 0) {
            generic.fn = variants[i].fn;
        }
    }
    return generic;
}

}  // namespace gomhc::kernels
