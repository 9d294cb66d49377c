#!/usr/bin/env bash
# The Debian package, installed for real: builds it (scripts/package.sh), installs it with apt
# inside a fresh network namespace (maintainer scripts run there: with FTPGATE_RULES empty the
# postinst says what to configure), checks the files, man pages, conffiles, the unit
# (systemd-analyze verify; LogsDirectory for the audit log) and the logrotate file, runs
# `ftpgate check` and `check-config`, starts the service the way its unit does (ExecStartPre
# with FTPGATE_RULES, then ExecStart: systemd itself is absent on the project VM) with the audit
# log under /var/log/ftpgate, rotates it as logrotate does (SIGHUP reopens), scrapes it, then
# removes and purges the package and checks that no ftpgate rules are left loaded.
#   package_e2e.sh      (root; exits 77 = skipped when not root, or ftpgate is installed already)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
if dpkg-query -W -f='${Status}' ftpgate 2> /dev/null | grep -q "install ok installed"; then
  echo "an ftpgate package is installed on this machine already: skipped (not touching it)"; exit 77
fi
ns=fgp$$; daemon_pid=""
made_logs=""; [ -d /var/log/ftpgate ] || made_logs=yes
cleanup() {
  [ -n "$made_logs" ] && rm -rf /var/log/ftpgate
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2> /dev/null
  ip netns exec "$ns" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ftpgate > /dev/null 2>&1
  ip netns del "$ns" 2> /dev/null
}
trap cleanup EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
in_ns() { ip netns exec "$ns" "$@"; }

deb=$(bash "$top/scripts/package.sh") || { echo "package build failed"; exit 1; }
ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
ip netns add "$ns"; in_ns ip link set lo up
if in_ns env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" > /tmp/$ns.apt 2>&1; then
  ok "apt-get install ./$(basename "$deb")"
else bad "apt-get install: $(tail -3 /tmp/$ns.apt)"; exit 1; fi
if grep -q "ftpgate: installed, not started" /tmp/$ns.apt && grep -q "set FTPGATE_RULES in /etc/default/ftpgate" /tmp/$ns.apt; then
  ok "postinst with FTPGATE_RULES empty: not started, says what to configure"
else bad "postinst said: $(tail -5 /tmp/$ns.apt)"; fi
for f in /usr/sbin/ftpgate /usr/lib/systemd/system/ftpgate.service /etc/ftpgate/ftpgate.conf \
         /etc/default/ftpgate /usr/share/ftpgate/scripts/rules.sh /usr/share/ftpgate/rules/ftpgate-include.nft \
         /usr/share/man/man8/ftpgate.8.gz /usr/share/man/man5/ftpgate.conf.5.gz /etc/logrotate.d/ftpgate; do
  [ -e "$f" ] || missing+=" $f"
done
[ -z "${missing:-}" ] && ok "files in place" || bad "missing:$missing"
zcat /usr/share/man/man8/ftpgate.8.gz | grep -q '^\.TH FTPGATE 8' && ok "man page ftpgate(8)" || bad "man page"
conffiles=$(dpkg-query -W -f='${Conffiles}' ftpgate)
echo "$conffiles" | grep -q /etc/ftpgate/ftpgate.conf && echo "$conffiles" | grep -q /etc/logrotate.d/ftpgate &&
  ok "/etc/ftpgate/ftpgate.conf and /etc/logrotate.d/ftpgate are conffiles" || bad "conffiles: $conffiles"
unit=/usr/lib/systemd/system/ftpgate.service
if command -v systemd-analyze > /dev/null; then
  # (its man: link is checked with man(1), absent here)
  verify=$(systemd-analyze verify "$unit" 2>&1 | grep -v "man ftpgate(8)")
  [ -z "$verify" ] && ok "systemd-analyze verify ftpgate.service" || bad "systemd-analyze verify: $verify"
fi
grep -q '^LogsDirectory=ftpgate$' "$unit" && grep -q '^ProtectSystem=strict$' "$unit" &&
  ok "the unit makes /var/log/ftpgate writable under ProtectSystem=strict (LogsDirectory=ftpgate)" || bad "no LogsDirectory in the unit"
if command -v logrotate > /dev/null; then
  if logrotate -d -s /tmp/$ns.lrstate /etc/logrotate.d/ftpgate > /tmp/$ns.lr 2>&1 && grep -q "/var/log/ftpgate/\*.jsonl" /tmp/$ns.lr &&
     grep -q "HUP ftpgate.service" /etc/logrotate.d/ftpgate; then
    ok "logrotate reads /etc/logrotate.d/ftpgate (/var/log/ftpgate/*.jsonl, SIGHUP to reopen)"
  else bad "logrotate -d: $(tail -3 /tmp/$ns.lr)"; fi
fi
in_ns /usr/sbin/ftpgate check-config /etc/ftpgate/ftpgate.conf > /tmp/$ns.cc 2>&1 && ok "$(cat /tmp/$ns.cc)" ||
  bad "check-config of the packaged file: $(cat /tmp/$ns.cc)"
in_ns /usr/sbin/ftpgate check > /tmp/$ns.check 2>&1 && ok "ftpgate check passes" || bad "ftpgate check: $(tail -3 /tmp/$ns.check)"

# Start it as the unit does, with FTPGATE_RULES set and the audit log under LogsDirectory.
pre=$(sed -n 's/^ExecStartPre=+//p' "$unit"); start=$(sed -n 's/^ExecStart=//p' "$unit")
export FTPGATE_RULES="--ports 21 --queue 0 --helper sane"
if in_ns sh -c "$pre" > /tmp/$ns.pre 2>&1 && in_ns nft list table inet ftpgate > /dev/null 2>&1; then
  ok "ExecStartPre loaded the rules"
else bad "ExecStartPre: $(tail -2 /tmp/$ns.pre)"; fi
mkdir -p /run/ftpgate && chmod 700 /run/ftpgate   # RuntimeDirectory=ftpgate
mkdir -p /var/log/ftpgate && chmod 750 /var/log/ftpgate   # LogsDirectory=ftpgate
# shellcheck disable=SC2086
ip netns exec "$ns" $start --audit-log /var/log/ftpgate/transfers.jsonl > /tmp/$ns.daemon 2>&1 &
daemon_pid=$!
for _ in $(seq 50); do [ -S /run/ftpgate/ftpgate.sock ] && break; sleep 0.1; done
if /usr/sbin/ftpgate status --format table | grep -q '^sessions_active'; then
  ok "the service runs with the packaged config (status answers on /run/ftpgate/ftpgate.sock)"
else bad "service: $(tail -3 /tmp/$ns.daemon)"; fi
if [ -e /var/log/ftpgate/transfers.jsonl ]; then
  mv /var/log/ftpgate/transfers.jsonl /var/log/ftpgate/transfers.jsonl.1   # as logrotate does ...
  kill -HUP "$daemon_pid"                                                    # ... then its postrotate
  for _ in $(seq 30); do [ -e /var/log/ftpgate/transfers.jsonl ] && break; sleep 0.1; done
  [ -e /var/log/ftpgate/transfers.jsonl ] && ok "audit log in /var/log/ftpgate; rotated, SIGHUP reopened it" ||
    bad "SIGHUP did not reopen the audit log: $(tail -2 /tmp/$ns.daemon)"
else bad "audit log /var/log/ftpgate/transfers.jsonl not opened: $(tail -2 /tmp/$ns.daemon)"; fi
kill "$daemon_pid"; wait "$daemon_pid" 2> /dev/null; daemon_pid=""   # systemctl stop

# Remove: prerm must leave no ftpgate rules behind.
if in_ns env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq ftpgate > /tmp/$ns.apt 2>&1; then
  ok "apt-get remove ftpgate"
else bad "apt-get remove: $(tail -3 /tmp/$ns.apt)"; fi
if ! in_ns nft list table inet ftpgate > /dev/null 2>&1 && ! in_ns iptables -S FTPGATE > /dev/null 2>&1 &&
   ! in_ns iptables -S FTPGATE_CONTROL > /dev/null 2>&1; then
  ok "no ftpgate rules left loaded after removal"
else bad "rules left: $(in_ns nft list tables | tr '\n' ' ') $(in_ns iptables -S | grep -c FTPGATE)"; fi
[ ! -e /usr/sbin/ftpgate ] && ok "binary removed" || bad "/usr/sbin/ftpgate still there"
in_ns env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ftpgate > /dev/null 2>&1
[ ! -e /etc/ftpgate/ftpgate.conf ] && ok "purge removes the configuration" || bad "config left after purge"
rm -f /tmp/$ns.*
echo "package e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
