#!/usr/bin/env bash
# Contract fuzzing: schemathesis against the running server's own /openapi.json.
#
#   tests/contract/run.sh
#
#  1. installs schemathesis (pinned below, from PyPI) into a venv under
#     ${CARGO_TARGET_DIR:-target}/contract-venv, reused while it holds that version;
#  2. builds the server (`cargo build -p tourney-server --locked`, debug);
#  3. seeds a fresh data directory (seed-demo: 20 photographers in Los Angeles, scored
#     votes) and starts `tourney-server serve --listen 127.0.0.1:0` on it, on the embedded
#     backend with Facebook login off (no Graph API here) and rate limits off;
#  4. signs a user up (POST /v1/users) and reads a board for real photo, user and place ids,
#     and /v1/config for the categories, which the test cases use for about half of their
#     `photo_id`, `user_id`, `place` and `category` parameters;
#  5. runs `schemathesis run` on /openapi.json: every operation, with that user's bearer
#     token (hooks.py; the two operations that end a token run as throwaway users), the
#     examples, coverage, fuzzing and stateful phases, CONTRACT_MAX_EXAMPLES examples per
#     operation, and the checks in schemathesis.toml (no 5xx; status codes, content types,
#     headers and bodies as documented; 401 without credentials; schema-invalid input
#     refused; 405 with Allow for other methods). Any failure fails the run;
#  6. checks the server is still up, then stops it.
#
# Settings (environment): CONTRACT_MAX_EXAMPLES (default 50: about a minute of fuzzing on 2 cores),
# CONTRACT_SEED (schemathesis's seed; default random, printed at the end),
# CONTRACT_ARTIFACTS (default ${CARGO_TARGET_DIR:-target}/contract-artifacts: the JUnit
# report, the server's log, and on failure a pytest file replaying each failure).
# With CI=true a missing prerequisite (python3 with venv, PyPI for the first install,
# cargo) fails the run; elsewhere it is reported and the run is skipped (exit 0).

set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

SERVE_LOG_TAG=contract
# shellcheck source=../../scripts/lib/serve.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/serve.sh"
HERE=$ROOT/tests/contract
VENV=$TARGET_DIR/contract-venv
ARTIFACTS=${CONTRACT_ARTIFACTS:-$TARGET_DIR/contract-artifacts}
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-50}
# Where the demo photos are (Los Angeles).
LOCATION="34.0522,-118.2437"

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi
[[ $MAX_EXAMPLES =~ ^[1-9][0-9]*$ ]] || die "CONTRACT_MAX_EXAMPLES=$MAX_EXAMPLES is not a positive number"

ensure_schemathesis() {
    command -v python3 >/dev/null || missing "python3 is needed (apt-get install -y python3 python3-venv)"
    if [[ -x $VENV/bin/schemathesis ]] &&
        [[ $("$VENV/bin/schemathesis" --version 2>/dev/null) == *" $SCHEMATHESIS_VERSION" ]]; then
        return
    fi
    log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" >/dev/null 2>&1 ||
        missing "python3 cannot make a venv (apt-get install -y python3-venv)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
        missing "pip could not install schemathesis==$SCHEMATHESIS_VERSION from PyPI ($VENV/bin/pip install schemathesis==$SCHEMATHESIS_VERSION)"
}

ensure_schemathesis
serve_build

# The server gets only these settings: the embedded backend in a fresh data directory,
# without Facebook login (its routes then answer 409 facebook_disabled).
serve_fresh_env contract
export OCEAN__IDENTITY__BACKEND=disabled
# Rate limits off: thousands of cases from one address and one user would be answered 429
# (documented, but refused before the input is checked). tests/it/abuse.rs checks them.
export OCEAN__APP__RATE_LIMITS__ENABLED=false
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/junit-*.xml "$ARTIFACTS"/test_schemathesis_*.py "$ARTIFACTS"/server.log

serve_seed "$LOCATION"
serve_start
BASE_URL=http://$ADDRESS
log "server on $BASE_URL"

# The main user, and real ids from the all-time board for the dictionaries.
"$VENV/bin/python" - "$BASE_URL" "$WORK" <<'PY' || die "could not sign up or read the board"
import json, sys, urllib.request

base, work = sys.argv[1], sys.argv[2]

def call(method, path, token=None):
    request = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)

user = call("POST", "/v1/users")
config = call("GET", "/v1/config")
board = call("GET", "/v1/leaderboards/female/all?when=alltime&count=50", user["token"])
photos = [entry["photo"]["id"] for entry in board["items"]]
owners = sorted({entry["photo"]["owner"]["id"] for entry in board["items"]})
places = sorted({entry["photo"]["place"]["id"] for entry in board["items"]}) + ["all"]
if len(photos) < 10:
    sys.exit(f"the seeded board has {len(photos)} photos, expected 20")
with open(f"{work}/token", "w") as f:
    f.write(user["token"])
# libFuzzer dictionaries: one quoted value a line.
with open(f"{work}/photo_ids.dict", "w") as f:
    f.write("".join(f'"{id}"\n' for id in photos))
with open(f"{work}/user_ids.dict", "w") as f:
    f.write("".join(f'"{id}"\n' for id in owners + [user["id"]]))
with open(f"{work}/places.dict", "w") as f:
    f.write("".join(f'"{id}"\n' for id in places))
with open(f"{work}/categories.dict", "w") as f:
    f.write("".join(f'"{name}"\n' for name in config["categories"]))
PY

log "schemathesis $SCHEMATHESIS_VERSION: every operation, $MAX_EXAMPLES examples each"
status=0
(
    cd "$WORK"
    cp "$HERE/schemathesis.toml" "$WORK/schemathesis.toml"
    CONTRACT_BASE_URL=$BASE_URL CONTRACT_TOKEN=$(cat "$WORK/token") \
        SCHEMATHESIS_HOOKS=$HERE/hooks.py \
        "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" --no-color \
        run "$BASE_URL/openapi.json" \
        --max-examples "$MAX_EXAMPLES" ${CONTRACT_SEED:+--seed "$CONTRACT_SEED"} \
        --report junit,pytest --report-dir "$ARTIFACTS"
) || status=$?
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the run (log: $ARTIFACTS/server.log)"
if ((status != 0)); then
    log "schemathesis failed (exit $status); reports and the server log in $ARTIFACTS"
    exit "$status"
fi
log "passed: 0 server errors, 0 responses that break the spec"
