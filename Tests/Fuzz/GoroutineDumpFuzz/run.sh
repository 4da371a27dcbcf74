#!/usr/bin/env bash
# Builds the libFuzzer harness for the goroutine dump / count profile / expvar parsers and runs it.
# usage: run.sh [SECONDS] [extra libFuzzer flags...]   (default 300 s; corpus kept in $FUZZ_WORK/corpus, default ./.build/corpus)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
seconds="${1:-300}"
shift || true
work="${FUZZ_WORK:-$here/.build}"
corpus="$work/corpus"
mkdir -p "$work" "$corpus"

# Seed the corpus from the real samples: selector byte 0 = debug=2, 1 = debug=1, 2 = expvar.
samples="$root/Tests/Fixtures/samples"
seed() { # selector file
    local name
    name="$corpus/seed-$1-$(basename "$(dirname "$2")")-$(basename "$2")"
    [ -e "$name" ] || { printf "\\x0$1" > "$name"; cat "$2" >> "$name"; }
}
for f in "$samples"/*/goroutine*.debug2.txt; do seed 0 "$f"; done
for f in "$samples"/*/goroutine*.debug1.txt "$samples"/*/goroutineleak*.debug1.txt "$samples"/*/threadcreate.debug1.txt \
         "$samples"/*/block.debug1.txt "$samples"/*/mutex.debug1.txt; do seed 1 "$f"; done
for f in "$samples"/*/vars-*.json; do seed 2 "$f"; done

sources=(
    "$root/Sources/Profiles/GoroutineSignature.swift"
    "$root/Sources/Profiles/GoroutineByteText.swift"
    "$root/Sources/Profiles/GoroutineDump.swift"
    "$root/Sources/Profiles/GoroutineProfileText.swift"
    "$root/Sources/Profiles/ExpVars.swift"
    "$here/FuzzEntry.swift"
)
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name GoroutineDumpFuzz \
    "${sources[@]}" -o "$work/goroutine-dump-fuzz"

# Dictionary of format tokens helps the fuzzer reach deep parser states.
cat > "$work/goroutine.dict" <<'DICT'
"goroutine "
" ["
"]:"
"] {"
"}:"
", 1 minutes"
", locked to thread"
" (leaked)"
" (scan)"
"created by "
" in goroutine "
"...51 frames elided..."
"...additional frames elided..."
"[originating from goroutine 1]:"
"\x09/src/main.go:10 +0x1d"
" profile: total "
" @ 0x1 0x2"
"# labels: {\"k\":\"v\"}"
"#\x090x1\x09main.f+0x1\x09/a.go:1"
"\"memstats\""
"\"PauseNs\""
"\"NumGC\""
"\\u00e9"
"\\ud83d\\ude00"
DICT

exec "$work/goroutine-dump-fuzz" "$corpus" -dict="$work/goroutine.dict" -max_total_time="$seconds" \
    -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$@"
