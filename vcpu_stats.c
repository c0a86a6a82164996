// SPDX-License-Identifier: GPL-2.0
/*
 * AXVCPU_GET_STATS_FD: a VM's or a vcpu's counters as a read-only file in
 * KVM's binary stats layout (a header, an id, self-describing
 * descriptors, then the values), so that a monitor needs no knowledge of
 * the module's version to print every counter it has.
 *
 * The counters are the module's own (struct axvcpu_vcpu_stat and
 * struct axvcpu_vm_stat), not the run page's, which the VMM can write.
 * A stats file holds a reference on the VM or vcpu file it came from, so
 * the object outlives every stats file of it.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/string_helpers.h>

#include "axvcpu_internal.h"

struct stat_name {
	u32 index;
	const char *name;
};

/* The uapi's names; the stats fd's are lower case. */
static const struct stat_name exit_names[] = AXVCPU_EXIT_NAMES;
static const struct stat_name builtin_names[] = AXVCPU_BUILTIN_NAMES;

/* entries, exits but NOTHING, builtins, halt_ns, halt_wakeups, injections */
#define VCPU_NSTATS	(1 + AXVCPU_EXIT_NR - 1 + AXVCPU_BUILTIN_NR + 3)
/* vcpus, mem_faults, flushes, ioeventfds, irqfds */
#define VM_NSTATS	5

#define DESC_SIZE	(sizeof(struct axvcpu_stats_desc) + AXVCPU_STATS_NAME_SIZE)

/**
 * struct stats_file - one open stats fd.
 * @owner: the VM or vcpu file, referenced: it keeps @vm / @vcpu alive.
 * @vm: the VM (for a vcpu's file, its VM too).
 * @vcpu: the vcpu, or NULL for a VM's file.
 * @lock: serializes readers, which share @buf's values.
 * @n: values.
 * @size: bytes of @buf.
 * @data_offset: where the values start in @buf.
 * @buf: the file's bytes.
 */
struct stats_file {
	struct file *owner;
	struct axvcpu_vm *vm;
	struct axvcpu_vcpu *vcpu;
	struct mutex lock;
	unsigned int n;
	size_t size, data_offset;
	u8 buf[];
};

static void add_desc(struct stats_file *sf, unsigned int *i, u32 flags,
		     s16 exponent, const char *fmt, const char *name)
{
	struct axvcpu_stats_desc *d;

	d = (void *)(sf->buf + sizeof(struct axvcpu_stats_header) +
		     AXVCPU_STATS_NAME_SIZE + *i * DESC_SIZE);
	d->flags = flags;
	d->exponent = exponent;
	d->size = 1;
	d->offset = *i * sizeof(u64);
	snprintf(d->name, AXVCPU_STATS_NAME_SIZE, fmt, name);
	string_lower(d->name, d->name);
	(*i)++;
}

static void vcpu_descs(struct stats_file *sf)
{
	unsigned int i = 0, r;

	add_desc(sf, &i, 0, 0, "%s", "entries");
	BUILD_BUG_ON(ARRAY_SIZE(exit_names) != AXVCPU_EXIT_NR);
	BUILD_BUG_ON(ARRAY_SIZE(builtin_names) != AXVCPU_BUILTIN_NR);
	for (r = 1; r < AXVCPU_EXIT_NR; r++)
		add_desc(sf, &i, 0, 0, "exit_%s", exit_names[r].name);
	for (r = 0; r < AXVCPU_BUILTIN_NR; r++)
		add_desc(sf, &i, 0, 0, "builtin_%s", builtin_names[r].name);
	add_desc(sf, &i, AXVCPU_STATS_UNIT_SECONDS, -9, "%s", "halt_ns");
	add_desc(sf, &i, 0, 0, "%s", "halt_wakeups");
	add_desc(sf, &i, 0, 0, "%s", "injections");
	WARN_ON_ONCE(i != VCPU_NSTATS);
}

static void vcpu_values(const struct axvcpu_vcpu *vcpu, u64 *v)
{
	const struct axvcpu_vcpu_stat *s = &vcpu->stat;
	unsigned int r;

	*v++ = READ_ONCE(s->counts.entries);
	for (r = 1; r < AXVCPU_EXIT_NR; r++)
		*v++ = READ_ONCE(s->counts.exits[exit_names[r].index]);
	for (r = 0; r < AXVCPU_BUILTIN_NR; r++)
		*v++ = READ_ONCE(s->counts.builtin[builtin_names[r].index]);
	*v++ = READ_ONCE(s->halt_ns);
	*v++ = READ_ONCE(s->halt_wakeups);
	*v++ = READ_ONCE(s->injections);
}

static void vm_descs(struct stats_file *sf)
{
	unsigned int i = 0;

	add_desc(sf, &i, AXVCPU_STATS_TYPE_INSTANT, 0, "%s", "vcpus");
	add_desc(sf, &i, 0, 0, "%s", "mem_faults");
	add_desc(sf, &i, 0, 0, "%s", "flushes");
	add_desc(sf, &i, 0, 0, "%s", "ioeventfds");
	add_desc(sf, &i, 0, 0, "%s", "irqfds");
	WARN_ON_ONCE(i != VM_NSTATS);
}

static void vm_values(struct axvcpu_vm *vm, u64 *v)
{
	unsigned int i, n = 0;

	for (i = 0; i < AXVCPU_MAX_VCPUS; i++)
		n += !!READ_ONCE(vm->vcpus[i]);
	*v++ = n;
	*v++ = atomic64_read(&vm->stat.mem_faults);
	*v++ = atomic64_read(&vm->stat.flushes);
	*v++ = atomic64_read(&vm->stat.ioeventfds);
	*v++ = atomic64_read(&vm->stat.irqfds);
}

static ssize_t stats_read(struct file *file, char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	struct stats_file *sf = file->private_data;
	ssize_t r;

	mutex_lock(&sf->lock);
	if (sf->vcpu)
		vcpu_values(sf->vcpu, (u64 *)(sf->buf + sf->data_offset));
	else
		vm_values(sf->vm, (u64 *)(sf->buf + sf->data_offset));
	r = simple_read_from_buffer(ubuf, len, ppos, sf->buf, sf->size);
	mutex_unlock(&sf->lock);
	return r;
}

static int stats_release(struct inode *inode, struct file *file)
{
	struct stats_file *sf = file->private_data;

	fput(sf->owner);
	kfree(sf);
	return 0;
}

static const struct file_operations stats_fops = {
	.owner = THIS_MODULE,
	.read = stats_read,
	.release = stats_release,
	.llseek = default_llseek,
};

/**
 * axvcpu_stats_fd - make a stats fd for a VM or one of its vcpus.
 * @owner: the VM's or the vcpu's file (AXVCPU_GET_STATS_FD came through).
 * @vm: the VM.
 * @vcpu: the vcpu, or NULL for the VM's counters.
 *
 * Return: the new fd (read-only, close-on-exec) or a negative errno.
 */
int axvcpu_stats_fd(struct file *owner, struct axvcpu_vm *vm,
		    struct axvcpu_vcpu *vcpu)
{
	unsigned int n = vcpu ? VCPU_NSTATS : VM_NSTATS;
	struct axvcpu_stats_header *h;
	struct stats_file *sf;
	struct file *file;
	size_t desc_offset;
	int fd;

	desc_offset = sizeof(*h) + AXVCPU_STATS_NAME_SIZE;
	sf = kzalloc(struct_size(sf, buf, desc_offset + n * DESC_SIZE +
					  n * sizeof(u64)), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	mutex_init(&sf->lock);
	sf->vm = vm;
	sf->vcpu = vcpu;
	sf->n = n;
	sf->data_offset = desc_offset + n * DESC_SIZE;
	sf->size = sf->data_offset + n * sizeof(u64);

	h = (void *)sf->buf;
	h->name_size = AXVCPU_STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = sizeof(*h);
	h->desc_offset = desc_offset;
	h->data_offset = sf->data_offset;
	if (vcpu) {
		snprintf(sf->buf + h->id_offset, AXVCPU_STATS_NAME_SIZE,
			 "axvcpu-vm-%u-vcpu-%u", vm->id, vcpu->id);
		vcpu_descs(sf);
	} else {
		snprintf(sf->buf + h->id_offset, AXVCPU_STATS_NAME_SIZE,
			 "axvcpu-vm-%u", vm->id);
		vm_descs(sf);
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(sf);
		return fd;
	}
	file = anon_inode_getfile("axvcpu-stats", &stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kfree(sf);
		return PTR_ERR(file);
	}
	/* Anonymous inodes come without pread(); the layout is made for it. */
	file->f_mode |= FMODE_PREAD;
	sf->owner = get_file(owner);
	fd_install(fd, file);
	return fd;
}
