#!/usr/bin/env bash
# End-to-end: the transfer audit log through a drop-policy router (rules.sh --audit queues the
# data connections' SYN, FIN and RST; nf_conntrack_acct on in the router). Transfers of known
# sizes both ways, RETR, STOR and LIST, passive and active, without and with NAT (masquerade),
# give records whose byte counts equal the files' sizes (the listing's: what curl received);
# a RETR whose data connection never came is recorded with its 550; the records carry the
# kernel's counters; SIGHUP after a move of the file writes the next record to a new one.
#   audit_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
source "$here/e2e_common.sh"
e2e_needs vsftpd curl nft iptables /usr/bin/python3
e2e_upload_lab fga
in_router sysctl -qw net.netfilter.nf_conntrack_acct=1
in_router bash "$top/scripts/rules.sh" load --standalone --ports 21,2121 --audit > /dev/null
audit=$LAB_DIR/transfers.jsonl
printf 'audit_log = %s\n' "$audit" > "$LAB_DIR/ftpgate.conf"
start_daemon --config "$LAB_DIR/ftpgate.conf" || exit 1
curl4="curl -s -S --connect-timeout 3 --max-time 10"
head -c 70000 /dev/urandom > "$LAB_DIR/up70k.bin"
size() { stat -c %s "$1"; }

# The newest record for ARGUMENT as "direction mode to_server to_client reply end kernel".
record_of() {  # ARGUMENT [FILE]
  local file=${2:-$audit}
  for _ in $(seq 40); do  # written after the reply and the data connection's last FIN
    "$PYTHON" - "$1" "$file" << 'PY' && return 0
import json, sys
arg, path = sys.argv[1], sys.argv[2]
found = None
try:
    for line in open(path):
        r = json.loads(line)
        if r["argument"] == arg:
            found = r
except FileNotFoundError:
    pass
if not found:
    sys.exit(1)
dc = found["data_connection"]
k = found.get("kernel")
print(found["direction"], found.get("mode", "-"), found["bytes_to_server"], found["bytes_to_client"],
      found["reply"], dc["end"] if dc else "none",
      "kernel:%d" % (k["bytes_to_acceptor"] + k["bytes_to_opener"]) if k else "no-kernel",
      found.get("user", "-"))
PY
    sleep 0.1
  done
  echo "no record"
}
check() {  # NAME ARGUMENT "EXPECTED direction mode to_server to_client reply end"
  local got; got=$(record_of "$2")
  if [ "${got% kernel:* *}" = "$3" ] || [ "${got% no-kernel *}" = "$3" ]; then
    case $got in *kernel:*) ok "$1: $got" ;; *) bad "$1: no kernel counters ($got)" ;; esac
  else bad "$1: record \"$got\", want \"$3 ...\""; fi
}

cases() {  # PREFIX: the same transfers, named apart
  local p=$1 d=$LAB_DIR
  in_client $curl4 --disable-epsv -o "$d/a" "ftp://$SERVER4/pub/1M.bin" &&
    check "$p passive RETR 1M.bin" 1M.bin "download passive 0 $(size "$LAB_DIR/root/pub/1M.bin") 226 fin" ||
    bad "$p passive RETR failed"
  in_client $curl4 -P - --disable-eprt -o "$d/b" "ftp://$SERVER4/pub/64k.bin" &&
    check "$p active RETR 64k.bin" 64k.bin "download active 0 65536 226 fin" || bad "$p active RETR failed"
  in_client $curl4 --disable-epsv -T "$d/up70k.bin" "ftp://lab:lab@$SERVER4:2121/$p-pasv.bin" &&
    check "$p passive STOR" "$p-pasv.bin" "upload passive 70000 0 226 fin" || bad "$p passive STOR failed"
  in_client $curl4 -P - --disable-eprt -T "$d/up70k.bin" "ftp://lab:lab@$SERVER4:2121/$p-port.bin" &&
    check "$p active STOR" "$p-port.bin" "upload active 70000 0 226 fin" || bad "$p active STOR failed"
  if in_client $curl4 --disable-epsv -o "$d/list" "ftp://$SERVER4/pub/"; then
    # curl lists with CWD pub + LIST (no argument): the newest record without one. The
    # listing comes in ASCII mode, lines ending CRLF, which curl writes as LF.
    local crlf_lines; crlf_lines=$(grep -c '' "$d/list")
    check "$p passive LIST" "" "listing passive 0 $(($(size "$d/list") + crlf_lines)) 226 fin"
  else bad "$p LIST failed"; fi
}
cases plain
cmp -s "$LAB_DIR/up70k.bin" "$LAB_DIR/root/plain-pasv.bin" && ok "the uploads arrived (byte-exact)" || bad "upload content"

code=$(in_client "$PYTHON" "$here/audit_client.py" "$SERVER4" 21 2>&1)
got=$(record_of pub/no-such-file.bin)
if [ "$code" = 550 ] && [ "${got% *}" = "download active 0 0 550 none no-kernel" ]; then
  ok "RETR of a missing file, active: recorded with its 550 and no data connection ($got)"
else bad "missing file: client $code, record $got"; fi

# Rotation: the file moved away, SIGHUP, the next record in a new file.
mv "$audit" "$audit.1"
kill -HUP "$daemon_pid"; sleep 0.5
in_client $curl4 -o "$LAB_DIR/c" "ftp://$SERVER4/pub/1k.bin" > /dev/null
got=$(record_of 1k.bin)
if [ "${got%% *}" = download ] && ! grep -q '"1k.bin"' "$audit.1"; then ok "after mv + SIGHUP the next record is in a new file"
else bad "rotation: $got"; fi

# Masquerade: the data connections are NATed (PORT rewritten); bytes are the same.
in_router nft -f - << NFT || bad "masquerade rules"
table ip fganat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "rs" masquerade
	}
}
NFT
rewrites_before=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_nat_rewrites_total" { print $2 }')
cases nat
rewrites=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_nat_rewrites_total" { print $2 }')
[ "$((rewrites - rewrites_before))" -ge 2 ] && ok "the nat cases were NATed: $((rewrites - rewrites_before)) PORT lines rewritten" ||
  bad "nat cases: ${rewrites_before:-?} -> ${rewrites:-?} rewrites"

recorded=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_audit_records_total" { print $2 }')
[ "${recorded:-0}" -ge 12 ] && ok "audit_records_total $recorded" || bad "audit_records_total ${recorded:-missing}"
stop_daemon
# FTPGATE_AUDIT_SAMPLE=FILE keeps the records (the README's example is one of them).
[ -n "${FTPGATE_AUDIT_SAMPLE:-}" ] && cat "$audit.1" "$audit" > "$FTPGATE_AUDIT_SAMPLE"
echo "audit e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
