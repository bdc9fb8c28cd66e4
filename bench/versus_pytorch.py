#!/usr/bin/env python3
"""gomhc against PyTorch set up as an expert would, in one run on one
machine: the trainer's whole step (small and medium presets, residual and
go with d = 4, s = 2) and one go layer forward + backward, each beside
PyTorch with OpenBLAS's OpenMP build and jemalloc (bench/pytorch_env.sh) and,
for reference, Debian's PyTorch as it comes. Every measurement is taken in
each of --rounds interleaved rounds; prints a table of tokens/s and ratios,
medians over the rounds with their range (docs/benchmarks.md, "Against a
configured PyTorch").

    /usr/bin/python3 bench/versus_pytorch.py [--build build] [--threads 2] [--rounds 3]
                                             [--presets small,medium] [--steps 20] [--no-debian]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TRAIN_ROW = "train_step/{preset}/{method}/{variant}/blas_threads:0"
LAYER_ROW = "layer/go/train/T4096 d4 s2 C768"
METHODS = [("residual", "d1s1"), ("go", "d4s2")]


def exact(name):
    """A Google Benchmark filter (std::regex) matching name: Python escapes
    spaces, which std::regex refuses."""
    return re.escape(name).replace("\\ ", " ")


def run(command, env=None):
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"versus_pytorch: {' '.join(map(str, command))} failed:\n{result.stderr}")
    return result.stdout


def gomhc_rows(build, threads, presets):
    """tokens/s of the trainer's step and ms of the layer, from gomhc's benchmarks."""
    names = [TRAIN_ROW.format(preset=p, method=m, variant=v, threads=threads)
             for p in presets for m, v in METHODS]
    pattern = "^(" + "|".join(exact(n) for n in names) + ")/"
    steps = json.loads(run([build / "bench" / "gomhc_bench_train", f"--benchmark_filter={pattern}",
                            "--benchmark_format=json"]))
    tokens = {}
    for b in steps["benchmarks"]:
        preset, method = b["name"].split("/")[1:3]
        tokens[(preset, method)] = b["tokens"]
    layer = json.loads(run([build / "bench" / "gomhc_bench",
                            "--benchmark_filter=^" + exact(LAYER_ROW) + "/",
                            "--benchmark_format=json"]))
    layer_ms = [b["real_time"] for b in layer["benchmarks"] if b["name"].startswith(LAYER_ROW)]
    return tokens, (layer_ms[0] if layer_ms else None)


def pytorch_rows(threads, presets, steps, configured):
    prefix = [str(BENCH / "pytorch_env.sh"), "--threads", str(threads)] if configured else []
    out = run(prefix + ["/usr/bin/python3", str(BENCH / "pytorch_gpt.py"), "--presets",
                        ",".join(presets), "--methods", "residual,go", "--threads", str(threads),
                        "--steps", str(steps)])
    setup = out.splitlines()[0]
    tokens = {}
    for line in out.splitlines():
        m = re.match(r"pytorch \S+ (\w+) (\w+): [0-9.]+ ms/step, ([0-9]+) tokens/s", line)
        if m:
            tokens[(m.group(1), m.group(2))] = float(m.group(3))
    return setup, tokens


def bridge_rows(build, threads, configured):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"),
               GOMHC_LIBRARY=str(build / "runtime" / "libgomhc.so.0"))
    prefix = [str(BENCH / "pytorch_env.sh"), "--threads", str(threads)] if configured else []
    out = run(prefix + ["/usr/bin/python3", str(BENCH / "bridge_bench.py"), "--threads",
                        str(threads), "--reps", "10"], env=env)
    ms = {}
    for line in out.splitlines():
        m = re.match(r"\s+(plain PyTorch|bridge|C layer direct)\s+([0-9.]+) ms", line)
        if m:
            ms[m.group(1)] = float(m.group(2))
    return out.splitlines()[0], ms


def median_range(values):
    return statistics.median(values), min(values), max(values)


def cell(values, form):
    """'median (min-max)' of one quantity over the rounds."""
    mid, low, high = median_range(values)
    if len(values) == 1:
        return format(mid, form)
    return f"{mid:{form}} ({low:{form}}-{high:{form}})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--presets", default="small,medium")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of every measurement (medians are reported)")
    parser.add_argument("--no-debian", action="store_true",
                        help="skip Debian's PyTorch as it comes (the configured one is the yardstick)")
    a = parser.parse_args()
    if a.rounds < 1:
        sys.exit(f"versus_pytorch: --rounds {a.rounds}: expected at least 1")
    build = (ROOT / a.build).resolve()
    presets = a.presets.split(",")

    # Each round measures everything once, so a slow spell of the machine
    # (this VM's throughput drifts by 20-30% within minutes) hits all columns
    # alike; the ratios are taken within a round, then their median reported.
    rounds = []
    for index in range(a.rounds):
        print(f"round {index + 1} of {a.rounds} ...", file=sys.stderr, flush=True)
        ours, layer_ms = gomhc_rows(build, a.threads, presets)
        setup, configured = pytorch_rows(a.threads, presets, a.steps, True)
        plain = {} if a.no_debian else pytorch_rows(a.threads, presets, a.steps, False)[1]
        _, bridge_configured = bridge_rows(build, a.threads, True)
        _, bridge_default = bridge_rows(build, a.threads, False)
        rounds.append(dict(ours=ours, layer=layer_ms, configured=configured, plain=plain,
                           bridge_configured=bridge_configured, bridge_default=bridge_default))

    def each(fn):
        return [fn(r) for r in rounds]

    print(f"configured PyTorch: {setup}")
    print(f"{a.rounds} interleaved rounds: median (lowest-highest)\n")
    print("| step | gomhc tokens/s | configured PyTorch | ratio | Debian PyTorch | ratio |")
    print("|---|---|---|---|---|---|")
    for preset in presets:
        for method, _ in METHODS:
            key = (preset, method)
            ours = each(lambda r: r["ours"][key])
            conf = each(lambda r: r["configured"][key])
            ratio = each(lambda r: r["ours"][key] / r["configured"][key])
            debian = ["", ""]
            if not a.no_debian:
                debian = [cell(each(lambda r: r["plain"][key]), ",.0f"),
                          cell(each(lambda r: r["ours"][key] / r["plain"][key]), ".2f") + "x"]
            print(f"| {preset} {method} | {cell(ours, ',.0f')} | {cell(conf, ',.0f')} | "
                  f"{cell(ratio, '.2f')}x | {debian[0]} | {debian[1]} |")
        step_ratio = each(lambda r: r["ours"][(preset, "residual")] / r["ours"][(preset, "go")])
        print(f"| {preset}: go step / residual step | {cell(step_ratio, '.3f')} | | | | |")
    torch_layer = each(lambda r: r["bridge_configured"]["plain PyTorch"])
    print("\n| go layer, T = 4096, d = 4, s = 2, C = 768, forward + backward | ms | "
          "configured PyTorch / this |")
    print("|---|---|---|")
    print(f"| configured PyTorch | {cell(torch_layer, '.1f')} | 1.00x |")
    rows = [("gomhc C++ layer (gomhc_bench)", lambda r: r["layer"]),
            ("gomhc_torch bridge, glibc malloc", lambda r: r["bridge_default"]["bridge"]),
            ("gomhc_torch bridge, jemalloc", lambda r: r["bridge_configured"]["bridge"])]
    for name, fn in rows:
        if all(fn(r) for r in rounds):
            ratio = each(lambda r: r["bridge_configured"]["plain PyTorch"] / fn(r))
            print(f"| {name} | {cell(each(fn), '.1f')} | {cell(ratio, '.2f')}x |")


if __name__ == "__main__":
    main()
