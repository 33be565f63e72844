#!/bin/sh
# Runs every fuzz target (or the ones named) for SECS seconds each (default 180), one after the
# other on one core, and prints each run's final libFuzzer stats line.
#   fuzz/run.sh                     # all targets, 3 minutes each
#   SECS=60 fuzz/run.sh blf pcap    # two targets, 1 minute each
#   EXTRA=/tmp/corpora fuzz/run.sh  # also read EXTRA/<target>/ (never written: a read-only seed dir)
# libFuzzer copies every input that adds coverage into the first corpus directory, EXTRA's too.
# So with EXTRA (third-party traces must not land in the repository) the grown corpus goes to
# OUT/<target>/ (default /tmp/otadiag-fuzz-corpus) and corpus/<target>/ is only read.
set -u
cd "$(dirname "$0")"
SECS=${SECS:-180}
TARGETS=${*:-"candump trc asc blf pcap detect chunked decode_can decode_packet decode_capture"}
mkdir -p logs
export RUSTC_BOOTSTRAP=1   # cargo-fuzz passes nightly-only flags; stable rustc accepts them with this
cargo fuzz build || exit 1
for t in $TARGETS; do
    mkdir -p "corpus/$t"
    dirs="corpus/$t"
    if [ -n "${EXTRA:-}" ]; then
        out="${OUT:-/tmp/otadiag-fuzz-corpus}/$t"
        mkdir -p "$out"
        dirs="$out corpus/$t"
        if [ -d "$EXTRA/$t" ]; then dirs="$dirs $EXTRA/$t"; fi
    fi
    cargo fuzz run "$t" $dirs -- \
        -max_total_time="$SECS" -max_len=32768 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    rc=$?
    echo "== $t (exit $rc)"
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "logs/$t.log" | tail -1
    grep -E 'stat::number_of_executed_units|SUMMARY|panicked at|Test unit written' "logs/$t.log"
done
