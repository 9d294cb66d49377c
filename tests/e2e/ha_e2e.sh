#!/usr/bin/env bash
# HA pair end to end (tests/e2e/ha_lab.sh): real keepalived moves the virtual addresses, real
# conntrackd syncs conntracks and expectations, ftpgate runs on both routers behind a
# default-drop forward policy. Each case negotiates a data connection through the primary,
# the routers fail over, and the data connection is used through the backup; then more
# transfers follow, each a negotiation the new primary's ftpgate inspects. Phase B fails back
# to the first router, twice over: sessions negotiated on the second router, and two whose
# PASV went through the second router while the server was slow to answer, the 227 through
# the first. The same cases run with the kernel's FTP helper on both routers as the reference.
#   ha_e2e.sh FTPGATE        (root; exit 77 without conntrackd/keepalived/pyftpdlib)
# FTPGATE_HA_MODES="ftpgate kernel" picks the suites (the first must pass; kernel is reported).
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root: skipped"; exit 77; }
for tool in conntrackd keepalived; do
  command -v "$tool" > /dev/null || { echo "no $tool: skipped"; exit 77; }
done
/usr/bin/python3 -c "import pyftpdlib" 2> /dev/null || { echo "no pyftpdlib: skipped"; exit 77; }
# shellcheck source=ha_lab.sh
. "$here/ha_lab.sh"
trap ha_down EXIT

# shellcheck source=e2e_common.sh
. "$here/e2e_common.sh"  # ok, bad and their counts

# tag host port source mode before after [--pasv-gap]
phase_a_cases=(
  "v4-plain-pasv 10.71.2.10 21 10.71.1.10 pasv 1 1"
  "v4-plain-port 10.71.2.10 21 10.71.1.10 port 1 1"
  "v6-plain-epsv fd71:2::10 21 fd71:1::10 epsv 1 1"
  "v6-plain-eprt fd71:2::10 21 fd71:1::10 eprt 1 1"
  "v4-masq-pasv 10.71.2.10 21 10.71.1.11 pasv 1 1"
  "v4-masq-port 10.71.2.10 21 10.71.1.11 port 2 2"
  "v6-masq-epsv fd71:2::10 21 fd71:1::11 epsv 1 1"
  "v6-masq-eprt fd71:2::10 21 fd71:1::11 eprt 2 2"
  "v4-dnat-pasv 10.71.1.1 21 10.71.1.12 pasv 2 2"
  "v4-dnat-port 10.71.1.1 21 10.71.1.12 port 1 1"
  "v6-dnat-epsv fd71:1::1 21 fd71:1::12 epsv 1 1"
  "v6-dnat-eprt fd71:1::1 21 fd71:1::12 eprt 1 1"
)
phase_b_cases=(
  "back-v4-masq-port 10.71.2.10 21 10.71.1.11 port 1 1"
  "back-v6-plain-epsv fd71:2::10 21 fd71:1::10 epsv 1 1"
  "back-v4-dnat-pasv 10.71.1.1 21 10.71.1.12 pasv 1 1"
)
gap_cases=(
  "gap-v4-plain-pasv 10.71.2.10 2121 10.71.1.10 pasv 0 1 --pasv-gap"
  "gap-v4-dnat-pasv 10.71.1.1 2121 10.71.1.12 pasv 0 1 --pasv-gap"
)

declare -A result   # result[mode/tag] = pass|FAIL (why)
declare -A client_pid

start_client() {  # the case's words
  local tag=$1 host=$2 port=$3 src=$4 mode=$5 before=$6 after=$7 extra=${8:-}
  # shellcheck disable=SC2086
  ip netns exec "${HA}c" /usr/bin/python3 "$here/ha_client.py" --host "$host" --port "$port" --source "$src" \
    --mode "$mode" --file "pub/$( [ "$before" -gt 1 ] && echo b.bin || echo a.bin )" --out "$HA_DIR/out" \
    --tag "$tag" --before "$before" --after "$after" $extra 2>> "$HA_DIR/out/clients.err" &
  client_pid[$tag]=$!
}
wait_ready() {  # tags...
  local t i
  for t in "$@"; do
    for i in $(seq 600); do [ -f "$HA_DIR/out/$t.ready" ] || [ -f "$HA_DIR/out/$t.err" ] && break; sleep 0.1; done
  done
}
# Records each case: the client's exit and every download byte-exact.
finish_cases() {  # mode tags...
  local mode=$1 t f name want got why; shift
  for t in "$@"; do
    why=""
    wait "${client_pid[$t]}" || why="client failed: $(cat "$HA_DIR/out/$t.err" 2> /dev/null)"
    if [ -z "$why" ]; then
      for f in "$HA_DIR/out/$t"-*.bin; do
        name=a.bin; case $t in v4-masq-port|v6-masq-eprt|v4-dnat-pasv) name=b.bin ;; esac
        want=$(grep " ./$name\$" "$HA_DIR/files.sha256" | cut -d' ' -f1)
        got=$(sha256sum < "$f" | cut -d' ' -f1)
        [ "$want" = "$got" ] || why="$(basename "$f") differs"
      done
    fi
    result[$mode/$t]=${why:+FAIL ($why)}
    [ -n "$why" ] || result[$mode/$t]=pass
  done
}
counter() {  # router name
  ftpgate_status "$1" | awk -v n="ftpgate_$2" '$1 == n { print $2; exit }'
}
ftpgate_status() { ha_in "$1" "$ftpgate" status --socket "$HA_DIR/$1/ftpgate.sock" 2> /dev/null; }

run_suite() {
  local mode=$1 r
  ha_up || { bad "$mode: lab did not come up"; return 1; }
  local notify_ftpgate=$ftpgate
  [ "$mode" = kernel ] && notify_ftpgate=true
  for r in r1 r2; do
    ha_nat "$r" || return 1
    if [ "$mode" = ftpgate ]; then
      ha_in "$r" "$repo/scripts/rules.sh" load --standalone --ports 21,2121 --queue 0 --helper sane --form auto > /dev/null || return 1
      # The identity case's policy (ha_identity_client.py): STAT for anonymous only.
      printf 'queue = 0\nports = 21,2121\nstatus_socket = %s\nrule = allow verb STAT user anonymous\nrule = deny verb STAT\n' \
        "$HA_DIR/$r/ftpgate.sock" > "$HA_DIR/$r/ftpgate.conf"
      ip netns exec "$HA$r" "$ftpgate" run --config "$HA_DIR/$r/ftpgate.conf" > "$HA_DIR/$r/ftpgate.log" 2>&1 &
      disown $!
    else
      ha_in "$r" "$repo/scripts/rules.sh" load --standalone --ports 21,2121 --helper ftp --no-queue > /dev/null || return 1
    fi
    ha_start_conntrackd "$r" || return 1
  done
  if [ "$mode" = ftpgate ]; then
    for r in r1 r2; do
      local i; for i in $(seq 50); do [ -S "$HA_DIR/$r/ftpgate.sock" ] && break; sleep 0.1; done
    done
  fi
  ftpgate=$notify_ftpgate ha_start_keepalived r1
  ha_wait_primary r1 0 || { bad "$mode: r1 never became primary"; return 1; }
  ftpgate=$notify_ftpgate ha_start_keepalived r2
  sleep 2  # r2 settles as backup and asks r1 for its state
  [ "$mode" = ftpgate ] && check_node

  # Phase A: negotiated on r1, used through r2 after r1's keepalived stops.
  local c tags=()
  for c in "${phase_a_cases[@]}"; do read -ra w <<< "$c"; start_client "${w[@]}"; tags+=("${w[0]}"); done
  local identity_pid=""
  if [ "$mode" = ftpgate ]; then
    ip netns exec "${HA}c" /usr/bin/python3 "$here/ha_identity_client.py" 10.71.2.10 10.71.1.10 "$HA_DIR/out" \
      > "$HA_DIR/out/identity.out" 2>&1 &
    identity_pid=$!
    wait_ready identity
  fi
  wait_ready "${tags[@]}"
  local r2_before; r2_before=$(ha_primary_count r2)
  ha_stop_keepalived r1
  ha_wait_primary r2 "$r2_before" || { bad "$mode: r2 never became primary"; return 1; }
  for c in "${tags[@]}"; do touch "$HA_DIR/out/$c.go"; done
  finish_cases "$mode" "${tags[@]}"
  [ "$mode" = ftpgate ] && check_counters_after_failover
  [ -n "$identity_pid" ] && check_identity_after_failover "$identity_pid"

  # Phase B: failback. Sessions negotiated on r2 go on through r1; two PASVs go through r2
  # and their 227s, late, through r1.
  tags=()
  for c in "${phase_b_cases[@]}"; do read -ra w <<< "$c"; start_client "${w[@]}"; tags+=("${w[0]}"); done
  wait_ready "${tags[@]}"
  local gaps=()
  for c in "${gap_cases[@]}"; do read -ra w <<< "$c"; start_client "${w[@]}"; gaps+=("${w[0]}"); done
  wait_ready "${gaps[@]}"
  local r1_before; r1_before=$(ha_primary_count r1)
  ftpgate=$notify_ftpgate ha_start_keepalived r1
  ha_wait_primary r1 "$r1_before" || { bad "$mode: no failback to r1"; return 1; }
  for c in "${tags[@]}"; do touch "$HA_DIR/out/$c.go"; done
  finish_cases "$mode" "${tags[@]}" "${gaps[@]}"
  [ "$mode" = ftpgate ] && check_counters_after_failback
  rm -rf "/tmp/ftpgate-ha-last-$mode"; cp -r "$HA_DIR" "/tmp/ftpgate-ha-last-$mode" 2> /dev/null || true
  ha_down
}

# The user is known to the router that saw the login; the new primary picked the session up
# and cannot know it, so `allow verb STAT user anonymous` no longer matches and `deny verb STAT`
# does: fail closed (README, Enforcement that holds).
check_identity_after_failover() {  # pid
  touch "$HA_DIR/out/identity.go"
  wait "$1"
  local before after
  before=$(awk '/^before:/ {print $2}' "$HA_DIR/out/identity.out")
  after=$(awk '/^after:/ {print $2}' "$HA_DIR/out/identity.out")
  if [ "${before:0:1}" = 2 ]; then ok "identity: STAT allowed for anonymous through r1 ($before)"
  else bad "identity: STAT through r1: $(cat "$HA_DIR/out/identity.out")"; fi
  if [ "$after" = reset ] && grep -q 'policy deny rule line 5 "deny verb STAT"' "$HA_DIR/r2/ftpgate.log"; then
    ok "identity: after the failover r2 cannot know the user: STAT denied (fail closed), connection reset"
  else bad "identity after failover: $(cat "$HA_DIR/out/identity.out"); r2: $(grep '^policy' "$HA_DIR/r2/ftpgate.log" | tail -2)"; fi
}

# `ftpgate ha check` on a node of this lab passes, and names what is wrong when the sync
# would not carry ftpgate's expectations (ExpectationSync { ftp } alone).
check_node() {
  local out
  if out=$(ha_in r2 "$ftpgate" ha check --conntrackd-config "$HA_DIR/r2/conntrackd.conf" \
             --keepalived-config "$HA_DIR/r2/keepalived.conf" 2>&1); then ok "ha check passes on r2"
  else bad "ha check on r2: $out"; fi
  sed -e '/ExpectationSync {/,/}/c\		ExpectationSync {\n			ftp\n		}' "$HA_DIR/r2/conntrackd.conf" > "$HA_DIR/r2/ftp-only.conf"
  if out=$(ha_in r2 "$ftpgate" ha check --conntrackd-config "$HA_DIR/r2/ftp-only.conf" \
             --keepalived-config "$HA_DIR/r2/keepalived.conf" 2>&1); then bad "ha check passed ExpectationSync { ftp }"
  elif printf '%s\n' "$out" | grep -q "missing  ExpectationSync covers the helper the rules attach ('sane')"; then
    ok "ha check refuses ExpectationSync { ftp }, naming 'sane'"
  else bad "ha check with ExpectationSync { ftp }: $out"; fi
}

# What the new primary's ftpgate did: it picked the sessions up, inspected the negotiations
# made after the failover (its own expectations and rewrites), continued the first router's
# sequence adjustments and restored the NAT part of the synced expectations.
check_counters_after_failover() {
  local v
  v=$(counter r2 midstream_pickups_total); [ "${v:-0}" -ge 12 ] && ok "r2 picked up the sessions ($v)" || bad "r2 pickups: ${v:-none}"
  v=$(counter r2 expectations_installed_total)
  [ "${v:-0}" -ge 15 ] && ok "r2's ftpgate inspected the negotiations after failover ($v expectations)" || bad "r2 expectations: ${v:-none}"
  v=$(counter r2 nat_rewrites_total); [ "${v:-0}" -ge 6 ] && ok "r2 rewrote after failover ($v)" || bad "r2 rewrites: ${v:-none}"
  v=$(counter r2 pickup_seq_adjustments_adopted_total)
  [ "${v:-0}" -ge 3 ] && ok "r2 continued r1's sequence adjustments ($v)" || bad "r2 adopted adjustments: ${v:-none}"
  # Pure ACKs skip the queue on both routers: the adopted adjustments shifted them in the kernel.
  v=$(acks_past_queue_total "ha_in r2")
  [ "${v:-0}" -gt 0 ] && ok "r2 let $v pure ACKs past its queue (the kernel's seqadj alone shifted them)" || bad "r2: no pure ACK went past the queue"
  v=$(counter r2 synced_expectations_nat_restored_total)
  [ "${v:-0}" -ge 6 ] && ok "synced NAT expectations restored on r2 ($v)" || bad "r2 NAT restored: ${v:-none}"
  if grep -q 'takeover: [0-9]* sessions released; ok ' "$HA_DIR/r2/ftpgate.log"; then ok "r2's ftpgate took over (notify -> ha takeover)"
  else bad "r2 never got the takeover"; fi
  # Its log shows the negotiations after the takeover, one session at least per case.
  local sessions
  sessions=$(sed -n '/takeover: [0-9]* sessions released/,$p' "$HA_DIR/r2/ftpgate.log" | grep ': installed' |
    sed -E 's/.* control ([^ ]+) -> .*/\1/' | sort -u | wc -l)
  [ "$sessions" -ge 12 ] && ok "r2's log: expectations installed after the takeover for $sessions control connections" ||
    bad "r2's log shows installs after the takeover for $sessions control connections"
  if ! ftpgate_status r2 | grep -E 'ftpgate_refusals_total\{reason="(stream_gap|unsolicited_reply)"\} [1-9]' > /dev/null; then
    ok "r2 saw no stream gap and no unsolicited reply"
  else bad "r2: $(ftpgate_status r2 | grep -E 'reason="(stream_gap|unsolicited_reply)"')"; fi
}
check_counters_after_failback() {
  local v
  v=$(counter r1 passive_replies_after_pickup_total)
  [ "${v:-0}" -ge 2 ] && ok "r1 believed the 227s of PASVs sent through r2 ($v)" || bad "r1 passive replies after pickup: ${v:-none}"
  v=$(counter r1 sessions_released_total)
  [ "${v:-0}" -ge 12 ] && ok "r1 forgot its stale sessions at failback ($v)" || bad "r1 released: ${v:-none}"
}

modes=${FTPGATE_HA_MODES:-ftpgate kernel}
for mode in $modes; do
  echo "--- $mode on both routers"
  run_suite "$mode" || bad "$mode: suite stopped"
done
echo
printf '%-22s %-10s %s\n' case ftpgate "kernel helper"
for c in "${phase_a_cases[@]}" "${phase_b_cases[@]}" "${gap_cases[@]}"; do
  t=${c%% *}
  printf '%-22s %-10s %s\n' "$t" "${result[ftpgate/$t]:-not run}" "${result[kernel/$t]:-not run}"
  case " $modes " in *" ftpgate "*)
    if [ "${result[ftpgate/$t]:-}" = pass ]; then ok "ftpgate $t"; else bad "ftpgate $t: ${result[ftpgate/$t]:-not run}"; fi ;;
  esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
