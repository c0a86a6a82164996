#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-static.sh - static checks of the module, as TAP lines (make check
# counts them like the others; any warning fails its line and is printed
# under it as "# " lines).
#
#   check-static.sh <x86_64|arm64> <SERIES> [N]    2 lines, for one kernel:
#     ok N static: kernel-doc <arch> <series>    scripts/kernel-doc -none over
#        the core, include/ (uapi, trace too) and the arch's backend: 0
#        warnings
#     ok N+1 static: sparse <arch> <series>      make C=2 (sparse over every
#        source; build-module.sh with AXVCPU_KBUILD_ARGS, log sparse.log)
#   check-static.sh --once [N]                     2 lines, for the tree:
#     ok N static: no source-document citations  no "the seeds", inventory
#        or behaviour IDs (AX-29, X86-11, ARM-..) in the module; no "the
#        seeds" in selftests/ and tools/axvm
#     ok N+1 static: uapi names in axvcpu.rst    every #define, struct, enum
#        and enum constant of include/uapi/axvcpu.h is in
#        Documentation/axvcpu.rst
#   check-static.sh                                --once, then every (arch,
#                                                  kernel) of kernels.conf
#
# kernel-doc is the 6.1 kernel's script (build/ksrc, fetch-ksrc.sh; the
# headers packages do not carry it) on the host's perl.  sparse is the
# build environment's (buildenv.sh installs it).  A kernel whose headers
# sparse cannot parse (7.x uses __typeof_unqual__, which Debian's sparse
# 0.6.4 lacks: kbuild's own checker-valid.sh test turns C=2 off there)
# gets "ok N ... # SKIP" with the reason; a newer sparse checks it.
# The module must be built for the kernel first (make module); the sparse
# pass rebuilds nothing but the link.
# Exit status: 0 all ok, 1 a line failed, 2 set-up failed.
set -euo pipefail
RIG=check-static
. "$(dirname "$0")/lib.sh"

KSRC=$BUILD/ksrc
FAIL=0

# emit OK|FAIL N NAME [warning lines on stdin]
emit() {
	local res=$1 n=$2 name=$3 w
	w=$(cat)
	if [ "$res" = OK ]; then
		echo "ok $n static: $name"
	else
		echo "not ok $n static: $name"
		FAIL=1
	fi
	[ -z "$w" ] || sed 's/^/# /' <<<"$w"
}

kdoc_files() {	# the module's sources and headers for ARCH
	local dir
	dir=$([ "$1" = x86_64 ] && echo vmx || echo arm64)
	cd "$TOP" && { ls vcpu_*.c; find include "$dir" -name '*.[ch]' | sort; }
}

kernel_doc() {	# kernel_doc ARCH SERIES N
	local out files
	"$TESTING/fetch-ksrc.sh" "$KSRC" >&2 || { echo "fetch-ksrc.sh failed" | emit FAIL "$3" "kernel-doc $1 $2"; return; }
	mapfile -t files < <(kdoc_files "$1")
	out=$(cd "$TOP" && perl "$KSRC/scripts/kernel-doc" -none "${files[@]}" 2>&1) || true
	if [ -z "$out" ]; then
		emit OK "$3" "kernel-doc $1 $2 (0 warnings, ${#files[@]} files)" </dev/null
	else
		emit FAIL "$3" "kernel-doc $1 $2: $(grep -c . <<<"$out") warning(s)" <<<"$out"
	fi
}

# Can this build environment's sparse parse the kernel's headers?  7.x
# headers need __typeof_unqual__ under __CHECKER__; kbuild tests that with
# scripts/checker-valid.sh, which Debian's headers packages lack (so the
# test fails there for any sparse).  Prints the kbuild variables to add,
# or fails with the reason.
sparse_args() {
	local mk probe out
	mk=$(benv_root "$KRELEASE")$(awk '/^include / { print $2; exit }' "$KDIR/Makefile")
	[ -f "$mk" ] || mk=$KDIR/Makefile
	grep -q 'checker-valid' "$mk" || { echo "C=2"; return 0; }
	probe=/tmp/axvcpu-sparse-probe.c
	printf 'static int f(const int *p)\n{\n\t__typeof_unqual__(*p) v = *p;\n\n\treturn ++v;\n}\n' \
		>"$(benv_root "$KRELEASE")$probe"
	out=$(benv_run "$KRELEASE" sparse "$probe" 2>&1 || true)
	if grep -q error <<<"$out"; then
		# An older sparse (Debian's 0.6.4): __typeof_unqual__ read as
		# __typeof__, which differs only in keeping qualifiers; what it
		# still cannot parse is filtered by sparse_header_limits().
		printf 'static int f(const int *p)\n{\n\t__typeof_unqual__(*p) v = *p;\n\n\treturn v;\n}\n' \
			>"$(benv_root "$KRELEASE")$probe"
		out=$(benv_run "$KRELEASE" sparse -D__typeof_unqual__=__typeof__ "$probe" 2>&1 || true)
		if grep -q error <<<"$out"; then
			echo "$(benv_run "$KRELEASE" sparse --version) cannot parse Linux $SERIES's headers (no __typeof_unqual__)"
			return 1
		fi
		echo "C=2 KBUILD_CHECKSRC=2 CF=-D__typeof_unqual__=__typeof__"
		return 0
	fi
	# the probe passed: force the check past the missing script
	echo "C=2 KBUILD_CHECKSRC=2"
}

# With the __typeof_unqual__ stand-in only: sparse 0.6.4 cannot fold the
# __builtin_strlen() in the static_assert of 7.x's MODULE_INFO() (every
# module_param/MODULE_* line: "bad constant expression").  Those lines, and
# only those, are dropped from the warnings of stdin; the count goes to fd 3.
sparse_header_limits() {
	local f l rest n=0
	while IFS= read -r w; do
		IFS=: read -r f l _ rest <<<"$w"
		if [[ $rest == *"error: bad constant expression"* ]] &&
		   sed -n "${l}p" "$TOP/$f" 2>/dev/null | grep -qE '^(module_param|MODULE_[A-Z_]+)\('; then
			n=$((n + 1))
			continue
		fi
		echo "$w"
	done
	echo "$n" >&3
}

sparse_check() {	# sparse_check ARCH SERIES N
	local name="sparse $1 $2" args log w checked note=
	log=$BUILD/$1/$2${AXVCPU_BUILD_TAG:+-$AXVCPU_BUILD_TAG}/sparse.log
	if ! args=$(sparse_args); then
		echo "ok $3 static: $name # SKIP $args"
		return
	fi
	if ! AXVCPU_KBUILD_ARGS="$args" AXVCPU_BUILD_LOG=sparse.log \
		"$TESTING/build-module.sh" "$1" "$2" >/dev/null 2>&1; then
		emit FAIL "$3" "$name: the build failed (log: $log)" < <(grep -E 'error|warning' "$log" | head -20)
		return
	fi
	checked=$(grep -c '^  CHECK ' "$log" || true)
	w=$(grep -E ':[0-9]+:[0-9]+: (warning|error):|C=2 specified' "$log" || true)
	if [[ $args == *__typeof_unqual__* ]]; then
		# kbuild's own test of sparse fails there; KBUILD_CHECKSRC=2
		# runs it anyway, which the CHECK lines show
		w=$(grep -v 'C=2 specified' <<<"$w" | sparse_header_limits 3>"$log.skipped")
		note="; sparse $(benv_run "$KRELEASE" sparse --version) with __typeof_unqual__ read as __typeof__, $(cat "$log.skipped") MODULE_INFO static_asserts it cannot fold left out"
	fi
	if [ "$checked" = 0 ]; then
		emit FAIL "$3" "$name: sparse checked no file (log: $log)" <<<"$w"
	elif [ -n "$w" ]; then
		emit FAIL "$3" "$name: $(grep -c . <<<"$w") warning(s) (log: $log)" <<<"$w"
	else
		emit OK "$3" "$name (0 warnings, $checked files$note)" </dev/null
	fi
}

# The words that cite the source documents instead of the hardware.  IDs
# are case-sensitive (x86-64 is the architecture; X86-64 is skipped too).
CITE_WORDS='\bseeds?\b|inventory'
CITE_IDS='\b(AX|X86|ARM|ARM64|VMM)-Q?[0-9]+\b'
citations() {	# citations N
	local hits
	hits=$(cd "$TOP" && {
		grep -rnEiI "$CITE_WORDS" vcpu_*.c include vmx arm64 Kbuild || true
		grep -rnEI "$CITE_IDS" vcpu_*.c include vmx arm64 Kbuild | grep -v 'X86-64' || true
		grep -rnEiI "\bthe seeds\b|\bseeds'" selftests tools/axvm || true
	})
	if [ -z "$hits" ]; then
		emit OK "$1" "no source-document citations in the module" </dev/null
	else
		emit FAIL "$1" "source-document citations: $(grep -c . <<<"$hits") (cite the SDM / Arm ARM instead)" <<<"$hits"
	fi
}

uapi_names() {	# uapi_names N
	local hdr=$TOP/include/uapi/axvcpu.h rst=$TOP/Documentation/axvcpu.rst miss n all
	all=$(awk '
		/^#define[ \t]+[A-Za-z_]/ { n = $2; sub(/\(.*/, "", n); if (n !~ /^_UAPI_/) print n }
		/^(struct|enum|union)[ \t]+[A-Za-z_0-9]+[ \t]*\{/ { print $2; inenum = $1 == "enum"; next }
		inenum && /^\}/ { inenum = 0 }
		inenum && /^[ \t]+[A-Z_][A-Z_0-9]*/ { n = $1; sub(/[,=].*/, "", n); print n }
	' "$hdr" | sort -u)
	miss=$(while read -r n; do grep -qw -- "$n" "$rst" || echo "$n"; done <<<"$all")
	if [ -z "$miss" ]; then
		emit OK "$1" "uapi names in axvcpu.rst ($(grep -c . <<<"$all") names)" </dev/null
	else
		emit FAIL "$1" "uapi names missing in Documentation/axvcpu.rst: $(tr '\n' ' ' <<<"$miss")" </dev/null
	fi
}

one_kernel() {	# one_kernel ARCH SERIES N
	ARCH=$(norm_arch "$1")
	SERIES=$2
	kernel_conf "$SERIES" >/dev/null
	[ -f "$KCACHE/$ARCH/$SERIES.env" ] || "$TESTING/fetch-kernels.sh" "$ARCH" --kernel "$SERIES" >&2 || exit 2
	# shellcheck disable=SC1090
	. "$KCACHE/$ARCH/$SERIES.env"
	kernel_doc "$ARCH" "$SERIES" "$3"
	sparse_check "$ARCH" "$SERIES" $(($3 + 1))
}

case "${1:-}" in
--once)
	citations "${2:-1}"
	uapi_names $((${2:-1} + 1))
	;;
"")
	n=1
	citations $n
	uapi_names $((n + 1))
	n=$((n + 2))
	for a in x86_64 arm64; do
		for k in $(kernel_series); do
			one_kernel "$a" "$k" $n
			n=$((n + 2))
		done
	done
	;;
*)
	one_kernel "$1" "${2:?usage: check-static.sh [--once [N] | <arch> <series> [N]]}" "${3:-1}"
	;;
esac
exit $FAIL
