#!/usr/bin/env bash
# Data-parallel training speed: the same global batch (2 micro-batches per
# step) on 1 rank and on 2 ranks of mpirun, one thread per rank, plus 1 rank
# on 2 threads; tokens/s from each run's summary and the median all-reduce
# time per step from metrics.jsonl. Not a ctest (it measures, it checks
# nothing).
#   bench/distributed.sh [build dir, default build] [steps, default 40] [gomhc train flags...]
set -euo pipefail
build="${1:-build}"
steps="${2:-40}"
shift $(($# > 2 ? 2 : $#))
gomhc="$build/tools/gomhc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(--preset small --steps "$steps" --eval-every 0 --eval-batches 1 --log-every 0 --no-plot "$@")

median_allreduce() {
    grep -o '"allreduce_ms":[0-9.e+-]*' "$1/metrics.jsonl" | cut -d: -f2 | sort -g |
        awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'
}
tokens_per_s() { grep -o 'steps in [^,]*, [0-9]* tokens/s' "$1" | grep -o '[0-9]* tokens/s' | cut -d' ' -f1; }

"$gomhc" train "${flags[@]}" --threads 1 --grad-accum 2 --out "$work/one" >"$work/one.log"
"$gomhc" train "${flags[@]}" --threads 2 --grad-accum 2 --out "$work/one2" >"$work/one2.log"
mpirun --allow-run-as-root --oversubscribe -np 2 "$gomhc" train "${flags[@]}" --threads 1 \
    --grad-accum 1 --out "$work/two" >"$work/two.log"
one=$(tokens_per_s "$work/one.log")
printf '%-34s %12s %14s %10s\n' "configuration" "tokens/s" "allreduce ms" "x 1 rank"
printf '%-34s %12s %14s %10s\n' "1 rank, 1 thread, accumulation 2" "$one" "-" "1.00"
for run in one2 two; do
    t=$(tokens_per_s "$work/$run.log")
    label="1 rank, 2 threads, accumulation 2"
    [ "$run" = two ] && label="2 ranks, 1 thread each"
    printf '%-34s %12s %14s %10s\n' "$label" "$t" "$(median_allreduce "$work/$run")" \
        "$(awk -v a="$t" -v b="$one" 'BEGIN { printf "%.2f", a / b }')"
done
