#!/usr/bin/env bash
# Bad invocations and bad configurations, as an admin meets them in the first hour: each row
# is a command, the exit status it must end with and a text its output must hold (grep -F).
#   cli_errors.sh FTPGATE
set -u
ftpgate=$(realpath "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d); chmod 755 "$dir"; trap 'rm -rf "$dir"' EXIT
passed=0; failed=0
conf() { printf "$2" > "$dir/$1.conf"; echo "$dir/$1.conf"; }  # NAME TEXT (printf format)
row() {  # STATUS TEXT COMMAND...
  local want=$1 text=$2; shift 2
  local out rc; out=$("$@" 2>&1); rc=$?
  if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -qF -- "$text"; then
    passed=$((passed + 1)); echo "ok   $* -> $rc: $text"
  else failed=$((failed + 1)); echo "FAIL $*: exit $rc (want $want), output: $out"; fi
}
version=$(sed -n 's/^project(ftpgate VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
row 0 "ftpgate $version" "$ftpgate" --version
row 0 "ftpgate $version" "$ftpgate" version
row 2 "unknown command 'frobnicate'" "$ftpgate" frobnicate
row 0 "valid: queue 0, control ports 21" "$ftpgate" check-config "$top/scripts/ftpgate.conf"
row 0 "valid: queue 3, control ports 21, helper mode auto, 1 command rules" \
  "$ftpgate" check-config "$(conf bom '\xef\xbb\xbfqueue = 3\nrule = deny verb DELE name no-delete\n')"
row 0 "valid: queue 0, control ports 2121" "$ftpgate" run --test-config --config "$top/scripts/ftpgate.conf" --ports 2121
row 2 "which configuration file?" "$ftpgate" check-config
row 2 "cannot read the configuration file /nonexistent.conf" "$ftpgate" check-config /nonexistent.conf
row 2 "line 3: 'queue' given twice (first on line 1)" "$ftpgate" check-config "$(conf dup 'queue = 1\nports = 21\nqueue = 2\n')"
row 2 "line 1: bad value '70000' for min_data_port (0-65535)" "$ftpgate" check-config "$(conf range 'min_data_port = 70000\n')"
row 2 "bad value '0' for expectation_timeout (1-3600 seconds)" "$ftpgate" check-config "$(conf secs 'expectation_timeout = 0\n')"
row 2 "line 2: unknown key 'queu'" "$ftpgate" check-config "$(conf typo '# x\nqueu = 1\n')"
row 2 "'192.0.2.1/24' has host bits set: write 192.0.2.0/24 for the network, or 192.0.2.1 for the host" \
  "$ftpgate" check-config "$(conf bits 'rule = deny server 192.0.2.1/24\n')"
row 2 "bad value '21,21' for ports (21 is listed twice" "$ftpgate" run --ports 21,21
row 2 "--queue given twice" "$ftpgate" run --queue 1 --queue 2
row 2 "--queue needs a value" "$ftpgate" run --queue
row 2 "--max-sessions: bad value '0' for max_sessions (1-16777216)" "$ftpgate" run --max-sessions 0
row 2 "bad value 'localhost' for metrics_address" "$ftpgate" run --metrics-address localhost
row 2 "ftpgate replay: --ports needs a value" "$ftpgate" replay --ports
row 2 "--ports wants a list like 21,2121 or 2100-2110, got '21,21': 21 is listed twice" "$ftpgate" replay --ports 21,21 x.pcap
row 2 "ftpgate replay: unknown option '--port'" "$ftpgate" replay --port 21 x.pcap
row 0 "no TCP segment on control port(s) 21: is the FTP server on another port?" \
  "$ftpgate" replay "$top/pcaps/ftplib_split_port_nodelay.pcap"
row 2 "ftpgate status: unknown format 'xml' (prometheus, table or json)" "$ftpgate" status --format xml
row 2 "ftpgate status: --socket needs a value" "$ftpgate" status --socket
row 2 "ftpgate status: unknown option '--sock'" "$ftpgate" status --sock x
row 1 "cannot reach the daemon at $dir/none.sock" "$ftpgate" status --socket "$dir/none.sock"
row 2 "ftpgate helper: unknown action 'regster' (register or unregister)" "$ftpgate" helper regster
# Without CAP_NET_ADMIN: said as such, not as "another program is bound to NFQUEUE" (EPERM).
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
  nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
  row 1 "'ftpgate run' needs CAP_NET_ADMIN: run it as root" "${nobody[@]}" "$ftpgate" run --queue 7
  row 1 "'ftpgate helper register' needs CAP_NET_ADMIN" "${nobody[@]}" "$ftpgate" helper register
  readable=$(conf nobody 'queue = 2\n'); chmod 644 "$readable"
  row 0 "valid:" "${nobody[@]}" "$ftpgate" check-config "$readable"  # checking needs no capability
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
