#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-bochs.sh: make bench's stand-in for bochs-bin (bench.sh links it as
# build/bench/bin/bochs-bin and puts that first on boot.sh's PATH; make check
# and boot.sh itself never see it).  It runs the real bochs-bin with
#
#   - the bochsrc boot.sh wrote plus "magic_break: enabled=1", so the guest's
#     xchg %bx,%bx (selftests/bench/axbench.c, 'axbench trace') stops in
#     Bochs' built-in debugger;
#   - a debugger script answering the breaks in turn: the first of each pair
#     with "trace on" + "c", the second with "trace off" + "c" (Bochs then
#     prints every instruction of the window, one line each);
#
# and streams Bochs' output through bench-trace.awk, which counts the
# instruction classes of each window into $AXVCPU_BENCH_COUNTS and passes
# every other line on (boot.sh's emulator.log still sees the power-off).
# The trace itself is never written to disk.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
bindir=$(cd "$(dirname "$0")" && pwd)
real=
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[ "$(cd "$d" 2>/dev/null && pwd)" = "$bindir" ] && continue
	if [ -x "$d/bochs-bin" ]; then
		real=$d/bochs-bin
		break
	fi
done
[ -n "$real" ] || { echo "bench-bochs.sh: no bochs-bin on PATH" >&2; exit 2; }
: "${AXVCPU_BENCH_COUNTS:?bench-bochs.sh: AXVCPU_BENCH_COUNTS not set}"
windows=${AXVCPU_BENCH_WINDOWS:-64}

args=()
while [ $# -gt 0 ]; do
	case "$1" in
	-f)
		cp "$2" "$2.trace"
		echo 'magic_break: enabled=1' >>"$2.trace"
		args+=(-f "$2.trace")
		shift
		;;
	-rc)
		{
			echo c
			for ((i = 0; i < windows; i++)); do
				printf 'trace on\nc\ntrace off\nc\n'
			done
		} >"$2.trace"
		args+=(-rc "$2.trace")
		shift
		;;
	*) args+=("$1") ;;
	esac
	shift
done
: >"$AXVCPU_BENCH_COUNTS"
set +e
"$real" "${args[@]}" 2>&1 | awk -v out="$AXVCPU_BENCH_COUNTS" -f "$here/bench-trace.awk"
rc=${PIPESTATUS[0]}
exit "$rc"
