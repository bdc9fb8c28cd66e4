"""Every op of libgomhc's catalog as a torch function, built from the
catalog (gomhc_op_*), so a new op needs no edit here:

    ops.<op>(*inputs, **sizes)   any op by its registry name, e.g.
                                 ops.layernorm_forward(x, gamma, beta) -> (y, mean, rstd)
    ops.<family>(*inputs, **sizes)
                                 a forward with autograd through its backward
                                 op, e.g. ops.layernorm(x, gamma, beta)

Inputs come in the op's catalog order; sizes the inputs' shapes do not show
(d of the Cayley map, a softmax's scale) are given by name. Outputs the
backward takes no gradient of (a LayerNorm's mean) are not differentiable.
The core ops keep their functions:

    cayley(params, d, s)          params [T][n(n-1)/2] -> Q [T][n][n], n = d s
    orthostochastic(q, d, s)      Q [T][n][n] -> H [T][d][d]
    stream_read(x, h_pre)         x [T][d][C], h_pre [T][d] -> y [T][C]
    stream_write(x, h_res, h_post, f)
                                  -> x_next [T][d][C] = h_res x + h_post^T f

Every tensor is contiguous (float32, token ids int32), on one device (CPU or
CUDA).
"""

import torch

from . import _catalog, _outputs
from ._tensors import on_device, ptr, require

_OPS = _catalog.ops()


def _dtype(tensor):
    return torch.int32 if tensor.ids_below > 0 else torch.float32


class _Call:
    """One catalog op called on tensors: sizes read from the inputs' shapes
    where they show, the inputs checked, the outputs made."""

    def __init__(self, op):
        self.op = op
        # The inputs' names, ranks and dtypes do not depend on the sizes.
        self.input_tensors = self._inputs_at(op.examples[-1])
        self.inputs = [t.name for t in self.input_tensors]
        self.readers = [self._reader(i) for i in range(len(op.sizes))]

    def _inputs_at(self, sizes):
        return [t for t in self.op.tensors(sizes) if not t.output]

    def _reader(self, i):
        """The (input, dimension) whose extent is size i, or None: the extent
        that follows the size when it moves one step from the op's widest
        example."""
        example = self.op.examples[-1]
        before = self._inputs_at(example)
        for step in (1, -1):
            moved = list(example)
            moved[i] += step
            try:
                after = self._inputs_at(moved)
            except ValueError:
                continue  # not a valid size there: try the other way
            for k, (a, b) in enumerate(zip(before, after)):
                for j, (x, y) in enumerate(zip(a.shape, b.shape)):
                    if x == example[i] and y == example[i] + step:
                        return k, j
            return None
        return None

    def sizes(self, inputs, given):
        """The sizes of a call: those given by name, the others read from the
        inputs' shapes."""
        unknown = set(given) - set(self.op.sizes)
        if unknown:
            raise TypeError(f"gomhc_torch: {self.op.name} takes no size {sorted(unknown)[0]!r}; "
                            f"its sizes are {', '.join(self.op.sizes)}")
        self._check_count(inputs)
        sizes = []
        for name, reader in zip(self.op.sizes, self.readers):
            if name in given:
                sizes.append(float(given[name]))
            elif reader is not None:
                k, j = reader
                t = self.input_tensors[k]
                require(inputs[k], t.name, (None,) * len(t.shape), dtype=_dtype(t))
                sizes.append(float(inputs[k].shape[j]))
            else:
                raise TypeError(f"gomhc_torch: {self.op.name} needs {name}=..., which its inputs' "
                                "shapes do not show")
        return sizes

    def _check_count(self, inputs):
        if len(inputs) != len(self.inputs):
            raise TypeError(f"gomhc_torch: {self.op.name} takes {len(self.inputs)} tensors "
                            f"({', '.join(self.inputs)}), got {len(inputs)}")

    def __call__(self, sizes, inputs):
        """The op's outputs (a list) for its inputs at `sizes`."""
        self._check_count(inputs)
        device = require(inputs[0], self.inputs[0], dtype=_dtype(self.input_tensors[0])).device
        tensors, outputs, given = [], [], iter(inputs)
        for t in self.op.tensors(sizes):
            if t.output:
                outputs.append(_outputs.empty(t.shape, device, zero=t.adds, dtype=_dtype(t)))
                tensors.append(outputs[-1])
            else:
                tensors.append(require(next(given), t.name, t.shape, device, _dtype(t)))
        on_device(device)
        self.op.run(sizes, [ptr(t) for t in tensors])
        return outputs


_CALLS = {name: _Call(op) for name, op in _OPS.items()}


def _single(outputs):
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _raw(name):
    call = _CALLS[name]

    def op(*inputs, **sizes):
        return _single(call(call.sizes(inputs, sizes), inputs))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"The {name} op of libgomhc, without autograd: tensors "
                  f"{', '.join(call.inputs)}; sizes {', '.join(call.op.sizes)}.")
    return op


class _Pair:
    """A forward op and its backward, by the catalog's naming: the backward
    reads the forward's tensors by name, takes d<output> for each output it
    needs the gradient of, and writes d<input>."""

    def __init__(self, forward, backward):
        self.forward, self.backward = _CALLS[forward.name], _CALLS[backward.name]
        self.outputs = [t.name for t in forward.tensors(forward.examples[-1]) if t.output]
        read = set(self.backward.inputs)
        self.differentiable = [("d" + name) in read for name in self.outputs]
        # What the backward reads of the forward, saved by the forward.
        self.saved = [n for n in self.forward.inputs + self.outputs if n in read]


class _Autograd(torch.autograd.Function):
    @staticmethod
    def forward(ctx, pair, sizes, *inputs):
        outputs = pair.forward(sizes, inputs)
        named = dict(zip(pair.forward.inputs + pair.outputs, list(inputs) + outputs))
        ctx.pair, ctx.sizes, ctx.device = pair, sizes, outputs[0].device
        ctx.save_for_backward(*(named[n] for n in pair.saved))
        ctx.mark_non_differentiable(
            *(o for o, grad in zip(outputs, pair.differentiable) if not grad))
        return _single(outputs)

    @staticmethod
    def backward(ctx, *grads):
        pair = ctx.pair
        named = dict(zip(pair.saved, ctx.saved_tensors))
        for name, grad in zip(pair.outputs, grads):
            if grad is not None:
                named["d" + name] = grad.contiguous()
        tensors = pair.backward.op.tensors(ctx.sizes)
        inputs = []
        for t in tensors:
            if not t.output:  # a gradient that never came is zero
                inputs.append(named[t.name] if t.name in named else
                              _outputs.empty(t.shape, ctx.device, zero=True))
        written = dict(zip((t.name for t in tensors if t.output),
                           pair.backward(ctx.sizes, inputs)))
        return (None, None, *(written.get("d" + n) for n in pair.forward.inputs))


def _differentiable(pair):
    def op(*inputs, **sizes):
        return _Autograd.apply(pair, pair.forward.sizes(inputs, sizes), *inputs)

    return op


def _pairs():
    """Each forward whose backward takes the same sizes, by family name."""
    pairs = {}
    for backward in _OPS.values():
        forward = _OPS.get(backward.forward_of)
        if forward is not None and backward.sizes == forward.sizes:
            family = forward.name[:-len("_forward")] if forward.name.endswith("_forward") \
                else forward.name
            pairs[family] = _Pair(forward, backward)
    return pairs


_FUNCTIONS = {name: _raw(name) for name in _OPS}
_FUNCTIONS.update({family: _differentiable(pair) for family, pair in _pairs().items()})


def __getattr__(name):
    try:
        return _FUNCTIONS[name]
    except KeyError:
        raise AttributeError(f"gomhc_torch.ops has no op {name!r}") from None


def __dir__():
    return sorted(set(globals()) | set(_FUNCTIONS))


def catalog():
    """Every op of libgomhc by name: its sizes, examples and tensors."""
    return dict(_OPS)


def given_sizes(name):
    """The sizes of op `name` its inputs' shapes do not show: a caller names
    them (d and s of the Cayley map)."""
    call = _CALLS[name]
    return [size for size, reader in zip(call.op.sizes, call.readers) if reader is None]


def differentiable_ops():
    """The ops with autograd, by family name."""
    return sorted(set(_FUNCTIONS) - set(_OPS))


def cayley(params, d, s):
    """Q = (I + A)^-1 (I - A), A = U - U^T with the params filling U's strict
    upper triangle row by row."""
    return _FUNCTIONS["cayley"](params, d=d, s=s)


def orthostochastic(q, d, s):
    """H[i][j] = (1/s) * sum of squares of Q's s x s block (i, j)."""
    return _FUNCTIONS["orthostochastic"](q, d=d, s=s)


def stream_read(x, h_pre):
    """y = sum_j h_pre[j] x[j] per token."""
    return _FUNCTIONS["stream_read"](x, h_pre)


def stream_write(x, h_res, h_post, f):
    """x_next[i] = sum_j h_res[i][j] x[j] + h_post[i] f per token."""
    return _FUNCTIONS["stream_write"](x, h_res, h_post, f)
