#!/usr/bin/env bash
# Runs a command with PyTorch set up as an ML engineer sets it up on a CPU
# before comparing anything with it: OpenBLAS's OpenMP build (Debian's
# libopenblas0-openmp, loaded through LD_LIBRARY_PATH from its folder, so
# PyTorch's BLAS and its own OpenMP share one thread pool), jemalloc
# (libjemalloc2, preloaded, keeping freed memory for reuse) and the threads
# given (default 2).
#
#   bench/pytorch_env.sh [--threads N] COMMAND...
#   e.g. bench/pytorch_env.sh /usr/bin/python3 bench/pytorch_gpt.py --presets small
set -euo pipefail

threads=2
if [ "${1:-}" = "--threads" ]; then
    threads="$2"
    shift 2
fi
if [ $# -eq 0 ]; then
    echo "usage: bench/pytorch_env.sh [--threads N] COMMAND..." >&2
    exit 2
fi

openmp=/usr/lib/x86_64-linux-gnu/openblas-openmp
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
missing=()
[ -e "$openmp/libblas.so.3" ] || missing+=(libopenblas0-openmp)
[ -e "$jemalloc" ] || missing+=(libjemalloc2)
if ((${#missing[@]})); then
    echo "bench/pytorch_env.sh: missing Debian packages: ${missing[*]}" \
         "(apt-get install ${missing[*]})" >&2
    exit 2
fi

export LD_LIBRARY_PATH="$openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_PRELOAD="$jemalloc${LD_PRELOAD:+:$LD_PRELOAD}"
export MALLOC_CONF="oversize_threshold:0,dirty_decay_ms:-1,muzzy_decay_ms:-1"
export OMP_NUM_THREADS="$threads"
exec "$@"
