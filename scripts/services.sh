#!/usr/bin/env bash
# Local servers that speak the real AWS and PostgreSQL wire protocols, for the adapters'
# integration tests: `scripts/services.sh start|stop|status|env`.
#
#   moto (PyPI, pinned)  DynamoDB, SQS, SNS, Kinesis   http://127.0.0.1:${MOTO_PORT:-5000}
#                        (through scripts/moto-serial.py: one DynamoDB request at a time)
#   s3-local (this repo) S3 through s3s-fs             http://127.0.0.1:${S3_PORT:-9000}
#   PostgreSQL 15        places and tag search         postgres://postgres@127.0.0.1:5432/test
#
# Idempotent: `start` installs what is missing (a Python venv under target/services, the
# s3-local binary, PostGIS from apt), starts what is not running, and waits for every port.
# `env` prints the variables the tests read. State lives in target/services (rebuildable).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
MOTO_PORT=${MOTO_PORT:-5000}
S3_PORT=${S3_PORT:-9000}
DIR=${SERVICES_DIR:-$PWD/target/services}
VENV=$DIR/venv

log() { printf 'services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds
    local name=$1 port=$2 deadline=$((SECONDS + $3))
    until port_open "$port"; do
        if ((SECONDS >= deadline)); then
            log "$name did not open port $port; its log: $DIR/$name.log"
            tail -20 "$DIR/$name.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    log "$name is up on 127.0.0.1:$port"
}

start_moto() {
    if port_open "$MOTO_PORT"; then log "moto already up on $MOTO_PORT"; return; fi
    if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
        log "installing moto $MOTO_VERSION into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            "moto[dynamodb,s3,sqs,sns,kinesis,server]==$MOTO_VERSION" flask flask-cors
    fi
    # moto with DynamoDB requests one at a time (scripts/moto-serial.py says why).
    nohup "$VENV/bin/python" scripts/moto-serial.py 127.0.0.1 "$MOTO_PORT" >"$DIR/moto.log" 2>&1 &
    echo $! >"$DIR/moto.pid"
    wait_port moto "$MOTO_PORT" 30
}

start_s3() {
    if port_open "$S3_PORT"; then log "s3-local already up on $S3_PORT"; return; fi
    cargo build --quiet --locked -p s3-local
    local target=${CARGO_TARGET_DIR:-$PWD/target}
    mkdir -p "$DIR/s3"
    nohup "$target/debug/s3-local" --root "$DIR/s3" --port "$S3_PORT" >"$DIR/s3-local.log" 2>&1 &
    echo $! >"$DIR/s3-local.pid"
    wait_port s3-local "$S3_PORT" 30
}

start_postgres() {
    if ! port_open 5432; then
        log "starting PostgreSQL 15"
        pg_ctlcluster --skip-systemctl-redirect 15 main start
        wait_port postgresql 5432 30
    fi
    if [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
        log "installing PostGIS from apt"
        (apt-get install -y --no-install-recommends postgresql-15-postgis-3 >/dev/null 2>&1 \
            || { apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql-15-postgis-3 >/dev/null; })
    fi
    log "PostgreSQL is up on 127.0.0.1:5432"
}

stop_one() {
    local pidfile=$DIR/$1.pid
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null && log "stopped $1" || true
        rm -f "$pidfile"
    fi
}

print_env() {
    cat <<VARS
export OCEAN_TEST_MOTO_URL=http://127.0.0.1:$MOTO_PORT
export OCEAN_TEST_S3_URL=http://127.0.0.1:$S3_PORT
export OCEAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test
VARS
}

mkdir -p "$DIR"
case ${1:-} in
start)
    start_postgres
    start_moto
    start_s3
    ;;
stop)
    stop_one moto
    stop_one s3-local
    ;;
status)
    for service in "moto $MOTO_PORT" "s3-local $S3_PORT" "postgresql 5432"; do
        set -- $service
        if port_open "$2"; then echo "$1: up on $2"; else echo "$1: down"; fi
    done
    ;;
env) print_env ;;
*)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
