# The HA lab: two routers sharing virtual addresses on both sides (keepalived, VRRP), conntrack
# state synced over a dedicated link (conntrackd, FTFW), a client and a server. Source it.
#
#   client ${HA}c  10.71.1.10 (no NAT)  .11 (masqueraded)  .12 (reaches the server by DNAT)
#                  fd71:1::10, ::11, ::12                  default via the inside VIP
#      | brc (a bridge in ${HA}sw)
#   r1 in0 10.71.1.2 fd71:1::2      r2 in0 10.71.1.3 fd71:1::3     VIP 10.71.1.1 fd71:1::1
#   r1 sync0 10.71.3.1  <-- conntrackd FTFW over UDP -->  r2 sync0 10.71.3.2
#   r1 out0 10.71.2.2 fd71:2::2     r2 out0 10.71.2.3 fd71:2::3    VIP 10.71.2.1 fd71:2::1
#      | brs
#   server ${HA}s  10.71.2.10 fd71:2::10 (vsftpd :21; pyftpdlib :2121, slow to answer PASV)
#
# NAT on both routers (the same rules): masquerade of the client's .11/::11 to the outside VIP,
# DNAT of the inside VIP's ports 21 and 2121 to the server.
HA=${FTPGATE_HA_PREFIX:-fgha}
HA_DIR=${FTPGATE_HA_DIR:-/tmp/ftpgate-ha}
ha_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

ha_in() { local n=$1; shift; ip netns exec "$HA$n" "$@"; }

ha_down() {
  local r
  for r in r1 r2; do
    [ -f "$HA_DIR/$r/keepalived.pid" ] && kill "$(cat "$HA_DIR/$r/keepalived.pid")" 2> /dev/null
    [ -f "$HA_DIR/$r/conntrackd.conf" ] && ha_in "$r" conntrackd -C "$HA_DIR/$r/conntrackd.conf" -k > /dev/null 2>&1
  done
  # Whatever still runs in the lab's namespaces (daemons, servers, clients).
  local n pids
  for n in c s r1 r2 sw; do
    pids=$(ip netns pids "$HA$n" 2> /dev/null) && [ -n "$pids" ] && kill $pids 2> /dev/null
  done
  sleep 0.3
  for n in c s r1 r2 sw; do
    pids=$(ip netns pids "$HA$n" 2> /dev/null) && [ -n "$pids" ] && kill -9 $pids 2> /dev/null
    ip netns del "$HA$n" 2> /dev/null
  done
  rm -rf "$HA_DIR"
}

ha_up() {
  ha_down
  mkdir -p "$HA_DIR"/{r1,r2,root/pub,out}
  local n
  for n in sw c s r1 r2; do
    ip netns add "$HA$n" || return 1
    ha_in "$n" ip link set lo up
    ha_in "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  ha_in sw ip link add brc type bridge mcast_snooping 0
  ha_in sw ip link add brs type bridge mcast_snooping 0
  ha_in sw ip link set brc up
  ha_in sw ip link set brs up
  # ha_port NS IFNAME BRIDGE SWITCH_PORT
  ha_port() {
    ip link add "$2" netns "$HA$1" type veth peer name "$4" netns "${HA}sw" &&
      ha_in sw ip link set "$4" master "$3" up && ha_in "$1" ip link set "$2" up
  }
  ha_port c eth0 brc c0 && ha_port r1 in0 brc r1c && ha_port r2 in0 brc r2c &&
    ha_port s eth0 brs s0 && ha_port r1 out0 brs r1s && ha_port r2 out0 brs r2s || return 1
  ip link add sync0 netns "${HA}r1" type veth peer name sync0 netns "${HA}r2" || return 1
  ha_in r1 ip link set sync0 up
  ha_in r2 ip link set sync0 up

  local i
  for i in 10 11 12; do
    ha_in c ip addr add "10.71.1.$i/24" dev eth0
    ha_in c ip -6 addr add "fd71:1::$i/64" dev eth0 nodad
  done
  ha_in c ip route add default via 10.71.1.1
  ha_in c ip -6 route add default via fd71:1::1
  ha_in s ip addr add 10.71.2.10/24 dev eth0
  ha_in s ip -6 addr add fd71:2::10/64 dev eth0 nodad
  ha_in s ip route add default via 10.71.2.1
  ha_in s ip -6 route add default via fd71:2::1
  for i in 1 2; do
    local r=r$i host=$((i + 1))
    ha_in "$r" ip addr add "10.71.1.$host/24" dev in0
    ha_in "$r" ip -6 addr add "fd71:1::$host/64" dev in0 nodad
    ha_in "$r" ip addr add "10.71.2.$host/24" dev out0
    ha_in "$r" ip -6 addr add "fd71:2::$host/64" dev out0 nodad
    ha_in "$r" ip addr add "10.71.3.$i/30" dev sync0
    ha_in "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    # The virtual addresses are answered for by whichever router holds them.
    ha_in "$r" sysctl -qw net.ipv4.ip_nonlocal_bind=1 net.ipv6.ip_nonlocal_bind=1
  done

  # Files the server offers, with their checksums.
  head -c 300000 /dev/urandom > "$HA_DIR/root/pub/a.bin"
  head -c 1048576 /dev/urandom > "$HA_DIR/root/pub/b.bin"
  (cd "$HA_DIR/root/pub" && sha256sum ./*.bin > "$HA_DIR/files.sha256")
  ha_vsftpd 4 10.71.2.10
  ha_vsftpd 6 fd71:2::10
  ip netns exec "${HA}s" /usr/bin/python3 "$ha_repo/scripts/lab_pyftpd.py" 10.71.2.10 2121 "$HA_DIR/root" slowpasv=8 > "$HA_DIR/ftpd-slow.log" 2>&1 &
  disown $!
  for i in $(seq 50); do
    ha_in s ss -ltn | grep -q '10.71.2.10:2121' && ha_in s ss -ltn | grep -q 'fd71:2::10\]:21' && return 0
    sleep 0.1
  done
  echo "ha_up: the FTP servers did not start"; return 1
}

# vsftpd on the server, port 21: anonymous, read-only, passive ports 50000-50100.
# (pyftpdlib 1.5.7 here left some of several masqueraded sessions unanswered, through the
# kernel helper as through ftpgate: seen on the wire at the server; it serves the slow port.)
ha_vsftpd() {  # FAMILY ADDRESS
  local conf="$HA_DIR/vsftpd$1.conf"
  mkdir -p /var/run/vsftpd/empty
  {
    if [ "$1" = 4 ]; then echo "listen=YES"; echo "listen_ipv6=NO"; echo "listen_address=$2"
    else echo "listen=NO"; echo "listen_ipv6=YES"; echo "listen_address6=$2"; fi
    printf '%s\n' listen_port=21 background=NO anonymous_enable=YES no_anon_password=YES \
      "anon_root=$HA_DIR/root" local_enable=NO write_enable=NO pasv_enable=YES pasv_min_port=50000 \
      pasv_max_port=50100 port_enable=YES connect_from_port_20=NO seccomp_sandbox=NO \
      xferlog_enable=NO secure_chroot_dir=/var/run/vsftpd/empty ftp_username=ftp max_clients=0 max_per_ip=0
  } > "$conf"
  ip netns exec "${HA}s" vsftpd "$conf" > "$HA_DIR/vsftpd$1.log" 2>&1 &
  disown $!
}

# NAT on a router: masquerade of .11/::11, DNAT of the inside VIP's FTP ports to the server.
ha_nat() {
  ha_in "$1" nft -f - << 'NFT'
table inet ha_lab_nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.71.1.1 tcp dport { 21, 2121 } dnat ip to 10.71.2.10
		ip6 daddr fd71:1::1 tcp dport { 21, 2121 } dnat ip6 to fd71:2::10
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "out0" ip saddr 10.71.1.11 snat ip to 10.71.2.1
		oifname "out0" ip6 saddr fd71:1::11 snat ip6 to fd71:2::1
	}
}
NFT
}

# conntrackd and keepalived on router R (r1 or r2) from the shipped templates.
ha_start_conntrackd() {
  local r=$1 me peer
  me=10.71.3.${r#r}; peer=10.71.3.$((3 - ${r#r}))
  "$ha_repo/scripts/ha/render.sh" "$ha_repo/scripts/ha/conntrackd.conf.in" LOCAL="$me" PEER="$peer" \
    SYNC_IF=sync0 STATE_DIR="$HA_DIR/$r" > "$HA_DIR/$r/conntrackd.conf" || return 1
  ha_in "$r" conntrackd -C "$HA_DIR/$r/conntrackd.conf" -d || return 1
  local i
  for i in $(seq 50); do [ -S "$HA_DIR/$r/conntrackd.ctl" ] && return 0; sleep 0.1; done
  echo "conntrackd on $r did not start"; cat "$HA_DIR/$r/conntrackd.log"; return 1
}

ha_start_keepalived() {
  local r=$1 prio=100 notify="$ha_repo/scripts/ha/ftpgate-ha-notify.sh"
  [ "$r" = r1 ] && prio=150
  local args="$HA_DIR/$r/conntrackd.conf $ftpgate $HA_DIR/$r/ftpgate.conf $HA_DIR/$r/notify.log"
  [ -f "$HA_DIR/$r/keepalived.conf" ] ||
    "$ha_repo/scripts/ha/render.sh" "$ha_repo/scripts/ha/keepalived.conf.in" ROUTER_ID="ha-$r" \
      PRIORITY="$prio" INSIDE_IF=in0 OUTSIDE_IF=out0 INSIDE_VIP=10.71.1.1/24 OUTSIDE_VIP=10.71.2.1/24 \
      INSIDE_VIP6=fd71:1::1/64 OUTSIDE_VIP6=fd71:2::1/64 NOTIFY_PRIMARY="$notify primary $args" \
      NOTIFY_BACKUP="$notify backup $args" NOTIFY_FAULT="$notify fault $args" > "$HA_DIR/$r/keepalived.conf" || return 1
  ip netns exec "$HA$r" keepalived -n -l -D --vrrp -f "$HA_DIR/$r/keepalived.conf" -p "$HA_DIR/$r/keepalived-main.pid" \
    -r "$HA_DIR/$r/keepalived-vrrp.pid" >> "$HA_DIR/$r/keepalived.log" 2>&1 &
  echo $! > "$HA_DIR/$r/keepalived.pid"
  disown $!
}
ha_stop_keepalived() {
  kill "$(cat "$HA_DIR/$1/keepalived.pid")" 2> /dev/null
  local i
  for i in $(seq 50); do kill -0 "$(cat "$HA_DIR/$1/keepalived.pid")" 2> /dev/null || break; sleep 0.1; done
  rm -f "$HA_DIR/$1/keepalived.pid"
}
# Waits until router R holds both virtual IPv4 addresses and its notify script has finished.
ha_wait_primary() {
  local r=$1 done_before=$2 i
  for i in $(seq 150); do
    if ha_in "$r" ip -4 addr show dev in0 | grep -q 10.71.1.1/ && ha_in "$r" ip -4 addr show dev out0 | grep -q 10.71.2.1/ &&
       [ "$(grep -c 'primary: done' "$HA_DIR/$r/notify.log" 2> /dev/null)" -gt "$done_before" ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "$r did not become primary"; tail -20 "$HA_DIR/$r/keepalived.log"; return 1
}
ha_primary_count() { local n; n=$(grep -c 'primary: done' "$HA_DIR/$1/notify.log" 2> /dev/null); echo "${n:-0}"; }
