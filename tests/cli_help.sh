#!/usr/bin/env bash
# Every subcommand answers --help with its usage on stdout and exit 0, and does nothing else
# (`ftpgate check --help` once ran the kernel probes instead).
#   cli_help.sh FTPGATE
set -u
ftpgate=$1
passed=0; failed=0
for cmd in run check-config check status replay helper ha; do
  out=$("$ftpgate" "$cmd" --help 2>/dev/null); rc=$?
  if [ "$rc" = 0 ] && printf '%s\n' "$out" | head -1 | grep -q "^usage: ftpgate $cmd" &&
     ! printf '%s\n' "$out" | grep -q "what this kernel offers"; then
    passed=$((passed + 1)); echo "ok   $cmd --help"
  else
    failed=$((failed + 1)); echo "FAIL $cmd --help: exit $rc, output: $out"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
