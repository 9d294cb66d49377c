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
#
# NAT64_TRANSLATOR=jool: Jool (stateful NAT64, netfilter mode) in a namespace of its own
# between the client and the router, as Jool's documentation lays it out; the router keeps
# ftpgate's rules and sees only IPv4:
#   client ns  ${LAB}c : 2001:db8:1::2 only (c0)
#   jool ns    ${LAB}j : jc 2001:db8:1::1 (the client's gateway), jr 198.51.100.2 (pool4,
#                        TCP ports 61001-65535), pool6 2001:db8:64::/96
#   router ns  ${LAB}r : rc 198.51.100.1, rs 203.0.113.1 (masquerade, as with tayga: the
#                        kernel adjusts sequence numbers only on NATed conntracks); ftpgate
# Passive cases must transfer as with tayga. Active ones cannot: the router has no conntrack of
# the IPv6 leg to learn who the client is, so ftpgate answers the EPRT 501 (fail closed, RFC
# 6384 section 7), and no IPv6-leg expectation can be made (counted as errors). (Were the EPRT
# translated, the server's connection would still need a BIB entry in Jool for the client's
# data port, which a stateful NAT64 without an FTP ALG does not make: untested here.) The
# module must be loaded or loadable: JOOL_MODULES=DIR (jool_common.ko, jool.ko;
# scripts/jool_module.sh) or modprobe.
#   nat64_e2e.sh FTPGATE    (root; exits 77 = skipped when not root or tools are missing;
#                            NAT64_LAB=NAME names the lab, fg64<pid> by default)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
# proftpd conflicts with vsftpd as Debian packages: scripts/install-deps.sh unpacks it here.
PROFTPD=$(command -v proftpd || echo /opt/ftpgate-lab/proftpd/usr/sbin/proftpd)
TRANSLATOR=${NAT64_TRANSLATOR:-tayga}
case $TRANSLATOR in tayga | jool) ;; *) echo "NAT64_TRANSLATOR=$TRANSLATOR: tayga or jool"; exit 2 ;; esac
for t in "$TRANSLATOR" vsftpd "$PROFTPD" lftp curl nft iptables ip6tables tcpdump /usr/bin/python3; do
  command -v "$t" > /dev/null || { echo "missing $t: skipped"; exit 77; }
done
/usr/bin/python3 -c 'import pyftpdlib' 2> /dev/null || { echo "missing pyftpdlib: skipped"; exit 77; }
# Jool's kernel module: loaded already, or its dependencies by modprobe and the two modules
# from JOOL_MODULES, or modprobe jool (left loaded at exit). The kernel's own modprobe (the
# stock-kernel guest's points at the guest kernel's module tree).
modprobe=$(cat /proc/sys/kernel/modprobe 2> /dev/null); [ -x "$modprobe" ] || modprobe=modprobe
if [ "$TRANSLATOR" = jool ] && ! grep -qs '^jool ' /proc/modules; then
  if [ -n "${JOOL_MODULES:-}" ]; then
    for m in $(modinfo -F depends "$JOOL_MODULES/jool.ko" | tr , ' '); do
      [ "$m" = jool_common ] || "$modprobe" "$m" || { echo "modprobe $m (for jool) failed"; exit 1; }
    done
    grep -qs '^jool_common ' /proc/modules || insmod "$JOOL_MODULES/jool_common.ko" || { echo "insmod jool_common.ko failed"; exit 1; }
    insmod "$JOOL_MODULES/jool.ko" || { echo "insmod jool.ko failed"; exit 1; }
  elif ! "$modprobe" jool 2> /dev/null; then
    echo "the jool kernel module is not loadable here (JOOL_MODULES unset): skipped"; exit 77
  fi
fi
LAB=${NAT64_LAB:-fg64$$}; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
source "$here/e2e_common.sh"
tayga_pid=""
in_jool() { ip netns exec "${LAB}j" "$@"; }
cleanup() {
  stop_daemon
  [ -n "$tayga_pid" ] && kill "$tayga_pid" 2> /dev/null
  # Jool's instance goes with its namespace.
  ip netns list 2> /dev/null | grep -qw "${LAB}j" && ip netns del "${LAB}j"
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

if [ "$TRANSLATOR" = jool ]; then
# Jool in its own namespace between the client and the router: the client's link now ends in
# Jool's namespace (jc), and a second link (jr -- rc) reaches the router, IPv4 only.
JOOL4=$CLIENT4
in_client ip link del c0  # and rc with it
ip netns add "${LAB}j" || exit 1
ip link add "${LAB}c0" netns "${LAB}c" type veth peer name jc netns "${LAB}j"
ip link add "${LAB}jr" netns "${LAB}j" type veth peer name rc netns "${LAB}r"
in_client ip link set "${LAB}c0" name c0
in_jool ip link set "${LAB}jr" name jr
in_jool ip link set lo up
in_jool sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
  net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
in_client ip -6 addr add "$CLIENT6/64" dev c0 nodad
in_client ip link set c0 up
in_client ip -6 route add default via "$ROUTER_C6"
in_jool ip -6 addr add "$ROUTER_C6/64" dev jc nodad
in_jool ip addr add "$JOOL4/24" dev jr
in_jool ip link set jc up
in_jool ip link set jr up
in_jool ip route add default via "$ROUTER_C4"
in_router ip addr add "$ROUTER_C4/24" dev rc
in_router ip link set rc up
in_jool jool instance add "$LAB" --netfilter --pool6 "$PREFIX/96" > "$LAB_DIR/jool.out" 2>&1 &&
  in_jool jool -i "$LAB" pool4 add "$JOOL4" 61001-65535 --tcp >> "$LAB_DIR/jool.out" 2>&1 ||
  { echo "jool instance failed: $(head -c 300 "$LAB_DIR/jool.out")"; exit 1; }
else
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
fi
# Stateful NAT64: the pool (tayga's, or Jool's namespace) leaves as the router's address. Behind
# Jool too: the kernel adjusts TCP sequence numbers after a rewrite that changes a line's
# length (227 -> 229) only on a NATed conntrack (docs/kernel-ftp-behaviour.md, row 58).
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
    # Behind Jool an EPRT is refused by ftpgate (no IPv6 leg on this router): fail closed.
    if [ "$TRANSLATOR-$with-$result" = jool-ftpgate-fails ] && [[ $c == *-active ]] &&
       grep -q "501 EPRT address is not the client's own" "$LAB_DIR/client.err"; then result=501; fi
    echo "$c $with $result $(head -c 120 "$LAB_DIR/client.err" | tr '\n' ' ')" >> "$table"
    case $with-$result in
      ftpgate-ok) ok "$c with ftpgate: transferred byte-exact" ;;
      ftpgate-501) ok "$c with ftpgate behind Jool: EPRT refused 501 (no IPv6 leg on the router to say who the client is: fail closed)" ;;
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
  [ "$TRANSLATOR" = tayga ] || { bad "FTPGATE_NAT64_RECORD records the tayga lab only"; exit 1; }
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
# Behind Jool an active case's EPRT is answered 501 (2 edits: NOOP, its 200).
want_edits=$((2 * n_passive + n_active + 6)); want_v6=$((n_passive + n_active))
echo "     counters: ftp64_line_edits=$edits failed=$failed_edits v6_expectations=$v6 v6_errors=$v6err"
[ "${edits:-0}" -ge "$want_edits" ] && ok "ftpgate translated lines ($edits)" || bad "too few line edits: ${edits:-none} (want $want_edits)"
[ "${failed_edits:-1}" = 0 ] && ok "every line edit was made" || bad "ftp64_line_edits_failed=$failed_edits"
if [ "$TRANSLATOR" = tayga ]; then
  [ "${v6err:-1}" = 0 ] && [ "${v6:-0}" -ge "$want_v6" ] && ok "the IPv6 leg got each data connection's expectation ($v6)" ||
    bad "IPv6 leg expectations $v6, errors $v6err"
else
  # The IPv6 leg is conntracked in Jool's namespace, not on this router: each passive data
  # connection's IPv6 twin is not found (ENOENT, counted); it passed on the IPv4 expectation.
  [ "${v6:-1}" = 0 ] && [ "${v6err:-0}" -ge "$n_passive" ] &&
    ok "no IPv6 leg on the router behind Jool: $v6err IPv6-leg expectations counted as errors, the data passed on the IPv4 ones" ||
    bad "behind Jool: IPv6 leg expectations $v6, errors $v6err (want 0 and >= $n_passive)"
fi
stop_daemon

# --- policy and audit on translated sessions ----------------------------------------------------
unrules; rules --audit || exit 1
start_daemon "${nat64_flags[@]}" --rule "deny verb MKD" --audit-log "$LAB_DIR/audit.jsonl" || exit 1
for c in curl-legacy-passive ftplib-vsftpd-$([ "$TRANSLATOR" = tayga ] && echo active || echo passive); do
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

echo "--- client x server x mode through $TRANSLATOR: without ftpgate (open router) / with ftpgate (policy drop)"
for c in $CASES; do
  printf '%-24s %-6s %-6s\n' "$c" "$(awk -v c="$c" '$1 == c && $2 == "none" { print $3 }' "$table")" \
    "$(awk -v c="$c" '$1 == c && $2 == "ftpgate" { print $3 }' "$table")"
done
[ "$failed" = 0 ] || { echo "--- ftpgate.log, last 40"; grep -v "^ftpgate_\|^# " "$LAB_DIR/ftpgate.log" | tail -40; }
echo "nat64 e2e ($TRANSLATOR): $passed passed, $failed failed"
[ "$failed" = 0 ]
