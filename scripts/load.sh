#!/usr/bin/env bash
# HTTP under load: wrk against the real server on the embedded backend, next to a bare warp
# hello-world, on this machine, in one run. Prints a markdown table (req/s, p50, p99,
# non-2xx, ratio to the hello-world) and the server's memory after the load.
#
#   scripts/load.sh            # builds the release binaries first (a no-op when up to date)
#
# What it does, in order:
#  1. builds target/release/tourney-server and target/release/hello-warp;
#  2. seeds a fresh data directory (seed-demo: LOAD_PHOTOS photographers with one generated
#     photo each, processed and scored);
#  3. starts hello-warp and `tourney-server serve` on free loopback ports (each prints the
#     address it bound);
#  4. creates judges over HTTP (POST /v1/users, PATCH their location to the photos' place)
#     and has the vote judges ask for games until LOAD_VOTE_IDS matches are proposed;
#  5. runs wrk -t$LOAD_THREADS -c$LOAD_CONNECTIONS -d$LOAD_DURATION --latency against, in turn:
#     the hello-world, three floors on the same hello-world server (GET /body/{n}: a body as
#     large as the board page the server sends; PUT /write/{key}: one record written
#     through the embedded records port per request; PUT /vote/{key}: a read, a write and
#     a stream append, what any vote must do; scripts/load/writes.lua),
#     GET /v1/leaderboards/{category}/all, GET /v1/users/me/matches
#     (scripts/load/matches.lua) and PUT /v1/users/me/matches/{id} (scripts/load/votes.lua,
#     each proposed match voted once). Votes run last so the worker's scoring of them does
#     not overlap another run;
#  6. prints the table, the CPU and the server's memory after each run, and its VmHWM /
#     VmRSS at the end; stops both servers on exit.
#
# Settings (environment): LOAD_THREADS (2), LOAD_CONNECTIONS (64), LOAD_DURATION (20s),
# LOAD_PHOTOS (300), LOAD_BOARD_QUERY (none; e.g. "?count=10"), LOAD_VOTE_JUDGES (128),
# LOAD_VOTE_IDS (200000), LOAD_MATCH_JUDGES (256), CARGO_TARGET_DIR (where the binaries
# are, as for cargo), LOAD_KEEP=1 keeps the work directory (logs, wrk outputs),
# LOAD_SKIP_BUILD=1 skips cargo, LOAD_PERF=1 records the server's CPU profile during each
# run with `perf record -g` into $WORK/perf-NAME.data (implies LOAD_KEEP=1; read it with
# `perf report -i ...`).
# The server's own settings come from OCEAN__* as usual (OCEAN__DATA_DIR is set here, and
# OCEAN__APP__RATE_LIMITS__ENABLED=false: every request comes from 127.0.0.1, and a judge
# here votes far faster than the per-user vote limit lets a person) and
# RUST_LOG (default info: one log line per request, written to a file in the work directory).
# Traffic goes to 127.0.0.1 only. Needs wrk (Debian package `wrk`; installed with apt-get
# when missing and running as root or with passwordless sudo) and curl.

set -euo pipefail

THREADS=${LOAD_THREADS:-2}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
DURATION=${LOAD_DURATION:-20s}
PHOTOS=${LOAD_PHOTOS:-300}
VOTE_JUDGES=${LOAD_VOTE_JUDGES:-128}
VOTE_IDS=${LOAD_VOTE_IDS:-200000}
MATCH_JUDGES=${LOAD_MATCH_JUDGES:-256}
# The photos' place and the category judges see by default (the app's default_view_category).
LOCATION="34.0522,-118.2437"
CATEGORY=${LOAD_CATEGORY:-female}
# The board's query string, e.g. "?count=10" (default: none, so 50 entries of this week).
BOARD_QUERY=${LOAD_BOARD_QUERY:-}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SERVER_BIN=$TARGET_DIR/release/tourney-server
HELLO_BIN=$TARGET_DIR/release/hello-warp

log() { printf '[load] %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi

ensure_wrk() {
    command -v wrk >/dev/null && return
    log "wrk is missing: installing the Debian package"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo -n true 2>/dev/null || die "wrk is missing; install it: sudo apt-get install -y wrk"
        sudo=(sudo -n)
    fi
    "${sudo[@]}" apt-get install -y wrk >/dev/null 2>&1 ||
        { "${sudo[@]}" apt-get update >/dev/null && "${sudo[@]}" apt-get install -y wrk >/dev/null; } ||
        die "could not install wrk"
}
ensure_wrk
command -v curl >/dev/null || die "curl is missing"

if [[ ${LOAD_SKIP_BUILD:-0} != 1 ]]; then
    log "building release binaries"
    cargo build --release --quiet -p tourney-server -p benches --bin tourney-server --bin hello-warp
fi
[[ -x $SERVER_BIN && -x $HELLO_BIN ]] || die "missing $SERVER_BIN or $HELLO_BIN"

[[ ${LOAD_PERF:-0} == 1 ]] && LOAD_KEEP=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/load.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${LOAD_KEEP:-0} == 1 ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (up to 120 s) for the process `pid` to print "serving on http://ADDR" into `file`;
# prints ADDR.
wait_for_address() {
    local pid=$1 file=$2 address
    for _ in $(seq 1200); do
        address=$(sed -n 's|^serving on http://\([^ ]*\).*|\1|p' "$file" | head -n 1)
        if [[ -n $address ]]; then
            printf '%s\n' "$address"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || die "process $pid exited before serving (see $file)"
        sleep 0.1
    done
    die "process $pid did not print its address within 120 s"
}

export OCEAN__DATA_DIR=$WORK/data
# One address and judges voting hundreds of times a second: the rate limits would answer
# most of it 429 (tests/it/abuse.rs checks them; this measures the rest).
export OCEAN__APP__RATE_LIMITS__ENABLED=${OCEAN__APP__RATE_LIMITS__ENABLED:-false}
log "seeding $PHOTOS photos into $OCEAN__DATA_DIR"
"$SERVER_BIN" seed-demo --users "$PHOTOS" --judges 4 --rounds 3 --seed 1 \
    --location "$LOCATION" >"$WORK/seed.out" 2>"$WORK/seed.log" ||
    die "seed-demo failed (see $WORK/seed.log)"
log "$(cat "$WORK/seed.out")"

# Its PUT /write records go to the work directory, removed on exit like the rest.
"$HELLO_BIN" 127.0.0.1:0 "$WORK/hello-data" >"$WORK/hello.out" 2>"$WORK/hello.log" &
HELLO_PID=$!
PIDS+=("$HELLO_PID")
"$SERVER_BIN" serve --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
HELLO=http://$(wait_for_address "$HELLO_PID" "$WORK/hello.out")
SERVER=http://$(wait_for_address "$SERVER_PID" "$WORK/server.out")
log "hello-world on $HELLO, server on $SERVER"

# Prints a new judge's token; the judge is placed where the demo photos are.
new_judge() {
    local token
    token=$(curl -sf -X POST "$SERVER/v1/users" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
    [[ -n $token ]] || die "POST /v1/users gave no token"
    curl -sf -o /dev/null -X PATCH "$SERVER/v1/users/me" \
        -H "authorization: Bearer $token" -H 'content-type: application/json' \
        --data "{\"location\":\"$LOCATION\"}" || die "PATCH /v1/users/me failed"
    printf '%s\n' "$token"
}

log "creating $VOTE_JUDGES vote judges and $MATCH_JUDGES match judges"
: >"$WORK/vote-judges"
: >"$WORK/match-judges"
for _ in $(seq "$VOTE_JUDGES"); do new_judge >>"$WORK/vote-judges"; done
for _ in $(seq "$MATCH_JUDGES"); do new_judge >>"$WORK/match-judges"; done

# One judge asks for games `rounds` times on one connection; prints "TOKEN MATCH_ID" lines.
# A response carrying a tournament has fewer matches (or none); its tournament is left alone.
propose_for() {
    local token=$1 rounds=$2 urls=()
    for _ in $(seq "$rounds"); do urls+=("$SERVER/v1/users/me/matches"); done
    curl -sf -H "authorization: Bearer $token" "${urls[@]}" |
        grep -o '"match_id":"[0-9a-f]\{64\}"' | cut -d'"' -f4 | awk -v token="$token" '{ print token, $0 }'
}

# The cadence serves about 26 matches per 4 responses (10, a tournament, 8, 8): ask for
# 10 % more than that needs. The server took up to 8,000 votes a second on the 2-core
# machine (2026-12-07), so 200,000 matches last the 20 s with room to spare (the run
# checks it).
ROUNDS=$(((VOTE_IDS / VOTE_JUDGES) * 4 * 11 / (26 * 10) + 2))
log "proposing about $VOTE_IDS matches to the vote judges ($ROUNDS requests each)"
mkdir -p "$WORK/proposed"
n_judge=0
proposers=()
while read -r token; do
    n_judge=$((n_judge + 1))
    propose_for "$token" "$ROUNDS" >"$WORK/proposed/$n_judge" &
    proposers+=($!)
    if ((${#proposers[@]} == 2)); then
        wait "${proposers[@]}" || die "GET /v1/users/me/matches failed while proposing"
        proposers=()
    fi
done <"$WORK/vote-judges"
((${#proposers[@]} == 0)) || wait "${proposers[@]}" || die "GET /v1/users/me/matches failed while proposing"
# Interleave the judges (line k of every judge, then line k+1...), so concurrent votes
# come from many judges, as they would.
awk '{ print FNR "\t" $0 }' "$WORK"/proposed/* | sort -s -n -k1,1 | cut -f2 >"$WORK/votes"
N_PROPOSED=$(wc -l <"$WORK/votes")
N_UNIQUE=$(sort -u "$WORK/votes" | wc -l)
((N_PROPOSED == N_UNIQUE)) || die "a match was proposed twice to one judge"
((N_PROPOSED >= VOTE_IDS)) || die "only $N_PROPOSED matches proposed, wanted $VOTE_IDS"
log "$N_PROPOSED matches proposed"

VIEWER=$(head -n 1 "$WORK/match-judges")
WRK=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d$DURATION" --latency)

# CPU accounting, in clock ticks: the whole machine's process time (user + system) and its
# interrupt time (mostly loopback TCP in softirq), one process's, and this shell's waited-for
# children's (wrk). What is left of the process time is everything else on the machine.
TICKS_PER_S=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4, $7 + $8 }' /proc/stat; }
pid_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
children_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
cpu_sample() { echo "$(date +%s%N) $(machine_ticks) $(pid_ticks "$SERVER_PID") $(pid_ticks "$HELLO_PID") $(children_ticks)"; }
declare -A CPU
declare -A RSS
rss_of() { # pid -> "VmHWM X MB, VmRSS Y MB"
    awk '/^VmHWM|^VmRSS/ { printf "%s%s %.1f MB", sep, substr($1, 1, length($1) - 1), $2 / 1024; sep = ", " }' \
        "/proc/$1/status"
}

# run_wrk NAME ARGS...: one wrk run, its output kept in $WORK/wrk-NAME, and the CPU each
# party used meanwhile in CPU[NAME] ("server wrk hello-world others interrupts", % of one
# core).
run_wrk() {
    local name=$1 before after
    shift
    log "wrk: $name"
    local perf_pid=
    if [[ ${LOAD_PERF:-0} == 1 ]]; then
        perf record -q -g -p "$SERVER_PID" -o "$WORK/perf-$name.data" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    before=$(cpu_sample)
    "${WRK[@]}" "$@" >"$WORK/wrk-$name" 2>&1 || die "wrk failed: $(cat "$WORK/wrk-$name")"
    after=$(cpu_sample)
    RSS[$name]=$(rss_of "$SERVER_PID")
    if [[ -n $perf_pid ]]; then
        kill -INT "$perf_pid" && wait "$perf_pid" || true
    fi
    CPU[$name]=$(awk -v hz="$TICKS_PER_S" -v b="$before" -v a="$after" 'BEGIN {
        split(b, x); split(a, y)
        s = (y[1] - x[1]) / 1e9 * hz / 100  # ticks in the run per percent of one core
        busy = y[2] - x[2]; irq = y[3] - x[3]
        server = y[4] - x[4]; hello = y[5] - x[5]; wrk = y[6] - x[6]
        others = busy - server - hello - wrk; if (others < 0) others = 0
        printf "%.0f %.0f %.0f %.0f %.0f", server / s, wrk / s, hello / s, others / s, irq / s }')
}
BOARD_BYTES=$(curl -sf -o /dev/null -w '%{size_download}' -H "authorization: Bearer $VIEWER" \
    "$SERVER/v1/leaderboards/$CATEGORY/all$BOARD_QUERY") || die "GET the board failed"
run_wrk hello "$HELLO/"
run_wrk body "$HELLO/body/$BOARD_BYTES"
run_wrk write -s scripts/load/writes.lua "$HELLO"
run_wrk vote-floor -s scripts/load/writes.lua "$HELLO" -- vote
run_wrk board -H "authorization: Bearer $VIEWER" "$SERVER/v1/leaderboards/$CATEGORY/all$BOARD_QUERY"
run_wrk matches -s scripts/load/matches.lua "$SERVER" -- "$WORK/match-judges" "$THREADS"
run_wrk votes -s scripts/load/votes.lua "$SERVER" -- "$WORK/votes" "$THREADS"

SERVER_RSS=$(rss_of "$SERVER_PID")
HELLO_RSS=$(rss_of "$HELLO_PID")

# Latency as wrk prints it (850.00us, 1.23ms, 2.01s) in milliseconds.
to_ms() {
    awk -v t="$1" 'BEGIN {
        n = t + 0; unit = t; sub(/^[0-9.]+/, "", unit)
        if (unit == "us") n /= 1000; else if (unit == "s") n *= 1000; else if (unit == "m") n *= 60000
        printf "%.2f", n }'
}
rps_of() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk-$1"; }
pct_of() { to_ms "$(awk -v p="$2%" '$1 == p { print $2 }' "$WORK/wrk-$1")"; }
non2xx_of() { awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$WORK/wrk-$1"; }
errors_of() { sed -n 's/.*Socket errors: //p' "$WORK/wrk-$1"; }
total_of() { awk '/ requests in / { print $1 }' "$WORK/wrk-$1"; }

RAN_OUT=$(awk '/^ran out:/ { print $3 }' "$WORK/wrk-votes")
[[ ${RAN_OUT:-0} == 0 ]] || die "the votes run used up its $N_PROPOSED matches ($RAN_OUT requests were not votes): raise LOAD_VOTE_IDS"

HELLO_RPS=$(rps_of hello)
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency; $(nproc) cores ($(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1)); $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo
echo "| target | req/s | p50 | p99 | requests | non-2xx | ratio to hello |"
echo "|---|---|---|---|---|---|---|"
for run in hello body write vote-floor board matches votes; do
    case $run in
    hello) target="\`GET /\` bare warp hello-world" ;;
    body) target="\`GET /body/$BOARD_BYTES\` hello-world, the board's body size (floor)" ;;
    write) target="\`PUT /write/{key}\` hello-world + one record write (floor)" ;;
    vote-floor) target="\`PUT /vote/{key}\` hello-world + a read, a write, a stream append (floor)" ;;
    board) target="\`GET /v1/leaderboards/$CATEGORY/all$BOARD_QUERY\`" ;;
    matches) target="\`GET /v1/users/me/matches\`" ;;
    votes) target="\`PUT /v1/users/me/matches/{id}\` (votes)" ;;
    esac
    rps=$(rps_of "$run")
    ratio=$(awk -v a="$rps" -v b="$HELLO_RPS" 'BEGIN { printf "%.3fx", a / b }')
    echo "| $target | $rps | $(pct_of "$run" 50) ms | $(pct_of "$run" 99) ms | $(total_of "$run") | $(non2xx_of "$run") | $ratio |"
done
echo
for run in hello body write vote-floor board matches votes; do
    errors=$(errors_of "$run")
    [[ -z $errors ]] || echo "socket errors ($run): $errors"
done
echo "CPU during each run, % of one core (the machine has $(($(nproc) * 100)) %):"
echo
echo "| run | server | wrk | hello-world | other processes | interrupts (softirq) | server memory after it |"
echo "|---|---|---|---|---|---|---|"
for run in hello body write vote-floor board matches votes; do
    read -r server wrk hello others irq <<<"${CPU[$run]}"
    echo "| $run | $server % | $wrk % | $hello % | $others % | $irq % | ${RSS[$run]} |"
done
echo
echo "server after the load: $SERVER_RSS (hello-world: $HELLO_RSS)"
echo "votes: $(sed -n 's/^votes: //p' "$WORK/wrk-votes"); data: $PHOTOS photos, $VOTE_JUDGES vote judges, $MATCH_JUDGES match judges"
