// The sizes gomhc accepts, defined once for the generators, the runtime, the
// float64 reference and the tools.
#pragma once

namespace gomhc {

// The largest n = d*s of the Cayley map and the projection, and the largest
// number of streams d of every mixer.
constexpr int kMaxN = 64;
// mHC-lite enumerates all d! permutations: 40320 at d = 8, beyond which it
// is not practical.
constexpr int kMaxMhcLiteD = 8;

}  // namespace gomhc
