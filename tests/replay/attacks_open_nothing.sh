#!/usr/bin/env bash
# Every capture in pcaps/attacks/ must open nothing (no "expect" event) and say why: a named
# reject/anomaly, or tls_start. filename_with_port is the exception that names nothing, because
# there is nothing to refuse: ftpgate only ever sees RETR/STOR commands and a 550 reply there.
#   attacks_open_nothing.sh FTPGATE ATTACK_DIR
set -u
ftpgate=$1; dir=$2
passed=0; failed=0
for p in "$dir"/*.pcap; do
  name=$(basename "$p" .pcap)
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
