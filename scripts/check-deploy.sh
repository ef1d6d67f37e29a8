#!/usr/bin/env bash
# Renders and checks everything rosterd ships for Kubernetes, offline, in a few seconds:
#   the Dockerfile (dockerfilelint); the kustomize base and every overlay (kubectl kustomize), each
#   validated against the Kubernetes and Prometheus Operator schemas plus rosterd's pod rules
#   (scripts/validate-manifests.mjs); every deploy config (rosterd validate); the alert rules and their unit
#   tests (promtool); the README's configuration reference against the schema.
# The rendered manifests are left in OUT (default dist/manifests/<overlay>.yaml), ready to apply or diff.
#   bash scripts/check-deploy.sh [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/manifests
if [ "${1:-}" = "--out" ]; then out=${2:?--out needs a folder}; fi
mkdir -p "$out"
command -v kubectl >/dev/null || { echo "check-deploy: kubectl not found (it renders kustomize offline)" >&2; exit 1; }
[ -f dist/cli/main.js ] || npx tsc -p tsconfig.build.json || true

echo "== dockerfilelint Dockerfile"
npx --no-install dockerfilelint Dockerfile

for dir in deploy/base deploy/overlays/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  echo "== kubectl kustomize $dir -> $out/$name.yaml"
  kubectl kustomize "$dir" > "$out/$name.yaml"
  node scripts/validate-manifests.mjs "$out/$name.yaml"
done

echo "== rosterd validate: the deploy configs"
mapfile -t configs < <(find deploy -name oneroster.yaml | sort)
node bin/rosterd.js validate $(printf -- '-c %s ' "${configs[@]}")

echo "== promtool: alert rules and their unit tests"
bash scripts/check-alerts.sh

echo "== README configuration reference"
node scripts/gen-config-reference.mjs --check

echo "check-deploy: ok (rendered manifests in $out/)"
