"""The PyTorch bridge (python/gomhc_torch) against plain PyTorch in float64
(torch_reference.py): every core op and every method's module, forward and
all gradients; the seeded initialisation; calls before backward; a small GPT
whose blocks the bridge wraps trains; state_dict round trips; bad tensors get
errors naming them. Run: python3 -m unittest test_bridge (ctest does)."""

import gc
import io
import math
import unittest
import weakref

import torch

import gomhc_torch as g
import torch_reference as ref

torch.manual_seed(0)
# Float32 kernels against float64 references, relative to the largest entry.
TOLERANCE = 2e-4


def close(test, got, want, what):
    scale = max(want.abs().max().item(), 1e-3)
    err = (got.double() - want).abs().max().item() / scale
    test.assertLess(err, TOLERANCE, f"{what}: relative error {err:.2e}")


class CoreOps(unittest.TestCase):
    def check_op(self, bridge_fn, ref_fn, inputs, what):
        ours = [t.float().clone().requires_grad_(True) for t in inputs]
        theirs = [t.double().clone().requires_grad_(True) for t in inputs]
        out, want = bridge_fn(*ours), ref_fn(*theirs)
        close(self, out, want, what + " forward")
        upstream = torch.randn(want.shape, dtype=torch.float64)
        out.backward(upstream.float())
        want.backward(upstream)
        for k, (a, b) in enumerate(zip(ours, theirs)):
            close(self, a.grad, b.grad, f"{what} gradient {k}")

    def test_cayley_and_orthostochastic(self):
        for d, s in ((4, 2), (3, 1), (8, 2)):
            n = d * s
            params = torch.randn(19, n * (n - 1) // 2)
            self.check_op(lambda p: g.cayley(p, d, s), lambda p: ref.cayley(p, d, s), [params],
                          f"cayley d={d} s={s}")
            q = ref.cayley(params.double(), d, s).contiguous()
            self.check_op(lambda q: g.orthostochastic(q, d, s),
                          lambda q: ref.orthostochastic(q, d, s), [q],
                          f"orthostochastic d={d} s={s}")

    def test_stream_read_and_write(self):
        t, d, c = 23, 4, 40
        x, h_pre = torch.randn(t, d, c), torch.rand(t, d)
        h_res, h_post, f = torch.rand(t, d, d), torch.rand(t, d), torch.randn(t, c)
        self.check_op(g.stream_read, ref.stream_read, [x, h_pre], "stream_read")
        self.check_op(g.stream_write, ref.stream_write, [x, h_res, h_post, f], "stream_write")


CASES = [("residual", 1, 1), ("hc", 4, 1), ("mhc", 4, 1), ("mhc-lite", 3, 1),
         ("kromhc", 4, 1), ("go", 4, 1), ("go", 4, 2), ("go-kron", 4, 2)]


def branch_pair(c):
    """The same branch in float32 (for the bridge) and float64."""
    lin = torch.nn.Linear(c, c)
    lin64 = torch.nn.Linear(c, c).double()
    lin64.load_state_dict({k: v.double() for k, v in lin.state_dict().items()})
    return (lambda y: torch.tanh(lin(y))), (lambda y: torch.tanh(lin64(y))), lin, lin64


class Module(unittest.TestCase):
    def test_every_method_forward_and_gradients(self):
        c = 24
        for method, d, s in CASES:
            with self.subTest(method=method, d=d, s=s):
                f32, f64, lin, lin64 = branch_pair(c)
                layer = g.HyperConnection(method, d, s, c, branch=f32, seed=3)
                with torch.no_grad():  # logits away from the identity start
                    for p in layer.parameters():
                        p.add_(0.3 * torch.randn_like(p))
                params64 = [p.detach().double().clone().requires_grad_(True)
                            for p in layer.parameters()]
                x = torch.randn(3, 13, d, c)
                x32, x64 = x.clone().requires_grad_(True), x.double().requires_grad_(True)
                out = layer(x32)
                want = ref.layer(x64, params64, method, d, s, f64)
                close(self, out, want, f"{method} forward")
                upstream = torch.randn(want.shape, dtype=torch.float64)
                out.backward(upstream.float())
                want.backward(upstream)
                close(self, x32.grad, x64.grad, f"{method} dX")
                for (name, p), p64 in zip(layer.named_parameters(), params64):
                    close(self, p.grad, p64.grad, f"{method} d{name}")
                close(self, lin.weight.grad, lin64.weight.grad, f"{method} branch weight")

    def test_initialised_as_the_cpp_layer(self):
        d, c = 4, 32
        a, b = g.HyperConnection("go", d, 2, c, seed=7), g.HyperConnection("go", d, 2, c, seed=7)
        other = g.HyperConnection("go", d, 2, c, seed=8)
        self.assertTrue(torch.equal(a.W, b.W))
        self.assertFalse(torch.equal(a.W, other.W))
        self.assertEqual(tuple(a.W.shape), (2 * d + 28, d * c))
        self.assertAlmostEqual(a.W.std().item(), 1 / math.sqrt(d * c), delta=0.1 / math.sqrt(d * c))
        self.assertAlmostEqual(a.a_pre.item(), 0.01, places=6)
        # The home stream (layer_index mod d) starts favoured: b_pre, b_post +1
        # there and -1 elsewhere (docs/math.md section 3.1); symmetric: 1/d, 1.
        at5 = g.HyperConnection("go", d, 2, c, seed=7, layer_index=5)
        for j in range(d):
            self.assertEqual(a.b[j].item(), 1.0 if j == 0 else -1.0)
            self.assertEqual(at5.b[j].item(), 1.0 if j == 5 % d else -1.0)
            self.assertEqual(at5.b[d + j].item(), 1.0 if j == 5 % d else -1.0)
        sym = g.HyperConnection("go", d, 2, c, seed=7, symmetric=True)
        self.assertTrue(torch.equal(sym.W, a.W))
        self.assertAlmostEqual(torch.sigmoid(sym.b[0]).item(), 1 / d, places=5)
        self.assertEqual(sym.b[d].item(), 0.0)
        with self.assertRaisesRegex(ValueError, "layer_index = -1"):
            g.HyperConnection("go", d, 2, c, layer_index=-1)

    def test_branch_none_and_two_calls_before_backward(self):
        d, c = 4, 16
        f32, f64, _, _ = branch_pair(c)
        layer = g.HyperConnection("mhc", d, 1, c, seed=1)
        params64 = [p.detach().double().clone() for p in layer.parameters()]
        x1, x2 = torch.randn(9, d, c), torch.randn(5, d, c)
        y, complete = layer(x1)
        self.assertEqual(tuple(y.shape), (9, c))
        out1 = complete(f32(y))
        y2, complete2 = layer(x2)  # a second forward before the first's backward
        out2 = complete2(f32(y2))
        # Random weights: a plain sum does not see H_res (its columns sum to 1).
        w1, w2 = torch.randn(out1.shape), torch.randn(out2.shape)
        ((out1 * w1).sum() + (out2 * w2).sum()).backward()
        grads = [p.grad.clone() for p in layer.parameters()]
        ps = [p.requires_grad_(True) for p in params64]
        want = ((ref.layer(x1.double(), ps, "mhc", d, 1, f64) * w1.double()).sum()
                + (ref.layer(x2.double(), ps, "mhc", d, 1, f64) * w2.double()).sum())
        want.backward()
        for got, p in zip(grads, ps):
            close(self, got, p.grad, "two calls, one backward")

    def test_calls_leave_nothing_alive(self):
        # The layer's bookkeeping must not tie X, F or dX into a cycle through
        # autograd's graph (which Python's collector never frees): after each
        # call, with or without a backward, X is collected and the C layer
        # returns to the module's pool.
        c = 16
        lin = torch.nn.Linear(c, c)
        layer = g.HyperConnection("go", 4, 2, c, branch=lambda y: torch.tanh(lin(y)), seed=1)
        for backward in (True, False, True):
            x = torch.randn(7, 4, c, requires_grad=True)
            alive = weakref.ref(x)
            out = layer(x)
            if backward:
                out.sum().backward()
            del x, out
            gc.collect()
            self.assertIsNone(alive(), f"X still alive after a call (backward={backward})")
        self.assertEqual(len(layer._layers.all), 1)

    def test_expand_and_reduce_streams(self):
        h = torch.randn(2, 3, 8)
        x = g.expand_streams(h, 4)
        self.assertEqual(tuple(x.shape), (2, 3, 4, 8))
        self.assertTrue(torch.equal(g.reduce_streams(x), 4 * h))

    def test_state_dict_round_trip(self):
        a = g.HyperConnection("go", 4, 2, 16, branch=torch.nn.Linear(16, 16), seed=1)
        buffer = io.BytesIO()
        torch.save(a.state_dict(), buffer)
        buffer.seek(0)
        b = g.HyperConnection("go", 4, 2, 16, branch=torch.nn.Linear(16, 16), seed=2)
        b.load_state_dict(torch.load(buffer))
        x = torch.randn(6, 4, 16)
        self.assertTrue(torch.equal(a(x), b(x)))


class OutputCache(unittest.TestCase):
    """Large CPU outputs (1 MiB and up) reuse memory the bridge keeps: a block
    is handed out again only when no tensor, view or saved tensor uses it."""

    T, D, C = 1024, 4, 64  # X is 1 MiB

    def setUp(self):
        g.set_output_cache(True)
        f32, self.f64, _, _ = branch_pair(self.C)
        self.layer = g.HyperConnection("go", self.D, 2, self.C, branch=f32, seed=4)
        with torch.no_grad():
            for p in self.layer.parameters():
                p.add_(0.3 * torch.randn_like(p))

    def reference(self, x):
        params = [p.detach().double().clone() for p in self.layer.parameters()]
        return ref.layer(x.double(), params, "go", self.D, 2, self.f64)

    def test_live_outputs_and_views_are_not_reused(self):
        x1, x2 = torch.randn(self.T, self.D, self.C), torch.randn(self.T, self.D, self.C)
        with torch.no_grad():
            kept = self.layer(x1)
            view = self.layer(x2)[5:, 1]  # only a view keeps the second output
            want1, want2 = kept.clone(), view.clone()
            for _ in range(3):
                other = self.layer(torch.randn(self.T, self.D, self.C))
                self.assertNotEqual(other.data_ptr(), kept.data_ptr())
                del other
        self.assertTrue(torch.equal(kept, want1))
        self.assertTrue(torch.equal(view, want2))
        close(self, kept, self.reference(x1), "cached output forward")

    def test_freed_memory_is_reused_and_gradients_stay_exact(self):
        x = torch.randn(self.T, self.D, self.C)
        upstream = torch.randn(self.T, self.D, self.C)
        sizes = []
        for _ in range(4):
            xg = x.clone().requires_grad_(True)
            self.layer.zero_grad(set_to_none=True)
            self.layer(xg).backward(upstream)
            sizes.append(g.cached_bytes())
            del xg
        self.assertEqual(sizes[1:], sizes[:1] * 3)  # steady state: nothing new
        x64 = x.double().requires_grad_(True)
        self.reference(x64).backward(upstream.double())
        xg = x.clone().requires_grad_(True)
        self.layer(xg).backward(upstream)
        close(self, xg.grad, x64.grad, "cached dX")

    def test_zero_gradient_path_clears_reused_memory(self):
        # A first call leaves freed, written blocks; the second's output gets
        # no gradient, so the bridge runs the post backward on zeros it takes
        # from the cache. The same without the cache is the oracle.
        x = torch.randn(self.T, self.D, self.C)
        bare = g.HyperConnection("go", self.D, 2, self.C, seed=4)

        def gradients():
            y, complete = bare(x.clone().requires_grad_(True))
            complete(torch.randn(self.T, self.C)).backward(torch.randn(self.T, self.D, self.C))
            del y, complete  # X and its gradient go back to the cache
            xg = x.clone().requires_grad_(True)
            bare.zero_grad(set_to_none=True)
            y, _ = bare(xg)
            y.sum().backward()
            return [xg.grad] + [p.grad.clone() for p in bare.parameters()]

        cached = gradients()
        g.set_output_cache(False)
        try:
            fresh = gradients()
        finally:
            g.set_output_cache(True)
        for k, (a, b) in enumerate(zip(cached, fresh)):
            close(self, a, b.double(), f"gradient {k} of H_pre X alone")

    def test_turned_off(self):
        x = torch.randn(self.T, self.D, self.C)
        with torch.no_grad():
            self.layer(x)
        self.assertGreater(g.cached_bytes(), 0)
        g.set_output_cache(False)
        try:
            self.assertEqual(g.cached_bytes(), 0)
            with torch.no_grad():
                out = self.layer(x)
            self.assertEqual(g.cached_bytes(), 0)
            close(self, out, self.reference(x), "uncached forward")
        finally:
            g.set_output_cache(True)


class Errors(unittest.TestCase):
    def setUp(self):
        self.layer = g.HyperConnection("go", 4, 2, 16, branch=lambda y: y, seed=0)

    def expect(self, kind, text, call):
        with self.assertRaises(kind) as caught:
            call()
        self.assertIn(text, str(caught.exception))

    def test_bad_tensors(self):
        self.expect(TypeError, "dtype torch.float64", lambda: self.layer(torch.zeros(3, 4, 16).double()))
        self.expect(ValueError, "not contiguous",
                    lambda: self.layer(torch.zeros(16, 4, 3).transpose(0, 2)))
        self.expect(ValueError, "expected [..., d=4, C=16]", lambda: self.layer(torch.zeros(3, 2, 16)))
        self.expect(ValueError, "on meta", lambda: self.layer(torch.zeros(3, 4, 16, device="meta")))
        self.expect(ValueError, "'h_pre' has shape [5, 3], expected [5, 4]",
                    lambda: g.stream_read(torch.zeros(5, 4, 8), torch.zeros(5, 3)))
        self.expect(ValueError, "unknown method 'nope'", lambda: g.HyperConnection("nope", 4, 1, 8))
        self.expect(ValueError, "kromhc", lambda: g.HyperConnection("kromhc", 3, 1, 8))


class Catalog(unittest.TestCase):
    """Every op of libgomhc's catalog through the bridge, with no code of its
    own: each runs at its example sizes, and each op with autograd has the
    gradients of central differences of its own forward."""

    @staticmethod
    def inputs_at(op, sizes):
        inputs = []
        for t in op.tensors(sizes):
            if t.output:
                continue
            if t.ids_below > 0:
                inputs.append(torch.randint(0, t.ids_below, t.shape, dtype=torch.int32))
            else:
                inputs.append(0.5 * torch.randn(t.shape))
        return inputs

    @staticmethod
    def unshown_sizes(name, sizes):
        """The sizes the inputs' shapes do not show, which a caller names."""
        op = g.ops.catalog()[name]
        return {s: v for s, v in zip(op.sizes, sizes) if s in g.ops.given_sizes(name)}

    def test_every_op_runs_at_its_examples(self):
        catalog = g.ops.catalog()
        self.assertIn("layernorm_forward", catalog)
        for name, op in catalog.items():
            for sizes in op.examples:
                with self.subTest(op=name, sizes=sizes):
                    outputs = getattr(g.ops, name)(*self.inputs_at(op, sizes),
                                                   **self.unshown_sizes(name, sizes))
                    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
                    wanted = [t for t in op.tensors(sizes) if t.output]
                    self.assertEqual([tuple(o.shape) for o in outputs], [t.shape for t in wanted])
                    for o in outputs:
                        self.assertTrue(torch.isfinite(o.float()).all())

    def test_every_gradient_matches_central_differences(self):
        families = g.ops.differentiable_ops()
        self.assertIn("layernorm", families)
        catalog = g.ops.catalog()
        for family in families:
            name = family + "_forward"
            op = catalog[name]
            fn = getattr(g.ops, family)
            for sizes in op.examples:
                with self.subTest(op=family, sizes=sizes):
                    given = self.unshown_sizes(name, sizes)
                    inputs = self.inputs_at(op, sizes)
                    floats = [i for i, x in enumerate(inputs) if x.is_floating_point()]
                    for i in floats:
                        inputs[i].requires_grad_(True)
                    outputs = fn(*inputs, **given)
                    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
                    weights = [torch.randn(o.shape) if o.requires_grad else None for o in outputs]

                    def loss(xs):
                        outs = fn(*xs, **given)
                        outs = outs if isinstance(outs, tuple) else (outs,)
                        return sum((w.double() * o.double()).sum()
                                   for w, o in zip(weights, outs) if w is not None)

                    loss(inputs).backward()
                    h = 1e-2
                    direction = {i: torch.randn(inputs[i].shape) for i in floats}
                    with torch.no_grad():
                        def moved(sign):
                            return [x + sign * h * direction[i] if i in direction else x
                                    for i, x in enumerate(inputs)]
                        fd = (loss(moved(1)) - loss(moved(-1))).item() / (2 * h)
                    grads = [inputs[i].grad if inputs[i].grad is not None
                             else torch.zeros_like(inputs[i]) for i in floats]
                    analytic = sum((gr.double() * direction[i].double()).sum().item()
                                   for gr, i in zip(grads, floats))
                    bound = 1e-2 * math.sqrt(sum(gr.double().pow(2).sum().item() for gr in grads)) \
                        * math.sqrt(sum(v.double().pow(2).sum().item() for v in direction.values()))
                    self.assertLessEqual(abs(fd - analytic), bound + 1e-6,
                                         f"{family} at {sizes}: {analytic} against {fd}")


class TinyGpt(torch.nn.Module):
    """A small PyTorch GPT whose attention and MLP blocks the bridge wraps."""

    def __init__(self, vocab, c, heads, layers, ctx, d):
        super().__init__()
        self.d = d
        self.wte, self.wpe = torch.nn.Embedding(vocab, c), torch.nn.Embedding(ctx, c)
        self.hcs = torch.nn.ModuleList()
        for i in range(layers):
            attn = torch.nn.MultiheadAttention(c, heads, batch_first=True)
            mlp = torch.nn.Sequential(torch.nn.Linear(c, 4 * c), torch.nn.GELU(),
                                      torch.nn.Linear(4 * c, c))
            ln1, ln2 = torch.nn.LayerNorm(c), torch.nn.LayerNorm(c)
            mask = torch.triu(torch.ones(ctx, ctx, dtype=torch.bool), 1)

            def attend(y, attn=attn, ln=ln1, mask=mask):
                h = ln(y)
                t = h.shape[1]
                return attn(h, h, h, attn_mask=mask[:t, :t], need_weights=False)[0]

            self.hcs.append(g.HyperConnection("go", d, 2, c, branch=attend, seed=2 * i))
            self.hcs.append(g.HyperConnection("go", d, 2, c, branch=lambda y, m=mlp, ln=ln2: m(ln(y)),
                                              seed=2 * i + 1))
            self.add_module(f"attn{i}", attn)
            self.add_module(f"mlp{i}", mlp)
            self.add_module(f"ln{i}a", ln1)
            self.add_module(f"ln{i}b", ln2)
        self.ln_f = torch.nn.LayerNorm(c)

    def forward(self, ids):
        t = ids.shape[1]
        x = g.expand_streams(self.wte(ids) + self.wpe(torch.arange(t)), self.d)
        for hc in self.hcs:
            x = hc(x)
        return g.reduce_streams(self.ln_f(x)) @ self.wte.weight.t()


class Training(unittest.TestCase):
    def test_a_small_gpt_trains(self):
        text = ("In the beginning was the word, and the word was with God. " * 40).encode()
        data = torch.tensor(list(text))
        model = TinyGpt(256, 32, 2, 2, 16, 4)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        losses = []
        for step in range(40):
            starts = torch.randint(0, len(data) - 17, (8,))
            batch = torch.stack([data[i:i + 17] for i in starts])
            logits = model(batch[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertTrue(all(math.isfinite(v) for v in losses))
        self.assertLess(sum(losses[-5:]) / 5, losses[0] - 1.5, f"losses {losses[0]:.3f} -> {losses[-1]:.3f}")


if __name__ == "__main__":
    unittest.main()
