#!/usr/bin/env python3
"""gomhc against PyTorch set up as an expert would, in one run on one
machine: the trainer's whole step (small and medium presets, residual and
go with d = 4, s = 2) and one go layer forward + backward, each beside
PyTorch with OpenBLAS's OpenMP build and jemalloc (bench/pytorch_env.sh) and,
for reference, Debian's PyTorch as it comes. Prints a table of tokens/s and
ratios (docs/benchmarks.md, "Against a configured PyTorch").

    /usr/bin/python3 bench/versus_pytorch.py [--build build] [--threads 2]
                                             [--presets small,medium] [--steps 20]
"""
import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TRAIN_ROW = "train_step/{preset}/{method}/{variant}/blas_threads:{threads}"
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--presets", default="small,medium")
    parser.add_argument("--steps", type=int, default=20)
    a = parser.parse_args()
    build = (ROOT / a.build).resolve()
    presets = a.presets.split(",")

    ours, layer_ms = gomhc_rows(build, a.threads, presets)
    setup, configured = pytorch_rows(a.threads, presets, a.steps, True)
    _, plain = pytorch_rows(a.threads, presets, a.steps, False)
    bridge_setup, bridge_configured = bridge_rows(build, a.threads, True)
    _, bridge_default = bridge_rows(build, a.threads, False)

    print(f"configured PyTorch: {setup}\n")
    print("| step | gomhc tokens/s | configured PyTorch | ratio | Debian PyTorch | ratio |")
    print("|---|---|---|---|---|---|")
    for preset in presets:
        for method, _ in METHODS:
            key = (preset, method)
            g, c, p = ours.get(key), configured.get(key), plain.get(key)
            print(f"| {preset} {method} | {g:,.0f} | {c:,.0f} | {g / c:.2f}x | {p:,.0f} | "
                  f"{g / p:.2f}x |")
        r, go = ours.get((preset, "residual")), ours.get((preset, "go"))
        print(f"| {preset}: go step / residual step | {r / go:.3f} | | | | |")
    torch_layer = bridge_configured["plain PyTorch"]
    print("\n| go layer, T = 4096, d = 4, s = 2, C = 768, forward + backward | ms | "
          "configured PyTorch / this |")
    print("|---|---|---|")
    print(f"| configured PyTorch | {torch_layer:.1f} | 1.00x |")
    if layer_ms:
        print(f"| gomhc C++ layer (gomhc_bench) | {layer_ms:.1f} | {torch_layer / layer_ms:.2f}x |")
    print(f"| gomhc_torch bridge, glibc malloc | {bridge_default['bridge']:.1f} | "
          f"{torch_layer / bridge_default['bridge']:.2f}x |")
    print(f"| gomhc_torch bridge, jemalloc | {bridge_configured['bridge']:.1f} | "
          f"{torch_layer / bridge_configured['bridge']:.2f}x |")


if __name__ == "__main__":
    main()
