// The sizes (tokens, d, s) the Cayley map and the projection are timed and
// tuned at: the go-mHC mixer's two ops run at the same (d, s).
#pragma once

#include "op_reference.h"

namespace gomhc::reference {

// The benchmark: T = 4096 at these (d, s), and T = 16384 at (4, 2).
inline const std::vector<Sizes> kMixerBenchSizes = {{4096, 4, 1}, {4096, 4, 2},  {4096, 4, 3},
                                                    {4096, 8, 2}, {4096, 16, 2}, {16384, 4, 2}};
// The tuner: one kernel per (d, s), the layer's (4, 2) first.
inline const std::vector<TuningSizes> kMixerTuningSizes = {
    {{4096, 4, 2}}, {{4096, 4, 1}}, {{4096, 4, 3}}, {{4096, 8, 2}}, {{4096, 16, 2}}};

}  // namespace gomhc::reference
