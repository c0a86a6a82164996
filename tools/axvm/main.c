// SPDX-License-Identifier: GPL-2.0
/*
 * axvm - a small VMM over /dev/axvcpu, in the spirit of kvmtool's
 * "lkvm run": boots bare-metal images (x86: flat real-mode binaries and
 * Multiboot ELF; arm64: flat binaries and Linux Image files) with a UART,
 * power-off, and (arm64) PSCI.  See Documentation/axvm.rst.
 *
 * Exit status: 0 after a clean power-off; 32 after a reset the guest
 * asked for; (value << 1) | 1 after a write of value to the x86
 * debug-exit port 0xf4; 1 on any error (with one line
 * on stderr saying what), 2 on a usage error, 124 when --timeout ran out,
 * 128 + n after signal n.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axvm.h"

#ifndef AXVM_VERSION	/* tools/Makefile: debian/changelog's version */
#define AXVM_VERSION	"unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
"usage: axvm run [options] [--kernel] FILE\n"
"       axvm --help | --version\n"
"\n"
"Run a guest on hardware virtual CPUs from /dev/axvcpu (%s).\n"
"\n"
"  -k, --kernel FILE   the guest image:\n"
"                        x86_64: a Linux vmlinux (PVH entry) or bzImage,\n"
"                                a Multiboot (v1) ELF, or a flat real-mode\n"
"                                binary loaded and entered at 0x8000\n"
"                        arm64:  a Linux arm64 Image, or a flat binary,\n"
"                                at 0x40000000 + text_offset (0x80000)\n"
"  -i, --initrd FILE   initrd: Linux's initrd, the Multiboot module (x86_64)\n"
"                      or linux,initrd-start/end in the DTB (arm64)\n"
"  -m, --mem SIZE      guest RAM, e.g. 64M, 1G (default 128M; suffixes K M G)\n"
"  -c, --cpus N        number of vcpus (default 1); vcpu 0 starts, the others\n"
"                      on CPU_ON (PSCI, INIT/SIPI or axvm's CPU start port)\n"
"  -p, --cmdline STR   kernel command line (Linux, Multiboot cmdline / DTB\n"
"                      bootargs)\n"
"  -t, --timeout SECS  stop the guest after SECS seconds (exit status 124)\n"
"      --vga           at the end, print the 80x25 VGA text screen at 0xb8000\n"
"                      of guest RAM (x86_64)\n"
"      --ptimer MODE   arm64: the guest's EL1 physical timer (CNTP_*) is\n"
"                      'direct' (default: its own registers and PPI 30,\n"
"                      switched by the module) or 'trap' (every access is\n"
"                      a SYSREG exit)\n"
"      --disk FILE     a raw disk image as a virtio-blk device on the first\n"
"                      virtio-mmio transport (read-only if FILE is)\n"
"      --rng           a virtio-rng device (the host's getrandom) on the\n"
"                      second virtio-mmio transport\n"
"      --console TYPE  where typed input goes: 'serial' (default: the PL011\n"
"                      on arm64, the 16550 on x86_64) or 'virtio' (a virtio\n"
"                      console, Linux's hvc0, on the third transport)\n"
"      --net SPEC      a virtio-net device on the fourth virtio-mmio\n"
"                      transport, its frames through SPEC: 'tap=NAME' (a tap\n"
"                      device, /dev/net/tun) or 'udp=LPORT:ADDR:PORT' (one\n"
"                      UDP datagram per frame, to and from a peer such as\n"
"                      another axvm); ',mac=MAC' sets the guest's MAC address\n"
"                      (default 52:54:00:12:34:56)\n"
"      --no-ioeventfd  virtio notifications exit to axvm (default: the\n"
"                      module takes them, AXVCPU_IOEVENTFD, and a device\n"
"                      thread does the work); their interrupts then by ioctl\n"
"      --no-irqfd      with the ioeventfd, virtio interrupts still by ioctl\n"
"                      (AXVCPU_INJECT_INTERRUPT; default: the device thread\n"
"                      writes an eventfd the module injects from,\n"
"                      AXVCPU_IRQFD)\n"
"      --halt-exits    a vcpu's WFI / HLT exits to axvm, which waits for its\n"
"                      next interrupt (default: it sleeps in the module,\n"
"                      AXVCPU_SETUP_HALT_IN_KERNEL, where the module has it)\n"
"      --stats         print exit counts by reason at the end, and per\n"
"                      virtio device its notifications (by ioeventfd / by\n"
"                      exit) and interrupts (by irqfd / by ioctl)\n"
"      --trace         print one line per exit to stderr (ports and MMIO\n"
"                      addresses without a device are marked \"(no device)\")\n"
"      --dev PATH      the axvcpu device (default " AXVM_DEV_PATH ")\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 after a clean power-off; 32 after the guest asked for a\n"
"reset (axvm does not reboot); (v << 1) | 1 after the guest wrote v to the\n"
"debug-exit port 0xf4 (x86_64); 1 on any error; 2 on a usage error; 124\n"
"when --timeout ran out; 128+N after signal N.\n", arch__name);
}

/* "128M" -> bytes; 0 on a malformed size. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	uint64_t shift = 20;	/* a bare number means MiB, as in lkvm */

	if (end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 'b': case 'B': shift = 0; end++; break;
	case '\0': break;
	default: return 0;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || v > (~0ULL >> shift))
		return 0;
	return (uint64_t)v << shift;
}

enum { OPT_STATS = 0x100, OPT_TRACE, OPT_DEV, OPT_VERSION, OPT_VGA, OPT_PTIMER,
       OPT_DISK, OPT_RNG, OPT_NO_IOEVENTFD, OPT_NO_IRQFD, OPT_CONSOLE, OPT_NET,
       OPT_HALT_EXITS };

static const struct option run_options[] = {
	{ "kernel",	required_argument, NULL, 'k' },
	{ "initrd",	required_argument, NULL, 'i' },
	{ "mem",	required_argument, NULL, 'm' },
	{ "cpus",	required_argument, NULL, 'c' },
	{ "cmdline",	required_argument, NULL, 'p' },
	{ "params",	required_argument, NULL, 'p' },
	{ "timeout",	required_argument, NULL, 't' },
	{ "vga",	no_argument,	   NULL, OPT_VGA },
	{ "ptimer",	required_argument, NULL, OPT_PTIMER },
	{ "disk",	required_argument, NULL, OPT_DISK },
	{ "rng",	no_argument,	   NULL, OPT_RNG },
	{ "no-ioeventfd", no_argument,	   NULL, OPT_NO_IOEVENTFD },
	{ "no-irqfd",	no_argument,	   NULL, OPT_NO_IRQFD },
	{ "halt-exits",	no_argument,	   NULL, OPT_HALT_EXITS },
	{ "console",	required_argument, NULL, OPT_CONSOLE },
	{ "net",	required_argument, NULL, OPT_NET },
	{ "stats",	no_argument,	   NULL, OPT_STATS },
	{ "trace",	no_argument,	   NULL, OPT_TRACE },
	{ "dev",	required_argument, NULL, OPT_DEV },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int parse_run_options(int argc, char **argv, struct axvm_opts *o)
{
	char *end;
	unsigned long n;
	int c;

	o->mem = AXVM_DEFAULT_MEM;
	o->cpus = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:i:m:c:p:t:h", run_options, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'm':
			o->mem = parse_size(optarg);
			if (!o->mem) {
				pr_err("--mem '%s': not a size (e.g. 128M, 1G)", optarg);
				return AXVM_EXIT_USAGE;
			}
			break;
		case 'c':
			n = strtoul(optarg, &end, 0);
			if (*end || !n || n > AXVCPU_MAX_VCPUS) {
				pr_err("--cpus '%s': must be 1..%d", optarg,
				       AXVCPU_MAX_VCPUS);
				return AXVM_EXIT_USAGE;
			}
			o->cpus = n;
			break;
		case 'p':
			o->cmdline = optarg;
			break;
		case 't':
			o->timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(o->timeout > 0) ||
			    o->timeout > 1e6) {
				pr_err("--timeout '%s': not a number of seconds (e.g. 5, 0.5)",
				       optarg);
				return AXVM_EXIT_USAGE;
			}
			break;
		case OPT_VGA:
			if (strcmp(arch__name, "x86_64")) {
				pr_err("--vga: there is no VGA text screen on %s",
				       arch__name);
				return AXVM_EXIT_USAGE;
			}
			o->vga = true;
			break;
		case OPT_PTIMER:
			if (strcmp(arch__name, "arm64")) {
				pr_err("--ptimer: there is no EL1 physical timer on %s",
				       arch__name);
				return AXVM_EXIT_USAGE;
			}
			if (!strcmp(optarg, "trap")) {
				o->ptimer_trap = true;
			} else if (strcmp(optarg, "direct")) {
				pr_err("--ptimer '%s': 'direct' or 'trap'", optarg);
				return AXVM_EXIT_USAGE;
			}
			break;
		case OPT_DISK:
			if (o->disk) {
				pr_err("--disk: one disk only");
				return AXVM_EXIT_USAGE;
			}
			o->disk = optarg;
			break;
		case OPT_RNG:
			o->rng = true;
			break;
		case OPT_NO_IOEVENTFD:
			o->no_ioeventfd = true;
			break;
		case OPT_NO_IRQFD:
			o->no_irqfd = true;
			break;
		case OPT_HALT_EXITS:
			o->halt_exits = true;
			break;
		case OPT_CONSOLE:
			if (!strcmp(optarg, "virtio")) {
				o->virtio_console = true;
			} else if (strcmp(optarg, "serial")) {
				pr_err("--console: '%s' is neither 'serial' nor 'virtio'", optarg);
				return AXVM_EXIT_USAGE;
			}
			break;
		case OPT_NET:
			if (o->net) {
				pr_err("--net: one network device only");
				return AXVM_EXIT_USAGE;
			}
			/* Checked where the backend opens (virtio_net.c). */
			o->net = optarg;
			break;
		case OPT_STATS:
			o->stats = true;
			break;
		case OPT_TRACE:
			o->trace = true;
			break;
		case OPT_DEV:
			o->dev = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("axvm %s (%s)\n", AXVM_VERSION, arch__name);
			exit(0);
		default:
			usage(stderr);
			return AXVM_EXIT_USAGE;
		}
	}
	if (optind < argc && !o->kernel)
		o->kernel = argv[optind++];
	if (optind < argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		return AXVM_EXIT_USAGE;
	}
	if (!o->kernel) {
		pr_err("no guest image: give --kernel FILE (axvm --help)");
		return AXVM_EXIT_USAGE;
	}
	if (o->mem & 0xfff) {
		pr_err("--mem: %llu bytes is not a multiple of 4 KiB",
		       (unsigned long long)o->mem);
		return AXVM_EXIT_USAGE;
	}
	if (o->mem < (1ULL << 20)) {
		pr_err("--mem: %llu KiB is too little memory (at least 1M)",
		       (unsigned long long)o->mem >> 10);
		return AXVM_EXIT_USAGE;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static struct axvm vm;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int r;

	r = parse_run_options(argc, argv, &vm.o);
	if (r)
		return r;
	/* Read the files first: a bad file is reported with no module needed. */
	if (axvm__read_file(vm.o.kernel, &kernel, &klen))
		return AXVM_EXIT_ERROR;
	if (vm.o.initrd && axvm__read_file(vm.o.initrd, &initrd, &ilen))
		return AXVM_EXIT_ERROR;
	if (vm__alloc_ram(&vm) || arch__load(&vm, kernel, klen, initrd, ilen) ||
	    vm__init(&vm) || vm__create_cpus(&vm)) {
		vm__exit(&vm);
		return AXVM_EXIT_ERROR;
	}
	free(kernel);
	free(initrd);
	r = vm__run(&vm);
	vm__exit(&vm);
	return r;
}

int main(int argc, char **argv)
{
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return AXVM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("axvm %s (%s)\n", AXVM_VERSION, arch__name);
		return 0;
	}
	/* "axvm --kernel FILE ..." means "axvm run --kernel FILE ...". */
	if (argv[1][0] == '-')
		return cmd_run(argc, argv);
	pr_err("unknown command '%s' (axvm --help)", argv[1]);
	return AXVM_EXIT_USAGE;
}
