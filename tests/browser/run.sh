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
#     tournament reported too quickly held for review, see the board change, comment, follow, every main screen at a desktop and a phone size), then
#     stops the server.
#
# Screenshots and the server's log go to target/browser-artifacts/ (E2E_ARTIFACTS to change).
# The photo uploaded is the first JPEG under ../shared/data/ if there is one (E2E_PHOTO to
# choose another), else one the browser draws. The server runs on the embedded backend
# whatever OCEAN_SETTINGS / OCEAN__* the caller has set. With CI=true a missing
# prerequisite fails the run; elsewhere it is reported and the run is skipped (exit 0).

set -euo pipefail

SERVE_LOG_TAG=browser
# shellcheck source=../../scripts/lib/serve.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/serve.sh"
HERE=$ROOT/tests/browser
ARTIFACTS=${E2E_ARTIFACTS:-$TARGET_DIR/browser-artifacts}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
# Where the demo photos are (Los Angeles); e2e.mjs's browser reports the same location.
LOCATION="34.0522,-118.2437"

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
serve_build

# The server gets only these settings: the embedded backend in a fresh data directory,
# scoring every second so the board moves within the test, and votes held for review when
# they come within a second of their proposal (a tournament report within 15 s), which
# e2e.mjs waits out for its pairs and does not for its tournament.
serve_fresh_env browser-e2e
export OCEAN__APP__SCORE_INTERVAL_SECS=1
export OCEAN__APP__MIN_VOTE_DELAY_MS=1000
export E2E_MIN_VOTE_DELAY_MS=$OCEAN__APP__MIN_VOTE_DELAY_MS
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png

serve_seed "$LOCATION"
serve_start
log "server on http://$ADDRESS/app/"

PHOTO=${E2E_PHOTO:-}
if [[ -z $PHOTO ]]; then
    PHOTO=$(find "$ROOT/../shared/data" -maxdepth 2 -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) 2>/dev/null | sort | head -n 1 || true)
fi
[[ -z $PHOTO || -r $PHOTO ]] || die "E2E_PHOTO=$PHOTO cannot be read"
log "photo to upload: ${PHOTO:-drawn by the browser}"

E2E_BASE_URL=http://$ADDRESS E2E_ARTIFACTS=$ARTIFACTS E2E_PHOTO=$PHOTO CHROMIUM=$CHROMIUM \
    node "$HERE/e2e.mjs" || { log "server log: $ARTIFACTS/server.log"; exit 1; }
