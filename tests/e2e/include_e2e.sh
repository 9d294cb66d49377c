#!/usr/bin/env bash
# End-to-end: ftpgate on a router that has a firewall of its own.
#   - `rules.sh load` (the default, beside the router's firewall) on a router whose
#     `table inet filter` forward chain has policy accept: other traffic (HTTP) still flows,
#     FTP passive and active transfers work through ftpgate; `--standalone` (the whole firewall,
#     policy drop) is what cuts that traffic, so the default must never be it
#   - README.md's include snippet, taken from between its markers (the test fails when the
#     README drifts), loaded as it stands into a router with a drop policy whose own rule
#     forwards HTTP: FTP passive and active work through ftpgate, HTTP still flows, a port no
#     rule admits stays closed, and without ftpgate no data connection gets in (the include
#     opens nothing but the data connections ftpgate expects)
# On a kernel without the nft queue statement the snippet's ftpgate-queue.nft line is left out
# and the README's command for such kernels (between its own markers) queues instead.
#   include_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
source "$here/e2e_common.sh"
e2e_needs vsftpd curl nft iptables /usr/bin/python3
LAB=fgi$$; LAB_DIR=/tmp/$LAB
source "$top/scripts/lab.sh"
trap 'stop_daemon; lab_down' EXIT
lab_up
lab_start_vsftpd 4 21
mkdir -p "$LAB_DIR/dl" "$LAB_DIR/www"
echo "not ftp" > "$LAB_DIR/www/index.html"
for port in 8080 8081; do  # HTTP: 8080 the router's own rules forward, 8081 none does
  in_server "$PYTHON" -m http.server --bind "$SERVER4" --directory "$LAB_DIR/www" "$port" > /dev/null 2>&1 &
  lab_wait_listen "$port" || exit 1
done
DAEMON_PORTS=21

http_ok() { in_client curl -s --connect-timeout 2 --max-time 4 "http://$SERVER4:$1/" 2> /dev/null | grep -q "not ftp"; }
fetch() {  # passive|active: one download as anonymous, byte-exact
  local mode=(--disable-epsv); [ "$1" = active ] && mode=(-P - --disable-eprt)
  rm -f "$LAB_DIR/dl/f"
  in_client curl -s -S --connect-timeout 3 --max-time 8 "${mode[@]}" -o "$LAB_DIR/dl/f" "ftp://$SERVER4/pub/64k.bin" 2> /dev/null &&
    [ "$(sha256sum < "$LAB_DIR/dl/f" | cut -d' ' -f1)" = "$(grep ' ./64k.bin$' "$LAB_DIR/files.sha256" | cut -d' ' -f1)" ]
}

# --- rules.sh load beside a firewall with policy accept -------------------------------------
in_router nft -f - << 'EOF'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		tcp dport 23 drop
	}
}
EOF
http_ok 8080 && ok "before ftpgate's rules: HTTP through the router" || bad "the lab forwards no HTTP"
in_router bash "$top/scripts/rules.sh" load --ports 21 > "$LAB_DIR/rules.out" 2>&1 || bad "rules.sh load: $(cat "$LAB_DIR/rules.out")"
if grep -q "forward policy accept" "$LAB_DIR/rules.out" && ! in_router nft list ruleset 2> /dev/null | grep -q "policy drop"; then
  ok "rules.sh load: no drop policy added ($(cat "$LAB_DIR/rules.out"))"
else bad "rules.sh load added a drop policy: $(in_router nft list ruleset 2> /dev/null | grep -n "policy drop")"; fi
http_ok 8080 && ok "after rules.sh load: HTTP still flows" || bad "rules.sh load cut HTTP through the router"
start_daemon || exit 1
fetch passive && ok "rules.sh load beside the firewall: passive transfer" || bad "rules.sh load: passive transfer failed"
fetch active && ok "rules.sh load beside the firewall: active transfer" || bad "rules.sh load: active transfer failed"
expected=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_expectations_installed_total" { print $2 }')
[ "${expected:-0}" -ge 2 ] && ok "ftpgate installed the expectations ($expected)" || bad "ftpgate installed ${expected:-no} expectations"
stop_daemon
# The standalone form is a whole firewall: it drops what it does not know (a test and lab
# form, asked for by name).
in_router bash "$top/scripts/rules.sh" load --standalone --ports 21 > /dev/null
http_ok 8080 && bad "--standalone let HTTP through" || ok "--standalone (asked for by name) drops other traffic"
in_router bash "$top/scripts/rules.sh" unload > /dev/null
in_router nft delete table inet filter

# --- the README's include snippet in a router with its own drop policy ----------------------
snippet() {  # NAME: the text between <!-- NAME begin --> and <!-- NAME end -->, code fences removed
  sed -n "/<!-- $1 begin -->/,/<!-- $1 end -->/p" "$top/README.md" | sed '1d;$d' | grep -v '^```'
}
snippet ftpgate-include > "$LAB_DIR/snippet.nft"
snippet ftpgate-queue-only > "$LAB_DIR/queue-only.sh"
if grep -q 'include "/usr/share/ftpgate/rules/ftpgate-include.nft"' "$LAB_DIR/snippet.nft" &&
   grep -q 'rules.sh load --queue-only' "$LAB_DIR/queue-only.sh"; then
  ok "README.md: the include snippet and the command for kernels without the nft queue statement"
else bad "README.md's markers hold no snippet: $(cat "$LAB_DIR/snippet.nft" "$LAB_DIR/queue-only.sh")"; exit 1; fi
# The installed paths are this tree's here.
sed -i "s|/usr/share/ftpgate/rules/|$top/rules/|" "$LAB_DIR/snippet.nft"
sed -i "s|/usr/share/ftpgate/scripts/rules.sh|bash $top/scripts/rules.sh|" "$LAB_DIR/queue-only.sh"
if printf 'table inet ftpgate_probe { chain c { type filter hook forward priority 0; queue num 0 bypass; }; }\n' |
   in_router nft -c -f - > /dev/null 2>&1; then
  queue_by=ftpgate-queue.nft
else
  sed -i '/ftpgate-queue\.nft/d' "$LAB_DIR/snippet.nft"; queue_by="rules.sh load --queue-only"
fi
if in_router nft -f "$LAB_DIR/snippet.nft" 2> "$LAB_DIR/nft.err"; then ok "the README's snippet loads as it stands"
else bad "the README's snippet does not load: $(head -3 "$LAB_DIR/nft.err")"; exit 1; fi
if [ "$queue_by" != ftpgate-queue.nft ]; then
  in_router bash -e "$LAB_DIR/queue-only.sh" > "$LAB_DIR/queue.out" 2>&1 ||
    bad "the README's queue-only command: $(cat "$LAB_DIR/queue.out")"
fi
# The admin's own rule for other traffic, after the snippet's rules.
in_router nft add rule inet filter forward tcp dport 8080 accept
http_ok 8080 && ok "the router's own rule still forwards HTTP" || bad "HTTP through the router with the include failed"
http_ok 8081 && bad "a port no rule admits got through" || ok "a port no rule admits stays closed"
start_daemon || exit 1
fetch passive && ok "include ($queue_by): passive transfer through ftpgate" || bad "include: passive transfer failed"
fetch active && ok "include ($queue_by): active transfer through ftpgate" || bad "include: active transfer failed"
stop_daemon
# Without ftpgate (bypass: the control connection passes), no data connection is admitted.
fetch passive && bad "without ftpgate a passive data connection got in" || ok "without ftpgate: no passive data connection"
fetch active && bad "without ftpgate an active data connection got in" || ok "without ftpgate: no active data connection"
http_ok 8080 && ok "without ftpgate: HTTP still flows" || bad "without ftpgate: HTTP cut"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
