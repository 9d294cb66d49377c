#!/usr/bin/env bash
# Live benchmarks in the namespace lab (root), every comparison interleaved: its contenders take
# turns in short rounds on the same lab (A B C D, A B C D, ...), and each figure is the median
# of the per-round ratios with their min-max, so that what else the VM does falls on all alike.
#  1. round trips of NOOP/200 exchanges on one control connection through the router: no queue,
#     a trivial accept-all NFQUEUE consumer (the floor), ftpgate, the kernel FTP helper;
#     then CPU per queued packet (utime + stime, from /proc/PID/schedstat, over the packets the queue
#     numbered, /proc/net/netfilter/nfnetlink_queue) under the same offered load (4 connections
#     x CPU_COUNT exchanges) for the trivial consumer and ftpgate; a perf profile of ftpgate
#  2. session churn: tests/bench/ftp_load (epoll, CHURN_CONCURRENCY sessions in flight: connect,
#     login, PASV or PORT, a 1000-byte RETR, QUIT) against tests/bench/ftp_bench_server, through
#     the default-drop router: ftpgate on one queue, the kernel helper, the queue's floor (the
#     trivial consumer on the queue, the kernel helper admitting the data connections), ftpgate
#     on two queues (--queue 0-1, the kernel spreading the client addresses); sessions/s,
#     failures, CPU per packet
#  3. HOLD_SESSIONS control connections held open, then each negotiating and completing one
#     transfer: ftpgate's RSS and bytes per session, and the expectations ftpgate counts against
#     those the kernel holds, at every step
#   scripts/bench_live.sh [BUILD_DIR]
#   env: ROUNDS (10), RR_COUNT (5000), CPU_COUNT (10000), CHURN_SECONDS (6, per round and
#        contender), CHURN_CONCURRENCY (64), HOLD_SESSIONS (10000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(dirname "$here")
build=$(realpath "${1:-$top/build}")
rounds=${ROUNDS:-10}; rr_count=${RR_COUNT:-5000}; cpu_count=${CPU_COUNT:-10000}
churn_secs=${CHURN_SECONDS:-6}; churn_conc=${CHURN_CONCURRENCY:-64}; hold_n=${HOLD_SESSIONS:-10000}
LAB=fgbench; LAB_DIR=/tmp/fgbench
source "$here/lab.sh"
bin=$build/tests/bench
consumer=""; expect_max_saved=$(cat /proc/sys/net/netfilter/nf_conntrack_expect_max)
cleanup() {
  [ -n "$consumer" ] && kill "$consumer" 2> /dev/null
  echo "$expect_max_saved" > /proc/sys/net/netfilter/nf_conntrack_expect_max
  lab_down
}
trap cleanup EXIT
lab_up
# Many short connections: the client's ports, and conntrack's TIME_WAIT entries, must not run
# out. The client's ports stay above the control ports (2121-2123): a client connection from
# port 2121 would be taken for a control connection, as ftpgate classifies by port.
# The server closes every data connection first: without a cap its TIME_WAIT sockets pile up
# and every PASV's bind to port 0 searches through them.
for ns in client server; do
  "in_$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65535" net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_max_tw_buckets=4096
done
in_router sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
# Eight client addresses, so that --queue-balance (a hash of the addresses) uses both queues.
sources=()
for i in $(seq 10 17); do in_client ip addr add "198.51.100.$i/24" dev c0; sources+=("198.51.100.$i"); done
# Two servers and, for the held sessions, two clients: a process here may open 20,000 files
# (the hard limit, which root cannot raise on this VM), and a held passive session takes two.
in_server "$bin/ftp_bench_server" "$SERVER4" 2121 1000 > "$LAB_DIR/bench-server.log" 2>&1 &
in_server "$bin/ftp_bench_server" "$SERVER4" 2123 1000 > "$LAB_DIR/bench-server2.log" 2>&1 &
in_server "$bin/rr_tool" server "$SERVER4" 2122 > /dev/null 2>&1 &
lab_wait_listen 2121; lab_wait_listen 2122; lab_wait_listen 2123
stats=/tmp/ftpgate-bench-stats; rm -rf "$stats"; mkdir -p "$stats"  # kept after the run

rules() { in_router bash "$here/rules.sh" load --standalone --ports 2121,2122,2123 "$@" > /dev/null; }
start() {  # command...: runs it in the router namespace as $consumer
  ip netns exec "${LAB}r" "$@" > "$LAB_DIR/consumer.log" 2>&1 & consumer=$!
  for _ in $(seq 50); do grep -q "running\|bound" "$LAB_DIR/consumer.log" 2> /dev/null && break; sleep 0.05; done
  sleep 0.2
}
stop() { [ -n "$consumer" ] && { kill "$consumer"; wait "$consumer" 2> /dev/null || true; }; consumer=""; rm -f "$LAB_DIR/s.sock"; }
ftpgate_run() { start "$build/ftpgate" run --ports 2121,2122,2123 --status-socket "$LAB_DIR/s.sock" "$@"; }
# The process's CPU time in microseconds, all its threads (ftpgate runs a worker per queue):
# utime + stime, read at nanosecond resolution from each /proc/PID/task/TID/schedstat (its first
# field: time on a CPU, user and system). A thread that ended takes its time with it: measure
# while the process runs.
cpu_us() { cat /proc/"$1"/task/*/schedstat 2> /dev/null | awk '{ s += $1 } END { printf "%d", s / 1000 }'; }
queued() { in_router awk '{ s += $8 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue; }
# The consumer's CPU per queued packet from cpu_mark to cpu_since.
cpu_mark() { cpu_t0=$(cpu_us "$consumer"); cpu_q0=$(queued); }
cpu_since() {  # "MICROSECONDS_PER_PACKET PACKETS MICROSECONDS"
  awk -v t=$(($(cpu_us "$consumer") - cpu_t0)) -v q=$(($(queued) - cpu_q0)) \
    'BEGIN { printf "%.3f %d %d", (q > 0 ? t / q : 0), q, t }'
}

# --- 1. round trips and CPU per packet ------------------------------------------------------
rr_once() { in_client "$bin/rr_tool" client "$SERVER4" 2122 "$rr_count"; }  # median p99 mean
cpu_load() {  # 4 connections x cpu_count exchanges, in parallel
  local p=() i
  for i in 1 2 3 4; do in_client "$bin/rr_tool" client "$SERVER4" 2122 "$cpu_count" > /dev/null & p+=($!); done
  wait "${p[@]}"
}
cpu_per_packet() { cpu_mark; cpu_load; cpu_since; }  # of the consumer under cpu_load
echo "1. NOOP/200 round trips through the router, $rounds rounds interleaved ($rr_count exchanges per round and contender)"
for r in $(seq 1 "$rounds"); do
  rules --helper sane --no-queue; echo "$(rr_once)" >> "$stats/rr-none"
  rules --helper sane --queue 0
  start "$bin/trivial_consumer" 0; echo "$(rr_once)" >> "$stats/rr-trivial"
  echo "$(cpu_per_packet)" >> "$stats/cpu-trivial"; stop
  ftpgate_run --queue 0; echo "$(rr_once)" >> "$stats/rr-ftpgate"
  echo "$(cpu_per_packet)" >> "$stats/cpu-ftpgate"
  if [ "$r" = 1 ] && command -v perf > /dev/null; then  # where ftpgate's time goes, once
    perf record -q -o "$stats/perf.data" -g -p "$consumer" -- sleep 2 > /dev/null 2>&1 & prof=$!
    cpu_load; wait "$prof" || true
  fi
  stop
  rules --helper ftp --no-queue; echo "$(rr_once)" >> "$stats/rr-kernel"
done

# --- 2. session churn -----------------------------------------------------------------------
churn_once() {  # -> "rate failed sessions_ok" (and the failures into $stats/churn-failures)
  local out; out=$(in_client "$bin/ftp_load" churn "$SERVER4" 2121 "$churn_conc" "$churn_secs" mixed 1000 "${sources[@]}" || true)
  printf '%s\n' "$out" | grep '^failure' | sed "s/^/$1 /" >> "$stats/churn-failures" || true
  printf '%s\n' "$out" | awk -F'[ =]' '/^ok=/ { print $8, $4, $2; found = 1 } END { if (!found) print 0, -1, 0 }'
}
# ftpgate under churn. Rows: rate failed sessions_ok us/packet packets us. "before" is the
# packet path as it was before issue 24: every control packet queued, each verdict sent alone.
churn_ftpgate() {  # queue spec, name [perf output]
  local prof="" rule_flags=() run_flags=()
  if [ "$2" = before ]; then rule_flags=(--queue-all); run_flags=(--verdict-batch 1); fi
  rules --helper sane --queue "$1" "${rule_flags[@]}"; ftpgate_run --queue "$1" "${run_flags[@]}"
  cpu_mark
  if [ -n "${3:-}" ] && command -v perf > /dev/null; then
    (sleep 1; perf record -q -o "$3" -g -p "$consumer" -- sleep 3 > /dev/null 2>&1) & prof=$!
  fi
  echo "$(churn_once "$2") $(cpu_since)" >> "$stats/churn-$2"
  [ -n "$prof" ] && { wait "$prof" || true; }
  "$build/ftpgate" status --socket "$LAB_DIR/s.sock" > "$stats/status-$2-last"
  stop
}
echo "2. session churn, $rounds rounds interleaved ($churn_secs s per round and contender, $churn_conc sessions in flight, PASV and PORT alternating)"
: > "$stats/churn-failures"
for r in $(seq 1 "$rounds"); do
  churn_ftpgate 0 ftpgate1q "$([ "$r" = 1 ] && echo "$stats/perf-churn.data")"
  churn_ftpgate 0 before
  rules --helper ftp --no-queue; echo "$(churn_once kernel) 0 0 0" >> "$stats/churn-kernel"
  rules --helper ftp --queue 0; start "$bin/trivial_consumer" 0
  cpu_mark
  echo "$(churn_once floor) $(cpu_since)" >> "$stats/churn-floor"
  stop
  churn_ftpgate 0-1 ftpgate2q
done

# --- 3. many sessions held open -------------------------------------------------------------
echo "3. $hold_n control connections held open, then one transfer each"
echo $((hold_n * 2 + 1024)) > /proc/sys/net/netfilter/nf_conntrack_expect_max
rules --helper sane --queue 0
ftpgate_run --queue 0 --max-expectations-total $((hold_n * 2)) --max-sessions $((hold_n * 2))
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$consumer/status"; }
gauge() { "$build/ftpgate" status --socket "$LAB_DIR/s.sock" | awk -v m="ftpgate_$1" '$1 == m { print $2 }'; }
kernel_expectations() { in_router conntrack -L expect 2> /dev/null | grep -c . || true; }
rss0=$(rss_kb)
# Two clients of half the sessions each (one per server), driven in step through FIFOs.
half=$((hold_n / 2)); holders=()
for k in 0 1; do
  mkfifo "$LAB_DIR/hold-in-$k"
  in_client "$bin/ftp_load" hold "$SERVER4" $((2121 + 2 * k)) "$half" pasv 1000 "${sources[@]}" \
    < "$LAB_DIR/hold-in-$k" > "$LAB_DIR/hold-out-$k" 2>&1 &
  holders+=($!)
done
exec 7> "$LAB_DIR/hold-in-0" 8> "$LAB_DIR/hold-in-1"
for step in logged_in negotiated transferred closed; do
  for k in 0 1; do
    for _ in $(seq 1200); do grep -q "^$step " "$LAB_DIR/hold-out-$k" && break; sleep 0.05; done
  done
  sleep 0.5  # the last packets judged
  sessions_ok=0
  for k in 0 1; do
    n=$(grep "^$step " "$LAB_DIR/hold-out-$k" | sed -E 's/.*ok=([0-9]+).*/\1/'); sessions_ok=$((sessions_ok + ${n:-0}))
  done
  printf '   %-12s %6s sessions ok (of %s); ftpgate: %s sessions, %s expectations outstanding, RSS %s KiB; kernel: %s expectations\n' \
    "$step" "$sessions_ok" "$hold_n" "$(gauge sessions_active)" "$(gauge expectations_outstanding)" "$(rss_kb)" \
    "$(kernel_expectations)" | tee -a "$stats/hold"
  [ "$step" = logged_in ] && echo "$(( ($(rss_kb) - rss0) * 1024 / hold_n ))" > "$stats/hold-bytes-per-session"
  [ "$step" = closed ] || { echo go >&7; echo go >&8; }
done
exec 7>&- 8>&-
grep -h '^failure' "$LAB_DIR"/hold-out-* | sed 's/^/     held sessions: /' || true
wait "${holders[@]}" || true
stop

# --- the figures ----------------------------------------------------------------------------
/usr/bin/python3 - "$stats" "$stats/perf.data" "$stats/perf-churn.data" "$churn_secs" <<'PY'
import os, statistics, subprocess, sys
d, perf, perf_churn, CHURN_SECONDS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def rows(name):
    with open(os.path.join(d, name)) as f:
        return [[float(x) for x in line.split()] for line in f if line.strip()]
def ratio_line(label, a, b, col):
    rs = [x[col] / y[col] for x, y in zip(a, b) if y[col] > 0]
    return f"{label} {statistics.median(rs):.2f} (min {min(rs):.2f}, max {max(rs):.2f})"
rr = {k: rows(f"rr-{k}") for k in ("none", "trivial", "ftpgate", "kernel")}
print("   round trip, median of the per-round medians / p99s:")
for k, v in rr.items():
    print(f"     {k:8s} median {statistics.median(x[0] for x in v):6.1f} us   p99 {statistics.median(x[1] for x in v):6.1f} us")
print("   " + ratio_line("ftpgate/trivial median:", rr["ftpgate"], rr["trivial"], 0) + "; " +
      ratio_line("p99:", rr["ftpgate"], rr["trivial"], 1) + "   [goal <= 1.05]")
print("   " + ratio_line("ftpgate/kernel median:", rr["ftpgate"], rr["kernel"], 0) + "; " +
      ratio_line("p99:", rr["ftpgate"], rr["kernel"], 1))
cpu = {k: rows(f"cpu-{k}") for k in ("trivial", "ftpgate")}
for k, v in cpu.items():
    print(f"   CPU per queued packet, {k:8s} {statistics.median(x[0] for x in v):6.2f} us "
          f"({int(statistics.median(x[1] for x in v))} packets per round)")
print("   " + ratio_line("CPU per packet ftpgate/trivial:", cpu["ftpgate"], cpu["trivial"], 0) + "   [goal <= 1.2]")
# Churn rows: rate failed sessions_ok us_per_packet packets us; each row gets its packets and
# CPU microseconds per completed session appended (columns 6 and 7).
churn = {k: [x + [x[4] / x[2] if x[2] else 0, x[5] / x[2] if x[2] else 0] for x in rows(f"churn-{k}")]
         for k in ("ftpgate1q", "before", "kernel", "floor", "ftpgate2q")}
med = lambda v, col: statistics.median(x[col] for x in v)
for k, v in churn.items():
    cpu_note = (f", {med(v, 6):.1f} packets/session, CPU {med(v, 3):.2f} us/packet, {med(v, 7):.1f} us/session"
                if k != "kernel" else "")
    label = {"ftpgate1q": "ftpgate, 1 queue", "before": "ftpgate as before", "kernel": "kernel helper",
             "floor": "queue floor", "ftpgate2q": "ftpgate, 2 queues"}[k]
    print(f"   churn {label:17s} {med(v, 0):7.1f} sessions/s (median of rounds), "
          f"{int(sum(x[1] for x in v))} failed in {len(v)} rounds{cpu_note}")
print("     (before: every control packet queued and each verdict sent alone, rules.sh --queue-all "
      "and verdict_batch 1; the queue floor queues what ftpgate's rules queue)")
print("   " + ratio_line("sessions/s ftpgate/kernel:", churn["ftpgate1q"], churn["kernel"], 0) + "   [goal >= 0.75]")
print("   " + ratio_line("sessions/s before/kernel:", churn["before"], churn["kernel"], 0))
print("   " + ratio_line("sessions/s ftpgate/queue floor:", churn["ftpgate1q"], churn["floor"], 0))
print("   " + ratio_line("sessions/s two queues/one queue:", churn["ftpgate2q"], churn["ftpgate1q"], 0))
print(f"   packets queued per session: ftpgate {med(churn['ftpgate1q'], 6):.1f} (min {min(x[6] for x in churn['ftpgate1q']):.1f}, "
      f"max {max(x[6] for x in churn['ftpgate1q']):.1f}), before {med(churn['before'], 6):.1f}   [goal <= 12]")
print("   " + ratio_line("CPU per session before/ftpgate:", churn["before"], churn["ftpgate1q"], 7) + "   [goal >= 1.6]")
print("   " + ratio_line("CPU per session before/ftpgate 2 queues:", churn["before"], churn["ftpgate2q"], 7))
print(f"   failed sessions: ftpgate {int(sum(x[1] for x in churn['ftpgate1q']))}, two queues "
      f"{int(sum(x[1] for x in churn['ftpgate2q']))} in {len(churn['ftpgate1q'])} rounds of {CHURN_SECONDS} s   [goal 0]")
with open(os.path.join(d, "churn-failures")) as f:
    for line in f:
        print("     " + line.rstrip())
with open(os.path.join(d, "hold-bytes-per-session")) as f:
    print(f"   held sessions: ftpgate RSS grew {f.read().strip()} bytes per session [goal < 1024]")
def profile(path, what):
    """Where ftpgate's CPU time went: by binary, then its own code's top symbols."""
    if not os.path.exists(path):
        return
    def report(*extra):
        return subprocess.run(["perf", "report", "-i", path, "--stdio", "--no-children", "-g", "none", *extra],
                              capture_output=True, text=True).stdout.splitlines()
    rows = [l.split() for l in report("--sort", "dso") if l.strip() and not l.startswith("#")]
    print(f"   perf, ftpgate {what}: " + ", ".join(f"{r[1]} {r[0]}" for r in rows[:5]))
    own = [l.strip() for l in report("--sort", "symbol", "--dsos", "ftpgate") if l.strip() and not l.startswith("#")]
    print("     its own code's top symbols: " + "; ".join(" ".join(l.split()[0:1] + l.split()[2:])[:70] for l in own[:5]))
profile(perf, "under the NOOP/200 load")
profile(perf_churn, "under session churn")
PY
