"""Argument checks that name the tensor and the problem, and the device and
stream a call runs on."""

import torch

from ._library import DEVICE_CUDA, DEVICE_HOST, check, lib


def require(tensor, name, shape=None, device=None, dtype=torch.float32):
    """A contiguous tensor of `dtype` (float32, or int32 for token ids) and
    `shape` (None entries: any extent) on `device`; returns it. Raises
    TypeError or ValueError naming `name`."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"gomhc_torch: '{name}' is a {type(tensor).__name__}, not a tensor")
    if tensor.dtype != dtype:
        convert = ".float()" if dtype == torch.float32 else ".int()"
        raise TypeError(f"gomhc_torch: '{name}' has dtype {tensor.dtype}; gomhc takes "
                        f"{dtype} here (convert with {convert})")
    if device is not None and tensor.device != device:
        raise ValueError(f"gomhc_torch: '{name}' is on {tensor.device}, the call's other "
                         f"tensors on {device}")
    if tensor.device.type not in ("cpu", "cuda"):
        raise ValueError(f"gomhc_torch: '{name}' is on {tensor.device}; gomhc runs on the CPU "
                         "and CUDA")
    if not tensor.is_contiguous():
        raise ValueError(f"gomhc_torch: '{name}' is not contiguous (strides {tensor.stride()} "
                         f"for shape {tuple(tensor.shape)}); pass .contiguous()")
    if shape is not None:
        ok = tensor.dim() == len(shape) and all(
            want is None or got == want for got, want in zip(tensor.shape, shape))
        if not ok:
            wanted = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
            raise ValueError(f"gomhc_torch: '{name}' has shape {list(tensor.shape)}, "
                             f"expected {wanted}")
    return tensor


def on_device(device):
    """Points gomhc's core ops (this thread) at `device`, on PyTorch's current
    CUDA stream there."""
    if device.type == "cuda":
        check(lib.gomhc_set_device(DEVICE_CUDA), "gomhc_set_device")
        stream = torch.cuda.current_stream(device).cuda_stream
        check(lib.gomhc_set_cuda_stream(None, stream), "gomhc_set_cuda_stream")
    else:
        check(lib.gomhc_set_device(DEVICE_HOST), "gomhc_set_device")


def ptr(tensor):
    return tensor.data_ptr()
