#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-imports.sh <x86_64|arm64> <SERIES> [N] - one TAP line: does axvcpu,
# as built for that kernel (build-module.sh), import a symbol that the
# kernel exports only to a `module:` namespace (EXPORT_SYMBOL_FOR_MODULES,
# e.g. EXPORT_SYMBOL_FOR_KVM: importing the namespace is refused at load
# time)?  It reads the undefined symbols of the linked object axvcpu.o
# (there even when modpost fails) against the kernel's Module.symvers.
# Symbols the kernel does not export at all are listed too.  With
# AXVCPU_BUILD_TAG, the object of that tag's build (build-module.sh).
#   ok N axvcpu: imports on <KREL>: no module: namespace (K symbols)
#   not ok N axvcpu: imports on <KREL>: ... refused at load: SYM (module:NS), ...
# Exit status 0 on ok, 1 on not ok, 2 when there is nothing to check.
set -euo pipefail
RIG=check-imports
. "$(dirname "$0")/lib.sh"

ARCH=$(norm_arch "${1:?usage: check-imports.sh <arch> <series> [N]}")
SERIES=${2:?usage: check-imports.sh <arch> <series> [N]}
N=${3:-1}
# shellcheck disable=SC1090
. "$KCACHE/$ARCH/$SERIES.env"
OBJ=/axvcpu/$ARCH-$KREL${AXVCPU_BUILD_TAG:+-$AXVCPU_BUILD_TAG}/axvcpu.o
SYMVERS=$KDIR/Module.symvers
NAME="axvcpu: imports on $KREL"
[ -f "$SYMVERS" ] || { echo "not ok $N $NAME: $SYMVERS missing"; exit 2; }
[ -f "$(benv_root "$KRELEASE")$OBJ" ] ||
	{ echo "not ok $N $NAME: $OBJ not built (compile error)"; exit 2; }
NM=nm
[ "$ARCH" = arm64 ] && NM=aarch64-linux-gnu-nm
# Module.symvers: CRC <tab> symbol <tab> module <tab> export type <tab> namespace
benv_run "$KRELEASE" "$NM" -u "$OBJ" | awk '{ print $NF }' | sort -u |
	awk -F'\t' -v n="$N" -v name="$NAME" -v kv="$KREL" '
	FNR == NR { ns[$2] = $5; have[$2] = 1; next }
	{
		k++
		if ($1 == "__this_module") next
		if (!($1 in have)) { miss[++m] = $1; next }
		if (ns[$1] ~ /^module:/) bad[++b] = $1 " (" ns[$1] ")"
	}
	END {
		if (b) {
			l = bad[1]
			for (i = 2; i <= b; i++) l = l ", " bad[i]
			printf "not ok %d %s: %d symbol(s) exported only to a module: namespace, refused at load: %s\n", n, name, b, l
		} else
			printf "ok %d %s: no module: namespace (%d symbols)\n", n, name, k
		for (i = 1; i <= m; i++) printf "# axvcpu imports %s: not exported by %s\n", miss[i], kv
		exit b ? 1 : 0
	}' "$SYMVERS" -
