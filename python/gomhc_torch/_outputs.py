"""Host output tensors the bridge reuses.

glibc hands large blocks (above 32 MiB, a layer's X at T = 4096, d = 4,
C = 768 is 48 MiB) straight back to the system when they are freed, so every
fresh output of that size is page-faulted in and zeroed by the kernel again:
that cost the bridge more than its kernels did. The bridge therefore keeps
the memory of its large CPU outputs and hands it out again once no tensor
uses it any more.

Each block is a ctypes array; the tensors over it come from torch.frombuffer,
whose storage holds a reference to the array for as long as any tensor or
view of it lives (autograd's saved tensors and .grad included). A block whose
only references are this cache's is free. CUDA outputs and small ones come
from PyTorch's own allocator.
"""

import ctypes
import math
import sys
import threading

import torch

# Below this many bytes glibc keeps freed blocks itself.
_MIN_BYTES = 1 << 20
# torch's own CPU allocations are 64-byte aligned; the kernels' vector loads
# are fastest from there too.
_ALIGNMENT = 64

_lock = threading.Lock()
_blocks = {}  # element count -> [ctypes arrays]
_enabled = True


def _free(blocks, index):
    # A free block's references: the cache's list and getrefcount's argument.
    return sys.getrefcount(blocks[index]) == 2


def _over(block, count, shape):
    offset = (-ctypes.addressof(block)) % _ALIGNMENT
    return torch.frombuffer(block, dtype=torch.float32, count=count,
                            offset=offset).view(shape)


def empty(shape, device, zero=False, dtype=torch.float32):
    """A tensor of `shape` on `device`, uninitialised (zero=True: zeros);
    large float32 CPU ones over memory the bridge reuses."""
    shape = tuple(shape)
    count = math.prod(shape)
    if (not _enabled or device.type != "cpu" or dtype != torch.float32
            or count * 4 < _MIN_BYTES):
        make = torch.zeros if zero else torch.empty
        return make(shape, dtype=dtype, device=device)
    with _lock:
        blocks = _blocks.setdefault(count, [])
        for index in range(len(blocks)):
            if _free(blocks, index):
                tensor = _over(blocks[index], count, shape)
                return tensor.zero_() if zero else tensor
        block = (ctypes.c_float * (count + _ALIGNMENT // 4))()  # zero-filled
        blocks.append(block)
        return _over(block, count, shape)


def empty_like(tensor, zero=False):
    return empty(tensor.shape, tensor.device, zero, tensor.dtype)


def release_cached():
    """Frees the kept blocks no tensor uses (tensors still alive keep theirs)."""
    with _lock:
        for count, blocks in list(_blocks.items()):
            busy = [blocks[i] for i in range(len(blocks)) if not _free(blocks, i)]
            if busy:
                _blocks[count] = busy
            else:
                del _blocks[count]


def cached_bytes():
    """Bytes of host memory the bridge keeps for its outputs, in use or not."""
    with _lock:
        return sum(ctypes.sizeof(b) for blocks in _blocks.values() for b in blocks)


def set_output_cache(enabled):
    """Whether large CPU outputs reuse kept memory (the default) or come from
    PyTorch's allocator each call; turning it off frees the unused blocks."""
    global _enabled
    _enabled = bool(enabled)
    if not _enabled:
        release_cached()
