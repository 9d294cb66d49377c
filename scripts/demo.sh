#!/usr/bin/env bash
# The ftpgate demo: builds ftpgate, sets up the namespace lab (client -- router -- server) with a
# default-drop firewall on the router, and shows that FTP data connections get through only
# because ftpgate told the kernel to expect them.
#   bash scripts/demo.sh
# Everything it creates (namespaces, rules, servers, the daemon) is removed when it ends.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
if [ "${SKIP_INSTALL:-0}" != 1 ]; then bash "$top/scripts/install-deps.sh" > /dev/null; fi
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$build" -j"$(nproc)" --target ftpgate > /dev/null
ftpgate=$build/ftpgate

LAB=fgdemo; LAB_DIR=/tmp/fgdemo
source "$top/scripts/lab.sh"
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2> /dev/null; lab_down; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "lab: client $CLIENT4 / $CLIENT6  --  router  --  server $SERVER4 / $SERVER6 (vsftpd)"
lab_up
lab_start_vsftpd 4 21
lab_start_vsftpd 6 21
in_router "$ftpgate" check | sed 's/^/   /'

say "router rules (rules.sh --standalone: the lab router's whole firewall): forward policy drop; control connections get the inert 'sane' helper and go to NFQUEUE 0"
in_router bash "$top/scripts/rules.sh" load --standalone --ports 21 --queue 0 --helper sane

fetch() {  # label, curl options, url
  local label=$1 opts=$2 url=$3
  if in_client curl -s -S --connect-timeout 3 --max-time 6 $opts -o "$LAB_DIR/out" "$url" 2> /dev/null &&
     [ "$(sha256sum < "$LAB_DIR/out" | cut -d' ' -f1)" = "$(grep ' ./64k.bin$' "$LAB_DIR/files.sha256" | cut -d' ' -f1)" ]; then
    printf '   %-34s transferred, checksum ok\n' "$label"
  else
    printf '   %-34s FAILED (blocked by the firewall)\n' "$label"
  fi
}
all_modes() {
  fetch "passive EPSV (IPv4)" "" "ftp://$SERVER4/pub/64k.bin"
  fetch "passive PASV (IPv4)" "--disable-epsv" "ftp://$SERVER4/pub/64k.bin"
  fetch "active EPRT (IPv4)" "-P -" "ftp://$SERVER4/pub/64k.bin"
  fetch "active PORT (IPv4)" "-P - --disable-eprt" "ftp://$SERVER4/pub/64k.bin"
  fetch "passive EPSV (IPv6)" "" "ftp://[$SERVER6]/pub/64k.bin"
  fetch "active EPRT (IPv6)" "-P -" "ftp://[$SERVER6]/pub/64k.bin"
}

say "without ftpgate: the firewall drops every data connection"
all_modes

say "with ftpgate running on the router"
ip netns exec "${LAB}r" "$ftpgate" run --queue 0 --ports 21 --status-socket "$LAB_DIR/ftpgate.sock" \
  > "$LAB_DIR/ftpgate.log" 2>&1 &
daemon=$!
for _ in $(seq 50); do [ -S "$LAB_DIR/ftpgate.sock" ] && break; sleep 0.1; done
all_modes

say "the expectations ftpgate installed (its log)"
grep '^expect' "$LAB_DIR/ftpgate.log" | sed 's/^/   /'

say "ftpgate status (excerpt)"
"$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" --format table |
  grep -E '^(queue_packets_total|sessions_created|expectations_installed|fail_open|verdict_latency_seconds_count)' | sed 's/^/   /'
echo
