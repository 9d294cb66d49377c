#!/bin/bash
# PID 1 of the stock-kernel guest (after the initramfs): prepares a world of its own on the
# shared root (a tmpfs /run; the stock kernel's modules, also for the kernel's own
# autoloading), runs tests/stock_kernel/cases.sh, writes its log and exit status to the results
# share, and powers off. Never returns: PID 1 must not exit.
results=/ftpgate-results
set -a; source "$results/env"; set +a
# The root is this machine's under a tmpfs overlay, so every write stays in the guest. /run gets
# a tmpfs of its own all the same: the guest must not see this machine's /run/netns and
# sockets. /tmp stays the overlay's (the tree under test may well live in /tmp).
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/netns /dev/shm
mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
exec > "$results/log" 2>&1
echo "guest: $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
# modprobe for this kernel, for us and for the kernel's request_module (nft expressions,
# conntrack helpers).
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' "$FTPGATE_MODULES" > /run/modprobe
chmod 755 /run/modprobe
echo /run/modprobe > /proc/sys/kernel/modprobe
for m in veth nf_conntrack nf_conntrack_netlink nfnetlink_queue nfnetlink_cthelper nft_queue \
         nft_ct nft_nat nft_masq nft_chain_nat nf_conntrack_ftp nf_nat_ftp nf_conntrack_sane \
         xt_NFQUEUE xt_conntrack xt_CT iptable_filter ip6table_filter nft_compat nft_reject_inet; do
  /run/modprobe "$m" || echo "guest: modprobe $m failed"
done
ip link set lo up
hostname ftpgate-guest
status=1
bash "$FTPGATE_TOP/tests/stock_kernel/cases.sh" "$FTPGATE_BUILD/ftpgate" && status=0
echo "guest: cases done after $(cut -d' ' -f1 /proc/uptime) s, status $status"
if [[ " $FTPGATE_STAGE_PARTS " != *" systemd "* ]]; then
  echo "$status" > "$results/status"; sync; poweroff -f; sleep 60
fi
# Last, with systemd as PID 1: the package and its unit (systemd_cases.sh writes the status).
cat > /etc/systemd/system/ftpgate-guest.target <<UNIT
[Unit]
Description=ftpgate stock-kernel stage: the package under systemd
Requires=ftpgate-guest-tests.service
After=ftpgate-guest-tests.service
AllowIsolate=yes
UNIT
cat > /etc/systemd/system/ftpgate-guest-tests.service <<UNIT
[Unit]
Description=ftpgate stock-kernel stage: systemd_cases.sh
DefaultDependencies=no
After=sysinit.target
Wants=sysinit.target
[Service]
Type=oneshot
ExecStart=/bin/bash $FTPGATE_TOP/tests/stock_kernel/systemd_cases.sh $FTPGATE_DEB $status
StandardOutput=append:$results/log
StandardError=append:$results/log
# Whatever happened, the guest powers off (the script writes the status first).
ExecStopPost=/bin/sh -c 'sync; /bin/systemctl poweroff --force --force'
UNIT
# systemd-tmpfiles would empty /tmp at boot ('D /tmp'), and the tree under test may live there.
ln -sf /dev/null /etc/systemd/system/systemd-tmpfiles-setup.service
ln -sf /dev/null /etc/systemd/system/systemd-tmpfiles-clean.service
sync
exec /lib/systemd/systemd --unit=ftpgate-guest.target --log-target=console --show-status=false
echo "guest: systemd did not start"
poweroff -f
sleep 60
