#!/usr/bin/env bash
# End-to-end: one worker thread per queue (ftpgate run --queue 0-1, rules.sh load --queue 0-1).
# Eight client addresses spread over the two queues by the kernel's hash of the address pair:
#   - passive and active transfers from every address, byte-exact through the drop policy
#   - both queues carried packets, read by recvmmsg (receives <= packets), and each worker saw
#     only whole sessions: no stream gap, no reply paired with an unseen command, no pickup (a
#     connection split over the workers would show all three)
#   - the audit (rules.sh --audit queues the data connections' SYN/FIN/RST): every transfer's
#     record names its data connection, found in the worker that holds its control session
#   - a deny rule judged in both workers, its hits summed in one status; SIGHUP takes it away
#     in both; `ftpgate ha takeover` releases the sessions of both
#   workers_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
source "$here/e2e_common.sh"
e2e_needs vsftpd curl nft iptables /usr/bin/python3
e2e_upload_lab fgw
in_router sysctl -qw net.netfilter.nf_conntrack_acct=1
in_router bash "$top/scripts/rules.sh" load --standalone --ports 21,2121 --queue 0-1 --audit > /dev/null
sources=()
for i in $(seq 10 17); do in_client ip addr add "198.51.100.$i/24" dev c0; sources+=("198.51.100.$i"); done
audit=$LAB_DIR/transfers.jsonl
conf=$LAB_DIR/ftpgate.conf
printf 'audit_log = %s\nrule = deny verb MKD name no-mkd\n' "$audit" > "$conf"
ip netns exec "${LAB}r" "$ftpgate" run --queue 0-1 --ports 21,2121 --config "$conf" \
  --status-socket "$LAB_DIR/ftpgate.sock" > "$LAB_DIR/ftpgate.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 50); do [ -S "$LAB_DIR/ftpgate.sock" ] && break; sleep 0.1; done
grep -q "queue 0 1 (2 workers, one per queue)" "$LAB_DIR/ftpgate.log" &&
  ok "two workers started: $(grep -o 'queue 0 1 ([^)]*)' "$LAB_DIR/ftpgate.log")" ||
  bad "start line: $(head -3 "$LAB_DIR/ftpgate.log")"
status() { "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" 2> /dev/null; }
metric() { status | awk -v m="ftpgate_$1" '$1 == m { print $2 }'; }
labelled() { status | awk -v m="ftpgate_$1{$2" 'index($1, m) == 1 { print $2 }'; }  # NAME LABEL=VALUE

want=$(grep ' ./64k.bin$' "$LAB_DIR/files.sha256" | cut -d' ' -f1)
good=0; runs=0
for src in "${sources[@]}"; do
  for mode in passive active; do
    runs=$((runs + 1))
    flags=(--interface "$src"); [ "$mode" = active ] && flags+=(-P "$src")
    rm -f "$LAB_DIR/got"
    if in_client curl -s -S --connect-timeout 3 --max-time 10 "${flags[@]}" -o "$LAB_DIR/got" "ftp://$SERVER4/pub/64k.bin" 2> "$LAB_DIR/curl.err" &&
       [ "$(sha256sum < "$LAB_DIR/got" | cut -d' ' -f1)" = "$want" ]; then good=$((good + 1))
    else echo "     $src $mode: $(head -c 200 "$LAB_DIR/curl.err")"; fi
  done
done
[ "$good" = "$runs" ] && ok "$good transfers from 8 addresses (passive and active) byte-exact through two workers" ||
  bad "only $good of $runs transfers byte-exact"
q0=$(labelled queue_packets_total 'queue="0"'); q1=$(labelled queue_packets_total 'queue="1"')
[ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ] && ok "both queues carried packets (queue 0: $q0, queue 1: $q1)" ||
  bad "the packets did not spread: queue 0 ${q0:-none}, queue 1 ${q1:-none}"
# Each worker reads with recvmmsg: one receive brings every packet waiting, up to 8.
r0=$(labelled queue_receives_total 'queue="0"'); r1=$(labelled queue_receives_total 'queue="1"')
[ "${r0:-0}" -gt 0 ] && [ "${r0:-0}" -le "${q0:-0}" ] && [ "${r1:-0}" -gt 0 ] && [ "${r1:-0}" -le "${q1:-0}" ] &&
  ok "receives per queue at most its packets (queue 0: $r0 for $q0, queue 1: $r1 for $q1)" ||
  bad "receives: queue 0 ${r0:-none} for ${q0:-none}, queue 1 ${r1:-none} for ${q1:-none}"
gap=$(labelled refusals_total 'reason="stream_gap"')
unseen=$(metric replies_to_unseen_commands_total); pickups=$(metric midstream_pickups_total)
[ "${gap:-1}" = 0 ] && [ "${unseen:-1}" = 0 ] && [ "${pickups:-1}" = 0 ] &&
  ok "each worker saw whole sessions (stream gaps 0, replies to unseen commands 0, pickups 0)" ||
  bad "a session was split over the workers: stream_gap=$gap replies_to_unseen=$unseen pickups=$pickups"
installed=$(metric expectations_installed_total)
[ "${installed:-0}" -ge "$runs" ] && ok "expectations installed in both workers: $installed" || bad "expectations installed: ${installed:-none}"

# The audit: every record names its data connection (its SYN seen by the control session's worker).
for _ in $(seq 40); do [ "$(grep -c . "$audit" 2> /dev/null)" -ge "$runs" ] && break; sleep 0.1; done
with_data=$("$PYTHON" - "$audit" << 'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    dc = r.get("data_connection")
    if r.get("argument", "").endswith("64k.bin") and dc and r.get("bytes_to_client") == 65536:
        n += 1
print(n)
if n == 0 and line: print(line.strip()[:400], file=sys.stderr)
PY
)
[ "${with_data:-0}" = "$runs" ] && ok "audit: all $runs records name their data connection and its 65536 bytes" ||
  bad "audit: $with_data of $runs records with their data connection ($(grep -c . "$audit" 2> /dev/null) records)"

# Policy in both workers: MKD from every address is denied (the session reset), the hits summed.
for src in "${sources[@]}"; do
  in_client curl -s --connect-timeout 3 --max-time 5 --interface "$src" -Q "MKD w-$src" "ftp://$SERVER4/" -o /dev/null 2> /dev/null
done
hits=$(labelled policy_rule_hits_total 'rule="no-mkd"')
[ "${hits:-0}" = 8 ] && ok "the deny rule judged in both workers, hits summed in one status: 8" || bad "rule hits: ${hits:-none}"
printf 'audit_log = %s\n' "$audit" > "$conf"
kill -HUP "$daemon_pid"; sleep 0.5
for src in "${sources[@]}"; do
  in_client curl -s --connect-timeout 3 --max-time 5 --interface "$src" -Q "MKD w-$src" "ftp://$SERVER4/" -o /dev/null 2> /dev/null
done
denied=$(metric commands_denied_total)
[ "${denied:-0}" = 8 ] && grep -q "policy reloaded, 0 command rules" "$LAB_DIR/ftpgate.log" &&
  ok "SIGHUP took the rule away in both workers (denied still 8)" || bad "after the reload: denied ${denied:-none}"

# HA takeover across the workers: their sessions released, the answer one line.
in_client "$PYTHON" -c "
import ftplib, time, sys
cs = []
for src in sys.argv[1:]:
    f = ftplib.FTP(); f.connect('$SERVER4', 21, timeout=5, source_address=(src, 0)); f.login(); cs.append(f)
open('$LAB_DIR/held', 'w').write('ok')
time.sleep(4)
" "${sources[@]}" &
holder=$!
for _ in $(seq 50); do [ -s "$LAB_DIR/held" ] && break; sleep 0.1; done
answer=$(ip netns exec "${LAB}r" "$ftpgate" ha takeover --status-socket "$LAB_DIR/ftpgate.sock" 2>&1)
wait "$holder" 2> /dev/null
released=$(printf '%s\n' "$answer" | grep -oE 'takeover: [0-9]+ sessions released' | grep -oE '[0-9]+')
[ "${released:-0}" -ge 8 ] && ok "ha takeover released the sessions of both workers: $answer" ||
  bad "ha takeover: $answer"

kill "$daemon_pid"; wait "$daemon_pid" 2> /dev/null; daemon_pid=""
grep -q '"stop"\|stopped after' "$LAB_DIR/ftpgate.log" && ok "stopped: $(grep -o 'stopped after.*' "$LAB_DIR/ftpgate.log")" ||
  bad "no stop line"
in_router bash "$top/scripts/rules.sh" unload > /dev/null
echo "workers e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
