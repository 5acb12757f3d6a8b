#!/usr/bin/env bash
# scripts/prebuild/check-glibc-2.31.sh [x64|arm64] — runs a prebuilt binary on the oldest glibc
# we support: glibc 2.31 and libstdc++ 10 from Debian 11 (bullseye), fetched with apt-get
# (a private sources list and cache in build-prebuild/bullseye-<arch>/; nothing is installed).
# Node is started through bullseye's dynamic loader (x64), or under qemu-aarch64 with
# bullseye's arm64 libraries as its sysroot (arm64; the arm64 Node from scripts/prebuild.sh's
# PREBUILD_QEMU=1 run), and runs scripts/prebuild/smoke.cjs. A release step (docs/packaging.md);
# scripts/prebuild.sh's readelf check is the one that runs on every build.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
arch=${1:-$(node -p process.arch)}
case $arch in
  x64) debarch=amd64 triplet=x86_64-linux-gnu ;;
  arm64) debarch=arm64 triplet=aarch64-linux-gnu ;;
  *) echo "check-glibc: no baseline check for $arch"; exit 1 ;;
esac
binary=$root/prebuilds/linux-$arch/swim-native.glibc.node
[[ -f $binary ]] || { echo "check-glibc: $binary missing (npm run prebuilds -- $arch)"; exit 1; }
[[ -f $root/dist/index.js ]] || npx --no-install tsc -p tsconfig.build.json

dir=$root/build-prebuild/bullseye-$arch
sysroot=$dir/root
if [[ ! -f $sysroot/lib/$triplet/libc.so.6 ]]; then
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/debs"
  echo "deb [arch=$debarch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main" >"$dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o "APT::Architectures::=$debarch")
  apt-get "${apt_opts[@]}" update -qq
  for pkg in libc6 libstdc++6 libgcc-s1; do
    version=$(apt-cache "${apt_opts[@]}" madison "$pkg:$debarch" | awk -F'|' '/bullseye/ { gsub(/ /, "", $2); print $2; exit }')
    [[ -n $version ]] || { echo "check-glibc: no bullseye $pkg:$debarch"; exit 1; }
    (cd "$dir/debs" && apt-get "${apt_opts[@]}" download -qq "$pkg:$debarch=$version" 2>/dev/null)
  done
  rm -rf "$sysroot" && mkdir -p "$sysroot"
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
fi
libs=$sysroot/lib/$triplet:$sysroot/usr/lib/$triplet
echo "check-glibc: linux-$arch on $(basename "$sysroot"/lib/"$triplet"/libc-*.so .so), $(basename "$(readlink -f "$sysroot/usr/lib/$triplet/libstdc++.so.6")")"

if [[ $arch == x64 ]]; then
  [[ $(node -p process.arch) == x64 ]] || { echo "check-glibc: x64 check needs an x64 host"; exit 1; }
  SWIM_NATIVE_BINARY=$binary "$sysroot/lib/$triplet/ld-2.31.so" --library-path "$libs" \
    "$(node -p process.execPath)" "$root/scripts/prebuild/smoke.cjs"
else
  node_arm64=$root/build-prebuild/node-arm64/package/bin/node
  [[ -x $node_arm64 ]] || { echo "check-glibc: no arm64 node (run PREBUILD_QEMU=1 npm run prebuilds -- arm64 first)"; exit 1; }
  qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64)
  # ld-linux-aarch64.so.1 is looked up under the sysroot's /lib
  ln -sfn "$triplet/ld-2.31.so" "$sysroot/lib/ld-linux-aarch64.so.1"
  SWIM_NATIVE_BINARY=$binary QEMU_LD_PREFIX=$sysroot LD_LIBRARY_PATH=$libs timeout 300 "$qemu" \
    "$node_arm64" "$root/scripts/prebuild/smoke.cjs"
fi
