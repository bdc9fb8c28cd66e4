// Tables of every generated kernel, filled from the registry files the build
// writes (an #include cannot come from a macro, so each table is spelled out).
#include "kernels.h"

#include <cstddef>

#include "kernel_headers.inc"

namespace gomhc::kernels {
namespace {

template<typename Fn, size_t N>
const Variant<Fn> *table_of(const Variant<Fn> (&table)[N], int *count) {
    *count = int(N);
    return table;
}

const Variant<CayleyForward> cayley_forward_table[] = {
#include "cayley_forward_variants.inc"
};
const Variant<CayleyBackward> cayley_backward_table[] = {
#include "cayley_backward_variants.inc"
};
const Variant<OrthostochasticForward> orthostochastic_forward_table[] = {
#include "orthostochastic_forward_variants.inc"
};
const Variant<OrthostochasticBackward> orthostochastic_backward_table[] = {
#include "orthostochastic_backward_variants.inc"
};
const Variant<StreamReadForward> stream_read_forward_table[] = {
#include "stream_read_forward_variants.inc"
};
const Variant<StreamReadBackward> stream_read_backward_table[] = {
#include "stream_read_backward_variants.inc"
};
const Variant<StreamWriteForward> stream_write_forward_table[] = {
#include "stream_write_forward_variants.inc"
};
const Variant<StreamWriteBackward> stream_write_backward_table[] = {
#include "stream_write_backward_variants.inc"
};
const Variant<CoefficientsForward> coefficients_forward_table[] = {
#include "coefficients_forward_variants.inc"
};
const Variant<CoefficientsBackward> coefficients_backward_table[] = {
#include "coefficients_backward_variants.inc"
};
const Variant<Accumulate> accumulate_table[] = {
#include "accumulate_variants.inc"
};
const Variant<SinkhornForward> sinkhorn_forward_table[] = {
#include "sinkhorn_forward_variants.inc"
};
const Variant<SinkhornBackward> sinkhorn_backward_table[] = {
#include "sinkhorn_backward_variants.inc"
};
const Variant<PermutationMixForward> permutation_mix_forward_table[] = {
#include "permutation_mix_forward_variants.inc"
};
const Variant<PermutationMixBackward> permutation_mix_backward_table[] = {
#include "permutation_mix_backward_variants.inc"
};
const Variant<KromhcForward> kromhc_forward_table[] = {
#include "kromhc_forward_variants.inc"
};
const Variant<KromhcBackward> kromhc_backward_table[] = {
#include "kromhc_backward_variants.inc"
};
const Variant<KroneckerForward> kronecker_forward_table[] = {
#include "kronecker_forward_variants.inc"
};
const Variant<KroneckerBackward> kronecker_backward_table[] = {
#include "kronecker_backward_variants.inc"
};

}  // namespace

const Variant<CayleyForward> *cayley_forward_variants(int *count) {
    return table_of(cayley_forward_table, count);
}
const Variant<CayleyBackward> *cayley_backward_variants(int *count) {
    return table_of(cayley_backward_table, count);
}
const Variant<OrthostochasticForward> *orthostochastic_forward_variants(int *count) {
    return table_of(orthostochastic_forward_table, count);
}
const Variant<OrthostochasticBackward> *orthostochastic_backward_variants(int *count) {
    return table_of(orthostochastic_backward_table, count);
}
const Variant<StreamReadForward> *stream_read_forward_variants(int *count) {
    return table_of(stream_read_forward_table, count);
}
const Variant<StreamReadBackward> *stream_read_backward_variants(int *count) {
    return table_of(stream_read_backward_table, count);
}
const Variant<StreamWriteForward> *stream_write_forward_variants(int *count) {
    return table_of(stream_write_forward_table, count);
}
const Variant<StreamWriteBackward> *stream_write_backward_variants(int *count) {
    return table_of(stream_write_backward_table, count);
}
const Variant<CoefficientsForward> *coefficients_forward_variants(int *count) {
    return table_of(coefficients_forward_table, count);
}
const Variant<CoefficientsBackward> *coefficients_backward_variants(int *count) {
    return table_of(coefficients_backward_table, count);
}
const Variant<Accumulate> *accumulate_variants(int *count) {
    return table_of(accumulate_table, count);
}
const Variant<SinkhornForward> *sinkhorn_forward_variants(int *count) {
    return table_of(sinkhorn_forward_table, count);
}
const Variant<SinkhornBackward> *sinkhorn_backward_variants(int *count) {
    return table_of(sinkhorn_backward_table, count);
}
const Variant<PermutationMixForward> *permutation_mix_forward_variants(int *count) {
    return table_of(permutation_mix_forward_table, count);
}
const Variant<PermutationMixBackward> *permutation_mix_backward_variants(int *count) {
    return table_of(permutation_mix_backward_table, count);
}
const Variant<KromhcForward> *kromhc_forward_variants(int *count) {
    return table_of(kromhc_forward_table, count);
}
const Variant<KromhcBackward> *kromhc_backward_variants(int *count) {
    return table_of(kromhc_backward_table, count);
}
const Variant<KroneckerForward> *kronecker_forward_variants(int *count) {
    return table_of(kronecker_forward_table, count);
}
const Variant<KroneckerBackward> *kronecker_backward_variants(int *count) {
    return table_of(kronecker_backward_table, count);
}

}  // namespace gomhc::kernels
