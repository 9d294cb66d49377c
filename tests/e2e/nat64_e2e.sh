#!/usr/bin/env bash
# End-to-end NAT64 (RFC 6384, README: NAT64): an IPv6-only client reaches IPv4-only servers
# through tayga (stateful: dynamic pool + masquerade) on the router, whose forward policy is
# drop on both families; ftpgate queues the IPv4 leg only and translates EPSV/EPRT there.
#
#   client ns  ${LAB}c : 2001:db8:1::2 only               (servers at 2001:db8:64::<IPv4>)
#   router ns  ${LAB}r : tayga, TUN nat64, prefix 2001:db8:64::/96, pool 192.0.2.0/24,
#                        masquerade out of rs (203.0.113.1); ftpgate on queue 0
#   server ns  ${LAB}s : 203.0.113.2 only: legacy (pyftpdlib without EPSV/EPRT) on 2121,
#                        vsftpd on 21, proftpd on 2122
#
# Every client (curl, lftp, Python ftplib) x server x mode (passive, active) runs with ftpgate
# (must transfer byte-exact) and on an open router without ftpgate (the legacy server must
# fail, as measured in docs/kernel-notes.md); ALGS is answered; a deny rule and the transfer
# audit work on translated sessions. One line per case: "ok"/"FAIL" and the case's name.
#   nat64_e2e.sh FTPGATE    (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
# proftpd conflicts with vsftpd as Debian packages: scripts/install-deps.sh unpacks it here.
PROFTPD=$(command -v proftpd || echo /opt/ftpgate-lab/proftpd/usr/sbin/proftpd)
for t in tayga vsftpd "$PROFTPD" lftp curl nft iptables ip6tables tcpdump /usr/bin/python3; do
  command -v "$t" > /dev/null || { echo "missing $t: skipped"; exit 77; }
done
/usr/bin/python3 -c 'import pyftpdlib' 2> /dev/null || { echo "missing pyftpdlib: skipped"; exit 77; }
LAB=fg64$$; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
source "$here/e2e_common.sh"
tayga_pid=""
cleanup() {
  stop_daemon
  [ -n "$tayga_pid" ] && kill "$tayga_pid" 2> /dev/null
  lab_down  # the namespaces go with everything in them: servers, TUN, rules
}
trap cleanup EXIT
lab_up || exit 1

PREFIX=2001:db8:64::; POOL=192.0.2.0/24; TAYGA4=192.0.2.1
# The servers as the IPv6-only client reaches them: prefix + 203.0.113.2 (RFC 6052, /96).
VIA=$(/usr/bin/python3 -c "import ipaddress; print(ipaddress.IPv6Address(int(ipaddress.IPv6Address('$PREFIX')) + int(ipaddress.IPv4Address('$SERVER4'))))")
# IPv6-only client, IPv4-only server.
in_client ip addr del "$CLIENT4/24" dev c0
in_server ip -6 addr del "$SERVER6/64" dev s0

# tayga in the router: the TUN device, its routes, then the daemon (foreground, our child).
mkdir -p "$LAB_DIR/tayga"
cat > "$LAB_DIR/tayga.conf" << EOF
tun-device nat64
ipv4-addr $TAYGA4
prefix $PREFIX/96
dynamic-pool $POOL
data-dir $LAB_DIR/tayga
EOF
# A distribution kernel has TUN as a module (the stock-kernel guest): load it, and make the
# device node where no udev made it.
modprobe tun 2> /dev/null || true
[ -c /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }
in_router tayga -c "$LAB_DIR/tayga.conf" --mktun > "$LAB_DIR/mktun.out" 2>&1 ||
  { echo "tayga --mktun failed: $(head -c 300 "$LAB_DIR/mktun.out")"; exit 1; }
in_router ip link set nat64 up
in_router ip addr add "$ROUTER_S4" dev nat64
in_router ip -6 addr add "$ROUTER_C6" dev nat64
in_router ip route add "$POOL" dev nat64
in_router ip -6 route add "$PREFIX/96" dev nat64
in_router tayga -c "$LAB_DIR/tayga.conf" --nodetach > "$LAB_DIR/tayga.log" 2>&1 &
tayga_pid=$!
# Stateful NAT64: the pool leaves as the router's address.
in_router nft -f - << EOF || { echo "NAT rules failed to load"; exit 1; }
table ip fg64nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "rs" masquerade
	}
}
EOF

# The servers.
lab_start_vsftpd 4 21 server || exit 1
in_server /usr/bin/python3 "$here/nat64_legacy_server.py" "$SERVER4" 2121 "$LAB_DIR/root" > "$LAB_DIR/legacy.log" 2>&1 &
lab_wait_listen 2121 || exit 1
cat > "$LAB_DIR/proftpd.conf" << EOF
ServerName "lab"
ServerType standalone
DefaultServer on
Port 2122
DefaultAddress $SERVER4
UseIPv6 off
User nobody
Group nogroup
PidFile $LAB_DIR/proftpd.pid
ScoreboardFile $LAB_DIR/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
RequireValidShell off
PassivePorts 50000 50100
<Anonymous $LAB_DIR/root>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  <Limit WRITE>
    DenyAll
  </Limit>
</Anonymous>
EOF
in_server "$PROFTPD" -n -q -c "$LAB_DIR/proftpd.conf" > "$LAB_DIR/proftpd.log" 2>&1 &
lab_wait_listen 2122 || { cat "$LAB_DIR/proftpd.log"; exit 1; }
port_of() { case $1 in legacy) echo 2121 ;; vsftpd) echo 21 ;; proftpd) echo 2122 ;; esac; }
DAEMON_PORTS=21,2121,2122

# Firewall: ftpgate's rules (forward policy drop on both families, helper on both legs'
# control connections), queueing only IPv4 (--family ip): ftpgate sees the IPv4 leg.
rules() { in_router bash "$top/scripts/rules.sh" load --standalone --family ip --ports "$DAEMON_PORTS" --helper sane --queue 0 "$@" > /dev/null; }
unrules() { in_router bash "$top/scripts/rules.sh" unload > /dev/null 2>&1; }
status() { "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" 2> /dev/null; }
counter() { status | awk -v n="ftpgate_$1" '$1 == n { print $2 }'; }
nat64_flags=(--nat64 yes --nat64-prefix "$PREFIX/96")

curl_opts="-g -s -S --connect-timeout 3 --max-time 15"
lftp_opts="set net:timeout 3; set net:max-retries 1; set net:reconnect-interval-base 1; set xfer:clobber on"
# case_cmd CLIENT-SERVER-MODE: downloads pub/64k.bin into $LAB_DIR/dl/a (e2e_common.sh).
case_cmd() {
  local client server mode port d="$LAB_DIR/dl" url
  IFS=- read -r client server mode <<< "$1"
  port=$(port_of "$server"); url="ftp://[$VIA]:$port/pub/64k.bin"
  case $client in
    curl) in_client curl $curl_opts $([ "$mode" = active ] && echo "-P -") -o "$d/a" "$url" ;;
    lftp) in_client timeout 20 lftp -c "$lftp_opts; set ftp:passive-mode $([ "$mode" = passive ] && echo on || echo off);
            open ftp://[$VIA]:$port; get pub/64k.bin -o $d/a; bye" ;;
    ftplib) in_client timeout 20 /usr/bin/python3 "$here/nat64_ftplib_client.py" "$VIA" "$port" get "$mode" pub/64k.bin "$d/a" ;;
  esac || return 1
  echo "a 64k.bin"
}
CASES=""
for c in curl lftp ftplib; do for s in legacy vsftpd proftpd; do for m in passive active; do
  CASES+=" $c-$s-$m"; done; done; done
# NAT64_CASES="ftplib-legacy-passive ..." runs only those (the stock-kernel stage's subset).
[ -n "${NAT64_CASES:-}" ] && CASES=" $NAT64_CASES"
n_passive=$(grep -o -- '-passive' <<< "$CASES" | wc -l); n_active=$(grep -o -- '-active' <<< "$CASES" | wc -l)
table="$LAB_DIR/table"; : > "$table"
run_cases() {  # WITH (ftpgate|none): runs every case, records the table row
  local with=$1 c result
  for c in $CASES; do
    if transfer_ok "$c"; then result=ok; else result=fails; fi
    echo "$c $with $result $(head -c 120 "$LAB_DIR/client.err" | tr '\n' ' ')" >> "$table"
    case $with-$result in
      ftpgate-ok) ok "$c with ftpgate: transferred byte-exact" ;;
      ftpgate-fails) bad "$c with ftpgate: failed ($(head -c 200 "$LAB_DIR/client.err"))" ;;
      none-*) local why; why=$(tail -n 1 "$LAB_DIR/client.err" | head -c 100)
              if [[ $c == *-legacy-* ]]; then
                [ "$result" = fails ] && ok "$c without ftpgate: fails ($why)" ||
                  bad "$c without ftpgate: transferred, but the legacy server knows no EPSV/EPRT"
              else echo "info $c without ftpgate: $result${why:+ ($why)}"; fi ;;
    esac
  done
}

# --- without ftpgate: an open router (no firewall), NAT64 alone ---------------------------------
run_cases none

# --- with ftpgate, forward policy drop ----------------------------------------------------------
rules || { echo "rules failed to load"; exit 1; }
start_daemon "${nat64_flags[@]}" || exit 1
run_cases ftpgate
# FTPGATE_NAT64_RECORD=DIR: captures for pcaps/nat64/ (scripts/record_pcaps.sh's role for this
# lab): the IPv6 leg as the client's side shows it, and the IPv4 leg as ftpgate's queue sees it.
record() {  # NAME CASE|cmd:LINE
  local dir=$FTPGATE_NAT64_RECORD name=$1 what=$2 pids="" i
  for i in rc nat64 rs; do
    ip netns exec "${LAB}r" tcpdump -i "$i" -s 0 -U -w "$LAB_DIR/rec-$i.pcap" $([ "$i" = rc ] || echo "-Q in") \
      'tcp port 2121' 2> /dev/null & pids+=" $!"
  done
  sleep 0.5
  if [[ $what == cmd:* ]]; then in_client /usr/bin/python3 "$here/nat64_ftplib_client.py" "$VIA" 2121 cmd "${what#cmd:}" > /dev/null
  else transfer_ok "$what"; fi
  sleep 0.5
  for i in $pids; do kill "$i"; wait "$i" 2> /dev/null; done
  cp "$LAB_DIR/rec-rc.pcap" "$dir/$name-ipv6-leg.pcap"
  /usr/bin/python3 "$here/nat64_queue_view.py" "$LAB_DIR/rec-nat64.pcap" "$LAB_DIR/rec-rs.pcap" "$ROUTER_S4" "$dir/$name-ipv4-leg.pcap"
  echo "recorded $name"
}
if [ -n "${FTPGATE_NAT64_RECORD:-}" ]; then
  mkdir -p "$FTPGATE_NAT64_RECORD"
  record legacy_curl_epsv curl-legacy-passive
  record legacy_curl_eprt curl-legacy-active
  record legacy_ftplib_algs "cmd:ALGS STATUS64"
fi
for s in legacy vsftpd proftpd; do
  reply=$(in_client timeout 10 /usr/bin/python3 "$here/nat64_ftplib_client.py" "$VIA" "$(port_of "$s")" cmd "ALGS STATUS64" 2>&1)
  [ "$reply" = "216 EPSVEPRT" ] && ok "ALGS STATUS64 to $s: $reply" || bad "ALGS STATUS64 to $s: '$reply'"
done
edits=$(counter ftp64_line_edits_total); failed_edits=$(counter ftp64_line_edits_failed_total)
v6=$(counter ftp64_v6_expectations_total); v6err=$(counter ftp64_v6_expectation_errors_total)
# Each passive case 2 edits (EPSV -> PASV, 227 -> 229), each active 1 (EPRT -> PORT), the 3
# ALGS 2 each (NOOP, its 200): 33 for all 18 cases; one IPv6-leg expectation per case.
want_edits=$((2 * n_passive + n_active + 6)); want_v6=$((n_passive + n_active))
echo "     counters: ftp64_line_edits=$edits failed=$failed_edits v6_expectations=$v6 v6_errors=$v6err"
[ "${edits:-0}" -ge "$want_edits" ] && ok "ftpgate translated lines ($edits)" || bad "too few line edits: ${edits:-none} (want $want_edits)"
[ "${failed_edits:-1}" = 0 ] && ok "every line edit was made" || bad "ftp64_line_edits_failed=$failed_edits"
[ "${v6err:-1}" = 0 ] && [ "${v6:-0}" -ge "$want_v6" ] && ok "the IPv6 leg got each data connection's expectation ($v6)" ||
  bad "IPv6 leg expectations $v6, errors $v6err"
stop_daemon

# --- policy and audit on translated sessions ----------------------------------------------------
unrules; rules --audit || exit 1
start_daemon "${nat64_flags[@]}" --rule "deny verb MKD" --audit-log "$LAB_DIR/audit.jsonl" || exit 1
for c in curl-legacy-passive ftplib-vsftpd-active; do
  transfer_ok "$c" && ok "$c with a deny rule and the audit: transferred byte-exact" || bad "$c with a deny rule and the audit: failed"
done
reply=$(in_client timeout 10 /usr/bin/python3 "$here/nat64_ftplib_client.py" "$VIA" 2121 cmd "MKD x" 2>&1)
if [[ $reply != 257* ]] && grep -q '"MKD x"\|MKD x' "$LAB_DIR/ftpgate.log"; then ok "MKD denied on a translated session (client saw: $(head -c 80 <<< "$reply"))"
else bad "MKD not denied: '$reply'"; fi
sleep 2.5  # transfer_linger: the records are written once each data connection ended
stop_daemon
records=$(grep '"command":"RETR"' "$LAB_DIR/audit.jsonl" 2> /dev/null | grep -c '64k.bin')
[ "${records:-0}" -ge 2 ] && ok "the audit recorded the translated sessions' transfers ($records)" ||
  bad "audit records: ${records:-0} ($(head -c 300 "$LAB_DIR/audit.jsonl" 2> /dev/null))"
unrules

echo "--- client x server x mode: without ftpgate (open router) / with ftpgate (policy drop)"
for c in $CASES; do
  printf '%-24s %-6s %-6s\n' "$c" "$(awk -v c="$c" '$1 == c && $2 == "none" { print $3 }' "$table")" \
    "$(awk -v c="$c" '$1 == c && $2 == "ftpgate" { print $3 }' "$table")"
done
[ "$failed" = 0 ] || { echo "--- ftpgate.log, last 40"; grep -v "^ftpgate_\|^# " "$LAB_DIR/ftpgate.log" | tail -40; }
echo "nat64 e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
