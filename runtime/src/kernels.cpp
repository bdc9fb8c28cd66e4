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

}  // namespace gomhc::kernels
