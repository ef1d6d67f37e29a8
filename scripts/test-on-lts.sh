#!/usr/bin/env bash
# Runs the test suite on the Node.js LTS the Docker image runs (scripts/node-lts), next to the main
# Node 20 setup without touching it: the project is copied to a separate folder, better-sqlite3 is rebuilt
# there for the LTS with --nodedir (the headers ship in the npm `node` package: no download), dist/ is
# rebuilt, and vitest runs with that Node first on PATH (child processes use process.execPath, so the CLI
# under test runs on it too).
#   bash scripts/test-on-lts.sh                 the whole suite
#   bash scripts/test-on-lts.sh test/config     a subset (any vitest arguments)
# ROSTERD_LTS_WORKDIR keeps the copy (and its compiled module) between runs; by default a temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/node-lts.sh
node_lts_setup
lts_version=$("$NODE_LTS_BIN/node" --version)

if [ -n "${ROSTERD_LTS_WORKDIR:-}" ]; then
  copy="$ROSTERD_LTS_WORKDIR"
  mkdir -p "$copy"
else
  copy=$(mktemp -d /tmp/rosterd-lts.XXXXXX)
  trap 'rm -rf "$copy"' EXIT
fi

echo "== copying the project to $copy"
# The copy's own node_modules (minus the compiled module) so the main tree's Node 20 build stays intact.
tar -C "$root" \
  --exclude=./.git --exclude=./dist --exclude=./data --exclude=./exports --exclude=./coverage \
  --exclude=./scripts/node-lts/node_modules --exclude=./node_modules/.cache \
  --exclude=./node_modules/better-sqlite3/build \
  -cf - . | tar -C "$copy" -xf -

stamp="$copy/node_modules/better-sqlite3/build/.built-for"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lts_version" ]; then
  echo "== rebuilding better-sqlite3 for node $lts_version (--nodedir, from source)"
  start=$SECONDS
  (cd "$copy" && PATH="$NODE_LTS_BIN:$PATH" npm rebuild better-sqlite3 \
     --nodedir="$NODE_LTS_DIR" --build-from-source --no-audit --no-fund --loglevel=error)
  echo "$lts_version" > "$stamp"
  echo "   rebuilt in $((SECONDS - start)) s"
fi

cd "$copy"
export PATH="$NODE_LTS_BIN:$PATH"
echo "== node $(node --version): build"
node node_modules/typescript/bin/tsc -p tsconfig.build.json || echo "(tsc reported type errors; dist/ was still emitted)"
node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()" >/dev/null
echo "== node $(node --version): vitest run $*"
node node_modules/vitest/vitest.mjs run "$@"
