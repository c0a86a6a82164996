// SPDX-License-Identifier: GPL-2.0
/*
 * spectre_mitigations (aarch64) - the guest-exit vectors run the
 * Spectre-v2/BHB sequence exactly when the host's mitigation state asks
 * for it, and run it correctly.
 *
 * The parameter arm64_mitigations lists, per CPU, the host's state as the
 * module read it and the vector table it chose, and counts the exits that
 * went through a mitigated table.  Checked: a CPU the kernel calls "Not
 * affected" (/sys/devices/system/cpu/vulnerabilities/spectre_v2) runs the
 * plain table and counts nothing over 300 exits; a CPU that is affected
 * and mitigated counts every exit; with "loop" or "clrbhb" written, every
 * CPU counts every exit and the guest's registers (x0-x3, which those
 * sequences use) come back intact in each exit; "auto" restores the first
 * choice; other values are refused.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "ucall.h"
#include "processor.h"

#define PARAM		"/sys/module/axvcpu/parameters/arm64_mitigations"
#define VULN_V2		"/sys/devices/system/cpu/vulnerabilities/spectre_v2"
#define NR_EXITS	300
#define HCALL_SPEC	UCALL_NR_OF(UCALL_SYNC)

#define G_X1		0x1111222233334444ULL
#define G_X2		0x5555666677778888ULL
#define G_X3		0x9999aaaabbbbccccULL

GUEST_CODE(guest_spec);

/* x1-x3 fixed, x4 counts; each hvc exits to the VMM with x0 = the nr. */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 4\n"
    ".global guest_spec_start, guest_spec_end\n"
    "guest_spec_start:\n"
    MOV64("x1", __stringify(G_X1))
    MOV64("x2", __stringify(G_X2))
    MOV64("x3", __stringify(G_X3))
    "	mov x4, #0\n"
    "1:	add x4, x4, #1\n"
    MOV64("x0", __stringify(HCALL_SPEC))
    "	hvc #0\n"
    "	b 1b\n"
    "guest_spec_end:\n"
    ".popsection\n");

struct cpu_state {
	char v2[16], bhb[16], vectors[16];
};

struct mitig {
	int nr_cpus;
	struct cpu_state cpu[64];
	char forced[16];
	unsigned int bhb_k;
	unsigned long long runs;
};

static void read_mitig(struct mitig *m)
{
	char buf[8192], *line, *save;
	FILE *f = fopen(PARAM, "r");
	size_t n;

	TEST_ASSERT(f, "%s: %s (module without arm64/spectre.c?)", PARAM,
		    strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	memset(m, 0, sizeof(*m));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct cpu_state c;
		int cpu;

		if (sscanf(line, "cpu%d: spectre_v2=%15s spectre_bhb=%15s vectors=%15s",
			   &cpu, c.v2, c.bhb, c.vectors) == 4) {
			TEST_ASSERT(cpu >= 0 && cpu < 64, "cpu %d", cpu);
			m->cpu[cpu] = c;
			if (cpu + 1 > m->nr_cpus)
				m->nr_cpus = cpu + 1;
			continue;
		}
		TEST_ASSERT(sscanf(line, "forced=%15s bhb_k=%u runs=%llu",
				   m->forced, &m->bhb_k, &m->runs) == 3,
			    "unexpected line '%s'", line);
	}
	TEST_ASSERT(m->nr_cpus > 0 && m->forced[0], "nothing parsed");
}

/* Runs NR_EXITS hypercall exits on @cpu; returns the entries made. */
static unsigned long long run_exits(int cpu)
{
	struct test_vm t;
	unsigned long long e0;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "cpu %d", cpu);
	TEST_VM_WITH(&t, guest_spec);
	e0 = t.vcpu.run->stats.entries;
	for (i = 0; i < NR_EXITS; i++) {
		vcpu_run(&t.vcpu);
		vcpu_assert_exit(&t.vcpu, AXVCPU_EXIT_HYPERCALL);
		/* The sequences use x0/x1 (and x2/x3 with the firmware). */
		TEST_ASSERT_EQ(vcpu_get_gpr(&t.vcpu, 0), HCALL_SPEC);
		TEST_ASSERT_EQ(vcpu_get_gpr(&t.vcpu, 1), G_X1);
		TEST_ASSERT_EQ(vcpu_get_gpr(&t.vcpu, 2), G_X2);
		TEST_ASSERT_EQ(vcpu_get_gpr(&t.vcpu, 3), G_X3);
		TEST_ASSERT_EQ(vcpu_get_gpr(&t.vcpu, 4), i + 1);
	}
	e0 = t.vcpu.run->stats.entries - e0;
	test_vm_destroy(&t);
	return e0;
}

static bool cpu_online(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/* Each CPU's exits are counted iff its table is a mitigated one. */
static void check_counts(struct mitig *m)
{
	int cpu;

	for (cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct mitig before, after;
		unsigned long long entries, runs;

		if (!m->cpu[cpu].vectors[0] || !cpu_online(cpu))
			continue;
		read_mitig(&before);
		entries = run_exits(cpu);
		read_mitig(&after);
		runs = after.runs - before.runs;
		ksft_print_msg("cpu%d vectors=%s: %llu entries, %llu mitigated exits\n",
			       cpu, m->cpu[cpu].vectors, entries, runs);
		if (!strcmp(m->cpu[cpu].vectors, "none")) {
			TEST_ASSERT_EQ(runs, 0);
		} else {
			TEST_ASSERT(runs >= NR_EXITS && runs <= entries,
				    "cpu%d: %llu mitigated exits for %d VMM exits, %llu entries",
				    cpu, runs, NR_EXITS, entries);
		}
	}
}

TEST(follows_the_host)
{
	char vuln[256] = "";
	struct mitig m;
	int cpu;

	ASSERT_EQ(0, write_sysfs(PARAM, "auto"));
	read_mitig(&m);
	if (read_sysfs(VULN_V2, vuln, sizeof(vuln)) < 0)
		strcpy(vuln, "?");
	ksft_print_msg("host spectre_v2: '%s'; module: forced=%s bhb_k=%u\n",
		       vuln, m.forced, m.bhb_k);
	EXPECT_STREQ("no", m.forced);
	for (cpu = 0; cpu < m.nr_cpus; cpu++) {
		struct cpu_state *c = &m.cpu[cpu];

		if (!c->vectors[0])
			continue;
		ksft_print_msg("cpu%d: spectre_v2=%s spectre_bhb=%s vectors=%s\n",
			       cpu, c->v2, c->bhb, c->vectors);
		/*
		 * A mitigated table exactly when a state says mitigated in
		 * software ("hardware": FEAT_ECBHB needs none); the firmware
		 * tables exactly for a firmware Spectre-v2 mitigation or a
		 * BHB one without a loop count or CLRBHB.
		 */
		EXPECT_EQ(!strcmp(c->vectors, "none"),
			  strcmp(c->v2, "mitigated") &&
			  strcmp(c->bhb, "mitigated"));
		if (!strcmp(c->v2, "mitigated"))
			EXPECT_TRUE(!strcmp(c->vectors, "wa1") ||
				    !strcmp(c->vectors, "wa3"));
		if (!strncmp(vuln, "Not affected", 12)) {
			EXPECT_STREQ("unaffected", c->v2);
			EXPECT_STREQ("unaffected", c->bhb);
			EXPECT_STREQ("none", c->vectors);
		}
		if (strstr(vuln, "Vulnerable") && strcmp(c->v2, "unaffected"))
			EXPECT_STRNE("mitigated", c->v2);
		/* "Mitigation: CSV2, but not BHB" and "..., BHB" */
		if (strstr(vuln, "but not BHB")) {
			EXPECT_STRNE("mitigated", c->bhb);
			EXPECT_STRNE("hardware", c->bhb);
		} else if (strstr(vuln, "BHB")) {
			EXPECT_TRUE(!strcmp(c->bhb, "mitigated") ||
				    !strcmp(c->bhb, "hardware"));
		}
	}
	check_counts(&m);
}

static void forced(struct __test_metadata *_metadata, const char *mode)
{
	struct mitig m;
	int cpu;

	ASSERT_EQ(0, write_sysfs(PARAM, mode));
	read_mitig(&m);
	EXPECT_STREQ(mode, m.forced);
	EXPECT_GE(m.bhb_k, 8);
	for (cpu = 0; cpu < m.nr_cpus; cpu++)
		if (m.cpu[cpu].vectors[0])
			EXPECT_STREQ(mode, m.cpu[cpu].vectors);
	check_counts(&m);
	ASSERT_EQ(0, write_sysfs(PARAM, "auto"));
}

TEST(forced_loop_runs_on_every_exit)
{
	forced(_metadata, "loop");
}

TEST(forced_clrbhb_runs_on_every_exit)
{
	forced(_metadata, "clrbhb");
}

TEST(auto_restores_and_bad_values_are_refused)
{
	struct mitig a, b;
	int cpu;

	ASSERT_EQ(0, write_sysfs(PARAM, "auto"));
	read_mitig(&a);
	ASSERT_EQ(0, write_sysfs(PARAM, "loop"));
	ASSERT_EQ(0, write_sysfs(PARAM, "auto"));
	read_mitig(&b);
	EXPECT_STREQ("no", b.forced);
	for (cpu = 0; cpu < a.nr_cpus; cpu++)
		EXPECT_STREQ(a.cpu[cpu].vectors, b.cpu[cpu].vectors);
	/* "off" is the kernel's mitigations=off, not a module switch. */
	EXPECT_EQ(-EINVAL, write_sysfs(PARAM, "off"));
	EXPECT_EQ(-EINVAL, write_sysfs(PARAM, "none"));
	EXPECT_EQ(-EINVAL, write_sysfs(PARAM, "loop2"));
	read_mitig(&b);
	EXPECT_STREQ("no", b.forced);
}

TEST_HARNESS_MAIN
