// The stages of the stream mixing algorithm (generators/stream_mixing_generator.cpp) that its CPU
// and GPU schedules (schedules/stream_mixing_cpu.h, _gpu.h) place: the hand-off between
// the algorithm and its schedules.
#pragma once

#include "schedules/stages.h"

namespace gomhc {

struct StreamReadForwardStages {
    Func y, y_sum;
    RDom streams;
    Var t, c;
    int d_fixed;  // d, or 0 where d is read at run time
};

struct StreamReadBackwardStages {
    Func dx, dh_pre, dh_pre_sum;
    RDom features;
    Var t, c, j;
    int d_fixed;  // d, or 0 where d is read at run time
};

// The sum of the streams' backward: dx(c, j, t) = dy(c, t) for every stream.
struct StreamSumBackwardStages {
    Func dx;
    Var t, c, j;
    int d_fixed;  // d, or 0 where d is read at run time
};

struct StreamWriteForwardStages {
    Func x_next, mixed;
    RDom streams;
    Var t, c, i;
    int d_fixed;  // d, or 0 where d is read at run time
};

struct StreamWriteBackwardStages {
    Func dx, dh_res, dh_post, df;
    Func dx_sum, df_sum, dh_res_sum, dh_post_sum;
    RDom streams, features;
    Var t, c, i, j;
    int d_fixed;  // d, or 0 where d is read at run time
};

}  // namespace gomhc
