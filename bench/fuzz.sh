#!/usr/bin/env bash
# Runs gomhc's libFuzzer targets (tests/fuzz), one after another, each for
# SECONDS on one core, from its seed corpus (written by gomhc_fuzz_seeds),
# its committed regression files and a fresh working corpus, with the
# format's dictionary. Prints one line of figures per target and exits 1 if
# any found something; the input is kept in BUILD/tests/fuzz/findings/TARGET.
#
#   bench/fuzz.sh SECONDS [TARGET...]      (default: every target)
#   GOMHC_BUILD_DIR=build                   the build tree (cmake --build first)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${GOMHC_BUILD_DIR:-$root/build}" && pwd)"
seconds="${1:?usage: bench/fuzz.sh SECONDS [TARGET...]}"
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(token_shard tokenizer model_file optimizer_file state_json tuned_file cli_lists)
fi
fuzz="$build/tests/fuzz"
if [ ! -d "$fuzz/seeds" ]; then
    "$fuzz/gomhc_fuzz_seeds" "$fuzz/seeds" "$root/tests/tuned/files/good.tuned" >/dev/null
fi

printf '%-15s %8s %10s %9s %6s %7s %7s %s\n' target seconds executions exec/s cov ft corpus findings
status=0
for target in "${targets[@]}"; do
    program="$fuzz/clang/fuzz_$target"
    if [ ! -x "$program" ]; then
        echo "bench/fuzz.sh: no $program (build with clang-14 and libclang-rt-14-dev)" >&2
        exit 2
    fi
    case "$target" in
        model_file | optimizer_file) dict=safetensors ;;
        *) dict="$target" ;;
    esac
    corpus="$fuzz/corpus/$target"
    findings="$fuzz/findings/$target"
    log="$fuzz/logs/$target.log"
    rm -rf "$corpus" "$findings"
    mkdir -p "$corpus" "$findings" "$(dirname "$log")"
    regressions="$root/tests/fuzz/regressions/$target"
    inputs=("$corpus" "$fuzz/seeds/$target")
    if [ -d "$regressions" ]; then inputs+=("$regressions"); fi
    # One process, one core; a finding stops it. -timeout: an input that runs
    # 10 s is a hang; -rss_limit_mb: one that needs 2 GB is a finding too.
    set +e
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
        "$program" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -dict="$root/tests/fuzz/dict/$dict.dict" -artifact_prefix="$findings/" \
        -print_final_stats=1 "${inputs[@]}" >"$log" 2>&1
    rc=$?
    set -e
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
    units=$(find "$corpus" -type f | wc -l)
    found=$(find "$findings" -type f | wc -l)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    printf '%-15s %8s %10s %9s %6s %7s %7s %s\n' "$target" "$seconds" "${executions:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$units" "$found"
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        status=1
        echo "bench/fuzz.sh: $target found something (exit $rc); its log: $log" >&2
        grep -E 'ERROR|gomhc fuzz finding|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    fi
done
exit $status
