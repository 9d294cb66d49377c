#!/usr/bin/env bash
# End-to-end NAT: the router translates, the forward policy is drop, and every case runs three
# ways, as in gateway_e2e.sh:
#   ftpgate  'sane' carrier helper + NFQUEUE, ftpgate rewriting: must transfer byte-exact
#   none     the same rules, ftpgate stopped: must fail
#   kernel   the kernel's ftp helper (with nf_nat_ftp): the reference; its rewritten lines must
#            carry the same addresses as ftpgate's (compared on the wire, ports aside)
# NAT in the router (one ruleset for every case, so they also run side by side):
#   masquerade   everything leaving towards the server side (rs) takes 203.0.113.1/2001:db8:2::1
#   DNAT         203.0.113.1:21 and [2001:db8:2::1]:21 from outside go to an inside vsftpd
#                (198.51.100.2 / 2001:db8:1::2, in the client namespace)
#   double       192.0.2.5:21 and [2001:db8:3::21]:21 from inside go to the outside vsftpd,
#                masqueraded as well: one control connection whose PORT and 227 are both rewritten
#   nat_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
# Environment (the stock-kernel stage sets them): FTPGATE_E2E_HELPER (sane, or ftpgate: its own
# userspace helper, registered before the rules load), FTPGATE_E2E_CASES (a subset).
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
for t in vsftpd lftp curl conntrack nft iptables tcpdump /usr/bin/python3; do
  command -v "$t" > /dev/null || { echo "missing $t: skipped"; exit 77; }
done
LAB=fgn$$; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
daemon_pid=""; dump_pids=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2> /dev/null
  for p in $dump_pids; do kill "$p" 2> /dev/null; done
  lab_down
}
trap cleanup EXIT
lab_up
PUBLIC4=$ROUTER_S4; PUBLIC6=$ROUTER_S6; VIRTUAL4=192.0.2.5; VIRTUAL6=2001:db8:3::21
lab_start_vsftpd 4 21 server
lab_start_vsftpd 6 21 server
lab_start_vsftpd 4 21 client   # the inside server, published by DNAT
lab_start_vsftpd 6 21 client
mkdir -p "$LAB_DIR/dl"
DAEMON_PORTS=21
source "$here/e2e_common.sh"

in_router nft -f - << EOF || { echo "NAT rules failed to load"; exit 1; }
table inet labnat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "rs" ip daddr $PUBLIC4 tcp dport 21 dnat ip to $CLIENT4
		iifname "rs" ip6 daddr $PUBLIC6 tcp dport 21 dnat ip6 to $CLIENT6
		iifname "rc" ip daddr $VIRTUAL4 tcp dport 21 dnat ip to $SERVER4
		iifname "rc" ip6 daddr $VIRTUAL6 tcp dport 21 dnat ip6 to $SERVER6
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "rs" masquerade
	}
}
EOF

rules() { in_router bash "$top/scripts/rules.sh" load --standalone --ports 21 "$@" > /dev/null; }
helper=${FTPGATE_E2E_HELPER:-sane}
if [ "$helper" = ftpgate ]; then in_router "$ftpgate" helper register --helper-mode cthelper > /dev/null 2>&1; fi
status() { "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" 2> /dev/null; }
counter() { status | awk -v n="ftpgate_$1" '$1 == n { print $2 }'; }

# Each case downloads files into $LAB_DIR/dl/ and names them, one per line, on stdout.
curl_opts="-s -S --connect-timeout 3 --max-time 10"
lftp_opts="set net:timeout 3; set net:max-retries 1; set net:reconnect-interval-base 1; set xfer:clobber on"
long_session() {  # ADDRESS: 10 passive and 10 active transfers on one control connection
  local script="$lftp_opts; open ftp://$1; " i
  for i in $(seq 1 10); do
    script+="set ftp:passive-mode on; get pub/1k.bin -o $LAB_DIR/dl/p$i; "
    script+="set ftp:passive-mode off; get pub/64k.bin -o $LAB_DIR/dl/a$i; "
  done
  in_client timeout 60 lftp -c "$script bye" || return 1
  for i in $(seq 1 10); do echo "p$i 1k.bin"; echo "a$i 64k.bin"; done
}
case_cmd() {
  local d="$LAB_DIR/dl"
  case $1 in
    # masquerade of the client, server outside
    snat4_port) in_client curl $curl_opts -P - --disable-eprt -o "$d/a" "ftp://$SERVER4/pub/64k.bin" && echo "a 64k.bin" ;;
    snat4_eprt) in_client curl $curl_opts -P - -o "$d/a" "ftp://$SERVER4/pub/64k.bin" && echo "a 64k.bin" ;;
    snat6_eprt) in_client curl $curl_opts -P - -o "$d/a" "ftp://[$SERVER6]/pub/64k.bin" && echo "a 64k.bin" ;;
    snat4_pasv) in_client curl $curl_opts --disable-epsv -o "$d/a" "ftp://$SERVER4/pub/64k.bin" && echo "a 64k.bin" ;;
    snat4_lftp_active) in_client timeout 20 lftp -c "$lftp_opts; open ftp://$SERVER4; set ftp:passive-mode off;
        get pub/1M.bin -o $d/a; get pub/1k.bin -o $d/b; bye" && echo "a 1M.bin" && echo "b 1k.bin" ;;
    # the PORT line in 2-10 byte segments (TCP_NODELAY): held, merged, rewritten
    snat4_split_port) in_client timeout 15 "$PYTHON" "$top/scripts/lab_split_client.py" "$SERVER4" 21 "$CLIENT4" pub/64k.bin \
        > "$d/a" && echo "a 64k.bin" ;;
    # DNAT of the inside server, clients outside
    dnat4_pasv) in_server curl $curl_opts --disable-epsv -o "$d/a" "ftp://$PUBLIC4/pub/64k.bin" && echo "a 64k.bin" ;;
    dnat4_epsv) in_server curl $curl_opts -o "$d/a" "ftp://$PUBLIC4/pub/64k.bin" && echo "a 64k.bin" ;;
    dnat6_epsv) in_server curl $curl_opts -o "$d/a" "ftp://[$PUBLIC6]/pub/64k.bin" && echo "a 64k.bin" ;;
    dnat4_port) in_server curl $curl_opts -P - --disable-eprt -o "$d/a" "ftp://$PUBLIC4/pub/64k.bin" && echo "a 64k.bin" ;;
    # both kinds at once: an inside client active out, an outside client passive in
    both4_concurrent)
      in_client curl $curl_opts -P - --disable-eprt -o "$d/a" "ftp://$SERVER4/pub/1M.bin" & local p1=$!
      in_server curl $curl_opts --disable-epsv -o "$d/b" "ftp://$PUBLIC4/pub/1M.bin" & local p2=$!
      wait $p1 && wait $p2 && echo "a 1M.bin" && echo "b 1M.bin" ;;
    # one control connection translated at both ends; 10 rewrites each way, all changing the
    # length ("198,51,100,2" -> "203,0,113,1": -1; "203,0,113,2" -> "192,0,2,5": -2), so the
    # sequence adjustments accumulate in both directions
    double4_long) long_session "$VIRTUAL4" ;;
    double6_mixed) in_client timeout 20 lftp -c "$lftp_opts; open ftp://[$VIRTUAL6];
        set ftp:passive-mode on; get pub/64k.bin -o $d/a; set ftp:passive-mode off; get pub/1k.bin -o $d/b; bye" \
        && echo "a 64k.bin" && echo "b 1k.bin" ;;
  esac
}
# What each case must show on the wire after ftpgate's rewrite (one grep -F pattern per line).
wire_must_show() {
  case $1 in
    snat4_port|snat4_lftp_active|snat4_split_port|both4_concurrent) echo "PORT 203,0,113,1,_" ;;
    snat4_eprt) echo "EPRT |1|203.0.113.1|_|" ;;
    snat6_eprt) echo "EPRT |2|2001:db8:2::1|_|" ;;
    snat4_pasv) echo "(203,0,113,2,_)" ;;
    dnat4_pasv) echo "(203,0,113,1,_)" ;;
    dnat4_epsv|dnat6_epsv) echo "(|||_|)" ;;
    dnat4_port) echo "PORT 203,0,113,2,_" ;;
    double4_long) echo "PORT 203,0,113,1,_"; echo "(192,0,2,5,_)" ;;
    double6_mixed) echo "EPRT |2|2001:db8:2::1|_|"; echo "(|||_|)" ;;
  esac
  [ "$1" = both4_concurrent ] && echo "(203,0,113,1,_)"
}
ALL_CASES="snat4_port snat4_eprt snat6_eprt snat4_pasv snat4_lftp_active snat4_split_port dnat4_pasv
       dnat4_epsv dnat6_epsv dnat4_port both4_concurrent double4_long double6_mixed"
CASES=${FTPGATE_E2E_CASES:-$ALL_CASES}
# The whole set rewrites at least 30 lines; a subset at least one per case.
min_rewrites=30; [ -n "${FTPGATE_E2E_CASES:-}" ] && min_rewrites=$(wc -w <<< "$CASES")
in_cases() { [[ " $(echo $CASES) " == *" $1 "* ]]; }


# EPRT addresses in canonical text form: the kernel writes IPv6 in full
# ("2001:0db8:0002:0000:0000:0000:0000:0001"), ftpgate compressed ("2001:db8:2::1"); both are
# valid RFC 2428 and the comparison is about the address.
canonical_eprt() {
  "$PYTHON" -c '
import ipaddress, re, sys
for line in sys.stdin:
    print(re.sub(r"^EPRT (.)([12])\1([^|!]+)\1", lambda m: "EPRT %s%s%s%s%s" % (m[1], m[2], m[1], ipaddress.ip_address(m[3]), m[1]), line.rstrip("\n")))'
}

# The endpoint lines as they left the router (after any rewrite), ports blanked:
# "PORT 203,0,113,1,_" "EPRT |1|203.0.113.1|_|" "227 ... (203,0,113,1,_)" "229 ... (|||_|)".
wire_lines() {  # MODE CASE: runs the case with the router's interfaces captured
  local mode=$1 name=$2 f="$LAB_DIR/wire-$1-$2"
  dump_pids=""
  for i in rc rs; do  # `ip netns exec` execs: $! is tcpdump itself
    ip netns exec "${LAB}r" tcpdump -i "$i" --immediate-mode -U -w "$f.$i.pcap" -Q out 'tcp port 21' \
      2> /dev/null & dump_pids+=" $!"
  done
  for _ in $(seq 30); do [ -s "$f.rc.pcap" ] && [ -s "$f.rs.pcap" ] && break; sleep 0.1; done
  sleep 0.2
  transfer_ok "$name"; local rc=$?
  sleep 0.3
  for p in $dump_pids; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
  dump_pids=""
  for i in rc rs; do tcpdump -r "$f.$i.pcap" -A 2> /dev/null; done |
    grep -aoE 'PORT [0-9,]+|EPRT [^[:space:]]+|22[79] [A-Za-z ]*\([0-9,|]+\)' |
    sed -E 's/^(PORT [0-9]+,[0-9]+,[0-9]+,[0-9]+),[0-9]+,[0-9]+/\1,_/;
            s/^(EPRT (.)[12]\2[^|!]*\2)[0-9]+/\1_/;
            s/(\([0-9]+,[0-9]+,[0-9]+,[0-9]+),[0-9]+,[0-9]+/\1,_/;
            s/\|\|\|[0-9]+\|/|||_|/' | canonical_eprt | sort -u > "$f"
  return $rc
}

# --- ftpgate -------------------------------------------------------------------------------
rules --helper "$helper" --queue 0
start_daemon || exit 1
for c in $CASES; do
  if wire_lines ftpgate "$c"; then ok "$c with ftpgate: transferred byte-exact"
  else bad "$c with ftpgate: transfer failed ($(head -c 200 "$LAB_DIR/client.err"))"; fi
  missing=""
  while read -r want; do grep -qF -- "$want" "$LAB_DIR/wire-ftpgate-$c" || missing+=" '$want'"; done < <(wire_must_show "$c")
  if [ -z "$missing" ] && ! grep -qE '198[,.]51[,.]100[,.]2' <(tcpdump -r "$LAB_DIR/wire-ftpgate-$c.rs.pcap" -A 2> /dev/null | grep -aE 'PORT|EPRT|22[79] '); then
    ok "$c: on the wire: $(tr '\n' ' ' < "$LAB_DIR/wire-ftpgate-$c")(no inside address leaves outside)"
  else bad "$c: wire lines lack$missing or leak the inside address: $(tr '\n' ' ' < "$LAB_DIR/wire-ftpgate-$c")"; fi
done
rewrites=$(counter nat_rewrites_total); merged=$(counter nat_merged_segments_total)
unavailable=$(counter nat_seq_adjust_unavailable_total); impossible=$(counter nat_rewrite_impossible_total)
echo "     counters: rewrites=$rewrites merged=$merged seq_adjust_unavailable=$unavailable rewrite_impossible=$impossible"
[ "${rewrites:-0}" -ge "$min_rewrites" ] && ok "ftpgate rewrote endpoint lines ($rewrites)" || bad "too few rewrites: ${rewrites:-none}"
if in_cases snat4_split_port; then
  [ "${merged:-0}" -ge 1 ] && ok "the split PORT was held and merged ($merged segments)" || bad "no segment merged"
fi
[ "${unavailable:-1}" = 0 ] && ok "the kernel kept every sequence adjustment" || bad "seq_adjust_unavailable=$unavailable"
# The pure ACKs never reached ftpgate (rules.sh lets them past the queue): the transfers above,
# whose rewrites changed lengths, worked only if the kernel's seqadj shifted those ACKs too.
skipped=$(acks_past_queue_total)
[ "${skipped:-0}" -gt 0 ] && ok "$skipped pure ACKs went past the queue, their ACK numbers adjusted by the kernel alone" ||
  bad "no pure ACK went past the queue (rules.sh's skip rules matched nothing)"
[ "${impossible:-1}" = 0 ] && ok "no rewrite was impossible" || bad "rewrite_impossible=$impossible"
if ! in_cases snat4_port; then :
elif grep -q 'rewrite "198,51,100,2,[0-9]*,[0-9]*" -> "203,0,113,1,' "$LAB_DIR/ftpgate.log"; then
  ok "the log names the PORT rewrite"
else bad "no PORT rewrite in the log"; fi

# --- the helper attached after destination NAT -------------------------------------------------
# The seqadj extension is added at NAT set-up when a helper is there already; the shipped rules
# attach it at priority mangle for that reason. On this kernel nft's `ct helper set` also adds
# the extension to a conntrack NATed before it (nft_ct_helper_obj_eval), so a ruleset attaching
# the helper at priority filter, after DNAT, still works: checked here, because ftpgate's read-back
# of every first adjustment is what would catch a kernel where it does not.
in_router nft delete chain inet ftpgate prerouting
in_router nft add chain inet ftpgate prerouting '{ type filter hook prerouting priority filter; policy accept; }'
in_router nft add rule inet ftpgate prerouting tcp dport 21 ct state new ct helper set '"ftp-control"' ct mark set ct mark or 0x01000000
before=$(counter nat_rewrites_total)
if transfer_ok dnat4_pasv && [ "$(counter nat_rewrites_total)" -gt "$before" ] &&
   [ "$(counter nat_seq_adjust_unavailable_total)" = 0 ]; then
  ok "helper attached after DNAT: the kernel still keeps the sequence adjustment; PASV rewritten and transferred"
else bad "helper attached after DNAT: rewrites $before -> $(counter nat_rewrites_total), unavailable $(counter nat_seq_adjust_unavailable_total)"; fi

# --- none: ftpgate stopped, the firewall stays closed ----------------------------------------
stop_daemon
for c in snat4_port snat4_eprt dnat4_pasv dnat4_epsv dnat6_epsv double4_long; do
  in_cases "$c" || continue
  if transfer_ok "$c"; then bad "$c without ftpgate: transferred (the firewall should be closed)"
  else ok "$c without ftpgate: fails"; fi
done

# --- kernel reference: nf_conntrack_ftp + nf_nat_ftp ------------------------------------------
rules --helper ftp --no-queue
for c in $CASES; do
  if wire_lines kernel "$c"; then kernel_result="transfers"; else kernel_result="fails"; fi
  if cmp -s "$LAB_DIR/wire-ftpgate-$c" "$LAB_DIR/wire-kernel-$c"; then
    ok "$c: kernel helper $kernel_result; rewritten lines on the wire equal ftpgate's"
  elif [ "$kernel_result" = fails ]; then
    ok "$c: kernel helper fails here (ftpgate transfers); lines differ as expected"
    diff "$LAB_DIR/wire-ftpgate-$c" "$LAB_DIR/wire-kernel-$c" | sed 's/^/       /' | head -6
  else
    bad "$c: kernel helper transfers but its lines differ from ftpgate's"
    diff "$LAB_DIR/wire-ftpgate-$c" "$LAB_DIR/wire-kernel-$c" | sed 's/^/       /' | head -10
  fi
done
in_router bash "$top/scripts/rules.sh" unload > /dev/null

[ "$failed" = 0 ] || { echo "--- ftpgate.log: messages and decisions, last 40"; grep -v "^ftpgate_\|^# " "$LAB_DIR/ftpgate.log" | tail -40; }
echo "nat e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
