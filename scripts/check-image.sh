#!/usr/bin/env bash
# Reproduces the Dockerfile's install and start steps on this host (no container engine runs here):
# a production-only install from the lockfile into a fresh folder on the image's Node.js (the LTS line
# from scripts/node-lts), with the native SQLite module compiled from source as in the build stage; the
# compiled dist/ copied in; the folder made read-only; then, as an unprivileged user (nobody), the image's
# entrypoint: `rosterd --version`, `rosterd validate` of every deploy config and, when the daemon exists,
# `rosterd run` up to /livez and /readyz and a clean SIGTERM exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/node-lts.sh
node_lts_setup
[ -f dist/cli/main.js ] || npx tsc -p tsconfig.build.json || true
[ -f dist/cli/main.js ] || { echo "check-image: dist/ is missing; run npm run build" >&2; exit 1; }

work=$(mktemp -d /tmp/rosterd-image.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
app="$work/app"
mkdir -p "$app"

echo "== production install (npm ci --omit=dev) on node $("$NODE_LTS_BIN/node" --version)"
cp package.json package-lock.json "$app/"
start=$SECONDS
(cd "$app" && PATH="$NODE_LTS_BIN:$PATH" npm_config_nodedir="$NODE_LTS_DIR" npm_config_build_from_source=true \
  npm ci --omit=dev --no-audit --no-fund --loglevel=error)
echo "   installed in $((SECONDS - start)) s"
for dev in typescript vitest dockerfilelint kubernetes-models; do
  [ ! -e "$app/node_modules/$dev" ] || { echo "check-image: dev dependency $dev was installed" >&2; exit 1; }
done
cp -r dist bin schemas "$app/"
chmod -R a-w "$app"

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- env -i PATH="$NODE_LTS_BIN:/usr/bin:/bin" HOME=/nonexistent NODE_ENV=production "$@"; }
rosterd() { as_nobody node "$app/bin/rosterd.js" "$@"; }

echo "== rosterd --version (as nobody, install folder read-only)"
version=$(rosterd --version)
echo "   $version"
expected=$(node -p "require('./package.json').version")
[[ "$version" == *"$expected"* ]] || { echo "check-image: expected version $expected" >&2; exit 1; }

echo "== rosterd validate: every deploy config (as nobody)"
mkdir -p "$work/configs"
configs=()
while IFS= read -r f; do
  copy="$work/configs/$(echo "$f" | tr '/' '_')"
  cp "$f" "$copy"
  configs+=(-c "$copy")
done < <(find deploy -name oneroster.yaml | sort)
chmod -R a+rX "$work/configs"
rosterd validate "${configs[@]}"

if [ -f dist/cli/run.js ]; then
  echo "== rosterd run (as nobody): /livez, /readyz, SIGTERM"
  data="$work/data"
  mkdir -p "$data"
  chown nobody:nogroup "$data"
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  cat > "$work/configs/run.yaml" <<YAML
version: 1
storage: { url: "sqlite:$data/rosterd.db" }
server: { listen: "127.0.0.1:$port" }
exports: { dir: "$data/exports" }
integrations:
  - name: image-check
    sis:
      version: "1.2"
      tokenUrl: http://127.0.0.1:9/oauth/token
      urlPrefix: http://127.0.0.1:9/ims/oneroster/rostering/v1p2
      clientId: check
      clientSecret: { env: ROSTERD_IMAGE_CHECK_SECRET }
      orgId: district-001
    schedule: { syncDaily: false }
YAML
  chmod a+r "$work/configs/run.yaml"
  # Not through the as_nobody function: backgrounding a function forks a subshell, and the signal must reach
  # node itself (setpriv and env exec into it, so $! is node's PID, as PID 1 is in the container).
  setpriv --reuid=nobody --regid=nogroup --clear-groups -- env -i PATH="$NODE_LTS_BIN:/usr/bin:/bin" HOME=/nonexistent \
    NODE_ENV=production ROSTERD_IMAGE_CHECK_SECRET=not-used-no-sync-runs \
    node "$app/bin/rosterd.js" run -c "$work/configs/run.yaml" > "$work/daemon.log" 2>&1 &
  daemon_pid=$!
  ready=
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$ready" ]; then echo "check-image: the daemon did not become ready" >&2; cat "$work/daemon.log" >&2; exit 1; fi
  curl -fsS "http://127.0.0.1:$port/livez" >/dev/null
  metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
  grep -q '^rosterd_build_info' <<<"$metrics" || { echo "check-image: /metrics has no rosterd_build_info" >&2; exit 1; }
  [ "$(readlink -f /proc/$daemon_pid/exe)" = "$(readlink -f "$NODE_LTS_BIN/node")" ] || { echo "check-image: $daemon_pid is not the node process" >&2; exit 1; }
  kill -TERM "$daemon_pid"
  code=0
  wait "$daemon_pid" || code=$?
  daemon_pid=
  [ "$code" -eq 0 ] || { echo "check-image: rosterd run exited $code after SIGTERM" >&2; cat "$work/daemon.log" >&2; exit 1; }
  [ -f "$data/rosterd.db" ] || { echo "check-image: no store written to the data volume" >&2; exit 1; }
  echo "   ready, served /livez and /metrics, exited 0 on SIGTERM"
else
  echo "== rosterd run: not built yet (dist/cli/run.js missing), start step skipped"
fi
echo "check-image: ok"
