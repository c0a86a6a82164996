# SPDX-License-Identifier: GPL-2.0
#
# axvcpu top-level Makefile.
#
#   make [ARCH=x86_64|arm64] [KERNEL=6.1|6.12|7.3]
#                                         build axvcpu.ko against Debian's kernel
#                                         KERNEL (tools/testing/kernels.conf; default
#                                         the first) in its build environment, into
#                                         build/$(ARCH)/$(KERNEL)/axvcpu.ko
#   make KDIR=/lib/modules/$$(uname -r)/build
#                                         build against these headers, on this machine,
#                                         into build/$(ARCH)/axvcpu.ko
#   make tools selftests                  userspace: axvm, libaxvm, selftests
#   make run [ARCH=...]                   boot an emulator (default arm64), run a guest under axvm
#   make check                            every test, both arches, every kernel, in emulators
#   make check-host HOST=trixie|bookworm  make run + make check in a fresh debootstrap
#   make unit                             host-side unit tests of pure logic
#   make checkpatch                       kernel style check of the module
#   make deb [DEB_RELEASE=bookworm|trixie]
#                                         Debian packages axvcpu-dkms and axvm
#                                         (debian/), built in that release's build
#                                         environment, into build/deb/
#   make bench                            benchmarks, axvcpu beside KVM
#
# The kernel build itself is driven by ./Kbuild (which dkms.conf also uses).

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
HOSTARCH := $(shell uname -m)
# make run boots arm64 (QEMU, fast) unless ARCH is given explicitly
RUN_ARCH := $(if $(filter command line environment,$(origin ARCH)),$(ARCH),arm64)
ARCH ?= $(HOSTARCH)
override ARCH := $(patsubst aarch64,arm64,$(patsubst amd64,x86_64,$(patsubst x86,x86_64,$(ARCH))))
BUILD := $(TOP)/build

ifeq ($(ARCH),arm64)
CROSS_COMPILE ?= aarch64-linux-gnu-
KARCH := ARCH=arm64 CROSS_COMPILE=$(CROSS_COMPILE)
else
KARCH :=
endif
KERNEL ?=
HOST ?= trixie
DEB_RELEASE ?= bookworm

MODSRC := Kbuild $(notdir $(wildcard $(TOP)/vcpu_*.c)) include vmx arm64
MODDIR := $(BUILD)/$(ARCH)/module

.PHONY: all module tools selftests unit check check-host run bench checkpatch deb clean

all: module

# KDIR given: build here, in a per-arch copy so that x86_64 and arm64
# objects never mix.  Otherwise: in the kernel's build environment.
module:
ifneq ($(KDIR),)
	@test -d "$(KDIR)" || { echo "axvcpu: no kernel headers in KDIR=$(KDIR)" >&2; exit 1; }
	@mkdir -p $(MODDIR)
	@cd $(TOP) && cp -a --parents $(MODSRC) $(MODDIR)/
	$(MAKE) -C $(KDIR) M=$(MODDIR) $(KARCH) modules
	@cp $(MODDIR)/axvcpu.ko $(BUILD)/$(ARCH)/axvcpu.ko
	@echo "axvcpu: built $(BUILD)/$(ARCH)/axvcpu.ko"
else
	@$(TOP)/tools/testing/build-module.sh $(ARCH) $(KERNEL)
endif

tools:
	$(MAKE) -C $(TOP)/tools ARCH=$(ARCH) O=$(BUILD)/$(ARCH)/tools

selftests:
	$(MAKE) -C $(TOP)/selftests ARCH=$(ARCH) O=$(BUILD)/$(ARCH)/selftests

unit:
	$(MAKE) -C $(TOP)/selftests unit O=$(BUILD)/unit
	$(MAKE) -C $(TOP)/tools unit O=$(BUILD)/unit-tools

check:
	$(TOP)/tools/testing/check.sh

check-host:
	$(TOP)/tools/testing/check-host.sh $(HOST)

run:
	$(TOP)/tools/testing/run.sh $(RUN_ARCH) $(if $(KERNEL),--kernel $(KERNEL))

bench:
	AXVCPU_KERNEL=$(KERNEL) $(TOP)/tools/testing/bench.sh

checkpatch:
	@$(TOP)/tools/testing/fetch-ksrc.sh $(BUILD)/ksrc
	@cd $(TOP) && perl $(BUILD)/ksrc/scripts/checkpatch.pl --no-tree -q --terse \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f vcpu_*.c include/*.h include/uapi/*.h $$(find vmx arm64 -name '*.[chS]')

deb:
	$(TOP)/tools/testing/build-deb.sh $(DEB_RELEASE)

clean:
	rm -rf $(BUILD)
	rm -f axvcpu.ko *.o .*.cmd *.mod *.mod.c modules.order Module.symvers
