#!/usr/bin/env bash
# All of ftpgate's benchmarks in one run, with the ratios (root, after scripts/install-deps.sh):
#  1. engine: Google Benchmark of the pure core (bytes/s, lines/s, memory per session, 1k-100k)
#  2. live latency: no queue / trivial NFQUEUE consumer / ftpgate / kernel FTP helper
#  3. session rate: ftpgate versus the kernel FTP helper
#  4. replay: ftpgate replay versus tshark -Y ftp and tcpdump -A on a large capture
#   bash scripts/bench.sh        env: RR_COUNT, SESSION_SECONDS, SESSION_THREADS, BIG_PCAP_MB
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-release}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j"$(nproc)" --target ftpgate engine_bench rr_tool trivial_consumer > /dev/null
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== 1. engine (Google Benchmark)"
"$build/tests/bench/engine_bench" --benchmark_counters_tabular=true 2> /dev/null | grep -E '^(BM_|Benchmark|-)'
echo "== 2-3. live, in the namespace lab"
bash "$top/scripts/bench_live.sh" "$build"
echo "== 4. replay"
bash "$top/scripts/bench_replay.sh" "$build"
