// gomhc-autotune: `gomhc autotune` as a program of its own, the one part of
// gomhc that carries Halide and LLVM 14 (it compiles candidate schedules).
// Kept apart so that `gomhc` itself loads no LLVM: an OpenCL platform that
// compiles with another LLVM (PoCL, for CLBlast's kernels) then never meets
// a second copy in the same process.
#include "autotune/autotune.h"

int main(int argc, char **argv) { return gomhc::autotune::autotune_main(argc, argv); }
