"""What a PyTorch benchmark ran with, read from the process itself: the BLAS
library and the allocator actually loaded (so a table can say which PyTorch
it measured: Debian's as it comes, or bench/pytorch_env.sh's)."""

import torch


def loaded_libraries():
    with open("/proc/self/maps") as maps:
        return {line.split()[-1] for line in maps if "/" in line.split()[-1]}


def describe():
    libraries = loaded_libraries()
    blas = sorted(p for p in libraries if "blas" in p.rsplit("/", 1)[-1])
    blas_text = ", ".join(p.replace("/usr/lib/x86_64-linux-gnu/", "") for p in blas) or "built in"
    allocator = "jemalloc" if any("jemalloc" in p for p in libraries) else "glibc malloc"
    return (f"PyTorch {torch.__version__}, BLAS {blas_text}, {allocator}, "
            f"{torch.get_num_threads()} threads")
