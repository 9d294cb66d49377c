#!/usr/bin/env bash
# Live benchmarks in the namespace lab, all in one run (root):
#  1. round-trip latency of small FTP-shaped request/response exchanges ("NOOP" / "200 NOOP ok.")
#     over a control connection through the router, with (a) no queue, (b) a trivial accept-all
#     NFQUEUE consumer (the floor on this machine), (c) ftpgate, (d) the kernel FTP helper;
#  2. complete FTP sessions per second (connect, login, PASV, 1 kB transfer, quit) through the
#     default-drop router with ftpgate versus the kernel helper.
#   scripts/bench_live.sh [BUILD_DIR]    env: RR_COUNT (20000), SESSION_SECONDS (10), SESSION_THREADS (4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(dirname "$here")
build=$(realpath "${1:-$top/build}")
count=${RR_COUNT:-20000}; secs=${SESSION_SECONDS:-10}; threads=${SESSION_THREADS:-4}
LAB=fgbench; LAB_DIR=/tmp/fgbench
source "$here/lab.sh"
consumer=""
cleanup() { [ -n "$consumer" ] && kill "$consumer" 2> /dev/null; lab_down; }
trap cleanup EXIT
lab_up
lab_start_vsftpd 4 21
in_server "$build/tests/bench/rr_tool" server "$SERVER4" 2121 &
lab_wait_listen 2121
rules() { in_router bash "$here/rules.sh" load --ports 21,2121 "$@" > /dev/null; }
start() { ip netns exec "${LAB}r" "$@" > "$LAB_DIR/consumer.log" 2>&1 & consumer=$!; sleep 0.5; }
stop() { kill "$consumer"; wait "$consumer" 2> /dev/null || true; consumer=""; }
rr() { in_client "$build/tests/bench/rr_tool" client "$SERVER4" 2121 500 > /dev/null; in_client "$build/tests/bench/rr_tool" client "$SERVER4" 2121 "$count"; }

declare -A med p99
measure() {  # name
  local out; out=$(rr); med[$1]=$(echo "$out" | cut -d' ' -f1); p99[$1]=$(echo "$out" | cut -d' ' -f2)
  printf '  %-34s median %7s us   p99 %7s us\n' "$2" "${med[$1]}" "${p99[$1]}"
}
echo "round trip of one NOOP/200 exchange through the router ($count exchanges each):"
rules --helper sane --no-queue; measure none "(a) no queue"
rules --helper sane --queue 0; start "$build/tests/bench/trivial_consumer" 0; measure trivial "(b) trivial NFQUEUE consumer"; stop
start "$build/ftpgate" run --queue 0 --ports 21,2121 --status-socket "$LAB_DIR/s.sock"; measure ftpgate "(c) ftpgate"; stop
rules --helper ftp --no-queue; measure kernel "(d) kernel FTP helper"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "  ratios: ftpgate/trivial median $(ratio "${med[ftpgate]}" "${med[trivial]}"), p99 $(ratio "${p99[ftpgate]}" "${p99[trivial]}");" \
     "ftpgate/kernel median $(ratio "${med[ftpgate]}" "${med[kernel]}"), p99 $(ratio "${p99[ftpgate]}" "${p99[kernel]}")"

sessions() {  # prints sessions/s
  in_client "$PYTHON" - "$SERVER4" "$secs" "$threads" <<'PY'
import ftplib, io, sys, threading, time
server, secs, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
done = [0] * threads; failed = [0] * threads
def worker(i):
    end = time.time() + secs
    while time.time() < end:
        try:
            f = ftplib.FTP(); f.connect(server, 21, timeout=5); f.login(); f.set_pasv(True)
            f.retrbinary("RETR pub/1k.bin", io.BytesIO().write); f.quit(); done[i] += 1
        except Exception:
            failed[i] += 1
ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
print("%.1f %d" % (sum(done) / secs, sum(failed)))
PY
}
echo "complete FTP sessions per second ($threads client threads, ${secs}s, login + PASV + 1 kB RETR + QUIT):"
rules --helper sane --queue 0; start "$build/ftpgate" run --queue 0 --ports 21,2121 --status-socket "$LAB_DIR/s.sock"
read -r s_ftpgate f_ftpgate < <(sessions); stop
rules --helper ftp --no-queue
read -r s_kernel f_kernel < <(sessions)
printf '  ftpgate        %7s sessions/s (%s failed)\n  kernel helper  %7s sessions/s (%s failed)\n' "$s_ftpgate" "$f_ftpgate" "$s_kernel" "$f_kernel"
echo "  ratio ftpgate/kernel $(ratio "$s_ftpgate" "$s_kernel")"
