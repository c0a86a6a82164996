#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh <x86_64|arm64> [options] - build axvcpu.ko, boot Debian's kernel in
# the emulator, load nothing by itself, run a shell command as root in the
# guest, power off.  arm64: QEMU TCG at EL2/VHE.  x86_64: QEMU with
# '-accel kvm -cpu host' where /dev/kvm exists and kvm_intel has nested=Y
# (the guest gets KVM's nested VMX), else Bochs with emulated VMX;
# AXVCPU_X86_EMULATOR=bochs|qemu-kvm|qemu-tcg forces one (qemu-tcg: no VMX).
#
#   --kernel SERIES   guest kernel of tools/testing/kernels.conf (6.1, 6.12, 7.3;
#                     default: its first line); the module is built for it
#   --cmd 'CMD'       guest command (default: insmod /axvcpu.ko && /selftests/run_all.sh)
#   --cpus N          guest CPUs (default 2)
#   --mem MIB         guest RAM in MiB (default x86_64 512, arm64 3072)
#   --timeout S       wall-clock limit for the emulator (default x86_64 600, arm64 300)
#   --with-kvm        x86_64: pack Debian's irqbypass/kvm/kvm-intel.ko into /kvm/;
#                     '/kvm/load.sh' loads them (arm64: KVM is built in; no-op)
#   --add SRC[:DST]   put file/dir SRC at DST in the guest (default /basename); repeatable
#   --append 'ARGS'   extra kernel command-line arguments (e.g. initshell, kvm-arm.mode=none)
#   --ko PATH|none    use this module instead of building build/<arch>/<SERIES>/axvcpu.ko
#   --no-build        do not run 'make module' (use build/<arch>/<SERIES>/axvcpu.ko as it is)
#   --selftests       also 'make selftests ARCH=<arch>' first
#   --shell           QEMU only: interactive guest shell on this terminal
#   -q, --quiet       do not copy the console to stdout (it is still in console.log)
#
# Guest layout: /axvcpu.ko, /selftests/ (copy of build/<arch>/selftests/ if it
# exists, without objects), /kvm/, /extra/ (the modules tests load
# themselves, zram for swap, and /extra/load.sh to load them), --add files,
# /cmd.sh, busybox.  The guest
# /init (guest-init.sh) prints AXVCPU-INIT-START, runs /cmd.sh, dumps the
# kernel log written meanwhile (oops/WARN/BUG land in the console), prints
# AXVCPU-INIT-DONE rc=<rc>, and powers off.
#
# Console: stdout and build/<arch>/<SERIES>/console.log (build/<arch>/console.log
# points at the latest).  Exit status: the guest
# command's rc after a clean power-off; 124 on timeout; 125 when the guest
# did not finish cleanly (panic, no AXVCPU-INIT-DONE, emulator error); 2 when
# the build or set-up failed.  Boots of the same arch and kernel are serialised
# (boot_lock in lib.sh), across
# checkouts too when AXVCPU_LOCKDIR names a shared directory (default build/).
set -euo pipefail
RIG=boot
. "$(dirname "$0")/lib.sh"

usage() { sed -n '4,42p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
ARCH=$(norm_arch "$1")
shift
SERIES= CPUS=2 MEM= TIMEOUT= WITH_KVM=0 APPEND= KO= BUILD_MOD=1 BUILD_ST=0 SHELL_MODE=0 QUIET=0
CMD='insmod /axvcpu.ko && /selftests/run_all.sh'
ADDS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) SERIES=$2; shift ;;
	--cmd) CMD=$2; shift ;;
	--cpus) CPUS=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--with-kvm) WITH_KVM=1 ;;
	--add) ADDS+=("$2"); shift ;;
	--append) APPEND="$APPEND $2"; shift ;;
	--ko) KO=$2; shift ;;
	--no-build) BUILD_MOD=0 ;;
	--selftests) BUILD_ST=1 ;;
	--shell) SHELL_MODE=1 ;;
	-q | --quiet) QUIET=1 ;;
	-h | --help) usage ;;
	*) log "unknown option '$1'"; usage ;;
	esac
	shift
done
[[ "$CPUS" =~ ^[1-8]$ ]] || die "--cpus must be 1..8"
[ -z "$MEM" ] || [[ "$MEM" =~ ^[1-9][0-9]{2,4}$ ]] || die "--mem must be 100..99999 (MiB)"
: "${TIMEOUT:=${AXVCPU_TIMEOUT:-$([ "$ARCH" = x86_64 ] && echo 600 || echo 300)}}"
# The emulator: arm64 QEMU TCG; x86_64 per x86_emulator (lib.sh): QEMU+KVM
# where the host has nested VMX, Bochs otherwise, or AXVCPU_X86_EMULATOR.
if [ "$ARCH" = x86_64 ]; then
	x86_emulator || { log "ERROR: $X86_EMU_WHY"; exit 2; }
	EMU=$X86_EMU EMU_WHY=$X86_EMU_WHY
else
	EMU=qemu-tcg EMU_WHY="QEMU TCG at EL2 with VHE (-M virt,virtualization=on)"
fi
[ $SHELL_MODE = 1 ] && [ "$EMU" = bochs ] && die "--shell needs QEMU (arm64, or x86_64 with AXVCPU_X86_EMULATOR=qemu-kvm|qemu-tcg; use --cmd under Bochs)"
# The x86_64 kernel command line of every emulator; Bochs adds its clock.
X86_CMDLINE="console=ttyS0,115200 quiet panic=-1 mitigations=off cryptomgr.notests rodata=off idle=halt init_on_alloc=0 audit=0 lsm=lockdown,yama nowatchdog nosoftlockup tsc=reliable no_timer_check page_alloc.shuffle=0"

read -r SERIES _ < <(kernel_conf "$SERIES")
OUT=$BUILD/$ARCH
W=$OUT/$SERIES/boot
CONSOLE=$OUT/$SERIES/console.log
LOCK=$(boot_lock "$ARCH" "$SERIES")

prepare() {
	"$TESTING/fetch-kernels.sh" "$ARCH" --kernel "$SERIES" >/dev/null 2>&1 ||
		"$TESTING/fetch-kernels.sh" "$ARCH" --kernel "$SERIES" >/dev/null ||
		{ log "fetch-kernels.sh $ARCH --kernel $SERIES failed"; return 2; }
	# shellcheck disable=SC1090,SC1091
	. "$KCACHE/$ARCH/$SERIES.env"
	if [ -z "$KO" ]; then
		KO=$OUT/$SERIES/axvcpu.ko
		if [ $BUILD_MOD = 1 ]; then
			make -s -C "$TOP" module ARCH="$ARCH" KERNEL="$SERIES" >&2 ||
				{ log "'make module ARCH=$ARCH KERNEL=$SERIES' failed"; return 2; }
		fi
		[ -f "$KO" ] || { log "$KO missing (make module ARCH=$ARCH KERNEL=$SERIES)"; return 2; }
	fi
	if [ $BUILD_ST = 1 ]; then
		make -s -C "$TOP" selftests ARCH="$ARCH" >&2 ||
			{ log "'make selftests ARCH=$ARCH' failed"; return 2; }
	fi
	mkinitramfs
}

mkinitramfs() {
	local R=$W/root a src dst
	rm -rf "$R"
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,root}
	cp "$BUSYBOX" "$R/bin/busybox"	# /init links the applets (busybox --install)
	cp "$TESTING/guest-init.sh" "$R/init"
	if [ "$KO" != none ]; then
		[ -f "$KO" ] || { log "module $KO missing"; return 2; }
		cp "$KO" "$R/axvcpu.ko"
	fi
	if [ -d "$OUT/selftests" ]; then
		mkdir -p "$R/selftests"
		(cd "$OUT/selftests" && find . -type f ! -name '*.o' ! -name '*.d' ! -name '.*.cmd' \
			! -name '*.a' -print0 | cpio -0 -pdm --quiet "$R/selftests")
	fi
	if [ $WITH_KVM = 1 ] && [ "$ARCH" = x86_64 ]; then
		# fetch-kernels.sh checked them; a missing one here is an error,
		# never an empty /kvm
		[ -n "${KVMDIR:-}" ] && [ -n "${KVMLOAD:-}" ] ||
			{ log "no KVM modules for $KREL (KVMDIR/KVMLOAD empty in $KCACHE/$ARCH/$SERIES.env)"; return 2; }
		mkdir -p "$R/kvm"
		local m load=
		for m in $KVMLOAD; do
			[ -s "$KVMDIR/$m" ] || { log "KVM module $KVMDIR/$m missing"; return 2; }
			cp "$KVMDIR/$m" "$R/kvm/"
			load="$load${load:+ && }insmod /kvm/$m"
		done
		printf '#!/bin/sh\n# load Debian KVM (%s)\n%s\n' "$KREL" "$load" >"$R/kvm/load.sh"
	elif [ $WITH_KVM = 1 ]; then
		mkdir -p "$R/kvm"
		printf '#!/bin/sh\n# KVM is built into the arm64 kernel\ntest -e /dev/kvm\n' >"$R/kvm/load.sh"
	fi
	[ -f "$R/kvm/load.sh" ] && chmod +x "$R/kvm/load.sh"
	# the modules tests load themselves (zram: swap in RAM); /extra/load.sh
	if [ -n "${XMODLOAD:-}" ]; then
		mkdir -p "$R/extra"
		local x n xload=
		for x in $XMODLOAD; do
			[ -s "$XMODDIR/$x" ] || { log "test module $XMODDIR/$x missing"; return 2; }
			cp "$XMODDIR/$x" "$R/extra/"
			n=$(basename "$x" .ko | tr - _)
			xload="$xload${xload:+ && }{ grep -q '^$n ' /proc/modules || insmod /extra/$x; }"
		done
		printf '#!/bin/sh\n# load the test modules (%s)\n%s\n' "$KREL" "$xload" >"$R/extra/load.sh"
		chmod +x "$R/extra/load.sh"
	fi
	for a in "${ADDS[@]+"${ADDS[@]}"}"; do
		src=${a%%:*}
		dst=${a#*:}
		[ "$dst" != "$a" ] || dst=/$(basename "$src")
		[ -e "$src" ] || { log "--add: $src does not exist"; return 2; }
		mkdir -p "$R$(dirname "$dst")"
		cp -a "$src" "$R$dst"
	done
	printf '%s\n' "$CMD" >"$R/cmd.sh"
	cat >"$R/axvcpu-env" <<EOT
AXVCPU_ARCH=$ARCH
AXVCPU_CPUS=$CPUS
AXVCPU_KERNEL=$SERIES
export AXVCPU_ARCH AXVCPU_CPUS AXVCPU_KERNEL
EOT
	# uncompressed: no gunzip in the emulated CPU
	(cd "$R" && find . | cpio -o -H newc --owner=0:0 --quiet) >"$W/initramfs.cpio"
}

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
}

# qemu_boot CMDLINE QEMU-BINARY MACHINE-ARGS...: boot $KIMAGE with the
# initramfs in QEMU (both arches; x86_64 with KVM or TCG).  The console goes
# to $CONSOLE and QEMU runs in the background as $epid (run_emulator's); with
# --shell, on this terminal until it ends.  -no-reboot: the guest's reboot
# or power-off ends QEMU with status 0.
qemu_boot() {
	local cmdline=$1
	shift
	local common=(-smp "$CPUS" -nographic -no-reboot -nic none
		-kernel "$KIMAGE" -initrd "$W/initramfs.cpio")
	if [ $SHELL_MODE = 1 ]; then
		timeout -k 5 "$TIMEOUT" "$@" "${common[@]}" -append "$cmdline initshell" || true
		return 0
	fi
	timeout -k 5 "$TIMEOUT" "$@" "${common[@]}" -append "$cmdline" \
		-serial "file:$CONSOLE" -monitor none >"$W/emulator.log" 2>&1 </dev/null &
	epid=$!
}

run_emulator() {
	local t0 epid tpid=0 rc=0 panic_at= t_init= t_done= quiet_args
	rm -f "$CONSOLE"
	: >"$CONSOLE"
	ln -sfn "$SERIES/console.log" "$OUT/console.log"
	t0=$(now)
	log "$ARCH $SERIES: $EMU_WHY"
	if [ "$EMU" = bochs ]; then
		# ips=100M: guest time ~ wall time; tsc_early_khz must equal ips/1000
		# (the skylake_x model advertises a 3.5 GHz TSC in CPUID 0x15/0x16).
		# clearcpuid=xsavec,xsaves: Bochs 2.7 reports the standard-format
		# size (2688) in CPUID.(0xD,1).EBX instead of the compacted one
		# (2432), so Linux WARNs "XSAVE consistency problem" and turns XSAVE
		# (and AVX, AVX-512, OSXSAVE) off.  Without XSAVEC/XSAVES it uses the
		# standard format, whose size CPUID.(0xD,0) gets right.  Taints 'S'.
		# Bochs 3.0 (trixie) gets the size right: no work-around there.
		local wa=
		version_lt "$(emu_version bochs)" 3.0 && wa=" clearcpuid=xsavec,xsaves"
		local cmdline="$X86_CMDLINE tsc_early_khz=100000$wa$APPEND"
		python3 "$TESTING/mkpvh.py" "$KIMAGE" "$W/initramfs.cpio" "$cmdline" "$W/disk.img" \
			--cache "$KCACHE/x86_64/$KREL/pvh" >"$W/disk.inc" ||
			{ log "mkpvh.py failed"; return 2; }
		cat >"$W/bochsrc" <<EOT
# generated by tools/testing/boot.sh
# rfb with timeout=0 is headless (Debian's bochs has no nogui); run in unshare -n
display_library: rfb, options="timeout=0"
megs: ${MEM:-512}
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=corei7_skylake_x, count=$CPUS, ips=100000000, reset_on_triple_fault=0, ignore_bad_msrs=1
pci: enabled=1, chipset=i440fx
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev=$CONSOLE
log: -
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
mouse: enabled=0
port_e9_hack: enabled=1
EOT
		cat "$W/disk.inc" >>"$W/bochsrc"
		echo c >"$W/bochs.rc"	# Debian's bochs starts in its debugger: continue
		timeout -k 5 "$TIMEOUT" unshare -n bochs-bin -q -unlock -f "$W/bochsrc" -rc "$W/bochs.rc" \
			>"$W/emulator.log" 2>&1 </dev/null &
		epid=$!
	elif [ "$ARCH" = x86_64 ]; then
		# QEMU loads the bzImage itself (its Linux boot protocol), so
		# no PVH disk.  The machine is Bochs' in size (512 MiB, i440fx)
		# and the command line Bochs' less its clock settings
		# (tsc_early_khz matches Bochs' ips) and work-arounds.
		# qemu-kvm: -cpu host passes the host's CPUID through, VMX
		# included when kvm_intel runs with nested=1 (x86_emulator
		# checked), so the guest kernel sees KVM's nested VMX.
		# IA32_FEATURE_CONTROL gets locked with VMX on, as by a real
		# firmware: by SeaBIOS from QEMU's fw_cfg
		# etc/msr_feature_control, else by the guest kernel's own
		# init_ia32_feat_ctl() (Debian builds kvm_intel).
		# qemu-tcg: TCG implements no VMX; vmx=off says so whatever
		# the QEMU version.
		local accel=(-accel kvm -cpu host)
		[ "$EMU" = qemu-tcg ] && accel=(-accel tcg -cpu max,vmx=off)
		qemu_boot "$X86_CMDLINE$APPEND" qemu-system-x86_64 -M pc "${accel[@]}" -m "${MEM:-512}M" || return $?
		[ $SHELL_MODE = 0 ] || return 0
	else
		# 3G, one 1 GiB hugetlbfs page of it reserved at boot (it
		# cannot be found contiguous later) for guest_memory's 1 GiB
		# leaf test.  With 2G the only free aligned GiB holds swiotlb.
		local cmdline="console=ttyAMA0 quiet panic=-1 cryptomgr.notests hugepagesz=1G hugepages=1$APPEND"
		# sve=off: QEMU 7.2 TCG treats an SVE store (glibc's memcpy
		# with SVE is one st1b) to a page holding translated code as a
		# write of its first byte only, so code a VMM copies into a
		# recycled page can run as the page's old translations
		# (selftests/aarch64/vm_reuse).  QEMU 10 (trixie) gets it right;
		# versions in between are untested and keep the work-around.
		local cpu=max,pauth-impdef=on
		version_lt "$(emu_version qemu)" 1:10 && cpu=$cpu,sve=off
		qemu_boot "$cmdline" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
			-cpu "$cpu" -m "${MEM:-3072}M" || return $?
		[ $SHELL_MODE = 0 ] || return 0
	fi
	PIDS+=("$epid")
	if [ $QUIET = 0 ]; then
		tail -n +1 -s 0.2 -f --pid="$epid" "$CONSOLE" &
		tpid=$!
		PIDS+=("$tpid")
	fi
	while kill -0 "$epid" 2>/dev/null; do
		sleep 0.2
		[ -n "$t_init" ] || ! grep -qa AXVCPU-INIT-START "$CONSOLE" || t_init=$(since "$t0")
		[ -n "$t_done" ] || ! grep -qa AXVCPU-INIT-DONE "$CONSOLE" || t_done=$(since "$t0")
		# Bochs reboots after a panic (panic=-1) and may boot again until
		# the timeout: stop it once the panic trace had time to print.
		if [ -z "$panic_at" ] && grep -qa 'Kernel panic - not syncing' "$CONSOLE"; then
			panic_at=$(now)
		elif [ -n "$panic_at" ] && [ "$(since "$panic_at" | cut -d. -f1)" -ge 2 ]; then
			kill "$epid" 2>/dev/null || true
		fi
	done
	wait "$epid" || rc=$?
	if [ "$tpid" != 0 ]; then
		wait "$tpid" 2>/dev/null || true
	fi
	log "$ARCH $SERIES ($KREL) cpus=$CPUS: /init at ${t_init:--} s, done at ${t_done:--} s, emulator exit at $(since "$t0") s (rc=$rc)"
	local done_line grc
	done_line=$(grep -a 'AXVCPU-INIT-DONE rc=' "$CONSOLE" | tail -1 | tr -d '\r' || true)
	grc=$(sed -n 's/.*AXVCPU-INIT-DONE rc=\([0-9]*\).*/\1/p' <<<"$done_line")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		log "TIMEOUT after $TIMEOUT s (console: $CONSOLE)"
		return 124
	fi
	if [ -n "$panic_at" ] || grep -qa 'Kernel panic - not syncing' "$CONSOLE"; then
		log "guest kernel PANIC (console: $CONSOLE)"
		return 125
	fi
	local clean=0
	if [ "$EMU" = bochs ]; then
		# Bochs reports the guest's ACPI S5 as a "panic" and exits 1
		[ "$rc" = 1 ] && grep -qa 'ACPI control: soft power off' "$W/emulator.log" && clean=1
	else
		[ "$rc" = 0 ] && clean=1
	fi
	if [ $clean = 0 ] || [ -z "$grc" ]; then
		log "guest did not finish cleanly (emulator rc=$rc, done marker: ${done_line:-missing});" \
			"console: $CONSOLE, emulator log: $W/emulator.log"
		return 125
	fi
	return "$grc"
}

main() {	# runs in with_lock's subshell: the traps must be set here
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	mkdir -p "$W"
	prepare || return $?
	run_emulator
}

# In the background so that a signal to boot.sh reaches the worker at once.
with_lock "$LOCK" main &
WORKER=$!
trap 'kill -TERM $WORKER 2>/dev/null; wait $WORKER; exit 130' INT TERM HUP
rc=0
wait $WORKER || rc=$?
exit "$rc"
