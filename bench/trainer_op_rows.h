// gomhc_bench_train's rows of the trainer's own ops (trainer_op_rows.cpp).
#pragma once

#include <benchmark/benchmark.h>

#include <gomhc/gomhc.hpp>

namespace gomhc_bench_train {

void register_trainer_op_rows();

}  // namespace gomhc_bench_train
