// Facts about each residual-mixer method that the mixer and the layer share.
#pragma once

#include <cstdint>
#include <vector>

#include "gomhc/gomhc.hpp"

namespace gomhc::detail {

// go-kron's two factor sizes: d = d1 * d2, d1 the largest divisor with
// 2 <= d1 <= sqrt(d). Call only after check_method_shape.
struct KronFactors {
    int d1, d2;
};
KronFactors kron_factors(int d);

// The d! permutations of 0..d-1 in lexicographic order, row k = perm_k.
std::vector<int32_t> permutations(int d);

}  // namespace gomhc::detail
