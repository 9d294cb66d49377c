#!/usr/bin/env bash
# The stock-kernel stage: boots Debian 12's own kernel under QEMU and runs the end-to-end cases
# inside it, on the paths a Debian or Ubuntu router takes by default (nft `queue`, ftpgate's own
# userspace helper, systemd), which this VM's kernel cannot take.
#   scripts/stock_kernel.sh BUILD_DIR      (root; called by scripts/test.sh)
#
# - The kernel: linux-image-$FTPGATE_STOCK_KERNEL-amd64 (pinned below), or the newest 6.1.0-N
#   the archive still has when that one has left it; fetched with `apt-get download` into
#   build-guest/, unpacked with `dpkg-deb -x`, never installed on this machine.
# - The guest mounts this machine's root read-only over 9p under a tmpfs overlay (writable,
#   gone at power-off), loads the kernel's modules from the unpacked package, mounts a tmpfs on
#   /run (it never sees this machine's namespaces), runs tests/stock_kernel/cases.sh
#   and writes its log and exit status to build-guest/results/ (a second, writable 9p share).
# - TCG (software emulation): /dev/kvm on this VM cannot boot stock kernels. One boot runs every
#   case. A stage that cannot fetch the kernel or boot the guest fails; it never passes by
#   skipping.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); top=$(dirname "$here")
build=$(realpath "${1:?usage: stock_kernel.sh BUILD_DIR}")
# The kernel ABI, pinned in this one place.
FTPGATE_STOCK_KERNEL=${FTPGATE_STOCK_KERNEL:-6.1.0-57}
guest=$top/build-guest
mkdir -p "$guest"
started=$(date +%s)

kernel_package() {
  local want="linux-image-$FTPGATE_STOCK_KERNEL-amd64"
  if apt-cache show "$want" > /dev/null 2>&1; then echo "$want"; return; fi
  # The pinned ABI left the archive: the newest 6.1.0-N it has.
  apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -1
}
pkg=$(kernel_package)
[ -n "$pkg" ] || { echo "stock kernel: no linux-image-6.1.0-*-amd64 in the archive (apt-get update?)" >&2; exit 1; }
kver=${pkg#linux-image-}
root=$guest/kernel-$kver
if [ ! -f "$root/boot/vmlinuz-$kver" ]; then
  rm -rf "$guest/deb" "$root"; mkdir -p "$guest/deb"
  (cd "$guest/deb" && apt-get download "$pkg" > /dev/null 2>&1) ||
    { echo "stock kernel: apt-get download $pkg failed" >&2; exit 1; }
  dpkg-deb -x "$guest"/deb/"$pkg"_*.deb "$root"
  depmod -b "$root" "$kver"
fi

# The initramfs: busybox-static, its /init, and the modules that reach the 9p root.
initrd=$guest/initrd-$kver.img
if [ ! -f "$initrd" ] || [ "$top/tests/stock_kernel/initramfs_init" -nt "$initrd" ]; then
  staging=$(mktemp -d); trap 'rm -rf "$staging"' EXIT
  mkdir -p "$staging"/{bin,modules,proc,sys,dev}
  cp /bin/busybox "$staging/bin/busybox"
  install -m 755 "$top/tests/stock_kernel/initramfs_init" "$staging/init"
  : > "$staging/modules.list"
  for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe -d "$root" -S "$kver" --show-depends "$m"; done |
    awk '$1 == "insmod" && !seen[$2]++ {print $2}' | while read -r ko; do
      cp "$ko" "$staging/modules/"; basename "$ko" >> "$staging/modules.list"
    done
  (cd "$staging" && find . | cpio -o -H newc 2> /dev/null | gzip -1) > "$initrd"
fi

parts=${FTPGATE_STAGE_PARTS:-check gateway helper nat nat64 policy audit evasion latency systemd}
# The jool part: Jool's NAT64 modules, built here for the guest's kernel (scripts/jool_module.sh).
jool_modules=""
if [[ " $parts " == *" jool "* ]]; then
  jool_modules=$(bash "$here/jool_module.sh" "$guest" "$kver") || { echo "stock kernel: Jool's modules did not build" >&2; exit 1; }
fi

# The Debian package the guest installs under systemd.
deb=$(bash "$here/package.sh" | tail -1)
[ -f "$deb" ] || { echo "stock kernel: no package built ($deb)" >&2; exit 1; }

results=$guest/results
rm -rf "$results"; mkdir -p "$results"
# What the guest needs to know, as a file it reads from the shared root.
cat > "$results/env" <<EOF
FTPGATE_BUILD=$build
FTPGATE_TOP=$top
FTPGATE_MODULES=$root
FTPGATE_DEB=$deb
FTPGATE_STAGE_PARTS="$parts"
FTPGATE_JOOL_MODULES=$jool_modules
EOF
echo "stock kernel: booting $pkg under QEMU (TCG); the guest's log follows when it powers off"
set +e
timeout "${FTPGATE_STOCK_KERNEL_TIMEOUT:-1500}" qemu-system-x86_64 -accel tcg -cpu max -M q35 -m 1536M -smp 2 \
  -nographic -no-reboot -monitor none -serial "file:$results/console.log" \
  -kernel "$root/boot/vmlinuz-$kver" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet ftpgate.init=$top/tests/stock_kernel/guest_init.sh ftpgate.results=$results" \
  -virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$results,mount_tag=results,security_model=none" < /dev/null
qemu_rc=$?
set -e
[ -f "$results/log" ] && cat "$results/log"
echo "stock kernel: stage took $(($(date +%s) - started)) s (qemu exit $qemu_rc)"
if [ ! -f "$results/status" ]; then
  echo "stock kernel: the guest did not finish (no status); its console:" >&2
  tail -40 "$results/console.log" >&2
  exit 1
fi
exit "$(cat "$results/status")"
