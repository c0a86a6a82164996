#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup-host.sh - install what the axvcpu rigs need on a Debian 12 (bookworm)
# or Debian 13 (trixie) amd64 host.
#
# Idempotent: a second run with everything present only checks and returns.
# Needs root (or sudo) when something is missing.  Installs host packages
# only, by exact name (no apt patterns), and nothing that pulls a kernel
# image or initramfs-tools: the module is built in the rig's own build
# environments (buildenv.sh, debootstrap) and the guest kernels and their
# headers are downloaded and extracted by fetch-kernels.sh, never installed.
# The arm64 dpkg architecture is added for the package lists only (the
# arm64 libfdt of tools/axvm is downloaded, not installed).
set -euo pipefail
RIG=setup-host
. "$(dirname "$0")/lib.sh"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# shellcheck disable=SC1091
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case "$CODENAME" in
bookworm | trixie) ;;
*) log "warning: host release '${CODENAME:-unknown}' is not tested (bookworm and trixie are)" ;;
esac

# The same names on bookworm and trixie.
PKGS="make gcc libc6-dev binutils cpio gzip xz-utils zstd python3 file
      debootstrap util-linux e2fsprogs
      bochs bochs-term bochsbios vgabios
      qemu-system-arm qemu-system-x86 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      device-tree-compiler libfdt-dev"

need_update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	need_update=1
fi
ls /var/lib/apt/lists/*_binary-arm64_Packages* >/dev/null 2>&1 || need_update=1
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] || need_update=1
if [ $need_update = 1 ]; then
	log "apt-get update"
	$SUDO apt-get update -qq
fi
if [ -n "$missing" ]; then
	log "installing$missing"
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
log "host packages ready ($CODENAME; Bochs $(emu_version bochs), QEMU $(emu_version qemu))"
x86_emulator && log "x86_64 emulator: $X86_EMU_WHY" || log "x86_64 emulator: $X86_EMU_WHY"
