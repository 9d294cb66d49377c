#!/usr/bin/env bash
# The last part of the stock-kernel stage, run by systemd as PID 1 in the guest (guest_init.sh
# hands over to systemd, which runs this as ftpgate-guest-tests.service): the Debian package is
# installed with apt-get, its unit is started by systemd with FTPGATE_RULES set, in the lab
# router's network namespace (a drop-in: NetworkNamespacePath=), a transfer goes through, and
# stopping leaves no rules and no helper. Then `systemd-analyze security` on the unit. Writes
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
# postinst enabled and started it, with no rules (FTPGATE_RULES empty: a package imposes no policy).
for _ in $(seq 50); do systemctl is-active -q ftpgate && break; sleep 0.1; done
systemctl is-active -q ftpgate && ok "postinst started ftpgate.service, no rules loaded ($(nft list tables | grep -c ftpgate) ftpgate tables)" ||
  bad "ftpgate.service after install: $(systemctl status ftpgate --no-pager | head -5 | tr '\n' ' ')"

# The lab's router is where the unit runs; the rules from /etc/default as an operator sets them
# (the default form, beside the router's own firewall: forward policy accept).
mkdir -p /etc/systemd/system/ftpgate.service.d
printf '[Service]\nNetworkNamespacePath=/run/netns/%sr\n' "$LAB" > /etc/systemd/system/ftpgate.service.d/lab.conf
sed -i 's/^FTPGATE_RULES=.*/FTPGATE_RULES="--ports 21 --queue 0 --helper auto"/' /etc/default/ftpgate
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
