#!/usr/bin/env bash
# ftpgate replay: a missing or non-capture file exits 2 with one line naming it; a truncated
# capture processes what it can, says so, and exits 1.
set -u
ftpgate=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
check() {  # name, expected exit, expected stderr pattern, command...
  local name=$1 want=$2 pattern=$3; shift 3
  "$@" > "$tmp/out" 2> "$tmp/err"; local rc=$?
  if [ "$rc" = "$want" ] && grep -q -- "$pattern" "$tmp/err"; then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name: exit $rc, stderr: $(cat "$tmp/err")"; fi
}
check missing-file 2 "nope.pcap: cannot read as a capture" "$ftpgate" replay "$tmp/nope.pcap"
echo "this is not a capture" > "$tmp/text.pcap"
check not-a-capture 2 "text.pcap: cannot read as a capture" "$ftpgate" replay "$tmp/text.pcap"
check no-files 2 "usage" "$ftpgate" replay
check bad-ports 2 "--ports" "$ftpgate" replay --ports 0 "$tmp/text.pcap"
# A real capture cut in the middle of a record.
python3 - "$tmp/cut.pcap" <<'PY'
import struct, sys
hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)  # LINKTYPE_RAW
rec = struct.pack("<IIII", 1, 0, 40, 40) + bytes([0x45]) + bytes(39)
open(sys.argv[1], "wb").write(hdr + rec + struct.pack("<IIII", 2, 0, 60, 60) + bytes(10))
PY
check truncated 1 "cut.pcap: truncated capture after 1 frames" "$ftpgate" replay "$tmp/cut.pcap"
if grep -q '"truncated":true' "$tmp/out"; then passed=$((passed + 1)); echo "ok   truncated-summary"
else failed=$((failed + 1)); echo "FAIL truncated-summary: $(cat "$tmp/out")"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
