"""HyperConnection: gomhc's hyper-connection layer as a torch.nn.Module.

    H = HyperConnection("go", d=4, s=2, C=768, branch=mlp)
    X_next = H(X)          # X [..., d, C]: H_res X + H_post^T branch(H_pre X)

Its parameters are the C++ layer's (docs/api.md): W [K][d*C], b [K], a_pre,
a_post, a_res [1], initialised exactly as gomhc::HyperConnection with the
same seed. Forward and backward run the library's kernels.
"""

import ctypes
import weakref

import torch

from . import _outputs as outputs
from ._library import DEVICE_CUDA, DEVICE_HOST, ParamSlice, check, lib
from ._tensors import ptr, require
from .ops import stream_read  # noqa: F401  (re-exported by the package)

METHODS = ("residual", "hc", "mhc", "mhc-lite", "kromhc", "go", "go-kron")


def _create(method, d, s, c, seed, device, layer_index=0, symmetric=False):
    handle = ctypes.c_void_p()
    code = DEVICE_CUDA if device.type == "cuda" else DEVICE_HOST
    check(lib.gomhc_layer_create_at(method.encode(), d, s, c, seed, code, layer_index,
                                    int(symmetric), ctypes.byref(handle)),
          f"HyperConnection({method!r}, d={d}, s={s}, C={c})")
    return handle


class _Layers:
    """C layers of one module, all bound to its flat parameter and gradient
    blocks. Each forward takes one until its backward is done (or its graph
    is dropped), so calling the module again before backward is safe; in the
    usual forward-backward loop one layer serves every call."""

    def __init__(self, module):
        self.module = module
        self.free = {}  # device -> [handles]
        self.all = []

    def take(self, device):
        pool = self.free.setdefault(device, [])
        if pool:
            return pool.pop()
        m = self.module
        handle = _create(m.method, m.d, m.s, m.C, m.seed, device)
        flat, grads = m._flat_blocks(device)
        check(lib.gomhc_layer_bind(handle, ptr(flat), ptr(grads)), "gomhc_layer_bind")
        self.all.append(handle)
        return handle

    def give_back(self, device, handle):
        self.free.setdefault(device, []).append(handle)

    def close(self):
        for handle in self.all:
            lib.gomhc_layer_destroy(handle)
        self.all, self.free = [], {}


class _Tape:
    """One forward of the layer: its C layer, tokens, and the tensors the C
    layer points at until the backward."""

    def __init__(self, module, device, tokens):
        self.module, self.device, self.tokens = module, device, tokens
        self.handle = module._layers.take(device)
        self.post_done = False
        self.done = False
        self.x = self.f = self.dx = None
        self._finalizer = weakref.finalize(self, module._layers.give_back, device, self.handle)

    def release(self):
        if not self.done:
            self.done = True
            self.x = self.f = self.dx = None
            self._finalizer()

    def set_stream(self):
        if self.device.type == "cuda":
            stream = torch.cuda.current_stream(self.device).cuda_stream
            check(lib.gomhc_set_cuda_stream(None, stream), "gomhc_set_cuda_stream")


class _Pre(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tape, x, *params):
        m = tape.module
        y = outputs.empty((tape.tokens, m.C), x.device)
        tape.set_stream()
        check(lib.gomhc_layer_pre(tape.handle, tape.tokens, ptr(x), ptr(y)), "layer pre")
        # The tape keeps X (and F, below) alive for the C layer, detached: F's
        # graph leads back to this node, whose ctx holds the tape, and a cycle
        # through autograd's C++ graph is never collected.
        tape.x = x.detach()
        ctx.tape = tape
        return y

    @staticmethod
    def backward(ctx, dy):
        tape = ctx.tape
        m = tape.module
        dy = dy.contiguous()
        tape.set_stream()
        handed_over = tape.post_done
        if not tape.post_done:  # the layer's output got no gradient (or was never made)
            if tape.f is None:
                f = outputs.empty((tape.tokens, m.C), tape.x.device, zero=True)
                scratch = outputs.empty_like(tape.x)
                check(lib.gomhc_layer_post(tape.handle, tape.tokens, ptr(tape.x), ptr(f),
                                           ptr(scratch)), "layer post")
                tape.f = f
            _post_backward(tape, outputs.empty_like(tape.x, zero=True))
        # pre_backward adds its part of dX into post_backward's dX, the tensor
        # _Post.backward already handed to autograd for X: autograd uses it only
        # once every consumer of X (this node too) has run, so X's gradient is
        # whole without a second buffer or a sum.
        dx = tape.dx
        check(lib.gomhc_layer_zero_grads(tape.handle), "gomhc_layer_zero_grads")
        check(lib.gomhc_layer_pre_backward(tape.handle, tape.tokens, ptr(dy), ptr(dx)),
              "layer pre_backward")
        grads = m._grads_of(tape.device)
        tape.dx = None
        tape.release()
        return (None, None if handed_over else dx, *grads)


def _post_backward(tape, dx_next):
    dx = outputs.empty_like(tape.x)
    df = outputs.empty((tape.tokens, tape.module.C), tape.x.device)
    check(lib.gomhc_layer_post_backward(tape.handle, tape.tokens, ptr(dx_next), ptr(dx),
                                        ptr(df)), "layer post_backward")
    tape.post_done = True
    tape.dx = dx
    return dx, df


class _Post(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tape, x, f):
        x_next = outputs.empty_like(x)
        tape.set_stream()
        check(lib.gomhc_layer_post(tape.handle, tape.tokens, ptr(x), ptr(f), ptr(x_next)),
              "layer post")
        tape.f = f.detach()
        ctx.tape = tape
        return x_next

    @staticmethod
    def backward(ctx, dx_next):
        tape = ctx.tape
        tape.set_stream()
        dx, df = _post_backward(tape, dx_next.contiguous())
        return None, dx, df


class HyperConnection(torch.nn.Module):
    """A hyper-connection around `branch` (any callable [..., C] -> [..., C]).

    method: residual, hc, mhc, mhc-lite, kromhc, go or go-kron; d streams of
    C features; s the go / go-kron block size; seed the initialisation's.
    layer_index: the layer's place in the network (a transformer's attention
    and MLP of block b are 2b and 2b + 1); its gates start favouring stream
    layer_index mod d. symmetric=True starts every stream alike instead.
    forward(X) with X [..., d, C] returns H_res X + H_post^T branch(H_pre X);
    with branch None it returns (H_pre X, complete), where complete(F) gives
    that output from the branch's output F [..., C].
    """

    def __init__(self, method, d, s, C, branch=None, seed=0, layer_index=0, symmetric=False):
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"gomhc_torch: unknown method {method!r}; one of {', '.join(METHODS)}")
        if int(layer_index) < 0:
            raise ValueError(f"gomhc_torch: layer_index = {layer_index}, expected >= 0")
        self.method, self.d, self.s, self.C, self.seed = method, int(d), int(s), int(C), int(seed)
        self.layer_index, self.symmetric = int(layer_index), bool(symmetric)
        self.branch = branch
        self._names = []
        self._layers = _Layers(self)
        self._blocks = {}
        # The seeded initial values, from a host layer of the same seed.
        handle = _create(method, self.d, self.s, self.C, self.seed, torch.device("cpu"),
                         self.layer_index, self.symmetric)
        try:
            self._num_params = lib.gomhc_layer_num_params(handle)
            values = None
            if self._num_params > 0:
                address = lib.gomhc_layer_params(handle)
                values = torch.frombuffer(
                    (ctypes.c_float * self._num_params).from_address(address),
                    dtype=torch.float32).clone()
            self._slices = []
            for index in range(lib.gomhc_layer_param_slice_count(handle)):
                slice_ = ParamSlice()
                check(lib.gomhc_layer_param_slice(handle, index, ctypes.byref(slice_)),
                      "gomhc_layer_param_slice")
                shape = tuple(slice_.shape[: slice_.rank])
                count = 1
                for extent in shape:
                    count *= extent
                name = slice_.name.decode()
                self._slices.append((name, slice_.offset, shape, count))
                self.register_parameter(name, torch.nn.Parameter(
                    values[slice_.offset: slice_.offset + count].reshape(shape).clone()))
                self._names.append(name)
        finally:
            lib.gomhc_layer_destroy(handle)

    def extra_repr(self):
        start = "symmetric" if self.symmetric else f"layer_index={self.layer_index}"
        return (f"method={self.method!r}, d={self.d}, s={self.s}, C={self.C}, seed={self.seed}, "
                f"{start}")

    def __del__(self):
        layers = self.__dict__.get("_layers")
        if layers is not None:
            layers.close()

    # The flat blocks the C layers are bound to, per device: the parameters
    # are copied in before each forward, the gradients read out after each
    # backward.
    def _flat_blocks(self, device):
        if device not in self._blocks:
            n = max(self._num_params, 1)
            self._blocks[device] = (torch.zeros(n, dtype=torch.float32, device=device),
                                    torch.zeros(n, dtype=torch.float32, device=device))
        return self._blocks[device]

    def _sync_params(self, device):
        flat, _ = self._flat_blocks(device)
        with torch.no_grad():
            for name, offset, _, count in self._slices:
                p = getattr(self, name)
                if p.device != device or p.dtype != torch.float32:
                    raise ValueError(f"gomhc_torch: parameter {name} is {p.dtype} on "
                                     f"{p.device}, the input float32 on {device}")
                flat[offset: offset + count].copy_(p.reshape(-1))

    def _grads_of(self, device):
        _, grads = self._flat_blocks(device)
        return [grads[offset: offset + count].reshape(shape).clone()
                for _, offset, shape, count in self._slices]

    def _check_input(self, x):
        require(x, "X")
        if x.dim() < 2 or tuple(x.shape[-2:]) != (self.d, self.C):
            raise ValueError(f"gomhc_torch: 'X' has shape {list(x.shape)}, expected "
                             f"[..., d={self.d}, C={self.C}]")

    def _start(self, x):
        """(y, complete) for the input X."""
        self._check_input(x)
        lead = x.shape[:-2]
        tokens = x.numel() // (self.d * self.C)
        if tokens == 0:
            raise ValueError(f"gomhc_torch: 'X' has shape {list(x.shape)}: no tokens")
        x2 = x.reshape(tokens, self.d, self.C)
        if self.method == "residual":  # d = 1, no coefficients: X + F(X)
            def complete_residual(f):
                require(f, "F", tuple(lead) + (self.C,), x.device)
                return x + f.unsqueeze(-2)
            return x2[:, 0, :].reshape(*lead, self.C), complete_residual
        tape = _Tape(self, x.device, tokens)
        self._sync_params(x.device)  # after take(): binding a new C layer writes its own values
        params = [getattr(self, name) for name in self._names]
        y = _Pre.apply(tape, x2, *params)
        if not torch.is_grad_enabled() or not (x.requires_grad or
                                               any(p.requires_grad for p in params)):
            tape.post_done = True  # no backward will come

        def complete(f):
            require(f, "F", tuple(lead) + (self.C,), x.device)
            out = _Post.apply(tape, x2, f.reshape(tokens, self.C))
            if not out.requires_grad:
                tape.release()
            return out.reshape(*lead, self.d, self.C)

        return y.reshape(*lead, self.C), complete

    def forward(self, x):
        y, complete = self._start(x)
        if self.branch is None:
            return y, complete
        f = self.branch(y)
        if isinstance(f, torch.Tensor) and not f.is_contiguous():
            f = f.contiguous()
        return complete(f)


def expand_streams(x, d):
    """[..., C] -> [..., d, C]: the input copied into d residual streams."""
    return x.unsqueeze(-2).expand(*x.shape[:-1], d, x.shape[-1]).contiguous()


def reduce_streams(x):
    """[..., d, C] -> [..., C]: the streams summed (as gomhc's GPT combines them)."""
    return x.sum(dim=-2)
