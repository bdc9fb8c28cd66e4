"""gomhc for PyTorch: go-mHC and every hyper-connection baseline as torch
modules over gomhc's ahead-of-time kernels (libgomhc, through its C API).

    import gomhc_torch
    hc = gomhc_torch.HyperConnection("go", d=4, s=2, C=768, branch=block)
    x = gomhc_torch.expand_streams(h, 4)     # [B, T, C] -> [B, T, 4, C]
    x = hc(x)
    h = gomhc_torch.reduce_streams(x)

Tensors are float32 and contiguous, on the CPU (or CUDA with a CUDA build of
gomhc, on PyTorch's current stream). set_num_threads sizes gomhc's thread
pool next to PyTorch's. Large CPU outputs reuse memory the bridge keeps
(set_output_cache, release_cached, cached_bytes).
"""

from ._library import GomhcError, check, lib
from ._outputs import cached_bytes, release_cached, set_output_cache
from .layer import METHODS, HyperConnection, expand_streams, reduce_streams
from .ops import cayley, orthostochastic, stream_read, stream_write

__all__ = ["HyperConnection", "expand_streams", "reduce_streams", "cayley", "orthostochastic",
           "stream_read", "stream_write", "set_num_threads", "num_threads", "METHODS",
           "GomhcError", "set_output_cache", "release_cached", "cached_bytes"]


def set_num_threads(threads):
    """Threads of gomhc's pool (0: every core); PyTorch's own stay as set."""
    check(lib.gomhc_set_num_threads(int(threads)), "gomhc_set_num_threads")


def num_threads():
    return lib.gomhc_num_threads()
