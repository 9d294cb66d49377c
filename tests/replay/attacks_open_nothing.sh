#!/usr/bin/env bash
# Every capture in pcaps/attacks/ must open nothing (no "expect" event) and say why: a named
# reject/anomaly, or tls_start. filename_with_port is the exception that names nothing, because
# there is nothing to refuse: ftpgate only ever sees RETR/STOR commands and a 550 reply there.
# The evasion_* captures attack the command policy instead: replayed with deny rules
# (tests/replay/policy/deny_writes.conf), each must end in a denial or a guard verdict that
# keeps the server from reading the denied command (a copy put back, the URG flag cleared).
#   attacks_open_nothing.sh FTPGATE ATTACK_DIR
set -u
ftpgate=$1; dir=$2
policy=$(cd "$(dirname "$0")" && pwd)/policy/deny_writes.conf
passed=0; failed=0
for p in "$dir"/*.pcap; do
  name=$(basename "$p" .pcap)
  if [[ $name == evasion_* ]]; then
    out=$("$ftpgate" replay --config "$policy" "$p")
    held=$( { printf '%s\n' "$out" | grep '"event":"policy"' | grep -o '"action":"deny"'
              printf '%s\n' "$out" | grep -o '"guard_restored_segments":[1-9][0-9]*\|"urgent_flags_cleared":[1-9][0-9]*'; } |
            sort -u | tr '\n' ' ')
    if printf '%s\n' "$out" | grep -q '"event":"expect"' || [ -z "$held" ]; then
      failed=$((failed + 1)); echo "FAIL $name: with deny rules, neither a denial nor a guard verdict"
    else
      passed=$((passed + 1)); echo "ok   $name: $held"
    fi
    continue
  fi
  out=$("$ftpgate" replay "$p")
  reasons=$(printf '%s\n' "$out" | grep -o '"reason":"[a-z_0-9]*"\|"event":"tls_start"' | sort -u | tr '\n' ' ')
  if printf '%s\n' "$out" | grep -q '"event":"expect"'; then
    failed=$((failed + 1)); echo "FAIL $name opened a data connection"
  elif [ -z "$reasons" ] && [ "$name" != filename_with_port ]; then
    failed=$((failed + 1)); echo "FAIL $name: nothing opened, but no reason named"
  else
    passed=$((passed + 1)); echo "ok   $name: nothing opened; ${reasons:-no command to refuse}"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -ge 10 ]
