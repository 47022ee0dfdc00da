#!/usr/bin/env bash
# End-to-end test of the web client (/app/) in Debian's headless Chromium:
#
#   tests/browser/run.sh
#
#  1. installs Debian's chromium with apt-get when /usr/bin/chromium is missing (as root, or
#     with passwordless sudo), checks Node >= 20 and runs `npm ci` here when node_modules is
#     missing or older than package-lock.json (playwright-core only; never a browser download);
#  2. builds the server (`cargo build -p tourney-server --locked`, debug);
#  3. seeds a fresh data directory (seed-demo: 20 photographers in Los Angeles) and starts
#     `tourney-server serve --listen 127.0.0.1:0` on it, scoring every second;
#  4. runs e2e.mjs against it (sign up, upload, judge ten pairs and a tournament, see the
#     board change, comment, follow, every main screen at a desktop and a phone size), then
#     stops the server.
#
# Screenshots and the server's log go to target/browser-artifacts/ (E2E_ARTIFACTS to change).
# The photo uploaded is the first JPEG under ../shared/data/ if there is one (E2E_PHOTO to
# choose another), else one the browser draws. The server runs on the embedded backend
# whatever OCEAN_SETTINGS / OCEAN__* the caller has set. With CI=true a missing
# prerequisite fails the run; elsewhere it is reported and the run is skipped (exit 0).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/browser
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
ARTIFACTS=${E2E_ARTIFACTS:-$TARGET_DIR/browser-artifacts}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# Where the demo photos are (Los Angeles); e2e.mjs's browser reports the same location.
LOCATION="34.0522,-118.2437"

log() { printf '[browser] %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
# A prerequisite is missing: a failure under CI, a skip elsewhere.
missing() {
    if [[ ${CI:-} == true ]]; then
        die "$* (CI=true: a missing prerequisite fails the run)"
    fi
    log "skipped: $*"
    exit 0
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi

# Runs apt-get as root, or with passwordless sudo; fails when neither is possible.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

ensure_chromium() {
    [[ -x $CHROMIUM ]] && return
    [[ $CHROMIUM == /usr/bin/chromium ]] || missing "no browser at CHROMIUM=$CHROMIUM"
    log "installing Debian's chromium"
    as_root apt-get install -y chromium >/dev/null 2>&1 ||
        { as_root apt-get update >/dev/null 2>&1 && as_root apt-get install -y chromium >/dev/null 2>&1; } ||
        missing "chromium is not installed and could not be installed (apt-get install -y chromium as root)"
    [[ -x $CHROMIUM ]] || missing "apt-get installed chromium but $CHROMIUM is not there"
}

ensure_node() {
    command -v node >/dev/null && command -v npm >/dev/null ||
        missing "node and npm are needed (Node 20 or newer)"
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    ((major >= 20)) || missing "Node $(node --version) is too old: playwright-core needs Node 20 or newer"
    # npm ci when node_modules is missing or was installed from another lock file.
    local stamp=$HERE/node_modules/.installed-from-package-lock.json
    if [[ ! -d $HERE/node_modules/playwright-core ]] || ! cmp -s "$HERE/package-lock.json" "$stamp"; then
        log "npm ci in tests/browser"
        (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
        cp "$HERE/package-lock.json" "$stamp"
    fi
}

ensure_chromium
ensure_node
command -v cargo >/dev/null || missing "cargo is needed"

log "building tourney-server"
(cd "$ROOT" && cargo build -p tourney-server --locked --quiet) || die "cargo build failed"
SERVER_BIN=$TARGET_DIR/debug/tourney-server
[[ -x $SERVER_BIN ]] || die "no $SERVER_BIN after the build"

# The server gets only these settings: the embedded backend in a fresh data directory,
# scoring every second so the board moves within the test.
while IFS='=' read -r name _; do
    unset "$name"
done < <(env | grep -E '^OCEAN(_SETTINGS|__[A-Z0-9_]*)=' || true)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/browser-e2e.XXXXXX")
export OCEAN__DATA_DIR=$WORK/data
export OCEAN__APP__SCORE_INTERVAL_SECS=1
export RUST_LOG=${RUST_LOG:-info}
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png

SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -f $WORK/server.log ]] && cp "$WORK/server.log" "$ARTIFACTS/server.log"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "seeding demo photos into a fresh data directory"
"$SERVER_BIN" seed-demo --users 20 --judges 2 --rounds 2 --seed 1 --location "$LOCATION" \
    >"$WORK/seed.out" 2>"$WORK/seed.log" || { tail -n 20 "$WORK/seed.log" >&2; die "seed-demo failed"; }
log "$(cat "$WORK/seed.out")"

"$SERVER_BIN" serve --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
ADDRESS=
for _ in $(seq 600); do
    ADDRESS=$(sed -n 's|^serving on http://\([^ ]*\).*|\1|p' "$WORK/server.out" | head -n 1)
    [[ -n $ADDRESS ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/server.log" >&2; die "the server exited before serving"; }
    sleep 0.1
done
[[ -n $ADDRESS ]] || die "the server did not print its address within 60 s"
log "server on http://$ADDRESS/app/"

PHOTO=${E2E_PHOTO:-}
if [[ -z $PHOTO ]]; then
    PHOTO=$(find "$ROOT/../shared/data" -maxdepth 2 -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) 2>/dev/null | sort | head -n 1 || true)
fi
[[ -z $PHOTO || -r $PHOTO ]] || die "E2E_PHOTO=$PHOTO cannot be read"
log "photo to upload: ${PHOTO:-drawn by the browser}"

E2E_BASE_URL=http://$ADDRESS E2E_ARTIFACTS=$ARTIFACTS E2E_PHOTO=$PHOTO CHROMIUM=$CHROMIUM \
    node "$HERE/e2e.mjs" || { log "server log: $ARTIFACTS/server.log"; exit 1; }
