#!/usr/bin/env bash
# Replay benchmark: `ftpgate replay` versus `tshark -Y ftp` and `tcpdump -A` reading the same
# large capture (spliced from pcaps/ by make_big_pcap.py), wall time and peak memory, one run.
#   scripts/bench_replay.sh [BUILD_DIR]     env: BIG_PCAP_MB (default 256)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(dirname "$here")
build=$(realpath "${1:-$top/build}")
mb=${BIG_PCAP_MB:-256}
need=()
command -v tshark > /dev/null || need+=(tshark)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
work=$(mktemp -d /tmp/fgreplay.XXXX); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/make_big_pcap.py" "$work/big.pcap" "$mb" \
  "$top"/pcaps/vsftpd_*.pcap "$top"/pcaps/pyftpdlib_port2121_curl.pcap > /dev/null
size=$(du -m "$work/big.pcap" | cut -f1)
cat "$work/big.pcap" > /dev/null   # page cache warm for everyone
declare -A secs_of
run() {  # key, label, command...
  local key=$1 label=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" > "$work/out-$key" 2> /dev/null || true
  local secs kb; read -r secs kb < "$work/t"
  secs_of[$key]=$secs
  printf '  %-32s %7.2f s  %6.0f MB/s  peak RSS %6d MB\n' "$label" "$secs" \
    "$(awk -v s="$size" -v t="$secs" 'BEGIN { print (t > 0 ? s / t : 0) }')" $((kb / 1024))
}
echo "reading a ${size} MB capture of FTP control sessions:"
run ftpgate "ftpgate replay --ports 21,2121" "$build/ftpgate" replay --ports 21,2121 "$work/big.pcap"
run tshark "tshark -Y ftp" tshark -r "$work/big.pcap" -Y ftp
run tcpdump "tcpdump -nn -A" tcpdump -nn -A -r "$work/big.pcap"
echo "  ftpgate found $(grep -c '"event":"expect"' "$work/out-ftpgate" || true) data connections"
awk -v f="${secs_of[ftpgate]}" -v t="${secs_of[tshark]}" -v d="${secs_of[tcpdump]}" \
  'BEGIN { printf "  ratios: tshark/ftpgate %.1fx, tcpdump/ftpgate %.1fx\n", t / f, d / f }'
