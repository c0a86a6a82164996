#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0
#
# bench-trace.awk -v out=FILE: reads Bochs' output (bench-bochs.sh pipes it
# here), counts the instructions of every trace window and appends one line
# per window to FILE:
#
#   window <k> <class>=<count> ...
#
# Window k runs from the (2k-1)-th "Magic breakpoint" to the 2k-th (the
# debugger turns tracing on at the first and off at the second).  Lines that
# are not traced instructions are printed unchanged.  POSIX awk (mawk).
#
# A traced line:
#   (0).[300000002] [0x00000114c21c] 0010:ffffffff8114c21c (unk. ctxt): call .-209 ... ; e82fffffff
# Where it ran, from the CS:IP column: 16-bit offsets (the real-mode
# benchmark guest, in VMX non-root operation) are "guest", 64-bit kernel
# addresses "host_kernel", other 64-bit ones "host_user".
#
# Classes (Intel mnemonics as Bochs disassembles them):
#   wrmsr rdmsr vmread vmwrite cpuid (host only; the guest's is in guest)
#   vmentry (VMLAUNCH, VMRESUME)  vmx_op (VMXON, VMXOFF, VMPTRLD, VMPTRST,
#   VMCLEAR)  desc_load (LGDT, LIDT, LTR, LLDT)
#   mov_to_cr  xsave_xrstor (XSAVE*, XRSTOR*, FXSAVE, FXRSTOR)
#   invept_invvpid  tlb_flush (INVLPG, INVPCID)  syscall_sysret  swapgs
#   rdtsc (RDTSC, RDTSCP)  locked (LOCK prefix)  cli_sti
#   desc_store (SGDT, SIDT, SLDT, STR)  fsgsbase (RD/WR FS/GS BASE)
#   verw  mov_sreg (MOV to a segment register)
#   and the totals all, guest, host_kernel, host_user; ticks is the Bochs
#   tick count from the window's first traced instruction to its last.

# The instructions from one VM entry to the next are one exit's cost (a
# segment).  At the end of a window: the median segment length, and the mean
# count of each class over the segments within 2 % of it, so that a segment
# with a timer interrupt (or an EPT fault exit) in it does not count:
#
#   segs <k> total=<segments> kept=<kept> <class>=<mean> ...
function segs(    i, j, n, v, med, tol, kept, c, sum, s) {
	n = nseg
	for (i = 1; i <= n; i++)
		srt[i] = sall[i]
	for (i = 2; i <= n; i++) {
		v = srt[i]
		for (j = i - 1; j >= 1 && srt[j] > v; j--)
			srt[j + 1] = srt[j]
		srt[j + 1] = v
	}
	if (n == 0)
		return
	med = n % 2 ? srt[(n + 1) / 2] : (srt[n / 2] + srt[n / 2 + 1]) / 2
	tol = med * 0.02
	kept = 0
	for (c in scls)
		sum[c] = 0
	for (i = 1; i <= n; i++) {
		if (sall[i] < med - tol || sall[i] > med + tol)
			continue
		kept++
		for (c in scls)
			if ((i, c) in scnt)
				sum[c] += scnt[i, c]
	}
	s = "segs " nwin " total=" n " kept=" kept
	for (c in scls)
		s = s " " c "=" (kept ? sum[c] / kept : 0)
	print s >> out
	fflush(out)
}

function seg_reset(    k) {
	for (k in scnt)
		delete scnt[k]
	for (k in scls)
		delete scls[k]
	for (k in sall)
		delete sall[k]
	for (k in cur)
		delete cur[k]
	nseg = 0
	inseg = 0
}

function flush(    s, c) {
	s = "window " nwin
	for (c in cnt)
		s = s " " c "=" cnt[c]
	if (!closed)
		s = s " incomplete=1"
	print s >> out
	fflush(out)
	for (c in cnt)
		delete cnt[c]
	segs()
	seg_reset()
}

BEGIN { breaks = 0; inwin = 0; nwin = 0; nseg = 0; inseg = 0 }

/Magic breakpoint/ {
	breaks++
	if (breaks % 2 == 1) {
		nwin++
		inwin = 1
		closed = 0
		cnt["all"] = 0
	} else if (inwin) {
		closed = 1
		flush()
		inwin = 0
	}
	print
	next
}

/^\([0-9]+\)\.\[[0-9]+\] / {
	if (!inwin)
		next
	# CS:IP is the third field
	split($3, cs, ":")
	if (length(cs[2]) <= 8)
		where = "guest"
	else if (substr(cs[2], 1, 4) == "ffff")
		where = "host_kernel"
	else
		where = "host_user"
	t = substr($1, index($1, "[") + 1)
	t = substr(t, 1, index(t, "]") - 1) + 0
	if (cnt["all"] == 0)
		t0 = t
	cnt["ticks"] = t - t0 + 1
	cnt["all"]++
	cnt[where]++
	p = index($0, "): ")
	ins = substr($0, p + 3)
	q = index(ins, " ; ")
	if (q)
		ins = substr(ins, 1, q - 1)
	n = split(ins, w, " ")
	m = w[1]
	i = 1
	lk = 0
	while (m == "lock" || m == "rep" || m == "repe" || m == "repne" || m == "repz" ||
	       m == "repnz" || m == "data16" || m == "data32" || m == "addr32" ||
	       m == "bnd" || m == "notrack") {
		if (m == "lock") {
			cnt["locked"]++
			lk = 1
		}
		i++
		m = w[i]
	}
	op = w[i + 1]
	c = ""
	if (m == "wrmsr" || m == "rdmsr" || m == "vmread" || m == "vmwrite" || m == "verw")
		c = m
	else if (m == "vmlaunch" || m == "vmresume")
		c = "vmentry"
	else if (m == "vmxon" || m == "vmxoff" || m == "vmptrld" || m == "vmptrst" ||
		 m == "vmclear")
		c = "vmx_op"
	else if (m == "cpuid")
		c = where == "guest" ? "" : "cpuid"
	else if (m == "lgdt" || m == "lidt" || m == "ltr" || m == "lldt")
		c = "desc_load"
	else if (m == "sgdt" || m == "sidt" || m == "sldt" || m == "str")
		c = "desc_store"
	else if (m ~ /^(xsave|xrstor|fxsave|fxrstor)/)
		c = "xsave_xrstor"
	else if (m == "invept" || m == "invvpid")
		c = "invept_invvpid"
	else if (m == "invlpg" || m == "invpcid")
		c = "tlb_flush"
	else if (m ~ /^(syscall|sysret)/)
		c = "syscall_sysret"
	else if (m == "swapgs")
		c = "swapgs"
	else if (m == "rdtsc" || m == "rdtscp")
		c = "rdtsc"
	else if (m == "cli" || m == "sti")
		c = "cli_sti"
	else if (m ~ /^(rd|wr)(fs|gs)base/)
		c = "fsgsbase"
	else if (m == "mov" && op ~ /^cr[0-9]/)
		c = "mov_to_cr"
	else if (m == "mov" && op ~ /^(ds|es|fs|gs|ss),/)
		c = "mov_sreg"
	if (c != "" && where != "guest")
		cnt[c]++
	# the segment: this line belongs to it; a VM entry closes it
	cur["all"]++
	cur[where]++
	if (c != "" && where != "guest")
		cur[c]++
	if (lk)
		cur["locked"]++
	if (c == "vmentry") {
		if (inseg) {
			nseg++
			sall[nseg] = cur["all"]
			for (k in cur) {
				scnt[nseg, k] = cur[k]
				scls[k] = 1
			}
		}
		for (k in cur)
			delete cur[k]
		inseg = 1
	}
	next
}

{ print }

END {
	if (inwin)
		flush()
}
