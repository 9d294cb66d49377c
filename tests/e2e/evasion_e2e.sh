#!/usr/bin/env bash
# End-to-end evasion suite: the bytes the FTP server receives must be the bytes ftpgate judged.
# A client alone, with a raw socket (tests/e2e/evasion_client.py, scapy), tries to make a real
# server execute a command the policy denies. Every case runs twice against the same servers:
#   without  the same ruleset, ftpgate not running (its queue bypassed; for the audit cases,
#            ftpgate with no deny rule): the crafted dialogue must make the server execute
#            the command (a target file is gone, a transfer happened). If it does not, the
#            case is a harness failure (FAIL ... harness), never a pass.
#   with     rule = deny verb DELE,STOR,MKD,RMD,RNFR,SITE,APPE (and, on port 2100 only,
#            the same rule limited to user anonymous): the server must NOT execute it. The
#            server's own effect is the verdict (the target file still exists).
# Servers in the server namespace, each with a config written here, sharing $LAB_DIR/root
# (writable subdirectory w/): vsftpd on 21 (IPv4 and IPv6) and on 2100 (the identity port),
# ProFTPD on 2121 (strips Telnet IAC, splits the verb at a tab), pyftpdlib on 2122 (user lab)
# with SO_OOBINLINE off (evasion_pyftpd.py: vsftpd, ProFTPD and stock pyftpdlib all set it, so
# only there does Linux take an urgent byte out of the stream the server reads).
# Around them: the server namespace drops every packet with IP ID (IPv6: flow label) 0xbeef
# (loss between router and server) and takes TCP Fast Open data without a cookie; the client
# namespace drops its own kernel's RSTs for the crafted flows (source ports 20000-29999; the
# RSTs the crafted client means carry mark 0x7e7e).
# Cases (one ok/FAIL line each, saying what the server did in both runs):
#   controls: control_plain_denied (vsftpd), control_plain_denied_proftpd,
#     control_allowed_command (CWD and SIZE must work in both runs), identity_control_anonymous,
#     reused_ports_after_reset (a connection reset, then a new one on the same ports at once,
#     while ftpgate still keeps the old session: CWD and SIZE must work in both runs; only the
#     SYN shows the new stream, which is why SYNs are queued)
#   one packet: two_denied_lines_one_packet (+ _ipv6, _proftpd), allowed_then_denied_one_packet
#   resets and invalid copies: rst_out_of_window_between (DE | RST far outside the window |
#     LE x), rst_lost_at_next_seq (an RST at the next sequence number, valid for conntrack,
#     lost between router and server), forged_server_rst_between (the same RST in the server's
#     name, sent by the client to the router, which forwards it back: the server never sees
#     it), forged_server_ack_then_copy (SIZE x lost before the server, a forged server ACK for
#     it, then DELE x at the same sequence number), fin_lost_then_line, bad_checksum_first_copy (SIZE x with
#     a bad checksum, then DELE x at the same sequence number), no_ack_flag_first_copy (a first
#     copy with PSH and no ACK), paws_old_timestamp_first_copy (timestamps negotiated, a first
#     copy whose old TSval fails the server's PAWS check)
#   copies that differ: ooo_longer_copy_differs (out of order, a longer different copy at the
#     same sequence number, then the hole), inorder_retransmission_differs (the first copy lost
#     between router and server)
#   out of order: ooo_denied_before_hole, ooo_buffer_overflow (17 KiB after a hole, then the
#     denied line)
#   parsers: long_line_vsftpd (2100 slashes: over ftpgate's 2048, under vsftpd's 4096),
#     nul_in_line_vsftpd (vsftpd reads NUL as LF), nul_in_line_proftpd, tab_after_verb_proftpd,
#     iac_inside_verb_proftpd (DE<IAC IP>LE), iac_before_verb_proftpd (<IAC IP><IAC DM>DELE),
#     lowercase_verb, bare_lf_line
#   identity: identity_user_after_anonymous (vsftpd answers the second USER with 530 and stays
#     anonymous), identity_pipelined_login (USER/PASS/DELE in one segment before the 230),
#     identity_forgotten_by_rst (after the anonymous login, an RST at the next sequence number
#     lost before the server, then DELE: the gateway may pick the session up without its user),
#     identity_forged_230 (USER alice, and at once a 230 in the server's name, sent by the
#     client through the router, as long as vsftpd's 530: then DELE as the anonymous user),
#     identity_forged_banner_first (a banner in the server's name before vsftpd's, then blind:
#     anonymous login, USER alice and a forged 230, DELE: the SYN-ACK, queued, has bound the
#     server's direction to its interface already)
#   forgetting: silent_denied_session_continues (11.5 s of silence after a denied line, in the
#     background of the others), session_table_full (max_sessions = 4, 8 spoofed SYNs)
#   audit (audit_log): audit_pipelined_pasv_retr (PASV and RETR in one segment: the record must
#     name the data connection used), audit_plain_pasv_retr (its control: RETR after the 227)
#   more: urgent_byte_in_verb (DEXLE, X urgent), tiny_segments (one byte each),
#     keepalive_byte_then_overlap (a byte at snd_una - 1, then the line in a segment overlapping
#     it), window_edge_probe_byte (a probe's byte at the window's right edge: conntrack passes
#     it, the server drops it; one window of padding later the denied line starts there),
#     syn_with_data (USER/PASS/DELE in the SYN), ipv4_fragments (the line's segment in three
#     IP fragments), ipv6_dstopts_header (the line behind a Destination Options header)
#   IPv6 (vsftpd on [2001:db8:2::2]:21): two_denied_lines_one_packet, rst_out_of_window_between,
#     bad_checksum_first_copy, ooo_longer_copy_differs, inorder_retransmission_differs (_ipv6)
#   Not covered: leading spaces before the verb (vsftpd 3.0.3, ProFTPD 1.3.8 and pyftpdlib all
#   answer 500, so no server here executes "  DELE x"); a line over 4096 bytes read by vsftpd
#   as two commands (vsftpd 3.0.3 resets the session instead); simultaneous open (a listening
#   FTP server never sends a SYN of its own).
# EVASION_CASES="a b" runs only those; EVASION_PCAPS=DIR writes each control connection of the
# run without the policy (the whole attack and the server executing it), captured on the
# router's client-side interface, to DIR/evasion_CASE.pcap;
# EVASION_LOGS=DIR keeps the logs (ftpgate's per phase, the servers', the client's JSON
# lines, the router's capture towards the server in the run with the policy).
# EVASION_SETUP_ONLY=1 EVASION_LAB=NAME only builds the lab (servers, rules) and leaves it up.
#   evasion_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
source "$here/e2e_common.sh"
e2e_needs nft iptables tcpdump jq /usr/bin/python3
# The servers: installed, or unpacked, because Debian's vsftpd and proftpd-core conflict (both
# provide ftp-server) and installing one removes the other: scripts/install-deps.sh unpacks
# proftpd-core into /opt/ftpgate-lab/proftpd; by hand, next to ftpgate also works:
#   mkdir -p BUILD/proftpd && cd BUILD/proftpd && apt-get download proftpd-core &&
#   dpkg-deb -x proftpd-core_*.deb root      (likewise BUILD/vsftpd; BUILD: ftpgate's directory)
unpacked() { echo "$(dirname "$ftpgate")/$1/root/usr/sbin/$1"; }
vsftpd=${VSFTPD:-$(command -v vsftpd || unpacked vsftpd)}
proftpd=${PROFTPD:-$(command -v proftpd || { [ -x /opt/ftpgate-lab/proftpd/usr/sbin/proftpd ] &&
                                            echo /opt/ftpgate-lab/proftpd/usr/sbin/proftpd; } || unpacked proftpd)}
[ -x "$vsftpd" ] || { echo "missing vsftpd: skipped"; exit 77; }
/usr/bin/python3 -c 'import scapy.layers.inet' 2> /dev/null || { echo "no python3-scapy: skipped"; exit 77; }
t_start=$(date +%s)
LAB=${EVASION_LAB:-fgv$$}; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
keep_logs() {  # EVASION_LOGS=DIR: the daemons' logs, the client's results and the servers' logs
  [ -n "${EVASION_LOGS:-}" ] || return 0
  mkdir -p "$EVASION_LOGS" && cp "$LAB_DIR"/*.log "$LAB_DIR"/*.jsonl "$LAB_DIR"/*.err "$LAB_DIR"/*.conf "$LAB_DIR"/*.pcap "$LAB_DIR"/*.tsv "$EVASION_LOGS"/ 2> /dev/null
}
trap 'stop_daemon; keep_logs; lab_down' EXIT
trap 'exit 1' INT TERM
lab_up || exit 1
ports="21,2100,2121,2122"
DAEMON_PORTS=$ports
root=$LAB_DIR/root
mkdir -p "$root/w" && chmod 777 "$root/w"

# --- the server namespace: loss of one marked packet, TFO without cookie ------------------
in_server sysctl -qw net.ipv4.tcp_fastopen=0x602  # server enable | no cookie | no sockopt
in_server nft -f - << 'NFT'
table ip evasion {
  chain pre { type filter hook prerouting priority -300; policy accept; ip id 0xbeef counter drop; }
}
table ip6 evasion {
  chain pre { type filter hook prerouting priority -300; policy accept; ip6 flowlabel 0xbeef counter drop; }
}
NFT
# --- the client namespace: its kernel's RSTs for the crafted flows never leave -------------
in_client nft -f - << 'NFT'
table inet evasion {
  chain out {
    type filter hook output priority 0; policy accept;
    tcp sport 20000-29999 tcp flags & rst == rst meta mark != 0x7e7e drop
  }
}
NFT

# --- servers -------------------------------------------------------------------------------
start_vsftpd() {  # FAMILY PORT: anonymous, may delete, create and make directories
  local family=$1 port=$2 conf="$LAB_DIR/vsftpd-$1-$2.conf"
  mkdir -p /var/run/vsftpd/empty
  { echo "listen=$([ "$family" = 4 ] && echo YES || echo NO)"
    echo "listen_ipv6=$([ "$family" = 6 ] && echo YES || echo NO)"
    if [ "$family" = 4 ]; then echo "listen_address=$SERVER4"; else echo "listen_address6=$SERVER6"; fi
    printf '%s\n' "listen_port=$port" background=NO anonymous_enable=YES no_anon_password=YES \
      "anon_root=$root" local_enable=NO write_enable=YES anon_upload_enable=YES \
      anon_mkdir_write_enable=YES anon_other_write_enable=YES anon_umask=022 pasv_enable=YES \
      pasv_min_port=50000 pasv_max_port=50100 port_enable=YES connect_from_port_20=NO \
      seccomp_sandbox=NO secure_chroot_dir=/var/run/vsftpd/empty ftp_username=ftp \
      xferlog_enable=YES xferlog_std_format=NO log_ftp_protocol=YES \
      "vsftpd_log_file=$LAB_DIR/vsftpd-$family-$port.log"
  } > "$conf"
  in_server "$vsftpd" "$conf" > "$LAB_DIR/vsftpd-$family-$port.out" 2>&1 &
  lab_wait_listen "$port"
}
start_proftpd() {  # PORT
  local conf=$LAB_DIR/proftpd.conf
  cat > "$conf" << EOF
ServerName "evasion"
ServerType standalone
DefaultServer on
Port $1
DefaultAddress $SERVER4
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
Umask 022
MaxInstances 50
PidFile $LAB_DIR/proftpd.pid
ScoreboardFile $LAB_DIR/proftpd.scoreboard
DelayEngine off
WtmpLog off
UseReverseDNS off
AuthPAM off
TransferLog $LAB_DIR/proftpd-xfer.log
LogFormat cmds "%m %J"
ExtendedLog $LAB_DIR/proftpd-cmds.log ALL cmds
SystemLog $LAB_DIR/proftpd-system.log
<Anonymous $root>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  AllowOverwrite on
</Anonymous>
EOF
  [ -x "$proftpd" ] || { echo "no ProFTPD ($proftpd)" > "$LAB_DIR/proftpd.out"; return 0; }
  in_server "$proftpd" -n -c "$conf" > "$LAB_DIR/proftpd.out" 2>&1 &
  lab_wait_listen "$1"
}
start_pyftpd() {  # PORT: pyftpdlib reading without SO_OOBINLINE (evasion_pyftpd.py)
  in_server "$PYTHON" "$here/evasion_pyftpd.py" "$SERVER4" "$1" "$root" > "$LAB_DIR/pyftpd.out" 2>&1 &
  lab_wait_listen "$1"
}
start_vsftpd 4 21 && start_vsftpd 6 21 && start_vsftpd 4 2100 && start_proftpd 2121 &&
  start_pyftpd 2122 || { bad "a lab server did not start: $(cat "$LAB_DIR"/*.out 2>/dev/null | head -5)"; exit 1; }

in_router sysctl -qw net.netfilter.nf_conntrack_acct=1
# Loose reverse-path filtering, as systemd's sysctl defaults set it on Debian: the router takes
# a packet in the server's name from the client side (forged_server_*), strict mode would not.
in_router sysctl -qw net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.rc.rp_filter=2
in_router bash "$top/scripts/rules.sh" load --ports "$ports" --audit > /dev/null || { bad "rules.sh load failed"; exit 1; }

# --- the client's view of the lab -----------------------------------------------------------
cat > "$LAB_DIR/client.json" << EOF
{"iface": "c0", "client4": "$CLIENT4", "client6": "$CLIENT6", "server4": "$SERVER4",
 "server6": "$SERVER6", "root": "$root", "spoof_syns": 8, "urg_server": "pyftpd",
 "router_mac": "$(in_router cat /sys/class/net/rc/address)",
 "ports": {"vsftpd": 21, "identity": 2100, "proftpd": 2121, "pyftpd": 2122}}
EOF

if [ -n "${EVASION_SETUP_ONLY:-}" ]; then  # debugging: leave the lab up (remove: LAB=NAME lab_down)
  trap - EXIT; echo "lab $LAB up in $LAB_DIR"; exit 0
fi
deny="DELE,STOR,MKD,RMD,RNFR,SITE,APPE"
write_conf() {  # FILE with|without [extra lines]
  local f=$1 phase=$2; shift 2
  { echo "# evasion e2e, $phase policy"
    echo "log_format = text"
    echo "audit_log = $LAB_DIR/transfers-$phase.jsonl"
    if [ "$phase" = with ]; then
      echo "rule = deny verb $deny user anonymous port 2100"
      echo "rule = allow port 2100"
      echo "rule = deny verb $deny"
    fi
    printf '%s\n' "$@"; } > "$f"
}
main_cases="control_plain_denied control_allowed_command reused_ports_after_reset control_plain_denied_proftpd
  two_denied_lines_one_packet allowed_then_denied_one_packet two_denied_lines_one_packet_ipv6
  two_denied_lines_one_packet_proftpd
  rst_out_of_window_between bad_checksum_first_copy ooo_longer_copy_differs
  inorder_retransmission_differs rst_lost_at_next_seq forged_server_rst_between
  forged_server_ack_then_copy fin_lost_then_line no_ack_flag_first_copy
  paws_old_timestamp_first_copy rst_out_of_window_between_ipv6 bad_checksum_first_copy_ipv6
  ooo_longer_copy_differs_ipv6 inorder_retransmission_differs_ipv6
  ooo_denied_before_hole ooo_buffer_overflow
  long_line_vsftpd nul_in_line_vsftpd nul_in_line_proftpd tab_after_verb_proftpd
  iac_inside_verb_proftpd iac_before_verb_proftpd lowercase_verb bare_lf_line
  identity_user_after_anonymous identity_control_anonymous identity_pipelined_login
  identity_forgotten_by_rst identity_forged_230 identity_forged_banner_first ipv4_fragments ipv6_dstopts_header audit_plain_pasv_retr audit_pipelined_pasv_retr
  urgent_byte_in_verb tiny_segments keepalive_byte_then_overlap window_edge_probe_byte syn_with_data"
slow_cases="silent_denied_session_continues"
table_cases="session_table_full"
if [ -n "${EVASION_CASES:-}" ]; then
  pick() { local c out=""; for c in $1; do [[ " $EVASION_CASES " == *" $c "* ]] && out+="$c "; done; echo "$out"; }
  main_cases=$(pick "$main_cases"); slow_cases=$(pick "$slow_cases"); table_cases=$(pick "$table_cases")
fi

client() {  # PHASE SPORT_BASE CASES...: JSON lines into $LAB_DIR/results-PHASE.jsonl
  local phase=$1 base=$2; shift 2  # each run of the client its own source ports (base + 1...)
  [ $# -gt 0 ] || return 0
  in_client env SPORT_BASE="$base" "$PYTHON" "$here/evasion_client.py" "$phase" "$LAB_DIR/client.json" "$@" \
    >> "$LAB_DIR/results-$phase.jsonl" 2>> "$LAB_DIR/client-$phase.err"
}
run_phase() {  # PHASE SPORT_BASE
  local phase=$1 base=$2 slow_pid="" c plain="" audit=""
  for c in $main_cases; do case $c in audit_*) audit+="$c " ;; *) plain+="$c " ;; esac; done
  : > "$LAB_DIR/ftpgate.log"
  write_conf "$LAB_DIR/$phase.conf" "$phase"
  # Without the policy, no daemon: the queue is bypassed and only the ruleset stands between
  # client and server. (ftpgate itself, even without a deny rule, puts a differing later copy
  # back to the first one it passed: it would stop some dialogues before they prove anything.)
  # The audit cases need the daemon (its expectation lets the data connection through).
  if [ "$phase" = with ]; then start_daemon --config "$LAB_DIR/$phase.conf" || return 1; fi
  # shellcheck disable=SC2086
  if [ -n "$slow_cases" ]; then client "$phase" "$base" $slow_cases & slow_pid=$!; fi
  # shellcheck disable=SC2086
  client "$phase" $((base + 1000)) $plain
  if [ "$phase" = without ] && [ -n "$audit" ]; then start_daemon --config "$LAB_DIR/$phase.conf" || return 1; fi
  # shellcheck disable=SC2086
  client "$phase" $((base + 1500)) $audit
  [ -n "$slow_pid" ] && wait "$slow_pid"
  stop_daemon
  cp "$LAB_DIR/ftpgate.log" "$LAB_DIR/ftpgate-$phase.log"
  if [ -n "$table_cases" ]; then  # a small session table, a fresh daemon
    : > "$LAB_DIR/ftpgate.log"
    write_conf "$LAB_DIR/$phase-table.conf" "$phase" "max_sessions = 4"
    if [ "$phase" = with ]; then start_daemon --config "$LAB_DIR/$phase-table.conf" || return 1; fi
    # shellcheck disable=SC2086
    client "$phase" $((base + 2000)) $table_cases
    stop_daemon
    cp "$LAB_DIR/ftpgate.log" "$LAB_DIR/ftpgate-$phase-table.log"
  fi
}
if [ -n "${EVASION_PCAPS:-}" ]; then  # the run without the policy, at the router's client side
  ip netns exec "${LAB}r" tcpdump -i rc --immediate-mode -U -s 0 -w "$LAB_DIR/without-rc.pcap" "tcp port 21 or tcp portrange 2100-2122" 2> /dev/null &
  rc_pid=$!; sleep 0.5
fi
run_phase without 20000
if [ -n "${EVASION_PCAPS:-}" ]; then
  sleep 1; kill "$rc_pid" 2> /dev/null; wait "$rc_pid" 2> /dev/null
  mkdir -p "$EVASION_PCAPS"
  jq -r '[.case, .sport // empty] | @tsv' "$LAB_DIR/results-without.jsonl" | while read -r c sport; do
    [ -n "$sport" ] && tcpdump -r "$LAB_DIR/without-rc.pcap" -w "$EVASION_PCAPS/evasion_$c.pcap" "tcp port $sport" 2> /dev/null
  done
fi
# What reaches the server in the run with the policy: the router's server-side interface.
ip netns exec "${LAB}r" tcpdump -i rs --immediate-mode -U -s 0 -w "$LAB_DIR/with-rs.pcap" "tcp port 21 or tcp portrange 2100-2122" 2> /dev/null &
tcpdump_pid=$!
sleep 0.5
run_phase with 24000
sleep 1; kill "$tcpdump_pid" 2> /dev/null; wait "$tcpdump_pid" 2> /dev/null
sports=$(jq -r '.sport // empty' "$LAB_DIR/results-with.jsonl" 2> /dev/null)
# shellcheck disable=SC2086
[ -s "$LAB_DIR/with-rs.pcap" ] && "$PYTHON" "$here/evasion_client.py" wire "$LAB_DIR/with-rs.pcap" $sports \
  > "$LAB_DIR/with-wire.tsv" 2> /dev/null

# --- verdicts ---------------------------------------------------------------------------------
field() {  # PHASE CASE FIELD
  jq -r --arg c "$2" "select(.case == \$c) | .$3 | if . == null then \"\" else tostring end" \
    "$LAB_DIR/results-$1.jsonl" 2> /dev/null | head -1
}
ftpgate_said() {  # PHASE CASE: ftpgate's lines about the case's flow
  local sport; sport=$(field "$1" "$2" sport)
  [ -n "$sport" ] || return 0
  cat "$LAB_DIR"/ftpgate-"$1"*.log 2> /dev/null | grep -E "[:.]$sport\b" | cut -c1-220 | head -4 | sed 's/^/      ftpgate: /'
}
reached_server() {  # CASE: the payload the router sent on to the server in the run with the policy
  local sport; sport=$(field with "$1" sport)
  [ -n "$sport" ] && [ -s "$LAB_DIR/with-wire.tsv" ] || return 0
  awk -F'\t' -v p="$sport" '$1 == p { print "      reached the server: " $2 }' "$LAB_DIR/with-wire.tsv"
}
for c in $main_cases $slow_cases $table_cases; do
  wo=$(field without "$c" executed); wi=$(field with "$c" executed)
  wo_what=$(field without "$c" what); wi_what=$(field with "$c" what)
  wi_notes=$(field with "$c" notes)
  case $c in
    control_allowed_command|reused_ports_after_reset)
      if [ "$wo" = true ] && [ "$wi" = true ]; then ok "$c: without policy $wo_what; with policy $wi_what"
      else bad "$c: the allowed commands must work: without policy $wo_what; with policy $wi_what"; fi
      continue ;;
    audit_*)
      used=$(field with "$c" used); arg=$(field with "$c" argument)
      rec=$(jq -c --arg a "$arg" 'select(.argument == $a) | [.data_connection.opener, .data_connection.acceptor, .bytes_to_client, .reply]' \
        "$LAB_DIR/transfers-with.jsonl" 2> /dev/null | tail -1)
      want=$(jq -c -n --arg u "$used" '($u | split(" ")) as $p | [$p[0], $p[1]]')
      if [ "$wo" != true ]; then bad "$c: harness: without policy the RETR did not transfer ($wo_what; $(field without "$c" notes))"
      elif [ "$wi" != true ]; then bad "$c: with the audit the RETR did not transfer ($wi_what; $wi_notes)"
      elif [ -n "$rec" ] && [ "$(jq -c '.[0:2]' <<< "$rec")" = "$want" ]; then
        ok "$c: without policy $wo_what; with the audit $wi_what, and the record names it: $rec"
      else bad "$c: $wi_what; the audit record says ${rec:-nothing} (want $want)"; fi
      continue ;;
  esac
  if [ "$wo" != true ]; then
    bad "$c: harness: without policy the server did not execute it ($wo_what; $(field without "$c" notes))"
  elif [ "$wi" = false ]; then
    ok "$c: without policy $wo_what; with policy $wi_what ($wi_notes)"
  elif [ "$wi" = true ]; then
    bad "$c: with policy $wi_what (without policy $wo_what) [$wi_notes]"
    ftpgate_said with "$c"
    reached_server "$c"
  else
    bad "$c: with policy the crafted client failed: $wi_what (without policy $wo_what)"
  fi
done
errs=$(cat "$LAB_DIR"/client-*.err 2> /dev/null | grep -v WARNING | tail -5)
[ -n "$errs" ] && printf 'client stderr:\n%s\n' "$errs"
echo "evasion e2e: $passed passed, $failed failed ($(( $(date +%s) - t_start )) s)"
[ "$failed" = 0 ]
