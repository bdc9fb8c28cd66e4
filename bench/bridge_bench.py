#!/usr/bin/env python3
"""The PyTorch bridge's speed: one hyper-connection layer forward + backward
(identity branch) at T = 4096, d = 4, s = 2, C = 768, four ways in one run:
through gomhc_torch.HyperConnection, the same with its output cache off
(gomhc_torch.set_output_cache(False)), in plain PyTorch (the same layer as
the bridge's tests write it, float32), and calling libgomhc's C layer
directly (ctypes, buffers made once). Prints the median of each and the ratios.

    PYTHONPATH=python GOMHC_LIBRARY=build/runtime/libgomhc.so.0 \\
        /usr/bin/python3 bench/bridge_bench.py [--method go] [--reps 20] [--threads 2]
"""

import argparse
import ctypes
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import gomhc_torch as g  # noqa: E402
import torch_reference as ref  # noqa: E402
import torch_setup  # noqa: E402
from gomhc_torch._library import check, lib  # noqa: E402


def timed(fn, reps):
    fn()  # warm-up: allocations, first-call set-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", default="go")
    parser.add_argument("--d", type=int, default=4)
    parser.add_argument("--s", type=int, default=2)
    parser.add_argument("--C", type=int, default=768)
    parser.add_argument("--T", type=int, default=4096)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    g.set_num_threads(a.threads)
    print(torch_setup.describe(), flush=True)
    torch.manual_seed(0)

    layer = g.HyperConnection(a.method, a.d, a.s, a.C, branch=lambda y: y, seed=1)
    x = torch.randn(a.T, a.d, a.C, requires_grad=True)
    upstream = torch.randn(a.T, a.d, a.C)

    def bridge():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        layer(x).backward(upstream)

    params = [p.detach().clone().requires_grad_(True) for p in layer.parameters()]

    def plain():
        x.grad = None
        for p in params:
            p.grad = None
        ref.layer(x, params, a.method, a.d, a.s, lambda y: y).backward(upstream)

    # The C layer called directly, the way a C trainer calls it.
    handle = ctypes.c_void_p()
    check(lib.gomhc_layer_create_on(a.method.encode(), a.d, a.s, a.C, 1, 0, ctypes.byref(handle)),
          "create")
    xs = x.detach().clone()
    y, x_next = torch.empty(a.T, a.C), torch.empty(a.T, a.d, a.C)
    dx, df = torch.empty(a.T, a.d, a.C), torch.empty(a.T, a.C)

    def direct():
        check(lib.gomhc_layer_zero_grads(handle), "zero_grads")
        check(lib.gomhc_layer_pre(handle, a.T, xs.data_ptr(), y.data_ptr()), "pre")
        check(lib.gomhc_layer_post(handle, a.T, xs.data_ptr(), y.data_ptr(), x_next.data_ptr()),
              "post")
        check(lib.gomhc_layer_post_backward(handle, a.T, upstream.data_ptr(), dx.data_ptr(),
                                            df.data_ptr()), "post_backward")
        # The identity branch: dy = df, as the bridge's autograd passes it.
        check(lib.gomhc_layer_pre_backward(handle, a.T, df.data_ptr(), dx.data_ptr()),
              "pre_backward")

    rounds = {"bridge": [], "bridge, no cache": [], "plain PyTorch": [], "C layer direct": []}
    for _ in range(3):  # interleaved, so drifts of the machine hit all of them
        rounds["bridge"].append(timed(bridge, a.reps))
        g.set_output_cache(False)  # every output from PyTorch's allocator
        rounds["bridge, no cache"].append(timed(bridge, a.reps))
        g.set_output_cache(True)
        rounds["plain PyTorch"].append(timed(plain, a.reps))
        rounds["C layer direct"].append(timed(direct, a.reps))
    lib.gomhc_layer_destroy(handle)
    ms = {k: 1e3 * statistics.median(v) for k, v in rounds.items()}
    print(f"layer forward+backward, {a.method} T={a.T} d={a.d} s={a.s} C={a.C}, "
          f"{a.threads} threads, torch {torch.__version__}")
    for name, value in ms.items():
        print(f"  {name:16s} {value:9.2f} ms")
    print(f"  plain PyTorch / bridge: {ms['plain PyTorch'] / ms['bridge']:.2f}x")
    print(f"  bridge over the direct C layer: {100 * (ms['bridge'] / ms['C layer direct'] - 1):+.1f}%")


if __name__ == "__main__":
    main()
