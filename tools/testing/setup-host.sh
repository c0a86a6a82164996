#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-host.sh - install what the axvcpu rigs need on a Debian 12 host.
#
# Idempotent: a second run with everything present only checks and returns.
# Needs root (or sudo) when something is missing.  Installs host packages
# only; the guest kernels and the arm64 headers are downloaded and extracted
# by fetch-kernels.sh, never installed, because installing arm64 headers
# through multiarch would remove the host toolchain.
set -euo pipefail

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	need_update=1
fi

# The amd64 kernel ABI we build for is the one linux-image-amd64 points at
# now (bookworm-security moves it); resolve it from the package lists
# (lib.sh caches the answer until the lists change: apt-cache takes ~2 s).
RIG=setup-host
. "$(dirname "$0")/lib.sh"
krel_now() { local k v; read -r k v < <(resolve_kernel x86_64) && echo "$k"; }

KREL=$(krel_now || true)
if [ -z "$KREL" ] || [ $need_update = 1 ] ||
   ! ls /var/lib/apt/lists/*_binary-arm64_Packages* >/dev/null 2>&1; then
	$SUDO apt-get update -qq
	KREL=$(krel_now || true)
fi
[ -n "$KREL" ] || { echo "setup-host: cannot resolve the amd64 kernel ABI" >&2; exit 1; }

PKGS="make gcc libc6-dev binutils bc kmod cpio gzip xz-utils python3 file
      bochs bochs-term bochsbios vgabios busybox-static
      qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      linux-kbuild-6.1 linux-headers-$KREL linux-source-6.1
      device-tree-compiler libfdt-dev"
missing=
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup-host: installing$missing"
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "setup-host: host packages ready (amd64 kernel $KREL)"
