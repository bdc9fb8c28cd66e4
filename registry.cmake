# The op registry: every kernel gomhc generates, in one list. From it the
# build makes the kernel libraries, the runtime's kernel tables
# (kernels::<op>_variants), the generators' schedule-knob defaults, the
# tuner's op list with each op's knobs and kernels, and the tuned-file checks.
#
# Adding an op: one gomhc_op() line here (plus gomhc_op_knob() lines for
# knobs of its own), its generator in generators/<family>_generator.cpp
# (HALIDE_REGISTER_GENERATOR under the op's name), its stages and schedules in
# schedules/<family>_stages.h, _cpu.h and _gpu.h, its C++ wrapper and
# catalog entry (gomhc/ops.hpp) in runtime/src/<family>.cpp, its float64
# reference in reference/ with its registration in reference/ops/<family>.cpp
# (op_reference.h: flops, bench and tuning sizes), and its test. The
# benchmark rows, the tuner's cases, the generic and GPU tests and the
# PyTorch bridge follow from those.
#
#   gomhc_knob(<cpu|cuda> <name> <default> <values tried>...)
#       a schedule knob every op takes on that device (cuda: the GPU
#       schedules' knobs, which the OpenCL kernels take too).
#   gomhc_op(<op> [SPECIALISE n|d_s|d|d=<d>,...] [GENERIC <param=value>...]
#            [GENERIC_GPU_FEATURES <feature>...] [VARIANT <name> <param=value>...]
#            [TUNABLE])
#       SPECIALISE builds one kernel per size known at generation time (n =
#       d*s of GOMHC_SPECIALISED_D x GOMHC_SPECIALISED_S up to
#       GOMHC_MAX_SPECIALISED_N; each such (d, s); each d; or the d listed),
#       named n8, d4s2, d4. GENERIC builds the kernel for any size, with
#       these parameters (none: the generator's own). VARIANT builds one more
#       named kernel the runtime asks for by name. TUNABLE puts the op in
#       `gomhc autotune`.
#   gomhc_op_knob(<op> <cpu|cuda> <name> <default> <values tried>...)
#       a knob of one op's schedule only.

gomhc_knob(cpu vector_width 8 4 8 16 32)
gomhc_knob(cpu tokens_per_task 64 4 8 16 32 64 128 256 512)
gomhc_knob(cuda gpu_threads 128 32 64 128 256 512 1024)
gomhc_knob(cuda gpu_tokens 1 1 2 4 8 16)

# The go-mHC core: the Cayley map depends on n = d*s only, the projection on
# (d, s), stream mixing on d. The generic GPU Cayley forward is built without
# Halide's assertions: Halide 14 cannot emit the check of its fixed per-thread
# bound inside a GPU kernel, and the runtime validates every size first.
gomhc_op(cayley_forward SPECIALISE n GENERIC n=0 GENERIC_GPU_FEATURES no_asserts TUNABLE)
gomhc_op(cayley_backward SPECIALISE n GENERIC n=0 TUNABLE)
gomhc_op(orthostochastic_forward SPECIALISE d_s GENERIC d=0 s=0 TUNABLE)
gomhc_op(orthostochastic_backward SPECIALISE d_s GENERIC d=0 s=0 TUNABLE)
gomhc_op(stream_read_forward SPECIALISE d GENERIC d=0 TUNABLE)
gomhc_op(stream_read_backward SPECIALISE d GENERIC d=0 TUNABLE)
gomhc_op(stream_write_forward SPECIALISE d GENERIC d=0 TUNABLE)
gomhc_op(stream_write_backward SPECIALISE d GENERIC d=0 TUNABLE)
gomhc_op_knob(stream_write_backward cpu dx_rows 1 1 2 4 8 16)
# The sum of the streams (a model's output head): once per step, so generic.
gomhc_op(stream_sum_forward GENERIC d=0)
gomhc_op(stream_sum_backward GENERIC d=0)
# The stream embedding: a learned row per stream, where the embedding enters
# the streams (the trainer's home-stream start).
gomhc_op(stream_embed_forward GENERIC)
gomhc_op(stream_embed_backward GENERIC)

# The hyper-connection layer's coefficient path: a GEMM over the d*C
# features, so d is a run-time size. The backward has a second variant for
# narrow K (the layer picks it below kNarrowCoefficients): dx walks each
# token's rows in order, W unpacked.
gomhc_op(coefficients_forward GENERIC TUNABLE)
gomhc_op_knob(coefficients_forward cpu tile_tokens 4 1 2 3 4 6 8)
gomhc_op_knob(coefficients_forward cpu tile_coefficients 3 1 2 3 4 6)
gomhc_op(coefficients_backward GENERIC VARIANT narrow pack_weights=false TUNABLE)
gomhc_op_knob(coefficients_backward cpu tile_tokens 4 1 2 3 4 6 8)
gomhc_op_knob(coefficients_backward cpu tile_coefficients 4 1 2 3 4 6)
gomhc_op_knob(coefficients_backward cpu token_block 64 16 32 64 128 256)
gomhc_op_knob(coefficients_backward cpu features_per_task 192 64 96 192 384 768)
gomhc_op(accumulate GENERIC)

# The GPT trainer's ops.
gomhc_op(layernorm_forward GENERIC)
gomhc_op(layernorm_backward GENERIC)
gomhc_op(gelu_forward GENERIC)
gomhc_op(gelu_backward GENERIC)
gomhc_op(embedding_forward GENERIC)
gomhc_op(embedding_backward GENERIC)
gomhc_op(causal_softmax_forward GENERIC)
gomhc_op(causal_softmax_backward GENERIC)
gomhc_op(cross_entropy_forward GENERIC)
gomhc_op(cross_entropy_backward GENERIC)
gomhc_op(squared_norm GENERIC)
gomhc_op(adamw GENERIC)

# The baselines' residual mixers and go-kron's Kronecker product. Sinkhorn's
# iterations are a scan over (k, node, q) whose loops are short at any d, so
# one generic kernel serves; the permutation mixture is specialised on the
# small d where mHC-lite is practical.
gomhc_op(sinkhorn_forward GENERIC d=0)
gomhc_op(sinkhorn_backward GENERIC d=0)
gomhc_op(permutation_mix_forward SPECIALISE d=2,3,4 GENERIC d=0)
gomhc_op(permutation_mix_backward SPECIALISE d=2,3,4 GENERIC d=0)
gomhc_op(kromhc_forward GENERIC)
gomhc_op(kromhc_backward GENERIC)
gomhc_op(kronecker_forward GENERIC)
gomhc_op(kronecker_backward GENERIC)
