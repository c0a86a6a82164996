// SPDX-License-Identifier: GPL-2.0
/*
 * x86_host_protect - issue 11, the x86 items: what protects the host from
 * a guest and its VMM.  WBINVD/WBNOINVD are counted no-ops; VMCALL at CPL 3
 * is a #UD unless the VMM opts in; an injected #MC is still the guest's
 * (a real one cannot be raised in an emulator); an error code the entry
 * checks refuse is -EINVAL at INJECT and an event that fails the entry
 * does not fail the next RUN; MSR pass-through and CR4 bits are
 * allowlists; the speculation and PEBS steps run exactly as often as the
 * host's own mitigation state asks (x86_mitigations).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

#define SYSFS_MITIGATIONS "/sys/module/axvcpu/parameters/x86_mitigations"

GUEST_CODE(g_wbinvd);
extern const unsigned char g_wbinvd_ud[];
GUEST_CODE(g_user_vmcall);
extern const unsigned char g_user_vmcall_ud[];
GUEST_CODE(g_nmi_park);
extern const unsigned char g_nmi_park_h[];
GUEST_CODE(g_mc);
extern const unsigned char g_mc_h[];

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".code16\n"
    /* Two WBINVDs and a WBNOINVD (#UD counted at 0x8100 where unknown). */
    ".global g_wbinvd_start, g_wbinvd_end, g_wbinvd_ud\n"
    "g_wbinvd_start:\n"
    "	wbinvd\n"
    "	wbinvd\n"
    "	.byte 0xf3, 0x0f, 0x09\n"
    "	movw $0x600d, 0x8000\n"
    "	hlt\n"
    "g_wbinvd_ud:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	addw $3, 2(%bp)\n"
    "	incw 0x8100\n"
    "	pop %bp\n"
    "	iret\n"
    "g_wbinvd_end:\n"

    /* NMI handler that never IRETs: NMIs stay blocked in the guest. */
    ".global g_nmi_park_start, g_nmi_park_end, g_nmi_park_h\n"
    "g_nmi_park_start:\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_nmi_park_h:\n"
    "	incw 0x8000\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "g_nmi_park_end:\n"

    ".global g_mc_start, g_mc_end, g_mc_h\n"
    "g_mc_start:\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_mc_h:\n"
    "	movw $0x600d, 0x8000\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "g_mc_end:\n"

    /* 32-bit, entered at CPL 3: VMCALL; the #UD handler runs at CPL 0. */
    ".code32\n"
    ".global g_user_vmcall_start, g_user_vmcall_end, g_user_vmcall_ud\n"
    "g_user_vmcall_start:\n"
    "	mov $0x4242, %eax\n"
    "	vmcall\n"
    "	mov %eax, 0x8004\n"
    "1:	jmp 1b\n"
    "g_user_vmcall_ud:\n"
    "	movl $0x600d, 0x8000\n"
    "	mov (%esp), %eax\n"		/* the faulting EIP */
    "	mov %eax, 0x8008\n"
    "	mov 4(%esp), %eax\n"		/* its CS */
    "	mov %eax, 0x800c\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "g_user_vmcall_end:\n"
    ".code64\n"
    ".popsection\n");

static int inject(struct axvm_vcpu *v, __u32 vector, __u32 flags, __u32 err)
{
	struct axvcpu_interrupt irq = { .vector = vector, .flags = flags,
					.error_code = err };

	return ioctl(v->fd, AXVCPU_INJECT_INTERRUPT, &irq) ? -errno : 0;
}

TEST(wbinvd_is_a_counted_noop)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u16 uds;

	vm = vm_create_with_one_vcpu(&vcpu, g_wbinvd);
	x86_ivt_set(vm, 6, GUEST_SYM_GPA(g_wbinvd, g_wbinvd_ud));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(__u16 *)guest_ptr(vm, 0x8000), 0x600d);
	uds = *(__u16 *)guest_ptr(vm, 0x8100);
	TEST_ASSERT(uds <= 1, "%u #UDs", uds);
	/* Every one exited and was completed in the module. */
	TEST_ASSERT_EQ(vcpu->run->stats.builtin[AXVCPU_BUILTIN_WBINVD],
		       3 - uds);
	test_vm_free(vm);
}

/* 32-bit protected mode at CPL 3, the #UD gate and the TSS's ring-0 stack. */
static void enter_cpl3(struct test_vm *t)
{
	struct axvcpu_x86_sregs s;
	__u64 *gdt;

	x86_enter_prot_mode(t, GUEST_ENTRY);
	gdt = x86_gpa(t, X86_GDT_GPA);
	gdt[6] = 0x00cffb000000ffffULL;		/* 0x33: ring-3 code32 */
	gdt[7] = 0x00cff3000000ffffULL;		/* 0x3b: ring-3 data */
	*(__u32 *)x86_gpa(t, X86_TSS_GPA + 4) = 0x7000;	/* ESP0 */
	*(__u16 *)x86_gpa(t, X86_TSS_GPA + 8) = SEL_DATA;	/* SS0 */
	x86_idt32_set(t, 6, GUEST_SYM_GPA(g_user_vmcall, g_user_vmcall_ud));
	x86_get_sregs(&t->vcpu, &s);
	s.gdt.limit = 8 * 8 - 1;
	x86_seg(&s.cs, 0x33, 0xc0fb);
	x86_seg(&s.ss, 0x3b, 0xc0f3);
	x86_seg(&s.ds, 0x3b, 0xc0f3);
	x86_seg(&s.es, 0x3b, 0xc0f3);
	x86_seg(&s.fs, 0x3b, 0xc0f3);
	x86_seg(&s.gs, 0x3b, 0xc0f3);
	x86_set_sregs(&t->vcpu, &s);
}

TEST(vmcall_at_cpl3_is_ud)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_user_vmcall);
	enter_cpl3(vm);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0x600d);
	/* A fault: the frame has the VMCALL itself and the ring-3 CS. */
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8008), GUEST_ENTRY + 5);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x800c) & 0xffff, 0x33);
	TEST_ASSERT_EQ(vcpu->run->stats.exits[AXVCPU_EXIT_HYPERCALL], 0);
	test_vm_free(vm);
}

TEST(vmcall_at_cpl3_with_opt_in)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u32 on = 2;

	vm = vm_create_with_one_vcpu(&vcpu, g_user_vmcall);
	enter_cpl3(vm);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, AXVCPU_X86_SET_USER_HYPERCALL, &on), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	TEST_ASSERT_EQ(ioctl(vcpu->fd, AXVCPU_X86_SET_USER_HYPERCALL, 8), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
	on = 1;
	TEST_ASSERT_SYSCALL_OK(ioctl(vcpu->fd, AXVCPU_X86_SET_USER_HYPERCALL,
				     &on));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(vcpu->run->hypercall.nr, 0x4242);
	TEST_ASSERT_EQ(guest_rd32(vm, 0x8000), 0);
	test_vm_free(vm);
}

TEST(machine_check_injected_is_the_guests)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, g_mc);
	x86_ivt_set(vm, 18, GUEST_SYM_GPA(g_mc, g_mc_h));
	TEST_ASSERT_EQ(inject(vcpu, 18, AXVCPU_IRQ_EXCEPTION, 0), 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(__u16 *)guest_ptr(vm, 0x8000), 0x600d);
	TEST_ASSERT_EQ(vcpu->run->stats.builtin[AXVCPU_BUILTIN_MACHINE_CHECK],
		       0);
	test_vm_free(vm);
}

TEST(inject_error_code_bits_31_16_refused)
{
	static const __u32 bad[] = { 0x10000, 0x80000000, 0xffffabcd };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_mc);
	for (i = 0; i < 3; i++)
		TEST_ASSERT(inject(vcpu, 13, AXVCPU_IRQ_EXCEPTION |
				   AXVCPU_IRQ_ERROR_CODE, bad[i]) == -EINVAL,
			    "error code %#x accepted", bad[i]);
	TEST_ASSERT_EQ(inject(vcpu, 13, AXVCPU_IRQ_EXCEPTION |
			      AXVCPU_IRQ_ERROR_CODE, 0xffff), 0);
	test_vm_free(vm);
}

/*
 * A second NMI while the guest's first handler still blocks NMIs: with
 * virtual NMIs the entry checks refuse it (FAIL_ENTRY), where the CPU has
 * them.  Either way the RUN after that enters the guest again.
 */
TEST(failed_injection_does_not_stick)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_nmi_park);
	x86_ivt_set(vm, 2, GUEST_SYM_GPA(g_nmi_park, g_nmi_park_h));
	TEST_ASSERT_EQ(inject(vcpu, 2, AXVCPU_IRQ_EXCEPTION, 0), 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	TEST_ASSERT_EQ(*(__u16 *)guest_ptr(vm, 0x8000), 1);
	TEST_ASSERT_EQ(inject(vcpu, 2, AXVCPU_IRQ_EXCEPTION, 0), 0);
	vcpu_run(vcpu);
	if (vcpu->run->exit_reason == AXVCPU_EXIT_FAIL_ENTRY)
		ksft_print_msg("NMI while NMIs are blocked: FAIL_ENTRY %#llx\n",
			       (unsigned long long)vcpu->run->fail_entry.reason);
	else
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	for (i = 0; i < 3; i++) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, AXVCPU_EXIT_HALT);
	}
	test_vm_free(vm);
}

static int set_msr(struct test_vm *t, __u32 msr, __u32 flags, __u32 icpt)
{
	struct axvcpu_x86_msr_intercept mi = { msr, 1, flags, icpt };

	return ioctl(t->vcpu.fd, AXVCPU_X86_SET_MSR_INTERCEPT, &mi) ?
	       -errno : 0;
}

TEST(msr_passthrough_is_an_allowlist)
{
	/*
	 * Each one slipped through the old denylist: clock modulation,
	 * thermal, OFFCORE_RSP, PERF_METRICS, the legacy LBR stack,
	 * MPERF/APERF, FRED, PASID, and MSRs nobody named.
	 */
	static const __u32 refused[] = {
		0x19a, 0x19b, 0x19c, 0x1b1, 0x1b2, 0x1a6, 0x1a7, 0x329,
		0x40, 0x4f, 0x60, 0x6f, 0x1db, 0x1dc, 0x1dd, 0x1de,
		0xe7, 0xe8, 0x1cc, 0x1cf, 0x1d0, 0x1d4, 0xd93, 0x1357,
		0x1fff, 0xc0001fff,
	};
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_mc);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		TEST_ASSERT(set_msr(vm, refused[i], AXVCPU_X86_MSR_READ, 0) ==
			    -EPERM, "read of MSR %#x passed", refused[i]);
		TEST_ASSERT(set_msr(vm, refused[i], AXVCPU_X86_MSR_WRITE, 0) ==
			    -EPERM, "write of MSR %#x passed", refused[i]);
		TEST_ASSERT_EQ(set_msr(vm, refused[i], 3, 1), 0);
	}
	/* The residency counters: reads only. */
	TEST_ASSERT_EQ(set_msr(vm, 0x3fc, AXVCPU_X86_MSR_READ, 0), 0);
	TEST_ASSERT_EQ(set_msr(vm, 0x660, AXVCPU_X86_MSR_READ, 0), 0);
	TEST_ASSERT_EQ(set_msr(vm, 0x3fc, AXVCPU_X86_MSR_WRITE, 0), -EPERM);
	test_vm_free(vm);
}

TEST(cr4_is_an_allowlist)
{
	static const int bits[] = { 24, 28, 32, 19, 25, 23, 22, 12, 14, 63 };
	struct axvcpu_x86_sregs s, lm;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, g_mc);
	x86_enter_long_mode(vm, GUEST_ENTRY);
	x86_get_sregs(vcpu, &lm);
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		s = lm;
		s.cr4 |= 1ULL << bits[i];
		TEST_ASSERT(ioctl(vcpu->fd, AXVCPU_SET_X86_SREGS, &s) == -1 &&
			    errno == EINVAL, "CR4 bit %d accepted", bits[i]);
	}
	test_vm_free(vm);
}

/* ---- x86_mitigations ---- */

struct mitig {
	char l1d[16], ibpb[8], spec_ctrl[8], pebs[8];
	unsigned long long windows, l1d_flushes, ibpbs, restores, pebs_off;
};

static void read_mitig(struct mitig *m)
{
	char buf[512];

	TEST_ASSERT(read_sysfs(SYSFS_MITIGATIONS, buf, sizeof(buf)) >= 0,
		    "no %s", SYSFS_MITIGATIONS);
	TEST_ASSERT(sscanf(buf, "l1d_flush=%15s ibpb=%7s spec_ctrl=%7s pebs=%7s windows=%llu l1d_flushes=%llu ibpbs=%llu spec_ctrl_restores=%llu pebs_off=%llu",
			   m->l1d, m->ibpb, m->spec_ctrl, m->pebs,
			   &m->windows, &m->l1d_flushes, &m->ibpbs,
			   &m->restores, &m->pebs_off) == 9,
		    "x86_mitigations: '%s'", buf);
}

/* The first @size - 1 bytes of @path into @buf; false if unreadable. */
static bool read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return true;
}

static bool file_has(const char *path, const char *what)
{
	char buf[4096];

	return read_text(path, buf, sizeof(buf)) && strstr(buf, what);
}

/* The kernel's mitigations= is the last one on its command line. */
static bool mitigations_off(void)
{
	char buf[4096], *p, *last = NULL;

	if (!read_text("/proc/cmdline", buf, sizeof(buf)))
		return false;
	for (p = buf; (p = strstr(p, "mitigations=")); p++)
		last = p;
	return last && !strncmp(last, "mitigations=off", 15);
}

static bool cpuinfo_flag(const char *flag)
{
	char w[32];

	snprintf(w, sizeof(w), " %s ", flag);
	return file_has("/proc/cpuinfo", w);
}

TEST(mitigations_follow_the_host)
{
	struct test_vm a, b;
	struct mitig m0, m1, m2;
	unsigned long long exits;
	char vuln[256];
	cpu_set_t one;
	int i;

	/* Both VMs' windows on one CPU: every switch is another VM's. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	TEST_ASSERT_SYSCALL_OK(sched_setaffinity(0, sizeof(one), &one));
	TEST_VM_WITH(&a, guest_hcall_loop);
	TEST_VM_WITH(&b, guest_hcall_loop);
	read_mitig(&m0);
	ksft_print_msg("l1d_flush=%s ibpb=%s spec_ctrl=%s pebs=%s\n",
		       m0.l1d, m0.ibpb, m0.spec_ctrl, m0.pebs);
	for (i = 0; i < 4; i++) {
		vcpu_run(i & 1 ? &b.vcpu : &a.vcpu);
		vcpu_assert_exit(i & 1 ? &b.vcpu : &a.vcpu,
				 AXVCPU_EXIT_HYPERCALL);
	}
	read_mitig(&m1);
	/* The same VM again and again: no IBPB. */
	for (i = 0; i < 4; i++) {
		vcpu_run(&b.vcpu);
		vcpu_assert_exit(&b.vcpu, AXVCPU_EXIT_HYPERCALL);
	}
	read_mitig(&m2);
	exits = a.vcpu.run->stats.entries + b.vcpu.run->stats.entries;

	/* L1TF: the kernel's own verdict, and mitigations=off. */
	TEST_ASSERT(read_sysfs("/sys/devices/system/cpu/vulnerabilities/l1tf",
			       vuln, sizeof(vuln)) >= 0, "no l1tf file");
	if (!strncmp(vuln, "Not affected", 12) || mitigations_off())
		TEST_ASSERT(!strcmp(m0.l1d, "never"), "l1tf '%s', l1d_flush=%s",
			    vuln, m0.l1d);
	else
		TEST_ASSERT(strcmp(m0.l1d, "never"), "l1tf '%s', l1d_flush=%s",
			    vuln, m0.l1d);
	if (!strcmp(m0.l1d, "never"))
		TEST_ASSERT_EQ(m2.l1d_flushes - m0.l1d_flushes, 0);
	else
		TEST_ASSERT_EQ(m2.l1d_flushes - m0.l1d_flushes,
			       m2.windows - m0.windows);
	TEST_ASSERT(m2.windows - m0.windows >= 8, "%llu windows",
		    m2.windows - m0.windows);

	/* Legacy IBRS: "Mitigation: IBRS" (not eIBRS) in spectre_v2. */
	TEST_ASSERT(read_sysfs("/sys/devices/system/cpu/vulnerabilities/spectre_v2",
			       vuln, sizeof(vuln)) >= 0, "no spectre_v2 file");
	TEST_ASSERT_EQ(!strcmp(m0.spec_ctrl, "on"),
		       !strncmp(vuln, "Mitigation: IBRS", 16));
	TEST_ASSERT_EQ(m2.restores - m0.restores,
		       strcmp(m0.spec_ctrl, "on") ? 0 : exits);

	/* IBPB: never without the CPU's; one per switch between VMs. */
	if (!cpuinfo_flag("ibpb"))
		TEST_ASSERT(!strcmp(m0.ibpb, "off"), "ibpb=%s", m0.ibpb);
	if (!strcmp(m0.ibpb, "on"))
		TEST_ASSERT(m1.ibpbs - m0.ibpbs >= 3 &&
			    m1.ibpbs - m0.ibpbs <= 4, "%llu IBPBs",
			    m1.ibpbs - m0.ibpbs);
	else
		TEST_ASSERT_EQ(m1.ibpbs - m0.ibpbs, 0);
	TEST_ASSERT_EQ(m2.ibpbs - m1.ibpbs, 0);

	/* PEBS: no host PEBS user runs now, so nothing to turn off. */
	if (!cpuinfo_flag("pebs"))
		TEST_ASSERT(!strcmp(m0.pebs, "off"), "pebs=%s", m0.pebs);
	TEST_ASSERT_EQ(m2.pebs_off - m0.pebs_off, 0);
	test_vm_destroy(&b);
	test_vm_destroy(&a);
}

TEST_HARNESS_MAIN
