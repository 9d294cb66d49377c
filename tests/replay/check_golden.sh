#!/usr/bin/env bash
# Replays every capture that has a golden file and compares the JSON lines exactly.
#   check_golden.sh FTPGATE PCAP_ROOT GOLDEN_ROOT
# For GOLDEN_ROOT/REL.expected.jsonl the capture is PCAP_ROOT/REL (REL ends in .pcap or .pcapng);
# extra replay flags, if any, are in GOLDEN_ROOT/REL.flags. Paths in the output are relative to
# PCAP_ROOT, so golden files do not depend on where the tree lives.
# To regenerate after a deliberate change: UPDATE_GOLDEN=1 check_golden.sh ...  (then review the diff)
set -u
ftpgate=$(realpath "$1"); pcap_root=$(realpath "$2"); golden_root=$(realpath "$3")
if [ ! -d "$pcap_root" ]; then echo "no captures at $pcap_root: skipped"; exit 77; fi
passed=0; failed=0
while IFS= read -r golden; do
  rel=${golden#"$golden_root"/}; rel=${rel%.expected.jsonl}
  flags=""; [ -f "$golden_root/$rel.flags" ] && flags=$(cat "$golden_root/$rel.flags")
  # shellcheck disable=SC2086
  actual=$(cd "$pcap_root" && "$ftpgate" replay $flags "$rel" 2>&1; echo "exit=$?")
  if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then printf '%s\n' "$actual" > "$golden"; fi
  if diff -u "$golden" <(printf '%s\n' "$actual") > /tmp/golden-diff.$$; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL $rel"; head -40 /tmp/golden-diff.$$
  fi
done < <(find "$golden_root" -name '*.expected.jsonl' | sort)
rm -f /tmp/golden-diff.$$
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
