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
# ... and ftpgate(8) describes each command of the usage, with its exit status and signals.
man=$(dirname "$0")/../scripts/packaging/ftpgate.8
for cmd in $("$ftpgate" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
  if grep -q "^\.B[R]* \"*$(printf '%s' "$cmd" | sed 's/-/\\\\-/g')" "$man"; then passed=$((passed + 1)); echo "ok   ftpgate(8) describes $cmd"
  else failed=$((failed + 1)); echo "FAIL ftpgate(8) does not describe $cmd"; fi
done
for section in "EXIT STATUS" SIGNALS LOGS METRICS EXAMPLES; do
  if grep -q "^\.SH $section\$" "$man"; then passed=$((passed + 1)); echo "ok   ftpgate(8) has $section"
  else failed=$((failed + 1)); echo "FAIL ftpgate(8) has no $section"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
