#!/usr/bin/env bash
# End-to-end: ftpgate the way an operator runs it.
#   - rules/ftpgate-include.nft included into an existing nftables ruleset that has other
#     tables (its own drop-policy forward chain jumps to ftpgate_forward); the named set of
#     servers decides which control connections are inspected
#   - JSON logs (--log-format json): every line one object with ts, level and event (start with
#     the version, decisions naming the USER, SIGUSR1's counters, reload, one stop line)
#   - Prometheus metrics scraped with curl from 127.0.0.1:PORT and from the Unix socket, parsed
#     with the Prometheus client library's parser, HELP and TYPE for every family, build info,
#     queue labels; `ftpgate status --format json|table`; metrics_address ::1
#   operations_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
source "$here/e2e_common.sh"
e2e_needs vsftpd curl nft iptables /usr/bin/python3
/usr/bin/python3 -c 'import prometheus_client' 2> /dev/null || { echo "missing python3-prometheus-client: skipped"; exit 77; }
LAB=fgo$$; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2> /dev/null
  lab_down
}
trap cleanup EXIT
[ -n "${KEEP_LAB:-}" ] && trap - EXIT
lab_up
lab_start_vsftpd 4 21
mkdir -p "$LAB_DIR/dl"
DAEMON_PORTS=21

# --- an existing ruleset with other tables, ftpgate included into one of them ---------------
cat > "$LAB_DIR/ruleset.nft" << EOF
table ip other_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "lo" counter
	}
}
table inet other_filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 counter accept
	}
}
table inet filter {
	include "$top/rules/ftpgate-include.nft"
	chain forward {
		type filter hook forward priority filter + 10; policy drop;
		ct state established accept
		jump ftpgate_forward
		icmp type { destination-unreachable, time-exceeded } ct state related accept
		icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
EOF
if in_router nft -f "$LAB_DIR/ruleset.nft" 2> "$LAB_DIR/nft.err"; then
  tables=$(in_router nft list tables | tr '\n' ' ')
  ok "the include loads into a ruleset with other tables: $tables"
else
  bad "the include does not load: $(head -3 "$LAB_DIR/nft.err")"; exit 1
fi
# Control packets to ftpgate's queue (this kernel has no nft queue statement).
in_router iptables -A FORWARD -p tcp -m multiport --ports 21 -j NFQUEUE --queue-num 0 --queue-bypass

start_daemon --log-format json --metrics-port 9821 || exit 1

fetch() {  # NAME MODE: one download as user anonymous, active or passive
  rm -f "$LAB_DIR/dl/$1"
  local mode=(--disable-epsv); [ "$2" = active ] && mode=(-P - --disable-eprt)
  in_client curl -s -S --connect-timeout 3 --max-time 8 "${mode[@]}" --user anonymous:lab \
    -o "$LAB_DIR/dl/$1" "ftp://$SERVER4/pub/64k.bin" 2> /dev/null &&
    [ "$(sha256sum < "$LAB_DIR/dl/$1" | cut -d' ' -f1)" = "$(grep ' ./64k.bin$' "$LAB_DIR/files.sha256" | cut -d' ' -f1)" ]
}
fetch a active && ok "active transfer through the included ruleset" || bad "active transfer failed"
fetch b passive && ok "passive transfer through the included ruleset" || bad "passive transfer failed"

# The set decides: with another server listed, control connections to this one are neither
# admitted nor given the helper.
in_router nft flush set inet filter ftpgate_servers_v4
in_router nft add element inet filter ftpgate_servers_v4 '{ 192.0.2.99 }'
if fetch c passive; then bad "a server outside ftpgate_servers_v4 was still handled"
else ok "a server outside ftpgate_servers_v4 is not admitted"; fi
in_router nft add element inet filter ftpgate_servers_v4 "{ $SERVER4 }"
fetch d active && ok "listed again: admitted again" || bad "listed again: transfer failed"

# --- JSON logs ------------------------------------------------------------------------------
kill -USR1 "$daemon_pid"; kill -HUP "$daemon_pid"; sleep 0.3
if /usr/bin/python3 - "$LAB_DIR/ftpgate.log" "$("$ftpgate" --version)" << 'EOF'
import json, sys
expects, events = [], {}
for line in open(sys.argv[1]):
    o = json.loads(line)              # every line is one JSON object (jq reads the whole log)
    assert o["level"] in ("error", "warning", "notice", "info") and o["event"] and isinstance(o["ts"], float), line
    events.setdefault(o["event"], []).append(o)
    if o["event"] == "expect":
        expects.append(o)
start = events["start"][0]
assert "ftpgate " + start["version"] == sys.argv[2] and start["queues"] == "0", start
assert events["counters"][0]["counters"]["expectations_installed_total"] >= 3, events["counters"]
assert events["reload"][0]["rules"] == 0, events["reload"]
assert len(expects) >= 3, expects
for o in expects:
    assert o["user"] == "anonymous", o
    assert o["control"]["server"] == "203.0.113.2" and o["control"]["server_port"] == 21, o
    assert o["data"]["dport"] > 1023 and o["cmd"] in ("PORT", "227"), o
    assert isinstance(o["ts"], float) and o["line"], o
print("%d expect lines, e.g. %s" % (len(expects), json.dumps(expects[0])[:160]))
EOF
then ok "every log line is a JSON object with level and event; start names the version; SIGUSR1 and SIGHUP too"
else bad "JSON log: $(head -3 "$LAB_DIR/ftpgate.log")"; fi

# --- metrics --------------------------------------------------------------------------------
check_metrics() {  # SOURCE-NAME: parses stdin as Prometheus text
  /usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
v = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        v[(s.name, tuple(sorted(s.labels.items())))] = s.value
assert v[("ftpgate_expectations_installed_total", ())] >= 3, v
assert v[("ftpgate_verdict_latency_seconds_count", ())] > 0
assert v[("ftpgate_verdict_latency_seconds_bucket", (("le", "+Inf"),))] == v[("ftpgate_verdict_latency_seconds_count", ())]
assert ("ftpgate_refusals_total", (("reason", "bounce_address"),)) in v
assert v[("ftpgate_queue_packets_total", (("queue", "0"),))] > 0
assert ("ftpgate_expectation_install_failures_total", (("reason", "busy"),)) in v
assert v[("ftpgate_config_last_reload_successful", ())] == 1
assert v[("ftpgate_config_reloads_total", (("result", "success"),))] == 1
assert v[("ftpgate_start_time_seconds", ())] > 1.7e9
assert v[("ftpgate_config_last_reload_success_timestamp_seconds", ())] > v[("ftpgate_start_time_seconds", ())]
assert [k for k in v if k[0] == "ftpgate_build_info"], v
print(len(v), "samples")'
}
# HELP and TYPE for every family, HELP first (the client parser accepts families without).
help_and_type() {
  awk '/^# HELP / {h[$3]=1; next} /^# TYPE / {if (!h[$3]) {print "TYPE before HELP: " $3; bad=1} t[$3]=1; next}
       {n=$1; sub(/\{.*/, "", n); f=n; sub(/_(bucket|sum|count)$/, "", f); if (!(n in t) && !(f in t)) {print "no TYPE: " n; bad=1}}
       END {exit bad}'
}
if out=$(in_router curl -s --max-time 3 http://127.0.0.1:9821/metrics | check_metrics 2>&1); then
  ok "curl http://127.0.0.1:9821/metrics parses as Prometheus text ($out)"
else bad "metrics on the port: $out"; fi
if out=$(curl -s --max-time 3 --unix-socket "$LAB_DIR/ftpgate.sock" http://localhost/metrics | check_metrics 2>&1); then
  ok "curl --unix-socket ... /metrics parses as Prometheus text ($out)"
else bad "metrics on the Unix socket: $out"; fi
if out=$(curl -s --max-time 3 --unix-socket "$LAB_DIR/ftpgate.sock" http://localhost/metrics | help_and_type 2>&1); then
  ok "every metric family has # HELP and # TYPE"
else bad "HELP/TYPE: $(printf '%s' "$out" | head -3)"; fi
if in_client curl -s --max-time 2 "http://$ROUTER_C4:9821/metrics" > /dev/null 2>&1; then
  bad "the metrics port answers from the network"
else ok "the metrics port is bound to 127.0.0.1 only"; fi
if "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" --format json |
   /usr/bin/python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["expectations_installed_total"] >= 3 and "bounce_address" in o["refusals_total"]'; then
  ok "ftpgate status --format json"
else bad "status --format json"; fi
if "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" --format table | grep -Eq '^expectations_installed_total +[3-9]'; then
  ok "ftpgate status --format table"
else bad "status --format table"; fi

stop_daemon
if /usr/bin/python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
stops = [o for o in lines if o["event"] == "stop"]
assert len(stops) == 1 and stops[0]["packets"] > 0 and lines[-1] is stops[0], lines[-3:]
print(stops[0]["msg"])' "$LAB_DIR/ftpgate.log" > "$LAB_DIR/stop.out" 2>&1; then
  ok "one stop line, the log's last, with the figures: $(cat "$LAB_DIR/stop.out")"
else bad "stop: $(tail -3 "$LAB_DIR/stop.out")"; fi

# --- metrics_address: another listen address ------------------------------------------------
start_daemon --log-format json --metrics-port 9822 --metrics-address ::1 || exit 1
if in_router curl -s --max-time 3 "http://[::1]:9822/metrics" | grep -q '^ftpgate_build_info{version="' &&
   ! in_router curl -s --max-time 1 http://127.0.0.1:9822/metrics > /dev/null 2>&1; then
  ok "--metrics-address ::1 serves on [::1]:9822 and not on 127.0.0.1"
else bad "metrics_address ::1"; fi
stop_daemon
echo "operations e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
