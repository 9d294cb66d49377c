#!/usr/bin/env bash
# Builds Jool's NAT64 kernel modules (Debian's jool-dkms) for the stock-kernel guest, on this
# machine: Debian 12's kernel was built with gcc-12, which this machine has, so the module is
# built here against the kernel's headers (fast) instead of by dkms inside the TCG guest.
#   scripts/jool_module.sh GUEST_DIR KVER   (root; e.g. build-guest 6.1.0-57-amd64)
# Prints the directory holding jool_common.ko and jool.ko (modinfo depends: x_tables,
# jool_common, nf_defrag_ipv4, nf_defrag_ipv6). Cached: a second call only prints it.
# - The headers (linux-headers-KVER, its -common, linux-kbuild-M.m) and jool-dkms are fetched
#   with `apt-get download` and unpacked with `dpkg-deb -x` under GUEST_DIR/jool/, never
#   installed here. The headers' Makefile includes its -common tree by absolute path
#   (/usr/src/...): the unpacked copy's include is pointed at the unpacked -common tree.
# - Built as dkms.conf says (make -C <headers> M=src/mod/common, then M=src/mod/nat64); the
#   SIIT module is not needed.
set -euo pipefail
guest=$(realpath "${1:?usage: jool_module.sh GUEST_DIR KVER}")
kver=${2:?usage: jool_module.sh GUEST_DIR KVER}
abi=${kver%-amd64}                      # 6.1.0-57
series=$(cut -d. -f1,2 <<< "$kver")     # 6.1
dir=$guest/jool
out=$dir/ko-$kver
if [ -f "$out/jool.ko" ] && [ -f "$out/jool_common.ko" ]; then echo "$out"; exit 0; fi

# The headers of the very upload the guest's image comes from (same version as the image).
version=$(apt-cache show "linux-image-$kver" 2> /dev/null | awk '$1 == "Version:" { print $2; exit }')
[ -n "$version" ] || { echo "jool module: linux-image-$kver not in the archive (apt-get update?)" >&2; exit 1; }
started=$(date +%s)
rm -rf "$dir"; mkdir -p "$dir/deb" "$dir/root"
(cd "$dir/deb" && apt-get download "linux-headers-$kver=$version" "linux-headers-$abi-common=$version" \
  "linux-kbuild-$series=$version" jool-dkms > "$dir/download.log" 2>&1) ||
  { echo "jool module: apt-get download failed:" >&2; tail -5 "$dir/download.log" >&2; exit 1; }
for deb in "$dir"/deb/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
headers=$dir/root/usr/src/linux-headers-$kver
sed -i "s|^include /usr/src/linux-headers-$abi-common/Makefile\$|include $dir/root/usr/src/linux-headers-$abi-common/Makefile|" \
  "$headers/Makefile"
grep -q "^include $dir/root/" "$headers/Makefile" ||
  { echo "jool module: unexpected $headers/Makefile: $(head -1 "$headers/Makefile")" >&2; exit 1; }
src=$(echo "$dir"/root/usr/src/jool-dkms-*)
[ -f "$src/dkms.conf" ] || { echo "jool module: no jool-dkms source unpacked" >&2; exit 1; }
for m in common nat64; do
  make -C "$headers" M="$src/src/mod/$m" -j"$(nproc)" modules >> "$dir/build.log" 2>&1 ||
    { echo "jool module: make M=src/mod/$m failed (gcc: $(gcc-12 --version | head -1)):" >&2; tail -20 "$dir/build.log" >&2; exit 1; }
done
mkdir -p "$out.tmp"
cp "$src/src/mod/common/jool_common.ko" "$src/src/mod/nat64/jool.ko" "$out.tmp/"
# Without their debug info (21 MB -> under 1 MB): the guest reads them over 9p.
strip --strip-debug "$out.tmp"/*.ko
for ko in "$out.tmp"/*.ko; do
  [ "$(modinfo -F vermagic "$ko" | awk '{print $1}')" = "$kver" ] ||
    { echo "jool module: $ko: vermagic $(modinfo -F vermagic "$ko"), not $kver" >&2; exit 1; }
done
mv "$out.tmp" "$out"
rm -rf "$dir/root" "$dir/deb"  # 190 MB of headers and objects; the log stays
echo "jool module: $(basename "$src") built for $kver (headers $version) in $(($(date +%s) - started)) s" >&2
echo "$out"
