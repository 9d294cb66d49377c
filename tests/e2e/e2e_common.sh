# Shared by the namespace end-to-end scripts (source it after scripts/lab.sh and lab_up, or
# first, to use e2e_needs and e2e_upload_lab).
# Needs: $ftpgate, $LAB, $LAB_DIR; DAEMON_PORTS (control ports, e.g. "21,2121"); for
# transfer_ok, a function `case_cmd CASE` that downloads into $LAB_DIR/dl/ and prints one
# "OUTFILE SERVED-NAME" line per file.
passed=0; failed=0
daemon_pid=""

# Skipped (exit 77) unless root with every TOOL.
e2e_needs() {
  [ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
  local t
  for t in "$@"; do command -v "$t" > /dev/null || { echo "missing $t: skipped"; exit 77; }; done
}

# The lab of the policy and audit suites, named PREFIX<pid>, torn down at exit: vsftpd
# (anonymous, read-only) on 21 and pyftpdlib on 2121 (user lab/lab may write), both IPv4.
e2e_upload_lab() {
  LAB=$1$$; LAB_DIR=/tmp/$LAB
  source "$top/scripts/lab.sh"
  trap 'stop_daemon; lab_down' EXIT
  lab_up
  lab_start_vsftpd 4 21
  lab_start_pyftpdlib "$SERVER4" 2121
  DAEMON_PORTS=21,2121
}
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# ftpgate in the router namespace, extra flags appended; logs to $LAB_DIR/ftpgate.log.
start_daemon() {
  ip netns exec "${LAB}r" "$ftpgate" run --queue 0 --ports "$DAEMON_PORTS" \
    --status-socket "$LAB_DIR/ftpgate.sock" "$@" >> "$LAB_DIR/ftpgate.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 50); do [ -S "$LAB_DIR/ftpgate.sock" ] && return 0; sleep 0.1; done
  echo "ftpgate did not start:"; cat "$LAB_DIR/ftpgate.log"; return 1
}
stop_daemon() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2> /dev/null && wait "$daemon_pid" 2> /dev/null
  daemon_pid=""
  rm -f "$LAB_DIR/ftpgate.sock"
}

# Pure ACKs of control connections that went past the queue since rules.sh loaded: the packet
# counters of its skip rules (iptables RETURN rules, or nft rules matching @th,96,8).
acks_past_queue() {  # [namespace command prefix, default in_router]
  local in=${1:-in_router}
  { $in iptables -w -L FTPGATE_CONTROL -v -x -n 2> /dev/null; $in ip6tables -w -L FTPGATE_CONTROL -v -x -n 2> /dev/null; } |
    awk '/RETURN/ && /u32/ { s += $1 } END { print s + 0 }'
  $in nft list table inet ftpgate 2> /dev/null | grep -F '@th,96,8' | grep -oE 'counter packets [0-9]+' |
    awk '{ s += $3 } END { print s + 0 }'
}
acks_past_queue_total() { acks_past_queue "$@" | awk '{ s += $1 } END { print s + 0 }'; }

# Runs a case; 0 when every file arrived byte-exact.
transfer_ok() {
  mkdir -p "$LAB_DIR/dl"
  rm -f "$LAB_DIR"/dl/*
  local listing; listing=$(case_cmd "$1" 2> "$LAB_DIR/client.err") || return 1
  [ -n "$listing" ] || return 1
  local out name want got
  while read -r out name; do
    want=$(grep " ./$name\$" "$LAB_DIR/files.sha256" | cut -d' ' -f1)
    got=$(sha256sum < "$LAB_DIR/dl/$out" | cut -d' ' -f1)
    [ "$want" = "$got" ] || return 1
  done <<< "$listing"
}
