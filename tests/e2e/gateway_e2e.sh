#!/usr/bin/env bash
# End-to-end: real FTP servers (vsftpd, pyftpdlib) and clients (curl, lftp, ftplib) through a
# router namespace whose forward policy is drop. Every case runs three ways:
#   ftpgate  rules with the inert 'sane' helper + NFQUEUE, ftpgate running: must transfer, byte-exact
#   none     the same rules, ftpgate stopped (queue bypass): must fail (the firewall is closed)
#   kernel   the kernel's own FTP helper instead: must transfer; its expectations (from
#            `conntrack -E expect`) must have the same shape as ftpgate's (addresses, masks,
#            master), and ftpgate's log must match what the kernel saw it install, port for port
# Then: SIGKILL of ftpgate mid-session (control connection survives via bypass) and restart
# (new commands on the old session are inspected again).
#   gateway_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
# Environment (the stock-kernel stage sets them): FTPGATE_E2E_HELPER (sane: the carrier, this
# VM's kernel; ftpgate: ftpgate's own userspace helper, registered before the rules load),
# FTPGATE_E2E_CASES (a subset of the cases), FTPGATE_E2E_QUICK=1 (without the flood, SIGHUP and
# ctnetlink-fault sections). The queue form is always rules.sh's own choice (--form auto).
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
for t in vsftpd lftp curl conntrack nft iptables /usr/bin/python3; do
  command -v "$t" > /dev/null || { echo "missing $t: skipped"; exit 77; }
done
LAB=fge$$; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
daemon_pid=""
expect_max_saved=$(cat /proc/sys/net/netfilter/nf_conntrack_expect_max)
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2> /dev/null
  # nf_conntrack_expect_max is global; the fault test lowers it for a moment.
  echo "$expect_max_saved" > /proc/sys/net/netfilter/nf_conntrack_expect_max
  lab_down
}
trap cleanup EXIT
lab_up
lab_start_vsftpd 4 21
lab_start_vsftpd 6 21
lab_start_pyftpdlib "$SERVER4" 2121
lab_start_ftps_ccc 2100   # explicit FTPS with CCC
mkdir -p "$LAB_DIR/dl"
DAEMON_PORTS=21,2121,2100
source "$here/e2e_common.sh"

rules() { in_router bash "$top/scripts/rules.sh" load --standalone --ports 21,2121,2100 "$@" > /dev/null; }
helper=${FTPGATE_E2E_HELPER:-sane}
quick=${FTPGATE_E2E_QUICK:-0}
# ftpgate's own helper must exist before rules that name it load.
if [ "$helper" = ftpgate ]; then in_router "$ftpgate" helper register --helper-mode cthelper > /dev/null 2>&1; fi

# Each case downloads files into $LAB_DIR/dl/ and names them, one per line, on stdout.
c4="curl -s -S --connect-timeout 3 --max-time 8"
case_cmd() {
  local url4="ftp://$SERVER4/pub" url6="ftp://[$SERVER6]/pub" url2121="ftp://$SERVER4:2121/pub" d="$LAB_DIR/dl"
  local lftp_opts="set net:timeout 3; set net:max-retries 1; set net:reconnect-interval-base 1; set xfer:clobber on"
  local ftps_opts="set ssl:verify-certificate no; set ftp:ssl-force yes; set ftp:ssl-protect-data no"
  case $1 in
    v4_epsv) in_client $c4 -o "$d/a" "$url4/1k.bin" -o "$d/b" "$url4/64k.bin" && echo "a 1k.bin" && echo "b 64k.bin" ;;
    v4_pasv) in_client $c4 --disable-epsv -o "$d/a" "$url4/1k.bin" -o "$d/b" "$url4/64k.bin" && echo "a 1k.bin" && echo "b 64k.bin" ;;
    v4_eprt) in_client $c4 -P - -o "$d/a" "$url4/1k.bin" -o "$d/b" "$url4/64k.bin" && echo "a 1k.bin" && echo "b 64k.bin" ;;
    v4_port) in_client $c4 -P - --disable-eprt -o "$d/a" "$url4/1k.bin" -o "$d/b" "$url4/64k.bin" && echo "a 1k.bin" && echo "b 64k.bin" ;;
    v6_epsv) in_client $c4 -o "$d/a" "$url6/64k.bin" && echo "a 64k.bin" ;;
    v6_eprt) in_client $c4 -P - -o "$d/a" "$url6/64k.bin" && echo "a 64k.bin" ;;
    port2121_pasv) in_client $c4 --disable-epsv -o "$d/a" "$url2121/1M.bin" && echo "a 1M.bin" ;;
    port2121_port) in_client $c4 -P - --disable-eprt -o "$d/a" "$url2121/1M.bin" && echo "a 1M.bin" ;;
    lftp_mixed) in_client timeout 20 lftp -c "$lftp_opts; open ftp://$SERVER4;
        set ftp:passive-mode on; get pub/1M.bin -o $d/a; set ftp:passive-mode off; get pub/64k.bin -o $d/b; bye" \
        && echo "a 1M.bin" && echo "b 64k.bin" ;;
    # Explicit FTPS: login inside TLS, then CCC, then passive and active in clear text.
    lftp_ftps_ccc) in_client timeout 20 lftp -c "$lftp_opts; $ftps_opts; set ftp:ssl-use-ccc yes;
        open -p 2100 ftp://anonymous:lab@$SERVER4; set ftp:passive-mode on; get 64k.bin -o $d/a;
        set ftp:passive-mode off; get 1k.bin -o $d/b; bye" && echo "a 64k.bin" && echo "b 1k.bin" ;;
    # The same without CCC: the control channel stays encrypted, nothing can be admitted.
    lftp_ftps_no_ccc) in_client timeout 20 lftp -c "$lftp_opts; $ftps_opts; set ftp:ssl-use-ccc no;
        open -p 2100 ftp://anonymous:lab@$SERVER4; set ftp:passive-mode on; get 64k.bin -o $d/a; bye" \
        && echo "a 64k.bin" ;;
    lftp_v6_active) in_client timeout 20 lftp -c "$lftp_opts; open ftp://[$SERVER6];
        set ftp:passive-mode off; get pub/64k.bin -o $d/a; get pub/1k.bin -o $d/b; bye" \
        && echo "a 64k.bin" && echo "b 1k.bin" ;;
  esac
}
CASES=${FTPGATE_E2E_CASES:-"v4_epsv v4_pasv v4_eprt v4_port v6_epsv v6_eprt port2121_pasv port2121_port lftp_mixed lftp_v6_active lftp_ftps_ccc"}


# Expectation events of one case, normalised: the parts that do not depend on random ports.
record_expectations() {  # case -> $LAB_DIR/exp-<mode>-<case> (shape) and .ports
  local mode=$1 name=$2 log="$LAB_DIR/events"
  ip netns exec "${LAB}r" conntrack -E expect > "$log" 2> /dev/null &
  local ev=$!
  sleep 0.5  # subscribed (a loaded CI machine once took longer than 0.3 s: no event recorded)
  transfer_ok "$name"; local rc=$?
  # Every case installs at least one expectation: its event may still be on its way.
  for _ in $(seq 30); do grep -q '\[NEW\]' "$log" && break; sleep 0.1; done
  sleep 0.3; kill "$ev" 2> /dev/null; wait "$ev" 2> /dev/null
  awk '/\[NEW\]/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in seen)) { seen[kv[1]] = 1; v[kv[1]] = kv[2] } }
         print v["src"], v["dst"], v["mask-src"], v["mask-dst"], v["master-src"], v["master-dst"]; delete seen }' \
      "$log" | sort > "$LAB_DIR/exp-$mode-$name"
  awk '/\[NEW\]/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in seen)) { seen[kv[1]] = 1; v[kv[1]] = kv[2] } }
         print v["src"], v["dst"], v["dport"]; delete seen }' "$log" | sort > "$LAB_DIR/exp-$mode-$name.ports"
  return $rc
}

# --- ftpgate -------------------------------------------------------------------------------
rules --helper "$helper" --queue 0
start_daemon || exit 1
# CAP_NET_ADMIN is bit 12: 0x1000.
caps_only_net_admin() {
  grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$1/status" &&
    grep -q '^CapBnd:[[:space:]]*0000000000001000$' "/proc/$1/status" &&
    grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$1/status"
}
if caps_only_net_admin "$daemon_pid"; then ok "the daemon keeps only CAP_NET_ADMIN (effective, bounding set), no_new_privs"
else bad "daemon privileges: $(grep -E '^(Cap|NoNew)' "/proc/$daemon_pid/status" | tr '\n' ' ')"; fi
for c in $CASES; do
  before=$(wc -l < "$LAB_DIR/ftpgate.log")
  if record_expectations ftpgate "$c"; then ok "$c with ftpgate: transferred byte-exact"
  else bad "$c with ftpgate: transfer failed ($(head -c 200 "$LAB_DIR/client.err"))"; fi
  # What ftpgate says it installed equals what the kernel saw installed, port for port.
  tail -n +"$((before + 1))" "$LAB_DIR/ftpgate.log" | grep ': installed' |
    sed -E 's/.* data ([^ ]+) -> \[?([^]]*)\]?:([0-9]+): installed.*/\1 \2 \3/' | sort > "$LAB_DIR/log-$c"
  if [ -s "$LAB_DIR/log-$c" ] && diff -q "$LAB_DIR/log-$c" "$LAB_DIR/exp-ftpgate-$c.ports" > /dev/null; then
    ok "$c with ftpgate: $(wc -l < "$LAB_DIR/log-$c") expectation(s) in the kernel exactly as logged"
  else
    bad "$c with ftpgate: logged $(tr '\n' ';' < "$LAB_DIR/log-$c") kernel $(tr '\n' ';' < "$LAB_DIR/exp-ftpgate-$c.ports")"
  fi
done

# What a decision costs here: ctnetlink round trips per installed expectation, and the verdict
# latency of the packets that carried a decision (read to verdict), from the daemon's figures.
"$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '
  $1 == "ftpgate_conntrack_requests_total" { r = $2 } $1 == "ftpgate_expectations_installed_total" { e = $2 }
  $1 == "ftpgate_decision_verdict_latency_seconds_sum" { s = $2 } $1 == "ftpgate_decision_verdict_latency_seconds_count" { n = $2 }
  END { if (e > 0 && n > 0) printf "     per decision in these cases: %.1f ctnetlink round trips, verdict latency mean %.0f us over %d packets\n", r / e, s / n * 1e6, n }'
# Where the queue carries conntracks, expectations ride on the verdicts (NFQA_EXP): the
# kernel's expectation events confirmed them.
if grep -q "expectations in the verdicts (NFQA_EXP)" "$LAB_DIR/ftpgate.log"; then
  confirmed=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_verdict_expectations_confirmed_total" { print $2 }')
  if [ "${confirmed:-0}" -ge 1 ]; then ok "expectations in the verdicts (NFQA_EXP): $confirmed created by the kernel, confirmed by its events"
  else bad "NFQA_EXP in use but no expectation confirmed: ${confirmed:-none}"; fi
fi
# FTPS without CCC: ftpgate must not guess inside TLS, so the data connection stays blocked.
if [ "$quick" = 1 ]; then :
elif transfer_ok lftp_ftps_no_ccc; then bad "FTPS without CCC transferred through ftpgate: it guessed inside TLS"
elif grep -q "^tls_start control" "$LAB_DIR/ftpgate.log"; then ok "FTPS without CCC: blocked, ftpgate logged tls_start"
else bad "FTPS without CCC: blocked but no tls_start logged"; fi

# --- loading the rules again replaces them; signals ------------------------------------------
# What rules.sh put in the router (counters blanked), and how many jumps FORWARD has to it.
rules_text() {
  { in_router iptables -S; in_router ip6tables -S; in_router nft list table inet ftpgate; } 2> /dev/null |
    sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
}
in_router bash "$top/scripts/rules.sh" unload > /dev/null
rules --helper "$helper" --queue 0; once=$(rules_text)
rules --helper "$helper" --queue 0; twice=$(rules_text)
n_jump=$(printf '%s\n' "$twice" | grep -c -- '-A FORWARD -j FTPGATE$')
n_tables=$(in_router nft list tables | grep -c 'inet ftpgate')
# nft lists a queue statement as `queue flags bypass to 0` (or `queue num 0 bypass`).
form=$(in_router nft list table inet ftpgate 2> /dev/null | grep -qE '[[:space:]]queue[[:space:]]' && echo "nft queue" || echo "iptables NFQUEUE")
# (No jump at all is the nft form; the transfers above show the queueing works.)
if [ "$once" = "$twice" ] && [ "$n_tables" = 1 ] && [ "$n_jump" -le 2 ]; then
  ok "rules loaded twice: the same rules as loaded once, no duplicates ($form form, $(printf '%s\n' "$twice" | grep -c .) lines)"
else bad "rules loaded twice differ from once: $(diff <(printf '%s\n' "$once") <(printf '%s\n' "$twice") | head -5 | tr '\n' ' ') (jumps $n_jump, tables $n_tables)"; fi
if [ "$quick" != 1 ]; then
kill -USR1 "$daemon_pid"; sleep 0.3
if grep -q '^ftpgate_expectations_installed_total [1-9]' "$LAB_DIR/ftpgate.log"; then ok "SIGUSR1 prints the counters"
else bad "SIGUSR1 printed no counters"; fi
printf 'expectation_timeout = 12\n' > "$LAB_DIR/reload.conf"
printf 'expectation_timeout = 12\nbogus_key = 1\n' > "$LAB_DIR/bad.conf"
stop_daemon
ip netns exec "${LAB}r" "$ftpgate" run --config "$LAB_DIR/reload.conf" --user nobody --queue 0 --ports 21,2121,2100 \
  --status-socket "$LAB_DIR/ftpgate.sock" >> "$LAB_DIR/ftpgate.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 50); do [ -S "$LAB_DIR/ftpgate.sock" ] && break; sleep 0.1; done
if [ "$(awk '/^Uid:/ {print $2}' "/proc/$daemon_pid/status")" = "$(id -u nobody)" ] && caps_only_net_admin "$daemon_pid"; then
  ok "--user nobody: the daemon runs as nobody with CAP_NET_ADMIN only"
else bad "--user nobody: $(grep -E '^(Uid|CapEff)' "/proc/$daemon_pid/status" | tr '\n' ' ')"; fi
cp "$LAB_DIR/bad.conf" "$LAB_DIR/reload.conf"; kill -HUP "$daemon_pid"; sleep 0.3
if grep -q "reload refused, keeping the running policy: .*line 2: unknown key 'bogus_key'" "$LAB_DIR/ftpgate.log"; then
  ok "SIGHUP with a bad file keeps the running policy and names the line"
else bad "SIGHUP with a bad file: $(tail -2 "$LAB_DIR/ftpgate.log")"; fi
printf 'expectation_timeout = 17\n' > "$LAB_DIR/reload.conf"; kill -HUP "$daemon_pid"; sleep 0.3
transfer_ok v4_pasv > /dev/null
if grep -q "policy reloaded" "$LAB_DIR/ftpgate.log" && tail -3 "$LAB_DIR/ftpgate.log" | grep -q "installed, timeout 17s"; then
  ok "SIGHUP reloads the policy (expectation timeout 17 s in use)"
else bad "SIGHUP reload: $(tail -3 "$LAB_DIR/ftpgate.log")"; fi
if in_router "$ftpgate" run --queue 0 --ports 21 --status-socket "$LAB_DIR/second.sock" 2>&1 | grep -q "another program is bound to NFQUEUE 0"; then
  ok "a second daemon on the same queue says why it cannot start"
else bad "a second daemon on queue 0 gave no clear error"; fi
fi  # quick

# --- a flooded queue: fail open, count, resume -----------------------------------------------
# 40 control connections to vsftpd send NOOPs back to back for 3 s through a 16-packet queue:
# the kernel accepts what does not fit (NFQA_CFG_F_FAIL_OPEN), nothing may fail, ftpgate counts
# the bytes it could not see, and a transfer right after is inspected and admitted again.
rr_tool=$(dirname "$ftpgate")/tests/bench/rr_tool
if [ "$quick" = 1 ]; then :
elif [ -x "$rr_tool" ]; then
  stop_daemon
  ip netns exec "${LAB}r" "$ftpgate" run --queue 0 --ports 21,2121,2100 --queue-max-len 16 \
    --status-socket "$LAB_DIR/ftpgate.sock" >> "$LAB_DIR/ftpgate.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 50); do [ -S "$LAB_DIR/ftpgate.sock" ] && break; sleep 0.1; done
  read -r n _ _ _ _ failed_conns < <(in_client "$rr_tool" flood "$SERVER4" 21 40 3)
  skipped=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_skipped_bytes_total" {print $2}')
  if [ "${failed_conns:-1}" = 0 ] && [ "${n:-0}" -gt 1000 ] && [ "${skipped:-0}" -gt 0 ]; then
    ok "flooded queue: $n exchanges on 40 connections, none failed, $skipped bytes passed uninspected and were counted"
  else bad "flooded queue: exchanges ${n:-0}, failed connections ${failed_conns:-?}, uninspected bytes ${skipped:-?}"; fi
  if transfer_ok v4_pasv; then ok "after the flood, inspection resumes (passive transfer admitted)"
  else bad "after the flood, a passive transfer failed"; fi
  stop_daemon
  start_daemon || exit 1
else
  echo "skip flood check: $rr_tool not built (FTPGATE_BENCH=OFF)"
fi

# --- ctnetlink errors: EBUSY, a full expectation table, a conntrack gone mid-session ---------
# (also in quick mode with FTPGATE_E2E_FAULTS=1: where expectations ride on verdicts, these
# are the refusals the kernel makes silently)
if [ "$quick" != 1 ] || [ "${FTPGATE_E2E_FAULTS:-0}" = 1 ]; then
counter() { "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk -v k="ftpgate_$1" '$1 == k {print $2}'; }
# The daemon writes its log after the verdicts of a round: on a slow machine (the stock-kernel
# guest) the client may be done first. Waits up to 3 s for the pattern.
log_has() {
  local _
  for _ in $(seq 30); do grep -q "$1" "$LAB_DIR/ftpgate.log" && return 0; sleep 0.1; done
  return 1
}
fsync="$LAB_DIR/fault"; mkdir -p "$fsync"
in_client /usr/bin/python3 "$here/fault_client.py" "$SERVER4" "$CLIENT4" "$fsync" > "$LAB_DIR/fault.out" 2>&1 &
fclient=$!
for _ in $(seq 100); do [ -e "$fsync/step1" ] && break; sleep 0.1; done
if log_has "refused the expectation: .*(EBUSY)" && [ "$(counter 'expectation_install_failures_total{reason="busy"}')" = 1 ]; then
  ok "two control connections expecting the same data endpoint: the second is refused (EBUSY), counted and logged"
else bad "EBUSY: $(counter 'expectation_install_failures_total{reason="busy"}') $(tail -2 "$LAB_DIR/ftpgate.log")"; fi
echo 1 > /proc/sys/net/netfilter/nf_conntrack_expect_max
touch "$fsync/go2"
for _ in $(seq 100); do [ -e "$fsync/step2" ] && break; sleep 0.1; done
echo "$expect_max_saved" > /proc/sys/net/netfilter/nf_conntrack_expect_max
if log_has "refused the expectation: .*(EMFILE)" && [ "$(counter 'expectation_install_failures_total{reason="table_full"}')" = 1 ]; then
  ok "a full kernel expectation table: refused (EMFILE), counted, the daemon goes on"
else bad "full table: $(counter 'expectation_install_failures_total{reason="table_full"}') $(tail -2 "$LAB_DIR/ftpgate.log")"; fi
b_port=$(awk '/^b_port/ {print $2}' "$LAB_DIR/fault.out")
in_router conntrack -D -p tcp --orig-src "$CLIENT4" --sport "$b_port" --dport 21 > /dev/null 2>&1
touch "$fsync/go3"
for _ in $(seq 100); do [ -e "$fsync/step3" ] && break; sleep 0.1; done
wait "$fclient"
# Without its conntrack, B's next segment is one conntrack cannot pick up here (ct state
# invalid): the ruleset drops it before the queue, as the forward chain would after it; where
# it is picked up instead, ftpgate looks the new conntrack up and counts it missing.
if log_has "conntrack entry was not found" && [ "$(counter conntrack_missing_total)" -ge 1 ]; then
  ok "a control connection whose conntrack vanished: looked up again, counted as missing, no crash"
elif ! grep -q ":51203" "$LAB_DIR/ftpgate.log" && kill -0 "$daemon_pid" 2>/dev/null; then
  ok "a control connection whose conntrack vanished: its segments are ct-invalid and dropped before the queue; ftpgate goes on"
else bad "vanished conntrack: $(counter conntrack_missing_total) $(tail -2 "$LAB_DIR/ftpgate.log")"; fi
# Tight pinholes: vsftpd refuses a PORT before login (530); ftpgate withdraws the expectation
# it made for it at once (the kernel helper keeps it until it times out).
in_client /usr/bin/python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 21), timeout=5, source_address=(sys.argv[2], 0))
f = s.makefile("rb"); f.readline()
s.sendall(("PORT %s,195,99\r\n" % sys.argv[2].replace(".", ",")).encode())
print(f.readline().decode().strip(), flush=True)
time.sleep(1); s.close()' "$SERVER4" "$CLIENT4" > "$LAB_DIR/refused.out" 2>&1 &
rclient=$!
for _ in $(seq 30); do grep -q . "$LAB_DIR/refused.out" && break; sleep 0.1; done
sleep 0.3
in_router conntrack -L expect 2> /dev/null | grep -c "dport=50019" > "$LAB_DIR/refused.count"
wait "$rclient"
if grep -q "^530" "$LAB_DIR/refused.out" && [ "$(cat "$LAB_DIR/refused.count")" = 0 ] &&
   log_has "^withdrawn control" && [ "$(counter expectations_withdrawn_removed_total)" = 1 ]; then
  ok "a PORT the server refused (530): its expectation withdrawn at once, counted and logged"
else bad "refused PORT: $(cat "$LAB_DIR/refused.out") in kernel $(cat "$LAB_DIR/refused.count"), removed $(counter expectations_withdrawn_removed_total)"; fi
if transfer_ok v4_pasv; then ok "after the ctnetlink errors, a new session is admitted as usual"
else bad "after the ctnetlink errors, a transfer failed"; fi
fi  # quick

# --- kill and restart mid-session ----------------------------------------------------------
sync_dir="$LAB_DIR/sync"; mkdir -p "$sync_dir"
in_client /usr/bin/python3 "$here/long_session_client.py" "$SERVER4" "$sync_dir" > "$LAB_DIR/long.out" 2>&1 &
client=$!
for _ in $(seq 100); do [ -e "$sync_dir/step1" ] && break; sleep 0.1; done
kill -9 "$daemon_pid"; wait "$daemon_pid" 2> /dev/null; daemon_pid=""; rm -f "$LAB_DIR/ftpgate.sock"
touch "$sync_dir/killed"
for _ in $(seq 100); do [ -e "$sync_dir/step2" ] && break; sleep 0.1; done
if grep -q "^noop: 200" "$LAB_DIR/long.out"; then ok "control connection alive while ftpgate is dead (queue bypass)"
else bad "control connection stalled without ftpgate: $(cat "$LAB_DIR/long.out")"; fi
start_daemon || exit 1
touch "$sync_dir/restarted"
wait "$client"; client_rc=$?
want=$(grep " ./1M.bin\$" "$LAB_DIR/files.sha256" | cut -d' ' -f1)
if [ "$client_rc" = 0 ] && [ "$(grep -c "^$want pub/1M.bin" "$LAB_DIR/long.out")" = 2 ]; then
  ok "after restart, passive and active transfers on the old session work (pickup)"
else
  bad "after restart: $(cat "$LAB_DIR/long.out")"
fi
if "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | grep -q '^ftpgate_midstream_pickups_total [1-9]'; then
  ok "the restarted daemon counted the mid-stream pickup"
else bad "no mid-stream pickup counted"; fi
stop_daemon

# --- no helper: the firewall is closed -----------------------------------------------------
for c in $CASES; do
  if transfer_ok "$c"; then bad "$c without ftpgate: transferred, so the firewall is open"
  else ok "$c without ftpgate: blocked"; fi
done

# --- the kernel FTP helper as the reference ------------------------------------------------
rules --helper ftp --no-queue
for c in $CASES; do
  if record_expectations kernel "$c"; then ok "$c with the kernel helper: transferred"
  else bad "$c with the kernel helper: failed"; fi
  if [ -s "$LAB_DIR/exp-kernel-$c" ] && diff -q "$LAB_DIR/exp-kernel-$c" "$LAB_DIR/exp-ftpgate-$c" > /dev/null; then
    ok "$c: ftpgate's expectations match the kernel helper's ($(wc -l < "$LAB_DIR/exp-kernel-$c"))"
  else
    bad "$c: kernel $(tr '\n' ';' < "$LAB_DIR/exp-kernel-$c") vs ftpgate $(tr '\n' ';' < "$LAB_DIR/exp-ftpgate-$c")"
  fi
done
in_router bash "$top/scripts/rules.sh" unload > /dev/null
[ "$failed" = 0 ] || { echo "--- ftpgate.log: messages and decisions, last 40"; grep -v "^ftpgate_\|^# " "$LAB_DIR/ftpgate.log" | tail -40; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
