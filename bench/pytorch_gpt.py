#!/usr/bin/env python3
"""The trainer's GPT (docs/trainer.md) in plain PyTorch, timed per training
step (forward, backward, global-norm clip, AdamW) at the small and medium
presets: the PyTorch yardstick for gomhc_bench_train's rows. With --methods
go or mhc (d = 4, go s = 2) every sub-layer is wrapped by the hyper-connection
written in plain PyTorch (tests/python/torch_reference.py), as a PyTorch user
without gomhc would write it.

    /usr/bin/python3 bench/pytorch_gpt.py [--presets small,medium] [--methods residual,go,mhc]
                                          [--threads 2] [--steps 5]

bench/pytorch_env.sh runs it with PyTorch set up as an expert would (OpenBLAS's
OpenMP build, jemalloc); bench/versus_pytorch.sh times both beside gomhc.

Prints one line per preset and method: ms per step (median), tokens/s.
"""
import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_reference as ref  # noqa: E402
import torch_setup  # noqa: E402

D, S = 4, 2  # the streams and go's block size

PRESETS = {  # layers, width, heads, ctx, batch
    "small": (4, 128, 4, 128, 16),
    "medium": (6, 384, 6, 256, 8),
}


class HyperConnection(nn.Module):
    """The layer's parameters (docs/math.md section 1) in plain PyTorch."""

    def __init__(self, method, c):
        super().__init__()
        k_res = {"go": (D * S) * (D * S - 1) // 2, "mhc": D * D}[method]
        k = 2 * D + k_res
        self.method = method
        self.W = nn.Parameter(torch.randn(k, D * c) / math.sqrt(D * c))
        start = (0.1 * torch.randn(k_res) if method == "go"
                 else (torch.eye(D) + 0.01 * torch.randn(D, D)).reshape(-1))
        self.b = nn.Parameter(torch.cat([torch.full((D,), math.log(1 / (D - 1))),
                                         torch.zeros(D), start]))
        self.a = nn.ParameterList(nn.Parameter(torch.full((1,), 0.01)) for _ in range(3))

    def forward(self, x, branch):
        return ref.layer(x, [self.W, self.b, *self.a], self.method, D, S if self.method == "go"
                         else 1, branch)


class Block(nn.Module):
    def __init__(self, c, heads, method):
        super().__init__()
        self.method = method
        if method != "residual":
            self.hc_attn, self.hc_mlp = HyperConnection(method, c), HyperConnection(method, c)
        self.heads = heads
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c, bias=False)
        self.attn_proj = nn.Linear(c, c, bias=False)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, 4 * c, bias=False)
        self.mlp_proj = nn.Linear(4 * c, c, bias=False)

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        shape = (b, t, self.heads, c // self.heads)
        q, k, v = (y.view(shape).transpose(1, 2) for y in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        probs = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        return self.attn_proj((probs @ v).transpose(1, 2).reshape(b, t, c))

    def mlp(self, x):
        return self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    def forward(self, x):
        if self.method == "residual":
            x = x + self.attention(self.ln_1(x))
            return x + self.mlp(x)
        x = self.hc_attn(x, lambda y: self.attention(self.ln_1(y)))
        return self.hc_mlp(x, self.mlp)


class Gpt(nn.Module):
    def __init__(self, layers, c, heads, ctx, method, vocab=256):
        super().__init__()
        self.method = method
        self.wte = nn.Embedding(vocab, c)
        self.wpe = nn.Embedding(ctx, c)
        self.blocks = nn.ModuleList(Block(c, heads, method) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c)
        if method != "residual":  # the stream embedding, as the trainer's default start
            self.wse = nn.Parameter(0.02 * torch.randn(D, c))

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        if self.method != "residual":  # into d streams, each with its stream embedding
            x = x.unsqueeze(-2) + self.wse
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        if self.method != "residual":  # each stream normalised, then averaged (the trainer's default)
            x = x.mean(dim=-2)
        logits = x @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def time_preset(name, method, steps):
    layers, c, heads, ctx, batch = PRESETS[name]
    torch.manual_seed(1)
    model = Gpt(layers, c, heads, ctx, method)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    data = torch.randint(0, 256, (batch, ctx + 1))
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(data[:, :-1], data[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i > 0:  # the first step warms up
            times.append(time.perf_counter() - t0)
    ms = statistics.median(times) * 1e3
    print(f"pytorch {torch.__version__} {name} {method}: {ms:.1f} ms/step, "
          f"{batch * ctx / ms * 1e3:.0f} tokens/s ({torch.get_num_threads()} threads)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="small,medium")
    parser.add_argument("--methods", default="residual")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(torch_setup.describe(), flush=True)
    for name in args.presets.split(","):
        for method in args.methods.split(","):
            time_preset(name, method, args.steps)


if __name__ == "__main__":
    main()
