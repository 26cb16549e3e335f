# Entry points of the KVM userfault series; the work is in scripts/.
# 'make help' lists them.

ARCH ?= x86_64
# The kernel base: kernel/$(BASE) (7.3, the upstream tip; 6.12, the LTS
# backport).
BASE ?= 7.3
export BASE
RUN ?= uname -a
APPEND ?=
TIMEOUT ?= 600

S := scripts
SHELL := /bin/bash

.PHONY: help test sanitize demo demo-selftest bench vm check bisect export tree reset-tree deps build kernel \
	selftests initramfs clean qemu qemu-export qemu-tree qemu-reset-tree

help:
	@echo "make test                   build and run every test list (x86_64 TDP,"
	@echo "                            shadow, legacy TDP; arm64); prints the counts"
	@echo "  BASE=6.12 (any target):   work on the 6.12 LTS backport (kernel/6.12)"
	@echo "                            instead of the 7.3 series (kernel/7.3)"
	@echo "make sanitize [ARCHES='..'] the userfault tests on KASAN+UBSAN and (x86_64)"
	@echo "                            KCSAN+UBSAN kernels; any report fails (slow)"
	@echo "make demo [ARCH=arm64]      the main job: QEMU post-copy of a Linux guest,"
	@echo "                            stock vs KVM userfault, +/- postcopy-preempt;"
	@echo "                            build/results/qemu-demo-ARCH.{json,png}"
	@echo "make demo-selftest [ARCH=..] post-copy between two selftest processes, KVM"
	@echo "                            userfault vs userfaultfd; build/results/demo-ARCH.*"
	@echo "make bench [BOOTS='..']     KVM userfault vs userfaultfd, patched vs base kernel;"
	@echo "                            build/results/bench.{json,md} and bench-*.png"
	@echo "  CLOCK=icount (bench, demo, vm): guest clocks count instructions;"
	@echo "                            make bench writes build/results/bench-icount.*"
	@echo "make vm ARCH=.. RUN='cmd'   boot ARCH's kernel, run cmd, pass its exit code back"
	@echo "                            (APPEND='kvm_amd.npt=0' adds kernel args; V=1 shows"
	@echo "                            the whole boot log, else warnings and errors only)"
	@echo "make check                  series applies to the base, checkpatch --strict"
	@echo "make bisect                 every patch builds for x86_64 and arm64 (slow)"
	@echo "make export                 build/linux-BASE commits -> kernel/BASE/patches"
	@echo "make tree                   create/verify build/linux-BASE (base + series)"
	@echo "make reset-tree             re-apply kernel/BASE/patches onto base"
	@echo "make build ARCH=..          kernel + selftests + initramfs for ARCH"
	@echo "make deps                   install missing Debian packages"
	@echo "make qemu                   build QEMU 7.2 + vmm/qemu/patches (build/obj-qemu)"
	@echo "make qemu-export            build/qemu commits -> vmm/qemu/patches"
	@echo "make qemu-tree              create/verify build/qemu (base + series)"
	@echo "make qemu-reset-tree        re-apply vmm/qemu/patches onto base in build/qemu"

test:
	$(S)/test.sh

sanitize:
	$(S)/sanitize.sh $(ARCHES)

demo:
	$(S)/demo.sh $(ARCH)

demo-selftest:
	$(S)/demo-selftest.sh $(ARCH)

bench:
	$(S)/bench.sh $(BOOTS)

vm:
	@. $(S)/lib.sh; arch_vars $(ARCH); \
	if [ ! -f "$$IMAGE" ] || [ ! -f "$$INITRAMFS" ]; then \
		$(S)/install-deps.sh && $(S)/prepare-tree.sh && $(S)/build.sh $(ARCH) >&2 || exit; \
	fi; \
	exec $(S)/vm.sh -t $(TIMEOUT) -l build/logs/vm-$(ARCH).log \
		-A "$(if $(V),,loglevel=5) $(APPEND)" $(ARCH) '$(subst ','\'',$(RUN))'

check:
	$(S)/check.sh

bisect:
	$(S)/bisect.sh

export:
	$(S)/export.sh

tree:
	$(S)/prepare-tree.sh

reset-tree:
	$(S)/prepare-tree.sh -f

deps:
	$(S)/install-deps.sh

qemu:
	$(S)/install-deps.sh && $(S)/build-qemu.sh

qemu-export:
	$(S)/export.sh vmm/qemu

qemu-tree:
	$(S)/qemu-tree.sh

qemu-reset-tree:
	$(S)/qemu-tree.sh -f

build:
	$(S)/build.sh $(ARCH)

kernel:
	$(S)/build-kernel.sh $(ARCH)

selftests:
	$(S)/build-selftests.sh $(ARCH)

initramfs:
	$(S)/make-initramfs.sh $(ARCH)

clean:
	rm -rf build
