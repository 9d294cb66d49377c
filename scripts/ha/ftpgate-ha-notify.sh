#!/bin/sh
# keepalived's notify script for an ftpgate HA pair (scripts/ha/keepalived.conf.in):
#   ftpgate-ha-notify.sh primary|backup|fault [CONNTRACKD_CONF [FTPGATE [FTPGATE_CONFIG [LOG]]]]
# primary  this router takes the traffic: commit the other router's conntracks, then their
#          expectations (an expectation needs its master; with a small HashSize one `-c` commits
#          no expectations), start afresh from the kernel's table, send it to the peer, and
#          tell ftpgate to take over (it forgets stale sessions, restores the NAT part and
#          timeout of synced expectations: `ftpgate ha takeover`).
# backup   ask the new primary for its state.
# fault    the same, and shorten the kernel's timers of what this router still holds.
state=$1
conf=${2:-/etc/conntrackd/conntrackd.conf}
ftpgate=${3:-ftpgate}
ftpgate_conf=${4:-/etc/ftpgate/ftpgate.conf}
log=${5:-/dev/null}
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

say() { echo "$(date +%s.%N) ftpgate-ha-notify $state: $*" >> "$log"; }
run() { "$@" >> "$log" 2>&1 || say "failed ($?): $*"; }

case $state in
  primary)
    run conntrackd -C "$conf" -c ct
    run conntrackd -C "$conf" -c expect
    run conntrackd -C "$conf" -f
    run conntrackd -C "$conf" -R
    run conntrackd -C "$conf" -B
    if [ -f "$ftpgate_conf" ]; then run "$ftpgate" ha takeover --config "$ftpgate_conf"
    else run "$ftpgate" ha takeover; fi
    ;;
  backup)
    run conntrackd -C "$conf" -n
    ;;
  fault)
    run conntrackd -C "$conf" -t
    run conntrackd -C "$conf" -n
    ;;
  *)
    echo "usage: $0 primary|backup|fault [CONNTRACKD_CONF [FTPGATE [FTPGATE_CONFIG [LOG]]]]" >&2
    exit 2
    ;;
esac
say done
exit 0
