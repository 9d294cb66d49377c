#!/usr/bin/env bash
# Loads or unloads ftpgate's router rules. Loading twice replaces, never duplicates.
#   rules.sh load   [--standalone | --queue-only] [--ports 21,2121] [--queue 0|0-3]
#                   [--helper auto|sane|ftpgate|ftp] [--form auto|nft|iptables] [--no-queue]
#                   [--ctmark 0x01000000] [--enforce-mark 0x40000000] [--audit] [--fail-closed]
#                   [--family inet|ip|ip6] [--queue-all]
#   rules.sh unload
#   rules.sh status
# (default)       beside your own firewall, deciding nothing else: table inet ftpgate whose
#                 forward chain has policy accept; it attaches the helper to FTP control
#                 connections, queues their packets, resets connections ftpgate's policy
#                 denied, drops FTP control packets conntrack finds invalid, and accepts the
#                 data connections ftpgate expects (your firewall must accept ct state related)
# --standalone    the router's whole forward firewall: policy drop; established connections,
#                 new FTP control connections, ICMP errors and ftpgate's data connections pass
# --queue-only    only the queueing of FTP control packets, for a ruleset that includes
#                 rules/ftpgate-include.nft on a kernel without the nft queue statement
# --form nft      queueing with the nft `queue` statement
# --form iptables queueing with iptables-nft -j NFQUEUE (kernels without CONFIG_NFT_QUEUE)
# --form auto     nft if the kernel accepts the queue statement, else iptables
# --no-queue      no queueing at all (for the kernel-helper reference: --helper ftp --no-queue)
# --audit         also queue the SYN, FIN and RST segments of FTP data connections (a few per
#                 transfer) for ftpgate's transfer audit log (config audit_log)
# --helper auto   ftpgate's own helper where it is registered (`ftpgate helper register` first),
#                 else the inert 'sane' carrier
# --fail-closed   control packets are queued without bypass: while ftpgate is not running they
#                 are dropped, never passed unjudged (pair with fail_closed = yes; FTP stalls
#                 while the daemon is down)
# --queue-all     queue every control packet; by default segments that cannot carry an FTP
#                 byte (no payload, none of SYN, FIN, RST, URG: pure ACKs) go past the queue
# --family ip     queue only IPv4 control packets (ip6: only IPv6; inet, the default: both). For
#                 a NAT64 router, where ftpgate translates on the IPv4 leg only (config nat64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); rules_dir=$(dirname "$here")/rules
[ -d "$rules_dir" ] || rules_dir=/usr/share/ftpgate/rules

ports=21; queue=0; helper=sane; form=auto; with_queue=1; ctmark=0x01000000; enforce=0x40000000; audit=0
bypass=1; mode=beside; family=inet; skip_empty=1
cmd=${1:-}; shift || true
value() {  # OPTION ARGS...: the option's value, or why there is none
  if [ $# -lt 2 ] || [[ $2 == --* ]] || [ -z "$2" ]; then
    echo "rules.sh: $1 needs a value (rules.sh with no arguments prints the usage)" >&2; exit 2
  fi
  printf '%s' "$2"
}
while [ $# -gt 0 ]; do
  case $1 in
    --ports) ports=$(value "$@") || exit 2; shift 2 ;;
    --queue) queue=$(value "$@") || exit 2; shift 2 ;;
    --helper) helper=$(value "$@") || exit 2; shift 2 ;;
    --form) form=$(value "$@") || exit 2; shift 2 ;;
    --no-queue) with_queue=0; shift ;;
    --ctmark) ctmark=$(value "$@") || exit 2; shift 2 ;;
    --enforce-mark) enforce=$(value "$@") || exit 2; shift 2 ;;  # as ftpgate's enforce_mark
    --audit) audit=1; shift ;;
    --fail-closed) bypass=0; shift ;;
    --standalone) mode=standalone; shift ;;
    --queue-only) mode=queue-only; shift ;;
    --queue-all) skip_empty=0; shift ;;
    --family) family=$(value "$@") || exit 2; shift 2 ;;
    *) echo "rules.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case $family in inet|ip|ip6) ;; *) echo "rules.sh: --family must be inet, ip or ip6, not '$family'" >&2; exit 2 ;; esac
[[ $ports =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "rules.sh: --ports takes port numbers separated by commas (21,2121), not '$ports'" >&2; exit 2; }

helper_registered() {  # a ct helper object of type "ftpgate" loads only once it is registered
  printf 'table inet ftpgate_probe { ct helper h { type "ftpgate" protocol tcp; l3proto inet; }; }\n' |
    nft -f - > /dev/null 2>&1 || return 1
  nft delete table inet ftpgate_probe
}

nft_has_queue() {
  printf 'table inet ftpgate_probe { chain c { type filter hook forward priority 0; queue num 0 bypass; }; }\n' |
    nft -c -f - > /dev/null 2>&1
}

# Segments that cannot carry an FTP byte skip the queue: no payload, and none of SYN, FIN, RST
# (ftpgate anchors streams, binds interfaces and ends sessions on those; the evasion suite's
# reused_ports_after_reset and identity_forged_banner_first fail with SYNs skipped, and with
# FINs skipped the sessions of a churn outlive their connections) or URG (an urgent pointer
# moves a later byte out of the stream). A zero payload is proven from the headers,
# without arithmetic: the IP length equals the TCP header's own length (IPv4: 20 + 4 * doff,
# only an IP header of 20 bytes; IPv6: 4 * doff, only without extension headers). The TCP
# header's 13th byte is data offset << 4 with the reserved bits zero; anything else is queued.
zero_payload_pairs() {  # ip|ip6 -> "40 . 0x50, 44 . 0x60, ..." (IP length . byte 12)
  local d out="" base=20; [ "$1" = ip6 ] && base=0
  for d in $(seq 5 15); do out+="${out:+, }$((base + 4 * d)) . $(printf '0x%x' $((d << 4)))"; done
  printf '%s' "$out"
}
nft_skip_empty() {  # nfproto restriction ("" or "meta nfproto ipv4 ") -> accept rules, one a line
  local fam dir first=1
  for fam in ip ip6; do
    [ "$family" != inet ] && [ "$family" != "$fam" ] && continue
    for dir in dport sport; do
      [ "$first" = 1 ] || printf '\n\t\t'; first=0
      printf 'tcp %s @ftp_ports tcp flags & (fin | syn | rst | urg) == 0 %s length . @th,96,8 { %s } counter accept' \
        "$dir" "$fam" "$(zero_payload_pairs "$fam")"
    done
  done
}
ipt_skip_empty() {  # iptables|ip6tables -> the SKIP rules of FTPGATE_CONTROL (the template says)
  local d queue_rule="-j NFQUEUE @QUEUE@@BYPASS@" lengths=40:80  # IPv4: 20 + 20..60
  [ "$1" = ip6tables ] && lengths=60:100  # IPv6: the length match counts the 40-byte header
  echo "-A FTPGATE_CONTROL -m length ! --length $lengths $queue_rule"
  echo "-A FTPGATE_CONTROL -p tcp ! --tcp-flags FIN,SYN,RST,URG NONE $queue_rule"
  for d in 8 5 6 7 9 10 11 12 13 14 15; do
    local match="0>>24&0xF=5&&0&0xFFFF=$((20 + 4 * d))&&32>>24=$((d << 4))"  # IHL 5, length, doff
    [ "$1" = ip6tables ] && match="4>>16=$((4 * d))&&4>>8&0xFF=6&&52>>24=$((d << 4))"  # next header TCP
    echo "-A FTPGATE_CONTROL -m u32 --u32 \"$match\" -j RETURN"
  done
}

unload() {
  nft list table inet ftpgate > /dev/null 2>&1 && nft delete table inet ftpgate
  local ipt
  for ipt in iptables ip6tables; do
    while $ipt -D FORWARD -j FTPGATE 2> /dev/null; do :; done
    $ipt -F FTPGATE 2> /dev/null || true
    $ipt -X FTPGATE 2> /dev/null || true
    $ipt -F FTPGATE_CONTROL 2> /dev/null || true
    $ipt -X FTPGATE_CONTROL 2> /dev/null || true
  done
}

load() {
  case $helper in auto|sane|ftpgate|ftp) ;; *) echo "rules.sh: --helper must be auto, sane, ftpgate or ftp" >&2; exit 2 ;; esac
  if [ "$helper" = auto ]; then if helper_registered; then helper=ftpgate; else helper=sane; fi; fi
  if [ "$form" = auto ]; then if nft_has_queue; then form=nft; else form=iptables; fi; fi
  # --queue N, or N-M to spread control connections over several queues (one per CPU): the
  # kernel hashes each packet's address pair (sorted, so both directions alike) to one queue
  # of the range; no fanout (that picks the queue by CPU, splitting a connection's directions).
  local queue_stmt="" nft_q="num $queue" ipt_q="--queue-num $queue"
  case $queue in *-*) ipt_q="--queue-balance ${queue/-/:}" ;; esac
  if [ "$with_queue" = 1 ] && [ "$form" = nft ]; then
    local nft_bypass=" bypass"; [ "$bypass" = 1 ] || nft_bypass=""
    local only=""; [ "$family" = ip ] && only="meta nfproto ipv4 "; [ "$family" = ip6 ] && only="meta nfproto ipv6 "
    [ "$skip_empty" = 1 ] && queue_stmt="$(nft_skip_empty "$only")
		"
    queue_stmt+="${only}tcp dport @ftp_ports queue $nft_q$nft_bypass
		${only}tcp sport @ftp_ports queue $nft_q$nft_bypass"
    # Data connections are the expected ones of FTP control connections (they inherit CTMARK).
    [ "$audit" = 1 ] && queue_stmt+="
		${only}ct status expected ct mark and $ctmark == $ctmark tcp flags & (syn | fin | rst) != 0 queue $nft_q bypass"
  fi
  unload
  local rendered line policy=accept
  [ "$mode" = standalone ] && policy=drop
  if [ "$mode" = queue-only ]; then  # the include attaches the helper and enforces; only queue here
    rendered="table inet ftpgate {
	set ftp_ports { type inet_service; elements = { ${ports//,/, } }; }
	chain forward {
		type filter hook forward priority filter + 10; policy accept;
		$queue_stmt
	}
}"
  else
    rendered=$(sed -e "s/@PORTS@/${ports//,/, }/" -e "s/@HELPER@/$helper/" -e "s/@CTMARK@/$ctmark/g" \
                   -e "s/@ENFORCE@/$enforce/g" -e "s/@POLICY@/$policy/" "$rules_dir/ftpgate.nft.in" |
      while IFS= read -r line; do  # QUEUE stands on a line of its own: that line, whole
        if [[ $line =~ ^[[:space:]]*@QUEUE@[[:space:]]*$ ]]; then printf '%s\n' "$queue_stmt"
        elif [[ $line =~ \#\ standalone$ ]] && [ "$mode" != standalone ]; then :
        else printf '%s\n' "$line"; fi
      done)
  fi
  # Queueing only, by iptables: no table of ours at all.
  if [ "$mode" = queue-only ] && { [ "$form" = iptables ] || [ "$with_queue" = 0 ]; }; then rendered=""; fi
  if [ -n "$rendered" ] && ! printf '%s\n' "$rendered" | nft -f - 2> "${TMPDIR:-/tmp}/ftpgate-rules.$$"; then
    cat "${TMPDIR:-/tmp}/ftpgate-rules.$$" >&2; rm -f "${TMPDIR:-/tmp}/ftpgate-rules.$$"
    if [ "$helper" = ftpgate ]; then
      echo "rules.sh: the conntrack helper 'ftpgate' must be registered before these rules load:" \
           "run 'ftpgate helper register' (or start ftpgate), then load them again" >&2
    fi
    exit 1
  fi
  rm -f "${TMPDIR:-/tmp}/ftpgate-rules.$$"
  if [ "$with_queue" = 1 ] && [ "$form" = iptables ]; then
    local ipt ipts=(iptables ip6tables)
    [ "$family" = ip ] && ipts=(iptables); [ "$family" = ip6 ] && ipts=(ip6tables)
    for ipt in "${ipts[@]}"; do
      local line
      while IFS= read -r line; do  # SKIP stands on a line of its own: that line, whole
        case $line in
          '#'*) ;;
          @SKIP@) [ "$skip_empty" = 1 ] && ipt_skip_empty "$ipt" ;;
          COMMIT) [ "$audit" = 1 ] && echo "-A FTPGATE -p tcp -m conntrack --ctstatus EXPECTED -m connmark --mark $ctmark/$ctmark -m tcp ! --tcp-flags SYN,FIN,RST NONE -j NFQUEUE $ipt_q --queue-bypass"
                  echo COMMIT ;;
          *) printf '%s\n' "$line" ;;
        esac
      done < "$rules_dir/ftpgate-queue.iptables.in" |
        sed -e "s/@PORTS_COMMA@/$ports/" -e "s/@QUEUE@/$ipt_q/" -e "s/@BYPASS@/$([ "$bypass" = 1 ] && echo ' --queue-bypass')/" |
        "$ipt-restore" --noflush
      $ipt -I FORWARD 1 -j FTPGATE
    done
  fi
  local what="beside your firewall: forward policy accept"
  [ "$mode" = standalone ] && what="standalone: forward policy drop"
  [ "$mode" = queue-only ] && what="queueing only" && helper="from your ruleset"
  echo "rules.sh: loaded ($what; form $form, helper $helper, ports $ports$([ "$with_queue" = 1 ] && echo ", queue $queue")$([ "$family" = inet ] || echo ", $family only")$([ "$skip_empty" = 1 ] && [ "$with_queue" = 1 ] && echo ", pure ACKs past the queue")$([ "$audit" = 1 ] && echo ", data SYN/FIN/RST queued for the audit")$([ "$bypass" = 1 ] || echo ", fail-closed: no bypass"))"
}

case $cmd in
  load) load ;;
  unload) unload; echo "rules.sh: unloaded" ;;
  status) nft list table inet ftpgate 2> /dev/null || echo "no nft table"; iptables -S FTPGATE 2> /dev/null && iptables -S FTPGATE_CONTROL 2> /dev/null || true ;;
  *) sed -n '2,30p' "$0"; exit 2 ;;
esac
