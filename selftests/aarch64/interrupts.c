// SPDX-License-Identifier: GPL-2.0
/*
 * interrupts (aarch64) - virtual interrupts taken by the guest:
 *  - INJECT_INTERRUPT of an SPI, an SGI, a PPI and an INTID above 255:
 *    the guest takes each through its VBAR_EL1 vector, acknowledges it
 *    with ICC_IAR1_EL1 (the exact INTID) and EOIs it with ICC_EOIR1_EL1;
 *    a later one of the same priority is taken too (the EOI dropped the
 *    running priority);
 *  - more interrupts than list registers, queued before RUN: all arrive;
 *  - an injection from another thread into a spinning guest (kick);
 *  - the virtual timer (CNTV_CVAL_EL0 + CNTV_CTL_EL0) firing: INTID 27
 *    through the vector, with ISTATUS set and the count past CVAL;
 *  - AXVCPU_GET_IRQ_STATE: an SPI queued is pending, acknowledged it is
 *    active only, after EOI neither; asked from another thread while the
 *    vcpu is in RUN it answers at once;
 *  - AXVCPU_IRQFD: an eventfd written from another thread interrupts the
 *    spinning guest with its INTID, one signalled before the irqfd was
 *    assigned too; after DEASSIGN a signal injects nothing; each injection
 *    counts in stats.builtin[AXVCPU_BUILTIN_IRQFD].
 */
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "axvcpu_util.h"
#include "processor.h"

GUEST_CODE(guest_irq);
GUEST_CODE(guest_vtimer);

asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_irq_start, guest_irq_end\n"
    "guest_irq_start:\n"
    GUEST_SET_VBAR(irq_vectors)
    GUEST_GIC_ENABLE
    "	msr daifclr, #2\n"			/* IRQs on */
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"				/* ready */
    "1:	b 1b\n"
    GUEST_VECTORS(irq_vectors)
    "guest_irq_end:\n"

    ".balign 2048\n"
    ".global guest_vtimer_start, guest_vtimer_end\n"
    "guest_vtimer_start:\n"
    GUEST_SET_VBAR(vtimer_vectors)
    GUEST_GIC_ENABLE
    GUEST_VTIMER_ARM_16MS
    MOV64("x0", __stringify(GH_REPORT))
    "	mov x1, x19\n"
    "	mrs x2, cntfrq_el0\n"
    "	hvc #0\n"
    "	msr daifclr, #2\n"
    "1:	b 1b\n"
    GUEST_VECTORS(vtimer_vectors)
    "guest_vtimer_end:\n"
    ".popsection\n");

GUEST_CODE(guest_ack);

/* IRQs masked throughout: the guest acknowledges by hand. */
asm(".pushsection .text.axvcpu_guest, \"ax\"\n"
    ".balign 2048\n"
    ".global guest_ack_start, guest_ack_end\n"
    "guest_ack_start:\n"
    GUEST_GIC_ENABLE
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"				/* ready */
    "	mrs x1, " ICC_IAR1_EL1 "\n"
    "	mov x19, x1\n"
    MOV64("x0", __stringify(GH_REPORT))
    "	hvc #0\n"				/* acknowledged x1 */
    "	msr " ICC_EOIR1_EL1 ", x19\n"
    "	isb\n"
    MOV64("x0", __stringify(GH_DONE))
    "	hvc #0\n"
    "1:	b 1b\n"
    "guest_ack_end:\n"
    ".popsection\n");

static void inject(struct axvm_vcpu *v, __u32 intid)
{
	int r = axvm_vcpu_inject(v, intid, 0, 0);

	TEST_ASSERT(r == 0, "INJECT_INTERRUPT %u: %d (%s)", intid, r,
		    errno_name(-r));
}

static __u64 expect_irq(struct axvm_vcpu *v)
{
	struct axvcpu_run *run = run_expect_hcall_to(v, GH_IRQ, 10);

	return run->hypercall.args[0];
}

TEST(injected_irqs_taken_and_acked)
{
	static const __u32 intids[] = { 40, 3, 20, 600, 1019, 41 };
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 iar;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_irq);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	for (i = 0; i < (int)ARRAY_SIZE(intids); i++) {
		inject(vcpu, intids[i]);
		iar = expect_irq(vcpu);
		TEST_ASSERT(iar == intids[i],
			    "injected INTID %u: guest ICC_IAR1_EL1 read %#llx",
			    intids[i], (unsigned long long)iar);
	}
	test_vm_free(vm);
}

TEST(more_irqs_than_list_registers)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 seen = 0, iar;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_irq);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	for (i = 0; i < 20; i++)
		inject(vcpu, 32 + i);
	for (i = 0; i < 20; i++) {
		iar = expect_irq(vcpu);
		TEST_ASSERT(iar >= 32 && iar < 52 && !(seen & (1ULL << (iar - 32))),
			    "IRQ %d of 20: ICC_IAR1_EL1 %#llx (seen %#llx)", i,
			    (unsigned long long)iar, (unsigned long long)seen);
		seen |= 1ULL << (iar - 32);
	}
	TEST_ASSERT_EQ(seen, 0xfffffULL);
	test_vm_free(vm);
}

struct kick {
	struct axvm_vcpu *v;
	__u32 intid;
};

static void *inject_later(void *p)
{
	struct kick *k = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	inject(k->v, k->intid);
	return NULL;
}

TEST(inject_into_running_vcpu)
{
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct kick k;
	pthread_t th;
	__u64 iar;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_irq);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	for (i = 0; i < 3; i++) {
		k.v = vcpu;
		k.intid = 45 + i;
		TEST_ASSERT(!pthread_create(&th, NULL, inject_later, &k), "pthread_create");
		iar = expect_irq(vcpu);
		pthread_join(th, NULL);
		TEST_ASSERT(iar == k.intid, "kicked INTID %u: guest acked %#llx",
			    k.intid, (unsigned long long)iar);
	}
	test_vm_free(vm);
}

static bool irq_bit(const __u64 *w, unsigned int n)
{
	return (w[n / 64] >> (n % 64)) & 1;
}

static void get_irq_state(struct axvm_vcpu *v, struct axvcpu_irq_state *st)
{
	memset(st, 0xa5, sizeof(*st));
	TEST_ASSERT(ioctl(v->fd, AXVCPU_GET_IRQ_STATE, st) == 0,
		    "GET_IRQ_STATE: %s", strerror(errno));
}

struct state_thread {
	struct axvm_vcpu *v;
	pthread_t main, thread;
	int r;
	struct axvcpu_irq_state st;
};

static void usr1(int sig) { (void)sig; }

static void *state_while_running(void *p)
{
	struct state_thread *s = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	s->r = ioctl(s->v->fd, AXVCPU_GET_IRQ_STATE, &s->st) ? -errno : 0;
	s->v->run->immediate_exit = 1;
	pthread_kill(s->main, SIGUSR1);
	return NULL;
}

TEST(irq_state_pending_active_done)
{
	struct axvcpu_irq_state st;
	struct state_thread s;
	struct sigaction sa;
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i;
	int r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_ack);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	get_irq_state(vcpu, &st);
	for (i = 0; i < 16; i++)
		TEST_ASSERT(!st.pending[i] && !st.active[i], "word %u not 0", i);
	inject(vcpu, 40);
	get_irq_state(vcpu, &st);
	TEST_ASSERT(irq_bit(st.pending, 40) && !irq_bit(st.active, 40),
		    "queued SPI 40: pending %d active %d", irq_bit(st.pending, 40),
		    irq_bit(st.active, 40));
	run = run_expect_hcall_to(vcpu, GH_REPORT, 10);
	TEST_ASSERT_EQ(run->hypercall.args[0], 40);	/* IAR */
	get_irq_state(vcpu, &st);
	TEST_ASSERT(!irq_bit(st.pending, 40) && irq_bit(st.active, 40),
		    "acknowledged SPI 40: pending %d active %d",
		    irq_bit(st.pending, 40), irq_bit(st.active, 40));
	run_expect_hcall_to(vcpu, GH_DONE, 10);
	get_irq_state(vcpu, &st);
	TEST_ASSERT(!irq_bit(st.pending, 40) && !irq_bit(st.active, 40),
		    "after EOI: pending %d active %d", irq_bit(st.pending, 40),
		    irq_bit(st.active, 40));

	/* From another thread, while this one is in RUN: no -EBUSY. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1;
	sigaction(SIGUSR1, &sa, NULL);
	inject(vcpu, 41);
	s.v = vcpu;
	s.main = pthread_self();
	s.r = -1;
	TEST_ASSERT(!pthread_create(&s.thread, NULL, state_while_running, &s),
		    "pthread_create");
	r = axvm_vcpu_run(vcpu);	/* no retry: SIGUSR1 ends it */
	pthread_join(s.thread, NULL);
	TEST_ASSERT(r == -EINTR, "RUN: %d", r);
	TEST_ASSERT(s.r == 0, "GET_IRQ_STATE while in RUN: %d", s.r);
	TEST_ASSERT(irq_bit(s.st.pending, 41), "SPI 41 not pending");
	test_vm_free(vm);
}

static int irqfd(struct axvm_vm *vm, int fd, __u32 intid, __u32 flags)
{
	return axvm_vm_irqfd(vm, fd, 0, intid, flags);
}

struct efd_writer {
	int fd;
	pthread_t th;
};

static void *write_later(void *p)
{
	struct efd_writer *w = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	__u64 one = 1;

	nanosleep(&ts, NULL);
	if (write(w->fd, &one, sizeof(one)) != sizeof(one))
		return (void *)1;
	return NULL;
}

TEST(irqfd_injects_without_the_vmm)
{
	struct axvcpu_irq_state st;
	struct efd_writer w;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	__u64 one = 1;
	int fd, fd2, i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_irq);
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	fd = eventfd(0, 0);
	fd2 = eventfd(0, 0);
	ASSERT_GE(fd, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, irqfd(&vm->vm, fd, 44, 0));
	EXPECT_EQ(-EEXIST, irqfd(&vm->vm, fd, 44, 0));
	EXPECT_EQ(-EINVAL, irqfd(&vm->vm, fd, 44, 1U << 5));
	EXPECT_EQ(-EBADF, irqfd(&vm->vm, -1, 44, 0));
	EXPECT_EQ(-EINVAL, irqfd(&vm->vm, vm->vm.fd, 44, 0));
	EXPECT_EQ(-ENOENT, irqfd(&vm->vm, fd2, 44, AXVCPU_IRQFD_DEASSIGN));
	for (i = 0; i < 3; i++) {
		w.fd = fd;
		ASSERT_EQ(0, pthread_create(&w.th, NULL, write_later, &w));
		TEST_ASSERT_EQ(expect_irq(vcpu), 44);
		pthread_join(w.th, NULL);
	}
	/* Each signal's injection counts, in the writer's context. */
	EXPECT_EQ(3, vcpu->run->stats.builtin[AXVCPU_BUILTIN_IRQFD]);
	/* Signalled before it is assigned: injected at the assignment. */
	ASSERT_EQ(sizeof(one), write(fd2, &one, sizeof(one)));
	ASSERT_EQ(0, irqfd(&vm->vm, fd2, 45, 0));
	EXPECT_EQ(4, vcpu->run->stats.builtin[AXVCPU_BUILTIN_IRQFD]);
	TEST_ASSERT_EQ(expect_irq(vcpu), 45);

	ASSERT_EQ(0, irqfd(&vm->vm, fd, 44, AXVCPU_IRQFD_DEASSIGN));
	ASSERT_EQ(sizeof(one), write(fd, &one, sizeof(one)));
	usleep(100 * 1000);
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, ioctl(vcpu->fd, AXVCPU_GET_IRQ_STATE, &st));
	EXPECT_FALSE(irq_bit(st.pending, 44));
	EXPECT_EQ(4, vcpu->run->stats.builtin[AXVCPU_BUILTIN_IRQFD]);
	/* fd2's irqfd is still assigned: the VM frees it. */
	test_vm_free(vm);
	close(fd);
	close(fd2);
}

TEST(vtimer_fires_in_guest)
{
	struct axvcpu_run *run;
	struct axvm_vcpu *vcpu;
	struct test_vm *vm;
	struct timespec t0, t1;
	__u64 cval, freq, ms;

	vm = vm_create_with_one_vcpu(&vcpu, guest_vtimer);
	run = vcpu->run;
	run_expect_hcall_to(vcpu, GH_REPORT, 10);
	cval = run->hypercall.args[0];
	freq = run->hypercall.args[1];
	TEST_ASSERT(freq, "CNTFRQ_EL0 = 0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_expect_hcall_to(vcpu, GH_IRQ, 10);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TEST_ASSERT(run->hypercall.args[0] == 27,
		    "vtimer: guest acked INTID %#llx, expected 27",
		    (unsigned long long)run->hypercall.args[0]);
	TEST_ASSERT(run->hypercall.args[1] & 4,
		    "vtimer IRQ: CNTV_CTL_EL0 = %#llx, ISTATUS clear",
		    (unsigned long long)run->hypercall.args[1]);
	TEST_ASSERT(run->hypercall.args[2] >= cval,
		    "vtimer IRQ at CNTVCT %#llx before CVAL %#llx",
		    (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)cval);
	printf("# vtimer IRQ after %llu ms (deadline 16 ms)\n", (unsigned long long)ms);
	/* The guest masked it in the handler: no second timer IRQ. */
	inject(vcpu, 50);
	TEST_ASSERT_EQ(expect_irq(vcpu), 50);
	test_vm_free(vm);
}

TEST_HARNESS_MAIN
