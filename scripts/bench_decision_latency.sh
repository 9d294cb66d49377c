#!/usr/bin/env bash
# How long the packets that carry a PORT or a 227 wait in the router: the ones whose verdict
# waits for a conntrack expectation to be installed. Measured on the wire, so any ftpgate binary
# can be compared with any other: tcpdump in the router namespace timestamps each such packet
# where it enters (rc for PORT, rs for 227) and where it leaves, and the difference is its
# time in the router (queue, judgement, expectation, verdict).
#
# Contenders run interleaved, A B A B ..., ROUNDS rounds on the same lab; each round one
# control connection makes TRANSFERS transfers (half passive, half active). Prints per
# contender the pooled median and p99, and the median of the per-round ratios of medians
# (each contender over the first) with their min-max.
#   scripts/bench_decision_latency.sh FTPGATE_A [FTPGATE_B ...]   env: ROUNDS (10), TRANSFERS (20)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 FTPGATE_A [FTPGATE_B ...]" >&2; exit 2; }
contenders=(); for b in "$@"; do contenders+=("$(realpath "$b")"); done
rounds=${ROUNDS:-10}; transfers=${TRANSFERS:-20}
LAB=fgdlat; LAB_DIR=/tmp/fgdlat
source "$here/lab.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; lab_down; }
trap cleanup EXIT
[ "${KEEP_LAB:-0}" = 1 ] && trap - EXIT
lab_up
lab_start_vsftpd 4 21
in_router bash "$here/rules.sh" load --standalone --ports 21 --queue 0 --helper sane --form auto > /dev/null

# One round of one contender: its capture files are $LAB_DIR/cap-R-I-{rc,rs}.pcap.
run_one() {  # round index binary
  local tag="$1-$2" d caps=()
  for ifc in rc rs; do
    ip netns exec "${LAB}r" tcpdump -i "$ifc" -U --immediate-mode -n -s 200 --time-stamp-precision=nano \
      -w "$LAB_DIR/cap-$tag-$ifc.pcap" 'tcp port 21' 2> "$LAB_DIR/tcpdump-$tag-$ifc.log" &
    caps+=($!)
  done
  pids+=("${caps[@]}")
  for ifc in rc rs; do  # capturing before the first packet
    for _ in $(seq 100); do grep -q "listening on" "$LAB_DIR/tcpdump-$tag-$ifc.log" && break; sleep 0.05; done
  done
  ip netns exec "${LAB}r" "$3" run --queue 0 --ports 21 --helper-mode carrier \
    --status-socket "$LAB_DIR/s.sock" > "$LAB_DIR/daemon-$tag.log" 2>&1 &
  d=$!; pids+=("$d")
  for _ in $(seq 50); do [ -S "$LAB_DIR/s.sock" ] && break; sleep 0.1; done
  in_client "$PYTHON" - "$SERVER4" "$transfers" <<'PY'
import ftplib, io, sys
server, n = sys.argv[1], int(sys.argv[2])
f = ftplib.FTP(); f.connect(server, 21, timeout=10); f.login()
for i in range(n):
    f.set_pasv(i % 2 == 0)
    f.retrbinary("RETR pub/1k.bin", io.BytesIO().write)
f.quit()
PY
  kill "$d"; wait "$d" 2> /dev/null || true
  rm -f "$LAB_DIR/s.sock"
  sleep 0.2
  for p in "${caps[@]}"; do kill -INT "$p" 2> /dev/null || true; wait "$p" 2> /dev/null || true; done
  pids=()
}

for r in $(seq 1 "$rounds"); do
  for i in "${!contenders[@]}"; do run_one "$r" "$i" "${contenders[$i]}"; done
done

"$PYTHON" - "$LAB_DIR" "$rounds" "${contenders[@]}" <<'PY'
import os, struct, sys, statistics
lab, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def packets(path):
    """(time ns, key, kind) of each IPv4 TCP packet whose payload starts a PORT or a 227."""
    out = []
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        scale = 1 if magic == 0xa1b23c4d else 1000
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            sec, frac, incl, _ = struct.unpack("<IIII", h)
            frame = f.read(incl)
            ip = frame[14:]
            if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
                continue
            ihl = (ip[0] & 15) * 4
            tcp = ip[ihl:]
            doff = (tcp[12] >> 4) * 4
            payload = tcp[doff:]
            kind = "PORT" if payload.startswith(b"PORT ") else "227" if payload.startswith(b"227 ") else None
            if kind:
                key = (ip[12:16], tcp[0:2], tcp[4:8])  # source address, port, sequence number
                out.append((sec * 10**9 + frac * scale, key, kind))
    return out

def waits(r, i):
    rc = packets(f"{lab}/cap-{r}-{i}-rc.pcap")
    rs = packets(f"{lab}/cap-{r}-{i}-rs.pcap")
    first = {}
    for t, key, kind in rc + rs:
        first.setdefault(key, []).append(t)
    # each packet is seen once on the way in and once on the way out
    return [(max(ts) - min(ts)) / 1000.0 for ts in first.values() if len(ts) == 2]

per_round = [[waits(r, i) for i in range(len(names))] for r in range(1, rounds + 1)]
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
print(f"time in the router of the packets carrying PORT or 227 ({rounds} rounds interleaved, "
      f"{len(per_round[0][0])} such packets per round and contender):")
for i, name in enumerate(names):
    pooled = [w for rr in per_round for w in rr[i]]
    print(f"  [{i}] {name}: median {pct(pooled, 0.5):8.1f} us   p99 {pct(pooled, 0.99):8.1f} us   (n={len(pooled)})")
for i in range(1, len(names)):
    ratios = [statistics.median(rr[i]) / statistics.median(rr[0]) for rr in per_round if rr[i] and rr[0]]
    print(f"  [{i}]/[0] median of per-round median ratios {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
PY
