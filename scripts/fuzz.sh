#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for a while, one after another, then
# prints a table: executions, coverage (libFuzzer's `cov` edges and `ft` features), corpus,
# peak memory and crashes per target.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]     SECONDS per target, default 600; default all
#
# Needs nightly and cargo-fuzz (`cargo +stable install cargo-fuzz --locked`). Each target
# starts from its seeds (fuzz/seeds/<target>/) plus what earlier runs kept in
# fuzz/corpus/<target>/; a crash leaves its input in fuzz/artifacts/<target>/ and the
# script exits 1 after the table (reproduce with `cargo +nightly fuzz run <target> <file>`).
# Logs: fuzz/target/fuzz-logs/<target>.log. Not part of .ci/run: ten minutes a target.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_PER_TARGET=${1:-600}
shift || true
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly}
LOGS=target/fuzz-logs

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "+$TOOLCHAIN" fuzz list)
fi

# Largest input per target: pictures and movies need room for a header, tables and data.
max_len() {
    case $1 in
        image | movie) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

# One build, then the binaries themselves: `cargo fuzz run` would rebuild before each target
# whenever a source changed meanwhile, and the table should describe one snapshot.
cargo "+$TOOLCHAIN" fuzz build
BIN_DIR=target/$(rustc "+$TOOLCHAIN" -vV | sed -n 's/^host: //p')/release
mkdir -p "$LOGS"

rows=()
n_crashed=0
for target in "${targets[@]}"; do
    corpus=corpus/$target
    mkdir -p "$corpus" "artifacts/$target"
    if [ -d "seeds/$target" ]; then
        cp -n "seeds/$target"/* "$corpus"/ 2>/dev/null || true
    fi
    log=$LOGS/$target.log
    crashes_before=$(find "artifacts/$target" -type f | wc -l)
    printf 'fuzz: %s for %ss (log: fuzz/%s)\n' "$target" "$SECONDS_PER_TARGET" "$log" >&2
    started=$SECONDS
    status=0
    "$BIN_DIR/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$target")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - started))
    crashes=$(($(find "artifacts/$target" -type f | wc -l) - crashes_before))
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes="exit $status"
    fi
    if [ "$status" -ne 0 ]; then
        n_crashed=$((n_crashed + 1))
    fi
    final_stat() { grep -o "^stat::$1: *[0-9]*" "$log" | tail -1 | grep -o '[0-9]*$' || echo '?'; }
    last_status=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)
    field() { printf '%s\n' "$last_status" | grep -o "$1: *[0-9/a-zA-Z]*" | head -1 | sed "s/^$1: *//"; }
    rows+=("| $target | $elapsed | $(final_stat number_of_executed_units) | $(final_stat average_exec_per_sec) | $(field cov) | $(field ft) | $(field corp) | $(final_stat peak_rss_mb) | $crashes |")
done

printf '\n| target | seconds | execs | execs/s | cov | ft | corpus (units/bytes) | peak RSS MB | crashes |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
[ "$n_crashed" -eq 0 ]
