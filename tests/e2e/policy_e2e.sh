#!/usr/bin/env bash
# End-to-end: ftpgate's policy through a drop-policy router, against real servers and clients.
#   - a denied STOR (curl, lftp) never creates the file; the client sees its connection reset
#     and the server's side is reset too; the log and the rule's hit counter say which rule
#   - an upload a rule allows, and a RETR in the same configuration, work (so the denial is
#     the policy's, not the lab's)
#   - the banner and the SYST reply reach the client masked, same length
#   - strict mode (loaded by SIGHUP) resets a bounce attempt; before it, the bounce is only
#     refused; a reload with a bad rule is refused with its line number, the old rules kept
#   - without a daemon the queue's bypass lets control connections through unjudged, and
#     rules.sh --fail-closed drops them; fail_closed = yes works while the daemon runs
#   policy_e2e.sh FTPGATE     (root; exits 77 = skipped when not root or tools are missing)
set -u
ftpgate=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
source "$here/e2e_common.sh"
e2e_needs vsftpd lftp curl nft iptables /usr/bin/python3
e2e_upload_lab fgp
in_router bash "$top/scripts/rules.sh" load --standalone --ports 21,2121 > /dev/null

conf=$LAB_DIR/policy.conf
write_conf() {  # extra lines appended
  { echo "# policy e2e"
    echo "rule = allow verb STOR arg ok-*"
    echo "rule = deny verb STOR,APPE,STOU,DELE,RNFR,MKD,RMD,SITE name no-writes"
    echo "rule = log verb RETR"
    echo "mask_banner = yes"
    echo "mask_syst = yes"
    printf '%s\n' "$@"; } > "$conf"
}
write_conf
start_daemon --config "$conf" || exit 1
metric() { "$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk -v m="$1" '$1 == m { print $2 }'; }
server_established() { in_server ss -Htn state established "( sport = :2121 )" | wc -l; }
head -c 70000 /dev/urandom > "$LAB_DIR/up.bin"
url="ftp://lab:lab@$SERVER4:2121"

# --- an allowed upload and download: the lab can write, and reads are logged -------------
if in_client curl -s -S --max-time 8 -T "$LAB_DIR/up.bin" "$url/ok-1.bin" 2> "$LAB_DIR/curl.err" &&
   cmp -s "$LAB_DIR/up.bin" "$LAB_DIR/root/ok-1.bin"; then ok "STOR ok-1.bin (allowed by rule 1): the file arrived byte-exact"
else bad "allowed STOR failed: $(head -c 200 "$LAB_DIR/curl.err")"; fi
if in_client curl -s -S --max-time 8 -o "$LAB_DIR/got" "$url/pub/64k.bin" 2> "$LAB_DIR/curl.err" &&
   cmp -s "$LAB_DIR/got" "$LAB_DIR/root/pub/64k.bin"; then ok "RETR pub/64k.bin: transferred byte-exact"
else bad "RETR failed: $(head -c 200 "$LAB_DIR/curl.err")"; fi
sleep 0.3
if grep -q '^policy log rule line 4 "log verb RETR" .* line "RETR 64k.bin"' "$LAB_DIR/ftpgate.log"; then ok "the RETR is logged by rule 3 (config line 4)"
else bad "no policy log line for the RETR"; fi

# --- a denied STOR from curl --------------------------------------------------------------
in_client curl -s -S --max-time 8 -T "$LAB_DIR/up.bin" "$url/up-curl.bin" 2> "$LAB_DIR/curl.err"; rc=$?
if [ ! -e "$LAB_DIR/root/up-curl.bin" ]; then ok "curl: denied STOR up-curl.bin never created the file"
else bad "curl: the denied file exists on the server"; fi
if grep -qi "reset" "$LAB_DIR/curl.err"; then ok "curl saw its connection reset (exit $rc: $(head -c 80 "$LAB_DIR/curl.err"))"
else bad "curl did not see a reset (exit $rc: $(head -c 200 "$LAB_DIR/curl.err"))"; fi
sleep 1
if [ "$(server_established)" = 0 ]; then ok "the server's side of the denied control connection is gone (reset)"
else bad "the server still holds $(server_established) established control connection(s)"; fi
if grep -q '^policy deny rule line 3 "deny verb STOR,APPE,STOU,DELE,RNFR,MKD,RMD,SITE" .* line "STOR up-curl.bin": line neutralised, connection reset armed' "$LAB_DIR/ftpgate.log"; then
  ok "the log names the rule (config line 3) and the reset"
else bad "no policy deny line for curl's STOR: $(grep '^policy' "$LAB_DIR/ftpgate.log" | tail -2)"; fi

# --- a denied STOR from lftp --------------------------------------------------------------
in_client timeout 20 lftp -c "set net:timeout 3; set net:max-retries 1; set net:reconnect-interval-base 1;
  open $url; put $LAB_DIR/up.bin -o up-lftp.bin; bye" > "$LAB_DIR/lftp.out" 2>&1; rc=$?
if [ ! -e "$LAB_DIR/root/up-lftp.bin" ] && [ "$rc" != 0 ]; then ok "lftp: denied STOR up-lftp.bin never created the file (lftp exit $rc: $(tr '\n' ' ' < "$LAB_DIR/lftp.out" | head -c 100))"
else bad "lftp: exit $rc, file $(ls "$LAB_DIR/root/up-lftp.bin" 2>&1)"; fi
hits=$("$ftpgate" status --socket "$LAB_DIR/ftpgate.sock" | awk '$1 == "ftpgate_policy_rule_hits_total{rule=\"no-writes\",action=\"deny\"}" { print $2 }')
if [ "${hits:-0}" -ge 2 ]; then ok "rule no-writes' hit counter (labelled by its name): $hits (curl and lftp)"
else bad "rule no-writes' hit counter: ${hits:-missing}"; fi
armed=$(metric ftpgate_policy_resets_armed_total)
[ "${armed:-0}" -ge 2 ] && ok "policy_resets_armed_total $armed" || bad "policy_resets_armed_total ${armed:-missing}"

# --- banner and SYST masked ---------------------------------------------------------------
seen=$(in_client "$PYTHON" "$here/policy_client.py" "$SERVER4" 21 banner 2>&1)
if printf '%s\n' "$seen" | head -1 | grep -qE '^220 \*+$' && printf '%s\n' "$seen" | sed -n 2p | grep -qE '^215 \*+$'; then
  ok "banner and SYST reach the client masked: $(printf '%s' "$seen" | tr '\n' ' ')"
else bad "banner/SYST as the client saw them: $seen"; fi
direct=$(in_router "$PYTHON" "$here/policy_client.py" "$SERVER4" 21 banner 2>&1)  # not forwarded
if [ "${#direct}" = "${#seen}" ] && printf '%s' "$direct" | grep -q vsFTPd; then ok "same length as the server's own (\"$(printf '%s' "$direct" | head -1)\")"
else bad "unmasked banner from the router itself: $direct"; fi

# --- bounce: refused, then (strict, after SIGHUP) reset -----------------------------------
got=$(in_client "$PYTHON" "$here/policy_client.py" "$SERVER4" 21 bounce 10.0.0.9 2>&1)
case $got in reply*) ok "bounce PORT without strict: refused, the session goes on ($got)" ;; *) bad "bounce without strict: $got" ;; esac
write_conf "strict = yes"
kill -HUP "$daemon_pid"; sleep 0.5
grep -q "policy reloaded, 3 command rules" "$LAB_DIR/ftpgate.log" && ok "SIGHUP reloaded the policy (3 rules, strict)" || bad "no reload message"
got=$(in_client "$PYTHON" "$here/policy_client.py" "$SERVER4" 21 bounce 10.0.0.9 2>&1)
if [ "$got" = reset ]; then ok "strict: a bounce PORT resets the connection"
else bad "strict bounce: $got"; fi
grep -q '^policy deny strict bounce_address .*: line neutralised, connection reset armed' "$LAB_DIR/ftpgate.log" &&
  ok "the log says strict bounce_address" || bad "no strict log line"

# --- a bad rule at reload: refused with its line number, the running rules kept -----------
write_conf "strict = yes" "rule = deny verb STORE"
kill -HUP "$daemon_pid"; sleep 0.5
if grep -q "reload refused, keeping the running policy: .*line 8: bad value 'deny verb STORE' for rule ('STORE' is not a command verb" "$LAB_DIR/ftpgate.log"; then
  ok "a bad rule at reload is refused with its line number (8)"
else bad "bad rule reload: $(grep reload "$LAB_DIR/ftpgate.log" | tail -1)"; fi
in_client curl -s -S --max-time 8 -T "$LAB_DIR/up.bin" "$url/up-after.bin" 2> /dev/null
[ ! -e "$LAB_DIR/root/up-after.bin" ] && ok "after the refused reload STOR is still denied" || bad "STOR allowed after a refused reload"

stop_daemon

# --- the daemon's own failures: with the queue's bypass (the default) a control connection goes
#     on unjudged while no daemon reads the queue; with rules.sh --fail-closed it is dropped;
#     with fail_closed = yes and --fail-closed, FTP works while the daemon runs ---------------
login() { in_client timeout 6 "$PYTHON" "$here/policy_client.py" "$SERVER4" 21 banner > /dev/null 2>&1; }
if login; then ok "no daemon, queue bypass (default): a control connection still logs in, unjudged"
else bad "no daemon, bypass: the control connection failed"; fi
in_router bash "$top/scripts/rules.sh" load --standalone --ports 21,2121 --fail-closed > /dev/null
if login; then bad "no daemon, --fail-closed: a control connection got through unjudged"
else ok "no daemon, rules.sh --fail-closed: the control connection is dropped, nothing passes unjudged"; fi
write_conf "fail_closed = yes"
start_daemon --config "$conf" || exit 1
if login && in_client curl -s -S --max-time 8 -o "$LAB_DIR/got2" "ftp://$SERVER4/pub/64k.bin" &&
   cmp -s "$LAB_DIR/got2" "$LAB_DIR/root/pub/64k.bin"; then
  ok "fail_closed = yes with --fail-closed, daemon running: login and RETR work"
else bad "fail_closed with the daemon running: FTP failed"; fi
stop_daemon
echo "policy e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
