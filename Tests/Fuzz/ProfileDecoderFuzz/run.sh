#!/bin/sh
# Builds the profile.proto decoder with libFuzzer + AddressSanitizer and fuzzes it.
# Usage: Tests/Fuzz/ProfileDecoderFuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# Work files go to ${FUZZ_WORK:-/tmp/gbsnap-fuzz-profile} (corpus, crashes); nothing is written
# into the repository.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${FUZZ_WORK:-/tmp/gbsnap-fuzz-profile}
SECONDS_TO_RUN=${1:-300}
[ $# -gt 0 ] && shift
mkdir -p "$WORK/build" "$WORK/corpus" "$WORK/seeds" "$WORK/artifacts"

# Seeds: every sample profile, inflated (and one gzipped, to exercise the envelope).
for f in "$ROOT"/Tests/Fixtures/samples/*/*.pb.gz "$ROOT"/Tests/Fixtures/samples/*/pprof-cli/*.pb.gz; do
    name=$(echo "$f" | sed "s|$ROOT/Tests/Fixtures/samples/||; s|/|_|g")
    gzip -dc "$f" > "$WORK/seeds/${name%.gz}"
done
cp "$ROOT/Tests/Fixtures/samples/go1.27/heap-gc-b.pb.gz" "$WORK/seeds/heap-gc-b.gzipped"

FLAGS="-sanitize=fuzzer,address -parse-as-library -O -g"
# (no -g here: with -g the driver's module-wrap job collides with -c on Linux)
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ArchiveIO -emit-module -emit-module-path "$WORK/build/ArchiveIO.swiftmodule" \
    -I "$ROOT/Sources/CZlib" -c "$ROOT/Sources/ArchiveIO/Gzip.swift" -o "$WORK/build/ArchiveIO.o"
swiftc $FLAGS -module-name Profiles -I "$WORK/build" -I "$ROOT/Sources/CZlib" \
    "$ROOT/Sources/Profiles/Profile.swift" "$ROOT/Sources/Profiles/ProfileDecoder.swift" \
    "$ROOT/Sources/Profiles/ProfileEncoder.swift" "$ROOT"/Sources/Profiles/Protobuf*.swift \
    "$HERE/FuzzProfileDecoder.swift" "$WORK/build/ArchiveIO.o" -lz -o "$WORK/build/fuzz-profile-decoder"

exec "$WORK/build/fuzz-profile-decoder" "$WORK/corpus" "$WORK/seeds" \
    -max_total_time="$SECONDS_TO_RUN" -max_len=262144 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$WORK/artifacts/" "$@"
