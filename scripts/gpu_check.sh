#!/usr/bin/env bash
# Runs every CUDA check of an already-built gomhc on a machine with a GPU
# and no package registries, and writes one report file.
#
#   scripts/gpu_check.sh pack [BUILD_DIR] [BUNDLE_DIR] [--with-halide]
#       on the build machine: copies what the checks need from BUILD_DIR
#       (default build) into BUNDLE_DIR (default gpu-bundle): libgomhc, the
#       CUDA test programs, the benchmark, the gomhc and gomhc-autotune
#       programs and token shards for a training run (the KJV where `bible`
#       is installed). gomhc-autotune (`gomhc autotune`) also needs libHalide
#       and LLVM; --with-halide copies them too (about 200 MB) for a GPU
#       machine that lacks them.
#   scripts/gpu_check.sh run [BUNDLE_OR_BUILD_DIR] [REPORT]
#       on the GPU machine: runs the CUDA test suites, the CUDA benchmark
#       rows, `gomhc autotune --target cuda` with a small budget, and a
#       200-step `gomhc train --device cuda` whose first loss must match the
#       CPU's to 1e-4 (data: the bundle's, or GPU_CHECK_DATA), and
#       writes everything to REPORT (default gpu_check_report.txt); with
#       mpirun and 2 or more GPUs, a 50-step run on one rank per GPU (NCCL).
#       Exits
#       1 when a check failed, 77 when no GPU is usable. Works on a bundle
#       or on a build tree.
#
# Settings: GPU_CHECK_AUTOTUNE_BUDGET (seconds, default 60),
# GPU_CHECK_BENCH_MIN_TIME (seconds per row, default 0.1).
set -uo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
shift || true

pack() {
    local build="${1:-build}" bundle="${2:-gpu-bundle}" with_halide="${3:-}"
    local files=(runtime/libgomhc.so.0 tests/test_gpu tests/test_cuda_stream bench/gomhc_bench
                 tools/gomhc tools/gomhc-autotune)
    rm -rf "$bundle"
    mkdir -p "$bundle/lib" "$bundle/tests" "$bundle/bench" "$bundle/tools"
    for f in "${files[@]}"; do
        if [ -e "$build/$f" ]; then
            cp -L "$build/$f" "$bundle/$(dirname "$f" | sed 's|^runtime$|lib|')/"
        else
            echo "gpu_check pack: $build/$f is missing (built without it?); continuing" >&2
        fi
    done
    # MPI's few small libraries, which gomhc links when the build found MPI
    # (it opens MPI only under mpirun), so that gomhc loads without them.
    ldd "$build/tools/gomhc" | awk '/=> \// {print $3}' |
        grep -E '/lib(mpi|open-rte|open-pal|hwloc|event)[^/]*\.so' |
        while read -r lib; do cp -L "$lib" "$bundle/lib/"; done
    if [ "$with_halide" = "--with-halide" ]; then
        # The programs' shared libraries other than libc's own and libgomhc.
        ldd "$build/tools/gomhc" "$build/tools/gomhc-autotune" | awk '/=> \// {print $3}' | sort -u |
            grep -Ev '/(libc|libm|libdl|libpthread|librt|libgomhc)\.so' |
            while read -r lib; do cp -L "$lib" "$bundle/lib/"; done
        # The autoscheduler plugins, where gomhc looks for them: beside libHalide.
        local halide_dir
        halide_dir="$(dirname "$(ldd "$build/tools/gomhc-autotune" | awk '/libHalide/ {print $3}')")"
        if [ -d "$halide_dir/halide14" ]; then
            cp -rL "$halide_dir/halide14" "$bundle/lib/"
        fi
    fi
    # Training data for the CUDA training run: the KJV, or this repository's docs.
    if command -v bible >/dev/null; then
        "$build/tools/gomhc" prepare --kjv --out "$bundle/data" >/dev/null
    else
        cat README.md docs/*.md >"$bundle/text.txt"
        "$build/tools/gomhc" prepare --text "$bundle/text.txt" --out "$bundle/data" >/dev/null
    fi
    echo "gpu_check pack: wrote $bundle ($(du -sh "$bundle" | cut -f1))"
}

# The first training loss of a run's metrics.jsonl.
first_loss() { grep -m1 '"step":1,' "$1/metrics.jsonl" | sed 's/.*"loss":\([^,}]*\).*/\1/'; }

# A 200-step demo-preset training run on the GPU, and its first loss against
# the CPU's for the same weights and batch (to 1e-4).
train_on_cuda() {
    local dir="$1" data="$1/data"
    [ -d "$data" ] || data="${GPU_CHECK_DATA:-}"
    if [ -z "$data" ] || [ ! -d "$data" ] || ldd "$dir/tools/gomhc" | grep -q "not found"; then
        section "train_cuda"
        log "--- train_cuda: skipped: no data folder (pack makes one; or set GPU_CHECK_DATA)" \
            "or $dir/tools/gomhc lacks libraries here (pack with --with-halide)"
        return
    fi
    local flags=(--preset demo --data "$data" --no-plot --log-every 50)
    step train_cuda "$dir/tools/gomhc" train "${flags[@]}" --device cuda --steps 200 \
        --out "$work/train_cuda"
    step train_cpu_first_step "$dir/tools/gomhc" train "${flags[@]}" --steps 1 \
        --out "$work/train_cpu"
    local gpu cpu
    gpu="$(first_loss "$work/train_cuda" 2>/dev/null)"
    cpu="$(first_loss "$work/train_cpu" 2>/dev/null)"
    section "train_first_loss: cuda $gpu, cpu $cpu"
    if [ -n "$gpu" ] && [ -n "$cpu" ] &&
        awk -v a="$gpu" -v b="$cpu" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }'; then
        log "--- train_first_loss: passed"
    else
        log "--- train_first_loss: FAILED (the first losses differ by 1e-4 or more, or a run failed)"
        failed=1
    fi
}

# With several GPUs and mpirun: a short data-parallel run, one rank per GPU,
# its gradients summed by NCCL.
train_nccl() {
    local dir="$1" data="$1/data" gpus
    [ -d "$data" ] || data="${GPU_CHECK_DATA:-}"
    gpus="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')"
    if ! command -v mpirun >/dev/null || [ "${gpus:-0}" -lt 2 ] || [ -z "$data" ]; then
        section "train_nccl"
        log "--- train_nccl: skipped: needs mpirun, 2 or more GPUs (found ${gpus:-0}) and data"
        return
    fi
    step train_nccl mpirun --allow-run-as-root -np "$gpus" "$dir/tools/gomhc" train \
        --preset demo --data "$data" --no-plot --log-every 10 --device cuda --steps 50 \
        --out "$work/train_nccl"
}

run() {
    local dir="${1:-build}" report="${2:-gpu_check_report.txt}"
    local libdir="$dir/lib"
    [ -d "$libdir" ] || libdir="$dir/runtime"
    export LD_LIBRARY_PATH="$(cd "$libdir" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    local failed=0 last_rc=0 work
    work="$(mktemp -d)"
    : >"$report"
    log() { echo "$@" | tee -a "$report"; }
    section() {
        log ""
        log "=== $1"
    }
    # step NAME COMMAND...: runs it, appends its output, records pass/skip/fail.
    step() {
        local name="$1"
        shift
        section "$name: $*"
        local start=$SECONDS
        "$@" >>"$report" 2>&1
        local rc=$?
        last_rc=$rc
        case $rc in
            0) log "--- $name: passed ($((SECONDS - start)) s)" ;;
            77) log "--- $name: skipped (no usable GPU)" ;;
            *)
                log "--- $name: FAILED (exit $rc)"
                failed=1
                ;;
        esac
    }

    log "gomhc GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), on $(hostname)"
    log "from $dir; git $(git rev-parse --short HEAD 2>/dev/null || echo '(no git)')"
    if command -v nvidia-smi >/dev/null; then
        step nvidia-smi nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap \
            --format=csv
    else
        log "nvidia-smi not found"
    fi

    step test_gpu "$dir/tests/test_gpu"
    if [ "$last_rc" = 77 ]; then
        log "no usable GPU here (see test_gpu above): nothing more to check"
        rm -rf "$work"
        return 77
    fi
    step test_cuda_stream "$dir/tests/test_cuda_stream"
    step bench_cuda "$dir/bench/gomhc_bench" '--benchmark_filter=^cuda/' \
        "--benchmark_min_time=${GPU_CHECK_BENCH_MIN_TIME:-0.1}"
    if ldd "$dir/tools/gomhc-autotune" | grep -q "not found"; then
        section "autotune"
        log "--- autotune: skipped: $dir/tools/gomhc-autotune lacks libraries on this machine:"
        ldd "$dir/tools/gomhc-autotune" | grep "not found" | tee -a "$report"
        log "    (pack the bundle with --with-halide to carry them)"
    else
        step autotune "$dir/tools/gomhc" autotune --target cuda \
            --budget "${GPU_CHECK_AUTOTUNE_BUDGET:-60}" --out "$work/tuned"
        if [ -f "$work/tuned/cuda.tuned" ]; then
            section "cuda.tuned"
            cat "$work/tuned/cuda.tuned" >>"$report"
        fi
    fi
    train_on_cuda "$dir"
    train_nccl "$dir"
    rm -rf "$work"
    local summary
    summary="$(grep -E '^--- ' "$report")"
    section "summary"
    log "$summary"
    log "report: $report"
    return $failed
}

case "$mode" in
    pack) pack "$@" ;;
    run) run "$@" ;;
    *)
        sed -n '2,17p' "$0"
        exit 2
        ;;
esac
