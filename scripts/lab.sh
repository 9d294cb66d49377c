#!/usr/bin/env bash
# The ftpgate namespace lab: client -- router -- server, IPv4 and IPv6.
#
#   client ns  ${LAB}c : veth c0  198.51.100.2/24  2001:db8:1::2/64   (default via the router)
#   router ns  ${LAB}r : veth rc  198.51.100.1/24  2001:db8:1::1/64
#                        veth rs  203.0.113.1/24   2001:db8:2::1/64   (forwarding on)
#   server ns  ${LAB}s : veth s0  203.0.113.2/24   2001:db8:2::2/64
#
# Source it, then: lab_up; ...; lab_down. Everything it creates carries the $LAB prefix, and
# lab_down removes it all (namespaces take their veths, rules and processes' sockets with them).
# Only addresses inside these namespaces are ever used.

LAB=${LAB:-fglab}
LAB_DIR=${LAB_DIR:-/tmp/$LAB}
CLIENT4=198.51.100.2; ROUTER_C4=198.51.100.1; ROUTER_S4=203.0.113.1; SERVER4=203.0.113.2
CLIENT6=2001:db8:1::2; ROUTER_C6=2001:db8:1::1; ROUTER_S6=2001:db8:2::1; SERVER6=2001:db8:2::2
PYTHON=/usr/bin/python3   # Debian's, where python3-pyftpdlib is installed

in_client() { ip netns exec "${LAB}c" "$@"; }
in_router() { ip netns exec "${LAB}r" "$@"; }
in_server() { ip netns exec "${LAB}s" "$@"; }

lab_down() {
  local ns pid
  for ns in "${LAB}c" "${LAB}r" "${LAB}s"; do
    if ip netns list 2>/dev/null | grep -qw "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    fi
  done
  sleep 0.2
  for ns in "${LAB}c" "${LAB}r" "${LAB}s"; do
    if ip netns list 2>/dev/null | grep -qw "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  rm -rf "$LAB_DIR"
}

lab_up() {
  lab_down
  mkdir -p "$LAB_DIR"
  ip netns add "${LAB}c" && ip netns add "${LAB}r" && ip netns add "${LAB}s" || return 1
  ip link add "${LAB}c0" netns "${LAB}c" type veth peer name rc netns "${LAB}r"
  ip link add "${LAB}s0" netns "${LAB}s" type veth peer name rs netns "${LAB}r"
  in_client ip link set "${LAB}c0" name c0
  in_server ip link set "${LAB}s0" name s0
  local ns
  for ns in "${LAB}c" "${LAB}r" "${LAB}s"; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  in_client ip addr add "$CLIENT4/24" dev c0
  in_client ip -6 addr add "$CLIENT6/64" dev c0 nodad
  in_client ip link set c0 up
  in_router ip addr add "$ROUTER_C4/24" dev rc
  in_router ip -6 addr add "$ROUTER_C6/64" dev rc nodad
  in_router ip addr add "$ROUTER_S4/24" dev rs
  in_router ip -6 addr add "$ROUTER_S6/64" dev rs nodad
  in_router ip link set rc up
  in_router ip link set rs up
  in_server ip addr add "$SERVER4/24" dev s0
  in_server ip -6 addr add "$SERVER6/64" dev s0 nodad
  in_server ip link set s0 up
  in_client ip route add default via "$ROUTER_C4"
  in_client ip -6 route add default via "$ROUTER_C6"
  in_server ip route add default via "$ROUTER_S4"
  in_server ip -6 route add default via "$ROUTER_S6"
  in_router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  # Loose TCP window tracking off: the router sees every packet, and strict tracking is what a
  # firewall runs with.
  in_router sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 2>/dev/null || true
  lab_make_files
}

# Files served by the lab servers, with their checksums in $LAB_DIR/files.sha256.
lab_make_files() {
  mkdir -p "$LAB_DIR/root/pub" "$LAB_DIR/upload"
  head -c 1048576 /dev/urandom > "$LAB_DIR/root/pub/1M.bin"
  head -c 1000 /dev/urandom > "$LAB_DIR/root/pub/1k.bin"
  head -c 65536 /dev/urandom > "$LAB_DIR/root/pub/64k.bin"
  chmod 755 "$LAB_DIR" "$LAB_DIR/root" "$LAB_DIR/root/pub"
  chmod 644 "$LAB_DIR"/root/pub/*
  chmod 777 "$LAB_DIR/upload"
  (cd "$LAB_DIR/root/pub" && sha256sum ./*.bin > "$LAB_DIR/files.sha256")
}

# vsftpd in the server namespace (or, with SIDE=client, in the client namespace: an inside
# server published by DNAT): anonymous, read-only, passive ports 50000-50100.
# lab_start_vsftpd FAMILY(4|6) PORT [SIDE]
lab_start_vsftpd() {
  local family=$1 port=$2 side=${3:-server} conf="$LAB_DIR/vsftpd-$1-$2-${3:-server}.conf"
  local addr4=$SERVER4 addr6=$SERVER6
  [ "$side" = client ] && { addr4=$CLIENT4; addr6=$CLIENT6; }
  mkdir -p /var/run/vsftpd/empty
  {
    echo "listen=$([ "$family" = 4 ] && echo YES || echo NO)"
    echo "listen_ipv6=$([ "$family" = 6 ] && echo YES || echo NO)"
    if [ "$family" = 4 ]; then echo "listen_address=$addr4"; else echo "listen_address6=$addr6"; fi
    echo "listen_port=$port"
    echo "background=NO"
    echo "anonymous_enable=YES"
    echo "no_anon_password=YES"
    echo "anon_root=$LAB_DIR/root"
    echo "local_enable=NO"
    echo "write_enable=NO"
    echo "pasv_enable=YES"
    echo "pasv_min_port=50000"
    echo "pasv_max_port=50100"
    echo "port_enable=YES"
    echo "connect_from_port_20=NO"
    echo "seccomp_sandbox=NO"
    echo "xferlog_enable=NO"
    echo "secure_chroot_dir=/var/run/vsftpd/empty"
    echo "ftp_username=ftp"
  } > "$conf"
  ip netns exec "${LAB}${side:0:1}" vsftpd "$conf" > "$LAB_DIR/vsftpd-$family-$port-$side.log" 2>&1 &
  lab_wait_listen "$port" "$side"
}

# pyftpdlib in the server namespace, anonymous with write access to /upload.
# lab_start_pyftpdlib ADDRESS PORT [HANDLER_MODULE_FILE]
lab_start_pyftpdlib() {
  local addr=$1 port=$2
  in_server "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/lab_pyftpd.py" "$addr" "$port" \
    "$LAB_DIR/root" "${3:-}" > "$LAB_DIR/pyftpd-$port.log" 2>&1 &
  lab_wait_listen "$port"
}

# lab_wait_listen PORT [SIDE]
lab_wait_listen() {
  local port=$1 side=${2:-server} i
  for i in $(seq 1 50); do
    ip netns exec "${LAB}${side:0:1}" ss -ltn 2>/dev/null | grep -q ":$port " && return 0
    sleep 0.1
  done
  echo "lab: nothing listens on port $port in the $side namespace" >&2
  return 1
}

# The FTPS server with CCC (scripts/lab_ftps_ccc_server.py), with a throw-away certificate.
# lab_start_ftps_ccc PORT
lab_start_ftps_ccc() {
  local port=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=ftpgate-lab" \
    -keyout "$LAB_DIR/tls.key" -out "$LAB_DIR/tls.crt" > /dev/null 2>&1 || return 1
  in_server "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/lab_ftps_ccc_server.py" "$SERVER4" "$port" \
    "$LAB_DIR/root/pub" "$LAB_DIR/tls.crt" "$LAB_DIR/tls.key" > "$LAB_DIR/ftps-$port.log" 2>&1 &
  lab_wait_listen "$port"
}
