#!/usr/bin/env bash
# Records the captures in pcaps/ from real servers and clients in the namespace lab, with
# tcpdump on the router's client-side interface (control ports only), and writes each golden
# file with `ftpgate replay`. Review the golden diffs before committing them.
#   scripts/record_pcaps.sh [BUILD_DIR]        (root; needs scripts/install-deps.sh done)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(dirname "$here")
ftpgate=$(realpath "${1:-$top/build}")/ftpgate
LAB=fgrec
source "$here/lab.sh"
trap lab_down EXIT
lab_up
lab_start_vsftpd 4 21
lab_start_vsftpd 6 21
lab_start_pyftpdlib "$SERVER4" 2121
lab_start_pyftpdlib "$SERVER4" 2122 multiline227
lab_start_ftps_ccc 2100
out="$top/pcaps"
mkdir -p "$out"

record() {  # name filter command...
  local name=$1 filter=$2; shift 2
  ip netns exec "${LAB}r" tcpdump -Z root -i rc -s 0 -U -w "$out/$name.pcap" "$filter" 2>/dev/null &
  local dump=$!   # tcpdump itself: ip netns exec execs it
  sleep 0.5
  "$@"
  sleep 0.5
  kill -TERM "$dump"; wait "$dump" || true   # (SIGINT is ignored by background jobs)
  echo "recorded $name.pcap ($(stat -c %s "$out/$name.pcap") bytes)"
}

url4="ftp://$SERVER4/pub"; url6="ftp://[$SERVER6]/pub"
dl() { in_client curl -s -S "$@" > /dev/null; }
record vsftpd_curl_pasv "tcp port 21" dl --disable-epsv -o /dev/null "$url4/1k.bin" -o /dev/null "$url4/64k.bin"
record vsftpd_curl_epsv "tcp port 21" dl -o /dev/null "$url4/1k.bin" -o /dev/null "$url4/64k.bin"
record vsftpd_curl_port "tcp port 21" dl -P - --disable-eprt -o /dev/null "$url4/1k.bin" -o /dev/null "$url4/64k.bin"
record vsftpd_curl_eprt "tcp port 21" dl -P - -o /dev/null "$url4/1k.bin" -o /dev/null "$url4/64k.bin"
record vsftpd_ipv6_curl_epsv_eprt "tcp port 21" sh -c "
  ip netns exec ${LAB}c curl -s -o /dev/null '$url6/1k.bin' &&
  ip netns exec ${LAB}c curl -s -P - -o /dev/null '$url6/1k.bin'"
record vsftpd_lftp_mixed "tcp port 21" in_client lftp -c "
  set net:max-retries 1; set net:timeout 5; open ftp://$SERVER4;
  set ftp:passive-mode on; get -O $LAB_DIR pub/1k.bin -o a1; get -O $LAB_DIR pub/64k.bin -o a2;
  set ftp:passive-mode off; get -O $LAB_DIR pub/1k.bin -o a3; ls pub; bye"
record pyftpdlib_port2121_curl "tcp port 2121" dl --disable-epsv -o /dev/null "ftp://$SERVER4:2121/pub/1k.bin" -o /dev/null "ftp://$SERVER4:2121/pub/64k.bin"
# curl cannot read a multi-line 227; Python's ftplib can.
record pyftpdlib_multiline_227 "tcp port 2122" in_client "$PYTHON" -c "
import ftplib, io
f = ftplib.FTP(); f.connect('$SERVER4', 2122); f.login(); f.set_pasv(True)
f.retrbinary('RETR pub/1k.bin', io.BytesIO().write); f.quit()"
record ftplib_split_port_nodelay "tcp port 2121" sh -c \
  "ip netns exec ${LAB}c $PYTHON $here/lab_split_client.py $SERVER4 2121 $CLIENT4 pub/1k.bin > /dev/null"

# Explicit FTPS: AUTH TLS, login inside TLS, CCC, then passive and active in clear text.
record lftp_ftps_ccc "tcp port 2100" in_client lftp -c "set ssl:verify-certificate no;
  set ftp:ssl-force yes; set ftp:ssl-protect-data no; set ftp:ssl-use-ccc yes; set net:max-retries 1;
  open -p 2100 ftp://anonymous:lab@$SERVER4; set ftp:passive-mode on; get 64k.bin -o $LAB_DIR/c1;
  set ftp:passive-mode off; get 1k.bin -o $LAB_DIR/c2; bye"

echo "--ports 2100" > "$out/lftp_ftps_ccc.pcap.flags"
echo "--ports 2121" > "$out/pyftpdlib_port2121_curl.pcap.flags"
echo "--ports 2122" > "$out/pyftpdlib_multiline_227.pcap.flags"
echo "--ports 2121" > "$out/ftplib_split_port_nodelay.pcap.flags"
for p in "$out"/*.pcap; do touch "$p.expected.jsonl"; done
UPDATE_GOLDEN=1 "$top/tests/replay/check_golden.sh" "$ftpgate" "$out" "$out"
