#!/bin/sh
# Builds the execution-trace reader (Sources/Traces) with libFuzzer + AddressSanitizer and fuzzes it.
# Usage: Tests/Fuzz/TraceReaderFuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# Seeds: the Go 1.27 sample trace, plus any real traces in $TRACE_SEEDS (a directory, e.g. traces
# captured by the TracesTests). Work files go to ${FUZZ_WORK:-/tmp/gbsnap-fuzz-trace}; nothing is
# written into the repository.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${FUZZ_WORK:-/tmp/gbsnap-fuzz-trace}
SECONDS_TO_RUN=${1:-300}
[ $# -gt 0 ] && shift
mkdir -p "$WORK/build" "$WORK/corpus" "$WORK/seeds" "$WORK/artifacts"
cp "$ROOT/Tests/Fixtures/samples/go1.27/trace-1s.bin" "$WORK/seeds/go1.27-trace-1s.bin"
cp "$ROOT/Tests/Fixtures/samples/go1.19/trace-1s.first64.bin" "$WORK/seeds/go1.19-first64.bin"
if [ -n "${TRACE_SEEDS:-}" ]; then cp "$TRACE_SEEDS"/* "$WORK/seeds/"; fi

swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name Traces \
    "$ROOT"/Sources/Traces/*.swift "$HERE/FuzzTraceReader.swift" -o "$WORK/build/fuzz-trace-reader"

exec "$WORK/build/fuzz-trace-reader" "$WORK/corpus" "$WORK/seeds" \
    -max_total_time="$SECONDS_TO_RUN" -max_len=1048576 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$WORK/artifacts/" "$@"
