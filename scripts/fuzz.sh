#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan on the core too) and runs each for
# SECONDS (default 60). New crashers land in tests/fuzz/crashers/TARGET/; keep them, named.
#   bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build=$top/build-fuzz
CXX=clang++ cmake -S "$top" -B "$build" -DFTPGATE_SANITIZE=ON -DFTPGATE_FUZZ=ON -DFTPGATE_BENCH=OFF > /dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_parsers fuzz_session
for t in parsers session; do
  mkdir -p "$top/tests/fuzz/crashers/$t" "$build/corpus-$t"
  "$build/tests/fuzz_$t" -max_total_time="$secs" -artifact_prefix="$top/tests/fuzz/crashers/$t/" \
    "$build/corpus-$t" "$top/tests/fuzz/corpus/$t"
done
