#!/usr/bin/env bash
# All of ftpgate's benchmarks in one run (root, after scripts/install-deps.sh), every live
# comparison interleaved in rounds (median of the per-round ratios, with min-max):
#  1. engine: Google Benchmark of the pure core (bytes/s, lines/s, memory per session, 1k-100k)
#  2. live (scripts/bench_live.sh): round trips and CPU per packet against the trivial NFQUEUE
#     consumer, session churn against the kernel FTP helper (and the queue's floor, and two
#     queues), HOLD_SESSIONS sessions held open with RSS and expectation counts
#  3. the verdict latency of the packets that carry PORT and 227 (scripts/bench_decision_latency.sh)
#  4. replay: ftpgate replay versus tshark -Y ftp and tcpdump -A on a large capture
#   bash scripts/bench.sh     env: as bench_live.sh, and DECISION_ROUNDS (10), BIG_PCAP_MB
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-release}
started=$(date +%s)
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j"$(nproc)" --target ftpgate engine_bench rr_tool trivial_consumer ftp_load ftp_bench_server > /dev/null
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== 1. engine (Google Benchmark)"
"$build/tests/bench/engine_bench" --benchmark_counters_tabular=true 2> /dev/null | grep -E '^(BM_|Benchmark|-)'
echo "== 2. live, in the namespace lab"
bash "$top/scripts/bench_live.sh" "$build"
echo "== 3. verdict latency of the packets carrying PORT and 227"
ROUNDS=${DECISION_ROUNDS:-10} TRANSFERS=10 bash "$top/scripts/bench_decision_latency.sh" "$build/ftpgate"
echo "== 4. replay"
bash "$top/scripts/bench_replay.sh" "$build"
echo "== bench.sh took $(($(date +%s) - started)) s"
