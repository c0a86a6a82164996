#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0
#
# bench-trace-report.awk CONSOLE COUNTS: the x86 instruction counts per exit
# and a weighted cost, from a make bench boot with the Bochs trace
# (bench-bochs.sh, bench-trace.awk).  CONSOLE has the guest's
# "# axbench: trace window SIDE METRIC EXITS" lines, in window order; COUNTS
# the "window K class=count ..." and "segs K ..." lines.  Each (side, metric)
# has a window of N and one of 2N exits.  A class's count per exit is its mean
# over the exits of both windows (an exit: the instructions from one VM entry
# to the next), leaving out those whose length is more than 2 % off the
# median: an exit with a timer interrupt in it, or the first RUN's EPT-fault
# exits.  The slope (count(2N) - count(N)) / N of the whole windows, which
# keeps the interrupts, is printed as a cross-check.  Prints, per metric,
#
#   bench: x86_64 <metric>_<class> axvcpu=<per exit> kvm=<per exit> ratio=<r|->
#   bench: x86_64 <metric>_weighted axvcpu=<cycles> kvm=<cycles> ratio=<r>
#
# ratio is '-' where kvm is 0.  POSIX awk (mawk).
#
# The weighted cost (cycles per exit, a Skylake-class core, mitigations off)
# is a throughput sum: the VM exit + VM entry round trip once per vmentry,
# each class below times its cost, every other instruction 0.6 cycles.
# Sources and how sure each is: Documentation/testing.rst, "Benchmarks".

BEGIN {
	# cycles per instruction
	cost["vmentry"] = 600		# VM exit + VMRESUME, with the exiting guest instruction
	cost["vmx_op"] = 200		# VMXON, VMXOFF, VMPTRLD, VMPTRST, VMCLEAR
	cost["wrmsr"] = 125
	cost["rdmsr"] = 60
	cost["vmread"] = 12
	cost["vmwrite"] = 12
	cost["desc_load"] = 50		# LGDT, LIDT, LTR, LLDT
	cost["mov_to_cr"] = 50
	cost["xsave_xrstor"] = 100
	cost["cpuid"] = 150		# host CPUID in VMX root operation
	cost["invept_invvpid"] = 200
	cost["tlb_flush"] = 100
	cost["syscall_sysret"] = 40
	cost["swapgs"] = 10
	cost["rdtsc"] = 25
	cost["locked"] = 18
	cost["cli_sti"] = 4
	cost["desc_store"] = 10
	cost["fsgsbase"] = 10
	cost["verw"] = 0		# mitigations=off: no buffer clearing
	cost["mov_sreg"] = 10
	plain = 0.6
	# printed, in this order (the brief's expensive classes first)
	nshow = split("wrmsr rdmsr vmread vmwrite vmx_op desc_load mov_to_cr xsave_xrstor cpuid invept_invvpid vmentry tlb_flush syscall_sysret swapgs rdtsc locked cli_sti desc_store fsgsbase mov_sreg all guest host_kernel host_user", show, " ")
	nlab = 0
	nmet = 0
}

FNR == NR {
	sub(/\r$/, "")
	if ($0 ~ /^# axbench: trace window /) {
		nlab++
		lside[nlab] = $5
		lmet[nlab] = $6
		lexits[nlab] = $7
	}
	next
}

$1 == "segs" {
	k = $2
	if (k > nlab)
		next
	key = lside[k] SUBSEP lmet[k]
	split($3, pr, "=")
	stot[key] += pr[2]
	split($4, pr, "=")
	kept = pr[2]
	skept[key] += kept
	for (i = 5; i <= NF; i++) {
		split($i, pr, "=")
		sc[key, pr[1]] += pr[2] * kept
	}
	next
}

$1 == "window" {
	k = $2
	if (k > nlab) {
		printf "# trace: window %d has no label (more breaks than axbench windows?)\n", k
		next
	}
	if ($0 ~ / incomplete=1/) {
		printf "# trace: window %d (%s %s %d) incomplete\n", k, lside[k], lmet[k], lexits[k]
		next
	}
	key = lside[k] SUBSEP lmet[k]
	if (!(lmet[k] in seenmet)) {
		seenmet[lmet[k]] = 1
		met[++nmet] = lmet[k]
	}
	# first window of the pair is N, the second 2N
	slot = (key in n1) ? 2 : 1
	if (slot == 1)
		n1[key] = lexits[k]
	else
		n2[key] = lexits[k]
	for (i = 3; i <= NF; i++) {
		split($i, pr, "=")
		c[key, slot, pr[1]] = pr[2]
		cls[pr[1]] = 1
	}
	has[key, slot] = 1
}

# per exit: the mean over the kept segments (VM entry to VM entry) of both windows
function per_exit(key, cl) {
	if (!(key in skept) || skept[key] == 0)
		return slope(key, cl)
	return ((key, cl) in sc) ? sc[key, cl] / skept[key] : 0
}

function slope(key, cl,    a, b) {
	a = ((key, 1, cl) in c) ? c[key, 1, cl] : 0
	b = ((key, 2, cl) in c) ? c[key, 2, cl] : 0
	return (b - a) / (n2[key] - n1[key])
}

function weighted(key,    cl, w, sp) {
	w = 0
	sp = 0
	for (cl in cost) {
		w += per_exit(key, cl) * cost[cl]
		sp += per_exit(key, cl)
	}
	# the exiting guest instruction is part of the round trip
	return w + (per_exit(key, "all") - sp - per_exit(key, "vmentry")) * plain
}

function ok(key) {
	return ((key, 1) in has) && ((key, 2) in has) && n2[key] > n1[key]
}

END {
	if (nlab == 0) {
		print "# trace: no trace windows in the console (AXVCPU_BENCH_TRACE unset, or axbench failed)"
		exit
	}
	for (m = 1; m <= nmet; m++) {
		ka = "axvcpu" SUBSEP met[m]
		kk = "kvm" SUBSEP met[m]
		if (!ok(ka))
			continue
		printf "# trace: %s: windows of %d and %d exits; per exit = mean over the exits (VM entry to VM entry) within 2 %% of the median length: axvcpu %d of %d, kvm %s\n",
		       met[m], n1[ka], n2[ka], skept[ka], stot[ka],
		       ok(kk) ? sprintf("%d of %d", skept[kk], stot[kk]) : "-"
		printf "# trace: %s: slope (count(%d) - count(%d)) / %d, timer interrupts included: all axvcpu %.1f kvm %s; Bochs ticks axvcpu %.1f kvm %s\n",
		       met[m], n2[ka], n1[ka], n2[ka] - n1[ka], slope(ka, "all"),
		       ok(kk) ? sprintf("%.1f", slope(kk, "all")) : "-", slope(ka, "ticks"),
		       ok(kk) ? sprintf("%.1f", slope(kk, "ticks")) : "-"
		for (s = 1; s <= nshow; s++) {
			cl = show[s]
			av = per_exit(ka, cl)
			if (ok(kk)) {
				kv = per_exit(kk, cl)
				r = kv > 0.005 ? sprintf("%.2f", av / kv) : "-"
				printf "bench: x86_64 %s_%s axvcpu=%.2f kvm=%.2f ratio=%s\n", met[m], cl, av, kv, r
			} else {
				printf "bench: x86_64 %s_%s axvcpu=%.2f kvm=- ratio=-\n", met[m], cl, av
			}
		}
		if (ok(kk))
			printf "bench: x86_64 %s_weighted axvcpu=%.0f kvm=%.0f ratio=%.2f\n", met[m],
			       weighted(ka), weighted(kk), weighted(ka) / weighted(kk)
		else
			printf "bench: x86_64 %s_weighted axvcpu=%.0f kvm=- ratio=-\n", met[m], weighted(ka)
	}
}
