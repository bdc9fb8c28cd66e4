#!/usr/bin/env python3
"""The trainer's residual GPT (docs/trainer.md) in plain PyTorch, timed per
training step (forward, backward, global-norm clip, AdamW) at the small and
medium presets: the PyTorch yardstick for gomhc_bench_train's residual rows.

    python3 bench/pytorch_gpt.py [--presets small,medium] [--threads 2] [--steps 5]

Prints one line per preset: ms per step (median), tokens/s.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # layers, width, heads, ctx, batch
    "small": (4, 128, 4, 128, 16),
    "medium": (6, 384, 6, 256, 8),
}


class Block(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
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

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, layers, c, heads, ctx, vocab=256):
        super().__init__()
        self.wte = nn.Embedding(vocab, c)
        self.wpe = nn.Embedding(ctx, c)
        self.blocks = nn.ModuleList(Block(c, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def time_preset(name, steps):
    layers, c, heads, ctx, batch = PRESETS[name]
    torch.manual_seed(1)
    model = Gpt(layers, c, heads, ctx)
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
    print(f"pytorch {torch.__version__} {name} residual: {ms:.1f} ms/step, "
          f"{batch * ctx / ms * 1e3:.0f} tokens/s ({torch.get_num_threads()} threads)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="small,medium")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.presets.split(","):
        time_preset(name, args.steps)


if __name__ == "__main__":
    main()
