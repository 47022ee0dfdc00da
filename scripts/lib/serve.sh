# shellcheck shell=bash
# What tests/browser/run.sh and tests/contract/run.sh share, sourced by both: log lines, the
# rule for a missing prerequisite (fail under CI=true, skip elsewhere) and a seeded demo
# server on the embedded backend, whatever OCEAN_SETTINGS / OCEAN__* the caller has set.
#
# Set SERVE_LOG_TAG (the log lines' prefix) before sourcing; it sets ROOT (the repository)
# and TARGET_DIR (cargo's, absolute). Then, in this order:
#
#   serve_build           builds tourney-server (debug, --locked); sets SERVER_BIN
#   serve_fresh_env NAME  unsets the caller's OCEAN_SETTINGS and OCEAN__*, makes WORK (a
#                         temporary directory NAME.XXXXXX) and exports OCEAN__DATA_DIR under
#                         it and RUST_LOG (default info); on exit the server is stopped, its
#                         log copied to $ARTIFACTS/server.log and WORK removed. Export the
#                         run's own OCEAN__ settings after it.
#   serve_seed LOCATION   seed-demo into the data directory: 20 photographers at LOCATION
#                         ("lat,lon"), 2 judges, 2 scored rounds, seed 1
#   serve_start           starts `tourney-server serve --listen 127.0.0.1:0` in the
#                         background; sets SERVER_PID and ADDRESS (host:port) once it serves

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR

log() { printf '[%s] %s\n' "${SERVE_LOG_TAG:-serve}" "$*" >&2; }
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

serve_build() {
    command -v cargo >/dev/null || missing "cargo is needed"
    log "building tourney-server"
    (cd "$ROOT" && cargo build -p tourney-server --locked --quiet) || die "cargo build failed"
    SERVER_BIN=$TARGET_DIR/debug/tourney-server
    [[ -x $SERVER_BIN ]] || die "no $SERVER_BIN after the build"
}

serve_fresh_env() {
    local name
    while IFS='=' read -r name _; do
        unset "$name"
    done < <(env | grep -E '^OCEAN(_SETTINGS|__[A-Z0-9_]*)=' || true)
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    export OCEAN__DATA_DIR=$WORK/data
    export RUST_LOG=${RUST_LOG:-info}
    SERVER_PID=
    trap serve_cleanup EXIT
    trap 'exit 130' INT TERM
}

# The EXIT trap: stops the server, keeps its log, removes WORK.
serve_cleanup() {
    if [[ -n ${SERVER_PID:-} ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -f $WORK/server.log && -n ${ARTIFACTS:-} ]]; then
        mkdir -p "$ARTIFACTS" && cp "$WORK/server.log" "$ARTIFACTS/server.log"
    fi
    rm -rf "$WORK"
}

serve_seed() {
    log "seeding demo photos into a fresh data directory"
    "$SERVER_BIN" seed-demo --users 20 --judges 2 --rounds 2 --seed 1 --location "$1" \
        >"$WORK/seed.out" 2>"$WORK/seed.log" || { tail -n 20 "$WORK/seed.log" >&2; die "seed-demo failed"; }
    log "$(cat "$WORK/seed.out")"
}

serve_start() {
    "$SERVER_BIN" serve --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.log" &
    SERVER_PID=$!
    ADDRESS=
    for _ in $(seq 600); do
        ADDRESS=$(sed -n 's|^serving on http://\([^ ]*\).*|\1|p' "$WORK/server.out" | head -n 1)
        [[ -n $ADDRESS ]] && return
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/server.log" >&2; die "the server exited before serving"; }
        sleep 0.1
    done
    die "the server did not print its address within 60 s"
}
