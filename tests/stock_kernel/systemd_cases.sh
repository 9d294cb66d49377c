#!/usr/bin/env bash
# The last part of the stock-kernel stage, run by systemd as PID 1 in the guest (guest_init.sh
# hands over to systemd, which runs this as ftpgate-guest-tests.service): the Debian package is
# installed with apt-get (postinst starts nothing and says what to configure), its unit is
# started by systemd with FTPGATE_RULES set, in the lab router's network namespace (a drop-in:
# NetworkNamespacePath=), transfers go through and are audited under /var/log/ftpgate,
# logrotate rotates the audit log (SIGHUP reopens it), a refused reload shows in
# `journalctl -p err`, and stopping leaves no rules and no helper. Then `systemd-analyze security` on the unit. Writes
# the stage's final status and powers off.
#   systemd_cases.sh DEB PREVIOUS_STATUS
set -u
deb=$1; previous=$2
results=/ftpgate-results
exec >> "$results/log" 2>&1
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   [systemd] $*"; }
bad() { failed=$((failed + 1)); echo "FAIL [systemd] $*"; }
finish() {
  echo "$passed passed, $failed failed"
  local status=1
  [ "$previous" = 0 ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ] && status=0
  echo "guest: systemd part done after $(cut -d' ' -f1 /proc/uptime) s, stage status $status"
  echo "$status" > "$results/status"
  sync
  systemctl poweroff --force --force
}
trap finish EXIT
echo "--- systemd"
[ "$(cat /proc/1/comm)" = systemd ] && ok "systemd is PID 1 ($(systemctl --version | head -1))" || bad "PID 1 is $(cat /proc/1/comm)"

source "$top/scripts/lab.sh"
LAB=fgd; LAB_DIR=/tmp/fgd
lab_up > /dev/null && lab_start_vsftpd 4 21 > /dev/null || { bad "lab did not come up"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -q "$deb" > "$LAB_DIR/apt.log" 2>&1; then ok "apt-get install $(basename "$deb")"
else bad "apt-get install: $(tail -5 "$LAB_DIR/apt.log" | tr '\n' ' ')"; exit 1; fi
# postinst does not start a daemon no packets reach: it says what to configure instead.
if ! systemctl is-active -q ftpgate && grep -q "ftpgate: installed, not started" "$LAB_DIR/apt.log"; then
  ok "postinst left ftpgate.service stopped and said what to configure ($(grep -c . "$LAB_DIR/apt.log") lines of apt output)"
else bad "after install: active=$(systemctl is-active ftpgate); $(grep -A2 'ftpgate:' "$LAB_DIR/apt.log" | head -3 | tr '\n' ' ')"; fi
v=$(/usr/sbin/ftpgate --version 2>&1)
[[ $v == "ftpgate "* ]] && ok "ftpgate --version: $v" || bad "ftpgate --version: $v"

# The lab's router is where the unit runs; the rules from /etc/default as an operator sets them
# (the default form, beside the router's own firewall: forward policy accept), with --audit.
mkdir -p /etc/systemd/system/ftpgate.service.d
printf '[Service]\nNetworkNamespacePath=/run/netns/%sr\n' "$LAB" > /etc/systemd/system/ftpgate.service.d/lab.conf
sed -i 's/^FTPGATE_RULES=.*/FTPGATE_RULES="--ports 21 --queue 0 --helper auto --audit"/' /etc/default/ftpgate
# The transfer audit under the unit's LogsDirectory (ProtectSystem=strict elsewhere).
cp /etc/ftpgate/ftpgate.conf "$LAB_DIR/ftpgate.conf.orig"
sed -i 's|^audit_log *=.*|audit_log = /var/log/ftpgate/transfers.jsonl|' /etc/ftpgate/ftpgate.conf
grep -q '^audit_log = /var/log/ftpgate/transfers.jsonl' /etc/ftpgate/ftpgate.conf ||
  echo "audit_log = /var/log/ftpgate/transfers.jsonl" >> /etc/ftpgate/ftpgate.conf
systemctl daemon-reload
if systemctl restart ftpgate && systemctl is-active -q ftpgate; then ok "systemctl restart ftpgate with FTPGATE_RULES set"
else bad "systemctl restart: $(journalctl -u ftpgate --no-pager | tail -5 | tr '\n' ' ')"; fi
in_router nft list table inet ftpgate > "$LAB_DIR/table" 2>&1
# helper_mode auto is the carrier, so `--helper auto` finds no ftpgate helper and attaches sane.
if grep -q 'queue flags bypass' "$LAB_DIR/table" && grep -q 'type "sane"' "$LAB_DIR/table"; then
  ok "the unit loaded the rules from FTPGATE_RULES: nft queue statement, ct helper type sane"
else bad "rules in the router: $(head -c 300 "$LAB_DIR/table")"; fi
mkdir -p "$LAB_DIR/dl"
for mode in pasv port; do
  flags=--disable-epsv; [ "$mode" = port ] && flags="-P - --disable-eprt"
  # shellcheck disable=SC2086
  if in_client curl -s -S --connect-timeout 3 --max-time 10 $flags -o "$LAB_DIR/dl/$mode" "ftp://$SERVER4/pub/64k.bin" &&
     [ "$(sha256sum < "$LAB_DIR/dl/$mode" | cut -d' ' -f1)" = "$(grep ' ./64k.bin$' "$LAB_DIR/files.sha256" | cut -d' ' -f1)" ]; then
    ok "curl $mode through the systemd-run ftpgate: byte-exact"
  else bad "curl $mode through the systemd-run ftpgate failed"; fi
done
journalctl -u ftpgate --no-pager -o cat | grep -E "^expect " | head -2 | sed 's/^/     journal: /'
audited() { [ -f /var/log/ftpgate/transfers.jsonl ] && grep -c '"command":"RETR"' /var/log/ftpgate/transfers.jsonl; }
for _ in $(seq 150); do [ "$(audited)" = 2 ] && break; sleep 0.1; done
if [ "$(audited)" = 2 ] && grep -q '"bytes_to_client":65536' /var/log/ftpgate/transfers.jsonl; then
  ok "audit records of both transfers in /var/log/ftpgate/transfers.jsonl (65536 bytes each)"
else bad "audit log: $(ls -l /var/log/ftpgate 2>&1 | tr '\n' ' ') $(head -c 300 /var/log/ftpgate/transfers.jsonl 2>&1)"; fi
# logrotate moves the file and SIGHUPs the unit: the next record goes to a new file.
if logrotate -f /etc/logrotate.d/ftpgate > "$LAB_DIR/logrotate.out" 2>&1 && [ -f /var/log/ftpgate/transfers.jsonl.1 ]; then
  sleep 0.5
  in_client curl -s -S --connect-timeout 3 --max-time 10 --disable-epsv -o "$LAB_DIR/dl/after" "ftp://$SERVER4/pub/64k.bin"
  for _ in $(seq 150); do [ "$(audited)" = 1 ] && break; sleep 0.1; done
  if [ "$(audited)" = 1 ] && [ "$(grep -c '"command":"RETR"' /var/log/ftpgate/transfers.jsonl.1)" = 2 ]; then
    ok "logrotate -f: the old records in transfers.jsonl.1, the next transfer's in a new transfers.jsonl"
  else bad "after logrotate: $(ls -l /var/log/ftpgate | tr '\n' ' ')"; fi
else bad "logrotate: $(cat "$LAB_DIR/logrotate.out") $(ls /var/log/ftpgate)"; fi
# A forced failure: a reload with a bad key is refused, logged at priority err.
echo "no_such_key = 1" >> /etc/ftpgate/ftpgate.conf
systemctl reload ftpgate
for _ in $(seq 50); do journalctl -u ftpgate -p err --no-pager -o cat | grep -q "no_such_key" && break; sleep 0.1; done
if journalctl -u ftpgate -p err --no-pager -o cat | grep -q "reload refused.*no_such_key" &&
   ! journalctl -u ftpgate -p err --no-pager -o cat | grep -q "^expect "; then
  ok "journalctl -p err shows the refused reload ($(journalctl -u ftpgate -p err --no-pager -o cat | grep -c .) line(s)), and no decision line"
else bad "journalctl -p err: $(journalctl -u ftpgate -p err --no-pager -o cat | tail -3 | tr '\n' ' ')"; fi
systemctl is-active -q ftpgate && ok "the daemon runs on with its previous configuration" || bad "ftpgate stopped after the refused reload"
cp "$LAB_DIR/ftpgate.conf.orig" /etc/ftpgate/ftpgate.conf
if systemctl stop ftpgate && ! in_router nft list table inet ftpgate > /dev/null 2>&1; then
  ok "systemctl stop ftpgate: no ftpgate rules left"
else bad "after stop: $(in_router nft list tables | tr '\n' ' ')"; fi
if printf 'table inet p { ct helper h { type "ftpgate" protocol tcp; l3proto inet; }; }\n' | nft -f - 2> /dev/null; then
  nft delete table inet p; bad "the helper is still registered after stop"
else ok "after stop, the helper is unregistered"; fi

echo "--- systemd-analyze security ftpgate.service"
systemd-analyze security --no-pager ftpgate.service > "$LAB_DIR/security" 2>&1
grep -v '✓' "$LAB_DIR/security" | sed 's/^/     /'
exposure=$(sed -nE 's/.*Overall exposure level for ftpgate.service: ([0-9.]+).*/\1/p' "$LAB_DIR/security")
[ -n "$exposure" ] && ok "systemd-analyze security: overall exposure $exposure" || bad "systemd-analyze security gave no score"

if apt-get remove -y -q ftpgate > "$LAB_DIR/apt-remove.log" 2>&1 && ! systemctl is-active -q ftpgate &&
   ! in_router nft list table inet ftpgate > /dev/null 2>&1; then
  ok "apt-get remove: the service stopped, no rules left"
else bad "apt-get remove: $(tail -3 "$LAB_DIR/apt-remove.log" | tr '\n' ' ')"; fi
lab_down
