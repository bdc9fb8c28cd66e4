"""gomhc's core ops as autograd functions (docs/math.md, section 2):

    cayley(params, d, s)          params [T][n(n-1)/2] -> Q [T][n][n], n = d s
    orthostochastic(q, d, s)      Q [T][n][n] -> H [T][d][d]
    stream_read(x, h_pre)         x [T][d][C], h_pre [T][d] -> y [T][C]
    stream_write(x, h_res, h_post, f)
                                  -> x_next [T][d][C] = h_res x + h_post^T f

Every tensor is float32 and contiguous, on one device (CPU or CUDA).
"""

import torch

from ._library import check, lib
from ._tensors import on_device, ptr, require


def _pairs(n):
    return n * (n - 1) // 2


class _Cayley(torch.autograd.Function):
    @staticmethod
    def forward(ctx, params, d, s):
        n = d * s
        require(params, "params", (None, _pairs(n)))
        t = params.shape[0]
        q = torch.empty((t, n, n), dtype=torch.float32, device=params.device)
        on_device(params.device)
        check(lib.gomhc_cayley_forward(t, d, s, ptr(params), ptr(q)), "gomhc_cayley_forward")
        ctx.d, ctx.s = d, s
        ctx.save_for_backward(q)
        return q

    @staticmethod
    def backward(ctx, dq):
        (q,) = ctx.saved_tensors
        dq = dq.contiguous()
        dparams = torch.empty((q.shape[0], _pairs(ctx.d * ctx.s)), dtype=torch.float32,
                              device=q.device)
        on_device(q.device)
        check(lib.gomhc_cayley_backward(q.shape[0], ctx.d, ctx.s, ptr(q), ptr(dq), ptr(dparams)),
              "gomhc_cayley_backward")
        return dparams, None, None


class _Orthostochastic(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, d, s):
        n = d * s
        require(q, "q", (None, n, n))
        h = torch.empty((q.shape[0], d, d), dtype=torch.float32, device=q.device)
        on_device(q.device)
        check(lib.gomhc_orthostochastic_forward(q.shape[0], d, s, ptr(q), ptr(h)),
              "gomhc_orthostochastic_forward")
        ctx.d, ctx.s = d, s
        ctx.save_for_backward(q)
        return h

    @staticmethod
    def backward(ctx, dh):
        (q,) = ctx.saved_tensors
        dh = dh.contiguous()
        dq = torch.empty_like(q)
        on_device(q.device)
        check(lib.gomhc_orthostochastic_backward(q.shape[0], ctx.d, ctx.s, ptr(q), ptr(dh),
                                                 ptr(dq)), "gomhc_orthostochastic_backward")
        return dq, None, None


class _StreamRead(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h_pre):
        require(x, "x", (None, None, None))
        t, d, c = x.shape
        require(h_pre, "h_pre", (t, d), x.device)
        y = torch.empty((t, c), dtype=torch.float32, device=x.device)
        on_device(x.device)
        check(lib.gomhc_stream_read_forward(t, d, c, ptr(x), ptr(h_pre), ptr(y)),
              "gomhc_stream_read_forward")
        ctx.save_for_backward(x, h_pre)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, h_pre = ctx.saved_tensors
        t, d, c = x.shape
        dy = dy.contiguous()
        dx, dh_pre = torch.empty_like(x), torch.empty_like(h_pre)
        on_device(x.device)
        check(lib.gomhc_stream_read_backward(t, d, c, ptr(x), ptr(h_pre), ptr(dy), ptr(dx),
                                             ptr(dh_pre)), "gomhc_stream_read_backward")
        return dx, dh_pre


class _StreamWrite(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h_res, h_post, f):
        require(x, "x", (None, None, None))
        t, d, c = x.shape
        require(h_res, "h_res", (t, d, d), x.device)
        require(h_post, "h_post", (t, d), x.device)
        require(f, "f", (t, c), x.device)
        x_next = torch.empty_like(x)
        on_device(x.device)
        check(lib.gomhc_stream_write_forward(t, d, c, ptr(x), ptr(h_res), ptr(h_post), ptr(f),
                                             ptr(x_next)), "gomhc_stream_write_forward")
        ctx.save_for_backward(x, h_res, h_post, f)
        return x_next

    @staticmethod
    def backward(ctx, dx_next):
        x, h_res, h_post, f = ctx.saved_tensors
        t, d, c = x.shape
        dx_next = dx_next.contiguous()
        dx, dh_res = torch.empty_like(x), torch.empty_like(h_res)
        dh_post, df = torch.empty_like(h_post), torch.empty_like(f)
        on_device(x.device)
        check(lib.gomhc_stream_write_backward(t, d, c, ptr(x), ptr(h_res), ptr(h_post), ptr(f),
                                              ptr(dx_next), ptr(dx), ptr(dh_res), ptr(dh_post),
                                              ptr(df)), "gomhc_stream_write_backward")
        return dx, dh_res, dh_post, df


def cayley(params, d, s):
    """Q = (I + A)^-1 (I - A), A = U - U^T with the params filling U's strict
    upper triangle row by row."""
    return _Cayley.apply(params, d, s)


def orthostochastic(q, d, s):
    """H[i][j] = (1/s) * sum of squares of Q's s x s block (i, j)."""
    return _Orthostochastic.apply(q, d, s)


def stream_read(x, h_pre):
    """y = sum_j h_pre[j] x[j] per token."""
    return _StreamRead.apply(x, h_pre)


def stream_write(x, h_res, h_post, f):
    """x_next[i] = sum_j h_res[i][j] x[j] + h_post[i] f per token."""
    return _StreamWrite.apply(x, h_res, h_post, f)
