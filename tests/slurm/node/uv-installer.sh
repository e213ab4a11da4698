#!/bin/sh
# The test cluster's nodes only: what the node's curl stand-in serves in
# place of https://astral.sh/uv/install.sh (no route to astral.sh here).
# Like astral's installer it puts uv and uvx into $UV_INSTALL_DIR (SkyPilot
# sets it to the cluster's "$HOME/.local/bin"); the binaries are PyPI's uv
# wheel's, unpacked by cluster.sh next to this file.
set -eu
dest=${UV_INSTALL_DIR:-$HOME/.local/bin}
src=@NODE_DIR@/uv
mkdir -p "$dest"
cp "$src/uv" "$src/uvx" "$dest/"
chmod 755 "$dest/uv" "$dest/uvx"
echo "installing to $dest"
