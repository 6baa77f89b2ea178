#!/usr/bin/env bash
# Builds the fuzz targets, seeds their corpora from the real data ($BGPWATCH_DATA) and the
# repository's own files, runs each target for SECONDS and reports executions and crashes.
# Exits non-zero on any crash (or timeout / out-of-memory), naming the input file that did it.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      default: 60 s each, every target
#   FUZZ_ARGS="-jobs=2 -dict=..."           more libFuzzer options
#
# Build: the stable toolchain has no `-Z` flags, so RUSTC_BOOTSTRAP=1 unlocks AddressSanitizer
# (FUZZ_SANITIZER=none builds without it); the coverage instrumentation is the same set of
# flags `cargo fuzz` passes. `--target` keeps them off build scripts and proc macros. No
# cargo-fuzz install is needed (saves its build in CI); `cargo fuzz run TARGET` works too.
# Corpora grow in target/fuzz/corpus/<target>/ and scratch (seeds, logs) goes to target/fuzz/:
# both hold copies of shared data (libFuzzer keeps seeds that add coverage), so they stay where
# the repository's data-copy check (tests/data_manifest.rs) does not walk. Crashes land in
# fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"

SECONDS_EACH="${1:-60}"
shift || true
ALL_TARGETS=(ris_live_line bmp_stream mrt_file watchlist_yaml bgpalerter_import config_toml http_api)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
DATA="${BGPWATCH_DATA:-$(pwd)/../../shared/data}"
SANITIZER="${FUZZ_SANITIZER:-address}"
if [ ! -d "$DATA" ]; then
  echo "fuzz/run.sh: BGPWATCH_DATA=$DATA does not exist (the seeds come from it)" >&2
  exit 2
fi

# --- build ---------------------------------------------------------------------------------
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
FLAGS=(-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cforce-frame-pointers)
if [ "$SANITIZER" = address ]; then
  FLAGS+=(-Zsanitizer=address -Cunsafe-allow-abi-mismatch=sanitizer)
fi
build_start=$(date +%s)
RUSTC_BOOTSTRAP=1 RUSTFLAGS="${FLAGS[*]}" cargo build --locked --release --target "$TRIPLE" \
  $(printf -- '--bin %s ' "${TARGETS[@]}")
echo "fuzz/run.sh: build took $(( $(date +%s) - build_start )) s (sanitizer: $SANITIZER)"
BIN="target/$TRIPLE/release"
# The bundled SQLite has two function-local arrays named `aiOff`: ASan's ODR check mistakes
# them for one global defined twice.
export ASAN_OPTIONS="detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# --- seeds (regenerated each run, from the data as it is now) ------------------------------
WORK=../target/fuzz
SEEDS="$WORK/seeds"
CORPUS="$WORK/corpus"

# RIS Live: one websocket frame per file (every line of the small captures, 150 of the 1k one).
seed_ris_live_line() {
  for f in "$DATA"/ris-live/*.jsonl "$DATA"/ris-live/libbgpstream.ris-live-stream.json; do
    head -n 150 "$f" | split -l 1 -a 4 - "$1/$(basename "$f")."
  done
}
# BMP: the TCP streams of the router captures, cut at message boundaries.
seed_bmp_stream() {
  rustc -O --edition 2021 -o "$WORK/bmp_from_pcap" seeds/bmp_from_pcap.rs
  "$WORK/bmp_from_pcap" "$1" "$DATA"/bmp/*.pcap >/dev/null
}
# MRT: the first 8 KiB of every MRT file (first records) decompressed, the small files whole
# (gzip and bzip2 for the decompression path), the lab router samples.
seed_mrt_file() {
  local f name
  for f in "$DATA"/mrt/*/*; do
    name="$(basename "$f")"
    case "$f" in
      *.dat*) continue ;;
      *.gz) { gzip -dc "$f" 2>/dev/null || true; } | head -c 8192 > "$1/$name.head" ;;
      *.bz2) { bzip2 -dc "$f" 2>/dev/null || true; } | head -c 8192 > "$1/$name.head" ;;
      *) head -c 8192 "$f" > "$1/$name.head" ;;
    esac
    if [ "$(stat -c %s "$f")" -le 16384 ]; then cp "$f" "$1/$name"; fi
  done
}
# Watchlists: the repository's own and the scenario fixtures.
seed_watchlist_yaml() { cp ../prefixes/*.yaml ../fixtures/scenarios/*.yaml "$1/"; }
# BGPalerter: a hand-written prefixes.yml, and one made from the first Pakistani blocks.
seed_bgpalerter_import() {
  cp seeds/bgpalerter/*.yml "$1/"
  head -n 25 "$DATA"/rir/PK_IPv4.*.txt | grep -E '^[0-9]' |
    awk '{ printf "%s:\n  description: PK block %d\n  asn: [17557]\n  ignoreMorespecifics: false\n", $1, NR }' \
    > "$1/pk-blocks.yml"
}
# Config: the documented example, and a minimal one.
seed_config_toml() {
  cp ../bgpwatch.example.toml "$1/"
  printf '[detect]\nmin_peers = 2\n' > "$1/minimal.toml"
}
# HTTP: hand-written requests (seeds/http/*.req); the token is http_api::TOKEN.
seed_http_api() { cp seeds/http/*.req "$1/"; }

mkdir -p "$WORK"
for t in "${TARGETS[@]}"; do
  rm -rf "${SEEDS:?}/$t"
  mkdir -p "$SEEDS/$t" "$CORPUS/$t" "artifacts/$t"
  "seed_$t" "$SEEDS/$t"
done

# --- run -----------------------------------------------------------------------------------
declare -A MAX_LEN=([mrt_file]=65536 [bmp_stream]=65536)
failed=0
summary=()
for t in "${TARGETS[@]}"; do
  log="$WORK/$t.log"
  dirs=("$CORPUS/$t" "$SEEDS/$t")
  [ -d "regressions/$t" ] && dirs+=("regressions/$t")
  echo "fuzz/run.sh: $t for $SECONDS_EACH s"
  set +e
  "$BIN/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len="${MAX_LEN[$t]:-16384}" -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" ${FUZZ_ARGS:-} "${dirs[@]}" </dev/null >"$log" 2>&1
  status=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  corpus="$(find "$CORPUS/$t" -type f | wc -l)"
  if [ "$status" -eq 0 ]; then
    summary+=("$(printf '%-18s ok     %10s execs  %4s s  corpus files %5s' "$t" "${execs:-?}" "$SECONDS_EACH" "$corpus")")
  else
    failed=1
    crash="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    summary+=("$(printf '%-18s CRASH  %10s execs  input %s' "$t" "${execs:-?}" "fuzz/${crash:-?}")")
    echo "---- $t (exit $status), log $(realpath "$log"):" >&2
    grep -E -A12 "panicked at|ERROR: (AddressSanitizer|libFuzzer)|==ERROR" "$log" | head -40 >&2 || tail -n 30 "$log" >&2
  fi
done

echo "fuzz/run.sh: results ($SECONDS_EACH s per target)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz/run.sh: crash found; reproduce with fuzz/target/$TRIPLE/release/TARGET FILE" >&2
  exit 1
fi
