#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-axvm-deps.sh [-v] [N] [DIR...]: no two files of axvm use each
# other, but vm.c and cpu.c (the VM starts, kicks and joins its vcpu
# threads; a vcpu stops the VM or starts another vcpu).  DIR is a tools
# build (build/<arch>/tools, make tools ARCH=<arch>); default: those of
# x86_64 and arm64 that are built.  From the defined and undefined symbols
# (nm) of the objects under DIR/obj/axvm (those whose tools/axvm source
# still exists) it draws the graph "file A uses a function or variable of
# file B" and fails on a pair of files with an edge each way.  A use of an
# arch__*() hook is no edge: axvm.h declares the hooks for the generic
# code, x86/ and aarch64/ implement them (and call the generic code).
# With -v it prints the edges and their symbols.  One TAP line, number N
# (default 1):
#   ok N axvm: no files use each other but vm and cpu (F files, E edges; ARCHES)
#   not ok N axvm: files use each other (ARCH): A<->B (A: syms; B: syms) ...
# Exit 0 on ok, 1 on such a pair, 2 when there is nothing to check.
set -euo pipefail
verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
n=1
case ${1:-} in [0-9]*) n=$1; shift ;; esac
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/tools/axvm
if [ $# = 0 ]; then
	for a in x86_64 arm64; do
		[ -d "$top/build/$a/tools/obj/axvm" ] && set -- "$@" "$top/build/$a/tools"
	done
fi
name="axvm: no files use each other but vm and cpu"
[ $# -gt 0 ] || { echo "not ok $n $name: no tools build (make tools ARCH=...)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=0 edges=0 arches=
for d in "$@"; do
	arch=$(basename "$(dirname "$d")")
	obj=$d/obj/axvm
	NM="nm"
	if [ "$arch" = arm64 ] && command -v aarch64-linux-gnu-nm >/dev/null; then
		NM=aarch64-linux-gnu-nm
	fi
	: >"$tmp/defs"
	: >"$tmp/uses"
	while read -r o; do
		f=${o#"$obj"/}
		f=${f%.o}		# x86/devices.o -> x86/devices
		[ -f "$src/$f.c" ] || continue	# left from a file since removed
		$NM "$o" | awk -v f="$f" '$2 ~ /^[TDBRCVW]$/ { print $3, f }' >>"$tmp/defs"
		$NM -u "$o" | awk -v f="$f" '{ print f, $2 }' >>"$tmp/uses"
	done < <(find "$obj" -name '*.o' 2>/dev/null | sort)
	[ -s "$tmp/defs" ] || { echo "not ok $n $name: no objects in $obj"; exit 2; }
	# "user definer symbol", without self-uses and arch__ hooks
	awk 'NR == FNR { def[$1] = $2; next }
	     ($2 in def) && def[$2] != $1 && $2 !~ /^arch__/ { print $1, def[$2], $2 }' \
		"$tmp/defs" "$tmp/uses" | sort -u >"$tmp/syms"
	# one line per edge: "user definer sym,sym,..."
	awk '{ k = $1 " " $2; if (k in s) s[k] = s[k] "," $3; else s[k] = $3 }
	     END { for (k in s) print k, s[k] }' "$tmp/syms" | sort >"$tmp/edges"
	[ $verbose = 1 ] && sed "s/^\([^ ]*\) \([^ ]*\) /# $arch: \1 -> \2: /" "$tmp/edges"
	pairs=$(awk '{ e[$1 " " $2] = $3 }
		END {
			for (k in e) {
				split(k, p, " ")
				if (p[1] < p[2] && ((p[2] " " p[1]) in e) &&
				    !(p[1] == "cpu" && p[2] == "vm"))
					printf "%s<->%s (%s: %s; %s: %s) ", p[1], p[2],
						p[1], e[k], p[2], e[p[2] " " p[1]]
			}
		}' "$tmp/edges")
	if [ -n "$pairs" ]; then
		echo "not ok $n axvm: files use each other ($arch): ${pairs% }"
		exit 1
	fi
	files=$((files + $(cut -d' ' -f2 "$tmp/defs" | sort -u | wc -l)))
	edges=$((edges + $(wc -l <"$tmp/edges")))
	arches="${arches:+$arches, }$arch"
done
echo "ok $n $name ($files files, $edges edges; $arches)"
