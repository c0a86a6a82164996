#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-layers.sh DIR...: the files of a backend call each other in layers,
# never in a circle.  DIR holds a built backend's objects (vmx/*.o or
# arm64/*.o of a module build).  From each object's defined and undefined
# symbols (nm) it draws the graph "file A uses a function or variable of
# file B" and lets tsort(1) look for a cycle; with -v it prints the edges.
# Exit 0 when there is none, 1 (naming the cycle) when there is.
set -euo pipefail
verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
[ $# -gt 0 ] || { echo "usage: $0 [-v] DIR..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in "$@"; do
	for o in "$d"/*.o; do
		case $o in *.mod.o) continue ;; esac
		f=$(basename "$o" .o)
		nm "$o" | awk -v f="$f" '$2 ~ /^[TDBR]$/ { print $3, f }' >>"$tmp/defs"
		nm -u "$o" | awk -v f="$f" '{ print f, $2 }' >>"$tmp/uses"
	done
done
# edges "user definer", each once, without self-edges
awk 'NR == FNR { def[$1] = $2; next }
     ($2 in def) && def[$2] != $1 { print $1, def[$2] }' \
	"$tmp/defs" "$tmp/uses" | sort -u >"$tmp/edges"
[ $verbose = 1 ] && sed 's/^/uses: /' "$tmp/edges"
# tsort wants "before after"; a cycle makes it complain on stderr
if ! awk '{ print $2, $1 }' "$tmp/edges" | tsort >/dev/null 2>"$tmp/err" ||
   grep -q loop "$tmp/err"; then
	echo "check-layers: call or data cycle between files:" >&2
	grep -v '^tsort: -:' "$tmp/err" | sed 's/^tsort: /  /' >&2 || true
	exit 1
fi
echo "check-layers: no cycle among $(cut -d' ' -f1 "$tmp/edges" | sort -u | wc -l) files ($(wc -l <"$tmp/edges") edges)"
