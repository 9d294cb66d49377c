#!/usr/bin/env bash
# Overload: many concurrent control connections send NOOPs back to back through the router
# while ftpgate inspects them. Reports round-trip percentiles (queueing + verdict latency as the
# clients see it), how much went through uninspected, and whether inspection is back afterwards.
# When the kernel's queue for ftpgate is full, NFQA_CFG_F_FAIL_OPEN makes the kernel accept
# packets without queueing them (nothing is dropped); ftpgate sees those bytes as stream gaps
# (ftpgate_skipped_bytes_total) and resynchronises at the next line.
#   scripts/bench_overload.sh [BUILD_DIR]   env: CONNS (200), SECONDS_FLOOD (10), QUEUE_MAX_LEN (4096)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(dirname "$here")
build=$(realpath "${1:-$top/build}")
conns=${CONNS:-200}; secs=${SECONDS_FLOOD:-10}; qlen=${QUEUE_MAX_LEN:-4096}
LAB=fgflood; LAB_DIR=/tmp/fgflood
source "$here/lab.sh"
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2> /dev/null; lab_down; }
trap cleanup EXIT
lab_up
lab_start_vsftpd 4 21
in_server "$build/tests/bench/rr_tool" server "$SERVER4" 2121 &
lab_wait_listen 2121
# A figure; the queues' ones (labelled {queue="N"}) summed over the queues.
stat() { "$build/ftpgate" status --socket "$LAB_DIR/s.sock" | awk -v k="ftpgate_$1" '$1 == k || index($1, k "{queue=") == 1 {s += $2; n++} END {if (n) print s}'; }
flood() {  # label
  local n p50 p99 p999 pmax failed
  read -r n p50 p99 p999 pmax failed < <(in_client "$build/tests/bench/rr_tool" flood "$SERVER4" 2121 "$conns" "$secs")
  printf '  %-38s %7.0f exchanges/s, round trip median %7s us, p99 %7s us, p99.9 %7s us, max %7s us, failed conns %s\n' \
    "$1" "$(awk -v n="$n" -v s="$secs" 'BEGIN { print n / s }')" "$p50" "$p99" "$p999" "$pmax" "$failed"
}
run_ftpgate() {  # queue length
  ip netns exec "${LAB}r" "$build/ftpgate" run --queue 0 --ports 21,2121 --queue-max-len "$1" \
    --status-socket "$LAB_DIR/s.sock" > "$LAB_DIR/ftpgate.log" 2>&1 &
  daemon=$!
  for _ in $(seq 50); do [ -S "$LAB_DIR/s.sock" ] && break; sleep 0.1; done
}
stop_ftpgate() { kill "$daemon"; wait "$daemon" 2> /dev/null || true; daemon=""; rm -f "$LAB_DIR/s.sock"; }
report() {
  echo "      ftpgate: packets judged $(stat queue_packets_total) in $(stat queue_verdicts_total) verdicts," \
       "bytes that passed uninspected $(stat skipped_bytes_total) ($(stat 'refusals_total{reason="stream_gap"}') gaps)," \
       "ENOBUFS $(stat queue_enobufs_total), internal-error accepts $(stat fail_open_accepts_total)"
}
after() {
  if in_client curl -s -S --connect-timeout 3 --max-time 8 --disable-epsv -o /dev/null "ftp://$SERVER4/pub/64k.bin"; then
    echo "      after the flood: a new passive transfer is inspected and admitted"
  else echo "      after the flood: a new passive transfer FAILED"; return 1; fi
}
echo "flood: $conns control connections x ${secs}s, each sending NOOP / reading 200 back to back"
in_router bash "$here/rules.sh" load --ports 21,2121 --queue 0 --helper sane --no-queue > /dev/null
flood "no queue"
in_router bash "$here/rules.sh" load --ports 21,2121 --queue 0 --helper sane > /dev/null
run_ftpgate "$qlen"; flood "ftpgate, kernel queue limit $qlen"; report; after; stop_ftpgate
run_ftpgate 16; flood "ftpgate, kernel queue limit 16 (overflows)"; report; after; stop_ftpgate
