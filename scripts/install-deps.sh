#!/usr/bin/env bash
# Installs everything ftpgate needs to build, test and run its namespace lab on Debian 12.
# Idempotent: run it as often as you like. Needs root (apt-get).
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libmnl-dev libnetfilter-queue-dev libnetfilter-conntrack-dev libpcap-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # kernel tooling used by rules/, the lab and the tests
  iproute2 nftables iptables conntrack tcpdump
  # real FTP peers for the lab
  vsftpd python3-pyftpdlib curl lftp
  # NAT64 lab (tests/e2e/nat64_e2e.sh): the translator; Jool's userspace tool (its kernel
  # module is built for the stock-kernel guest by scripts/jool_module.sh; --no-install-recommends
  # below keeps jool-dkms, dkms and kernel headers off this machine)
  tayga jool-tools
  # the evasion suite's crafted client (ProFTPD conflicts with vsftpd as a package: it is
  # unpacked, below)
  python3-scapy jq
  # the HA pair (tests/e2e/ha_e2e.sh): conntrack state sync and VRRP
  conntrackd keepalived
  # misc
  python3 procps psmisc openssl
  # metrics parsing in the tests, Debian packaging (cpack -G DEB uses dpkg-shlibdeps)
  python3-prometheus-client dpkg-dev
  # the package's logrotate file (tests/e2e/package_e2e.sh reads it with logrotate -d)
  logrotate
  # the stock-kernel stage (scripts/stock_kernel.sh): QEMU, the guest's initramfs, modules
  qemu-system-x86 busybox-static kmod cpio
  # ... and what the guest runs from this machine's root: systemd as its PID 1 for the package
  systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# vsftpd's package starts a system-wide instance listening on :21; the lab starts its own
# instances inside namespaces and must not share the host's.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet vsftpd 2>/dev/null; then
  systemctl stop vsftpd || true
  systemctl disable vsftpd >/dev/null 2>&1 || true
fi
pkill -x vsftpd 2>/dev/null || true
# Their packages start system-wide daemons too; the HA lab runs its own in namespaces.
for unit in conntrackd keepalived; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit" 2>/dev/null; then
    systemctl stop "$unit" || true
    systemctl disable "$unit" >/dev/null 2>&1 || true
  fi
done
# proftpd for the NAT64 lab and the evasion suite: its Debian package conflicts with vsftpd
# (installing it removes vsftpd), so it is unpacked, not installed, where both look for it.
if [ ! -x /opt/ftpgate-lab/proftpd/usr/sbin/proftpd ] && ! command -v proftpd > /dev/null 2>&1; then
  mkdir -p /opt/ftpgate-lab
  (cd /opt/ftpgate-lab && apt-get download -qq proftpd-core && dpkg -x proftpd-core_*.deb proftpd && rm -f proftpd-core_*.deb)
fi
echo "install-deps: all packages present"
