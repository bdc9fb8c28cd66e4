// The machine's peak flop rate, measured: a register-only loop of
// independent fused multiply-adds on every thread at once. The benchmarks
// judge kernels against it (rooflines) and the trainer reports its model
// flops utilisation (MFU) against it.
#pragma once

#include <cstdint>

namespace gomhc::machine {

// Whether the AVX2 + FMA loop runs here (compiled in and the CPU has it);
// otherwise a scalar loop stands in and the "peak" is the scalar rate, a low
// bound on what vector code gets.
bool avx2_fma_usable();
// "avx2+fma" or "scalar".
const char *fma_probe_kind();

// One call of the loop: `iterations` rounds of independent FMAs. Returns a
// value that depends on all of them (keep it so the loop is not removed).
float fma_loop(int64_t iterations);
double fma_loop_flops(int64_t iterations);

// The best flop rate of `repeats` runs of the loop on `threads` threads at
// once, in flop/s (about 20 ms per repeat).
double measure_fma_peak(int threads, int repeats = 3);

}  // namespace gomhc::machine
