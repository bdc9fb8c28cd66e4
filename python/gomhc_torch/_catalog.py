"""The op catalog of libgomhc (gomhc_op_*): every op's sizes, its tensors at
given sizes, its examples, and a call by name. Nothing here names an op."""

import ctypes
from dataclasses import dataclass

from ._library import OpTensor, check, lib

_MAX = 64  # more sizes, tensors or example values than any op has


@dataclass(frozen=True)
class Tensor:
    """One tensor of an op at given sizes (gomhc_op_tensor)."""
    name: str
    shape: tuple
    output: bool
    adds: bool       # an output the op adds into
    ids_below: int   # > 0: int32 token ids below this, else float32


class Op:
    """One op of the catalog, as libgomhc describes it."""

    def __init__(self, name):
        self.name = name
        names = (ctypes.c_char_p * _MAX)()
        count, forward_of = ctypes.c_int(), ctypes.c_char_p()
        check(lib.gomhc_op_sizes(name.encode(), names, _MAX, ctypes.byref(count),
                                 ctypes.byref(forward_of)), "gomhc_op_sizes")
        self.sizes = tuple(names[i].decode() for i in range(count.value))
        self.forward_of = forward_of.value.decode()
        values = (ctypes.c_double * (_MAX * len(self.sizes)))()
        check(lib.gomhc_op_examples(name.encode(), values, len(values), ctypes.byref(count)),
              "gomhc_op_examples")
        k = len(self.sizes)
        self.examples = tuple(tuple(values[i * k:(i + 1) * k]) for i in range(count.value))

    def tensors(self, sizes):
        """The op's tensors at `sizes` (one value per name in self.sizes);
        ValueError with libgomhc's message for sizes that make none."""
        values = (ctypes.c_double * len(sizes))(*sizes)
        out = (OpTensor * _MAX)()
        count = ctypes.c_int()
        check(lib.gomhc_op_tensors(self.name.encode(), values, len(sizes), out, _MAX,
                                   ctypes.byref(count)), self.name)
        return [Tensor(t.name.decode(), tuple(t.shape[:t.rank]), bool(t.output), bool(t.adds),
                       int(t.ids_below)) for t in out[:count.value]]

    def run(self, sizes, pointers):
        """Runs the op on this thread's device, a pointer per tensor."""
        values = (ctypes.c_double * len(sizes))(*sizes)
        data = (ctypes.c_void_p * len(pointers))(*pointers)
        check(lib.gomhc_op_run(self.name.encode(), values, len(sizes), data, len(pointers)),
              self.name)


def ops():
    """Every op of the catalog, by name."""
    return {op.name: op for op in
            (Op(lib.gomhc_op_name(i).decode()) for i in range(lib.gomhc_op_count()))}
