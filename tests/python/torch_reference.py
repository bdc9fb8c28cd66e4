"""The hyper-connection layer and gomhc's core ops in plain PyTorch, written
from docs/math.md (sections 1-3) and independent of gomhc: the yardstick the
bridge's tests (in float64) and benchmark (in float32) compare with."""

import itertools

import torch

RMS_EPS = 1e-6
SINKHORN_ITERATIONS = 20


def skew(params, n):
    """[T][n(n-1)/2] -> A [T][n][n], A = U - U^T, U's strict upper triangle row by row."""
    t = params.shape[0]
    rows, cols = torch.triu_indices(n, n, offset=1)
    u = params.new_zeros((t, n, n))
    u[:, rows, cols] = params
    return u - u.transpose(1, 2)


def cayley(params, d, s):
    n = d * s
    a = skew(params, n)
    eye = torch.eye(n, dtype=params.dtype, device=params.device).expand_as(a)
    return torch.linalg.solve(eye + a, eye - a)


def orthostochastic(q, d, s):
    t = q.shape[0]
    return (q * q).reshape(t, d, s, d, s).sum(dim=(2, 4)) / s


def stream_read(x, h_pre):
    return torch.einsum("tj,tjc->tc", h_pre, x)


def stream_write(x, h_res, h_post, f):
    return torch.einsum("tij,tjc->tic", h_res, x) + h_post.unsqueeze(-1) * f.unsqueeze(1)


def go(logits, d, s):
    return orthostochastic(cayley(logits, d, s), d, s)


def go_kron_factors(d):
    best = max(a for a in range(2, d + 1) if a * a <= d and d % a == 0)
    return best, d // best


def kron(a, b):
    t, p, _ = a.shape
    q = b.shape[1]
    return (a[:, :, None, :, None] * b[:, None, :, None, :]).reshape(t, p * q, p * q)


def mixer(method, logits, d, s):
    t = logits.shape[0]
    if method == "hc":
        return logits.reshape(t, d, d)
    if method == "mhc":
        l = logits.reshape(t, d, d)
        f = l.new_zeros((t, d))
        g = l.new_zeros((t, d))
        for _ in range(SINKHORN_ITERATIONS):
            f = -torch.logsumexp(l + g[:, None, :], dim=2)
            g = -torch.logsumexp(l + f[:, :, None], dim=1)
        return torch.exp(l + f[:, :, None] + g[:, None, :])
    if method == "mhc-lite":
        w = torch.softmax(logits, dim=1)
        perms = list(itertools.permutations(range(d)))
        mats = logits.new_zeros((len(perms), d, d))
        for k, perm in enumerate(perms):
            mats[k, torch.arange(d), torch.tensor(perm)] = 1
        return torch.einsum("tk,kij->tij", w, mats)
    if method == "kromhc":
        h = logits.new_ones((t, 1, 1))
        for level in range(logits.shape[1]):
            tl = torch.sigmoid(logits[:, level])
            b = torch.stack([tl, 1 - tl, 1 - tl, tl], dim=1).reshape(t, 2, 2)
            h = kron(h, b)
        return h
    if method == "go":
        return go(logits, d, s)
    if method == "go-kron":
        d1, d2 = go_kron_factors(d)
        n1 = d1 * s
        p1 = n1 * (n1 - 1) // 2
        return kron(go(logits[:, :p1], d1, s), go(logits[:, p1:], d2, s))
    raise ValueError(method)


def coefficients(x, W, b, a_pre, a_post, a_res, method, d, s):
    """(h_pre [T][d], h_post [T][d], h_res [T][d][d]) of streams x [T][d][C]."""
    t = x.shape[0]
    flat = x.reshape(t, -1)
    x_norm = flat / torch.sqrt((flat * flat).mean(dim=1, keepdim=True) + RMS_EPS)
    z = x_norm @ W.t()
    h_pre = torch.sigmoid(a_pre * z[:, :d] + b[:d])
    h_post = 2 * torch.sigmoid(a_post * z[:, d:2 * d] + b[d:2 * d])
    logits = a_res * z[:, 2 * d:] + b[2 * d:]
    return h_pre, h_post, mixer(method, logits, d, s)


def layer(x, params, method, d, s, branch):
    """H_res X + H_post^T branch(H_pre X) for X [..., d, C]; params: W, b,
    a_pre, a_post, a_res (residual: none, X + branch(X))."""
    lead, c = x.shape[:-2], x.shape[-1]
    if method == "residual":
        return x + branch(x[..., 0, :]).unsqueeze(-2)
    x2 = x.reshape(-1, d, c)
    h_pre, h_post, h_res = coefficients(x2, *params, method, d, s)
    y = stream_read(x2, h_pre)
    f = branch(y.reshape(*lead, c)).reshape(-1, c)
    return stream_write(x2, h_res, h_post, f).reshape(*lead, d, c)
