"""libgomhc through ctypes: found, loaded once, its C API declared.

The bridge binds gomhc's C API (gomhc.h) instead of compiling against one
PyTorch's headers, so it works with whichever PyTorch the user has.
"""

import ctypes
import os
from pathlib import Path

_NAMES = ("libgomhc.so.0", "libgomhc.so")


def _candidates():
    env = os.environ.get("GOMHC_LIBRARY")
    if env:
        yield Path(env)
    here = Path(__file__).resolve().parent
    # Installed by `cmake --install`: PREFIX/lib/python3/dist-packages/gomhc_torch.
    for lib_dir in (here.parents[2], here.parents[3] / "lib"):
        for name in _NAMES:
            yield lib_dir / name
    # The source tree (python/gomhc_torch) beside a build in build/.
    for name in _NAMES:
        yield here.parents[1] / "build" / "runtime" / name
    for name in _NAMES:
        yield Path(name)  # the loader's own search (LD_LIBRARY_PATH, system)


def _load():
    tried = []
    for path in _candidates():
        if path.is_absolute() and not path.exists():
            tried.append(str(path))
            continue
        try:
            return ctypes.CDLL(str(path))
        except OSError as error:
            tried.append(f"{path} ({error})")
    raise ImportError(
        "gomhc_torch: libgomhc not found; set GOMHC_LIBRARY to its path. Tried: "
        + "; ".join(tried))


lib = _load()

_f = ctypes.POINTER(ctypes.c_float)
_i64, _int, _u64 = ctypes.c_int64, ctypes.c_int, ctypes.c_uint64
_vp = ctypes.c_void_p


class ParamSlice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("offset", _i64), ("rank", _int),
                ("shape", _i64 * 2)]


class OpTensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("rank", _int), ("shape", _i64 * 8), ("output", _int),
                ("adds", _int), ("ids_below", _i64)]


# The functions that are not ops: errors, threads, devices, the layer, and the
# op catalog, through which every op is called (ops.py).
_SIGNATURES = {
    "gomhc_last_error": (ctypes.c_char_p, []),
    "gomhc_set_num_threads": (_int, [_int]),
    "gomhc_num_threads": (_int, []),
    "gomhc_set_device": (_int, [_int]),
    "gomhc_cuda_available": (_int, []),
    "gomhc_set_cuda_stream": (_int, [_vp, _vp]),
    "gomhc_op_count": (_int, []),
    "gomhc_op_name": (ctypes.c_char_p, [_int]),
    "gomhc_op_sizes": (_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), _int,
                              ctypes.POINTER(_int), ctypes.POINTER(ctypes.c_char_p)]),
    "gomhc_op_tensors": (_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_double), _int,
                                ctypes.POINTER(OpTensor), _int, ctypes.POINTER(_int)]),
    "gomhc_op_examples": (_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_double), _int,
                                 ctypes.POINTER(_int)]),
    "gomhc_op_run": (_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_double), _int,
                            ctypes.POINTER(_vp), _int]),
    "gomhc_layer_create_on": (_int, [ctypes.c_char_p, _int, _int, _i64, _u64, _int,
                                     ctypes.POINTER(_vp)]),
    "gomhc_layer_create_at": (_int, [ctypes.c_char_p, _int, _int, _i64, _u64, _int, _i64, _int,
                                     ctypes.POINTER(_vp)]),
    "gomhc_layer_destroy": (None, [_vp]),
    "gomhc_layer_num_params": (_i64, [_vp]),
    "gomhc_layer_params": (_vp, [_vp]),
    "gomhc_layer_param_slice_count": (_int, [_vp]),
    "gomhc_layer_param_slice": (_int, [_vp, _int, ctypes.POINTER(ParamSlice)]),
    "gomhc_layer_bind": (_int, [_vp, _vp, _vp]),
    "gomhc_layer_zero_grads": (_int, [_vp]),
    "gomhc_layer_pre": (_int, [_vp, _i64, _vp, _vp]),
    "gomhc_layer_post": (_int, [_vp, _i64, _vp, _vp, _vp]),
    "gomhc_layer_post_backward": (_int, [_vp, _i64, _vp, _vp, _vp]),
    "gomhc_layer_pre_backward": (_int, [_vp, _i64, _vp, _vp]),
}
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes

DEVICE_HOST, DEVICE_CUDA = 0, 1


class GomhcError(RuntimeError):
    """A kernel failure or something this build or machine cannot do."""


def check(status, call):
    """Raises for a nonzero gomhc status, with gomhc_last_error()'s text."""
    if status != 0:
        message = (lib.gomhc_last_error() or b"").decode(errors="replace")
        kind = ValueError if status == 1 else GomhcError
        raise kind(f"{call}: {message}")
