# SPDX-License-Identifier: GPL-2.0
#
# tapcount.awk - count TAP results in a console log or a unit-test log.
#   awk -v start=MARKER -f tapcount.awk LOG
# Only lines after the first line containing MARKER count (all lines when
# start is empty).  Counts every "ok N ..." / "not ok N ..." line (kselftest
# and kselftest_harness streams; '# SKIP' counts as passed, reported as
# skipped), and a test binary that exits non-zero (not 4 = KSFT_SKIP)
# without printing any "not ok" line, as announced by run_all.sh:
#   # selftests: axvcpu: NAME            ... # selftests: axvcpu: NAME exit=RC
# Kernel trouble (oops, BUG, WARNING, panic, call trace) is one failure;
# a Call Trace under "NMI backtrace for cpu N" alone is not trouble.
# Output: "pass fail skip kern" on the first line (kern: 1 if kernel trouble
# was counted), then the lines to show
# the user, each prefixed with "FAIL: " or "SKIP: ".
BEGIN { on = (start == ""); pass = fail = skip = 0; kern = 0 }
{ sub(/\r$/, "") }
!on { if (index($0, start)) on = 1; next }
/^[ \t]*not ok [0-9]+/ { fail++; blockfail++; msg[++n] = "FAIL: " $0; next }
/^[ \t]*ok [0-9]+/ {
	pass++
	if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) { skip++; msg[++n] = "SKIP: " $0 }
	next
}
/^# selftests: axvcpu: [^ ]+ exit=[0-9]+$/ {
	rc = $0; sub(/.*exit=/, "", rc)
	if (rc != 0 && rc != 4 && !blockfail) {
		fail++
		msg[++n] = "FAIL: " $4 " exited with status " rc " without a 'not ok' line (crashed?)"
	}
	next
}
/^# selftests: axvcpu: [^ ]+$/ { blockfail = 0; next }
/^[ \t]*#/ { next }
# An "NMI backtrace for cpu N" (sysrq l, trigger_all_cpu_backtrace) is a
# requested dump: the Call Trace lines under it are not trouble by
# themselves.  What makes the kernel dump them unasked (hard LOCKUP, RCU
# stall, soft lockup) is, and ends the exemption, as does any other headline.
/NMI backtrace for cpu [0-9]+/ { nmibt = 1; next }
nmibt && /Call [Tt]race:/ { next }
/BUG:|WARNING:|Oops|Call [Tt]race:|Kernel panic|Unable to handle kernel|general protection fault|UBSAN:|KASAN:|rcu: INFO|blocked for more than|soft lockup|hard LOCKUP/ {
	nmibt = 0
	if (!kern) { fail++; kern = 1 }
	if (kern++ <= 40) msg[++n] = "FAIL: kernel: " $0
}
END {
	print pass, fail, skip, (kern ? 1 : 0)
	for (i = 1; i <= n; i++) print msg[i]
}
