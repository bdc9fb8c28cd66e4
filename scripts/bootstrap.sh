#!/usr/bin/env bash
# Installs what gomhc needs that this Debian machine lacks, then configures
# the build tree in ./build (or $GOMHC_BUILD_DIR). Safe to run again: it
# installs nothing that is already there and reuses the build tree, whose
# generated kernels are cached between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ libhalide14-0-dev llvm-14-dev libbenchmark-dev doctest-dev gnuplot-nox
          libcli11-dev nlohmann-json3-dev bible-kjv libopenblas-dev zlib1g-dev libopenmpi-dev
          openmpi-bin python3-torch pocl-opencl-icd ocl-icd-opencl-dev clinfo libclblast-dev
          clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir="${GOMHC_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
