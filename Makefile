# SPDX-License-Identifier: GPL-2.0
#
# make            the module nf_ckpt.ko and the userspace programs
# make deps       install the Debian packages for building, testing, demo
# make check      deps if missing, build, host tests and VM selftests
# make style      checkpatch (kernel style) on the kernel and C sources
# make sparse     the module checked by sparse
# make bench      benchmarks in guests and on the host, side by side
# make demo       a narrated failover of an HA NAT pair, in a guest
# make install    what make built: the module, programs, man pages, systemd
#                 units and configuration (DESTDIR, PREFIX=/usr/local,
#                 SYSCONFDIR=/etc, UNITDIR; see scripts/install); make uninstall
# make clean

KVER    ?= $(shell scripts/kernel-version 2>/dev/null)
KDIR    ?= /lib/modules/$(KVER)/build
BUILD   := $(CURDIR)/build
LINUX_SRC := $(BUILD)/linux-source

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	   -I$(CURDIR)/include/uapi -I$(CURDIR)/userspace/lib
# The tests run the userspace programs built again with ASan and UBSan,
# into build/san/; any report aborts the program and fails its test.
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
san = $(if $(findstring /san/,$@),$(SAN_CFLAGS))

NL_LIBS   = $(shell pkg-config --cflags --libs libnl-genl-3.0 libnl-3.0)
MNL_LIBS  = $(shell pkg-config --cflags --libs libmnl)
NFCT_LIBS = $(shell pkg-config --cflags --libs libmnl libnetfilter_conntrack)
NFT_LIBS  = $(shell pkg-config --cflags --libs libnftables libnftnl libmnl)

PROGS   := ckptctl pcpd pcpc ckpt-syncd
TOOLS   := ckpt_bulk ckpt_nlfuzz pcpd_nft_tool pcp_load nft_rule_rate \
	   ckpt-syncd-nockpt
PCP_SRC := $(wildcard userspace/pcp/*.c)
PCP_DEPS := $(PCP_SRC) $(wildcard userspace/pcp/*.h)
PCPD_SRC := userspace/pcpd/mapping.c
PCPD_DEPS := $(PCPD_SRC) $(wildcard userspace/pcpd/*.h) $(PCP_DEPS)

.PHONY: all module lab-modules userspace userspace-san deps check bench demo \
	style sparse clean linux-source install uninstall

all: module userspace

module:
	@test -d "$(KDIR)" || { echo "no kernel tree at '$(KDIR)' (run 'make deps' or set KDIR=)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 KCFLAGS=-Werror modules

lab-modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/lab/modules W=1 KCFLAGS=-Werror modules

userspace: $(addprefix $(BUILD)/,$(PROGS) $(TOOLS))
userspace-san: $(addprefix $(BUILD)/san/,$(PROGS) $(TOOLS)) \
	$(BUILD)/san/pcp_codec_test $(BUILD)/san/pcpd_mapping_test \
	$(BUILD)/san/pcpd_config_test \
	$(BUILD)/san/ckpt_syncd_wire_test $(BUILD)/san/ckpt_syncd_link_test \
	$(BUILD)/fuzz/pcp_codec_fuzz $(BUILD)/fuzz/ckpt_syncd_wire_fuzz \
	$(BUILD)/fuzz/pcpd_config_fuzz

LIB_SRC := userspace/lib/util.c userspace/lib/mapline.c userspace/lib/ctl.c
# nlfamily.c is libmnl's; ckptctl speaks libnl.
CKPTCTL_DEPS := $(filter-out userspace/lib/nlfamily.%,\
			$(wildcard userspace/ckptctl/*.[ch] userspace/lib/*.[ch])) \
		include/uapi/linux/nf_ckpt.h

$(BUILD)/ckptctl $(BUILD)/san/ckptctl: $(CKPTCTL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -o $@ $(filter %.c,$^) $(NL_LIBS)

PCPD_DAEMON_SRC := userspace/pcpd/nft.c userspace/pcpd/ckpt.c userspace/pcpd/replica.c \
		   userspace/pcpd/peer.c userspace/pcpd/peer_request.c \
		   userspace/pcpd/control.c userspace/pcpd/config.c \
		   userspace/pcpd/policy.c userspace/pcpd/subscriber.c \
		   userspace/pcpd/state.c userspace/pcpd/pending.c \
		   userspace/lib/nlfamily.c

$(BUILD)/pcpd $(BUILD)/san/pcpd: userspace/pcpd/pcpd.c $(PCPD_DAEMON_SRC) \
		$(PCPD_DEPS) $(LIB_SRC) include/uapi/linux/nf_ckpt.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -Iuserspace/pcp -Iuserspace/pcpd -o $@ $< \
		$(PCPD_DAEMON_SRC) $(PCPD_SRC) $(PCP_SRC) $(LIB_SRC) $(NFT_LIBS) $(NFCT_LIBS)

SYNCD_SRC := $(wildcard userspace/ckpt-syncd/*.c) userspace/lib/log.c \
	     userspace/lib/nlfamily.c
SYNCD_DEPS := $(SYNCD_SRC) $(wildcard userspace/ckpt-syncd/*.h userspace/lib/*.[ch]) \
	      include/uapi/linux/nf_ckpt.h

$(BUILD)/ckpt-syncd $(BUILD)/san/ckpt-syncd: $(SYNCD_DEPS) $(LIB_SRC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -o $@ $(SYNCD_SRC) $(LIB_SRC) $(NFCT_LIBS)

$(BUILD)/pcpc $(BUILD)/san/pcpc: userspace/pcpc/pcpc.c $(PCP_DEPS) $(LIB_SRC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -Iuserspace/pcp -o $@ $< $(PCP_SRC) $(LIB_SRC)

# Test and benchmark tools, not installed.
$(BUILD)/ckpt_bulk $(BUILD)/san/ckpt_bulk: selftests/tools/ckpt_bulk.c \
		userspace/lib/nlfamily.c userspace/lib/nlfamily.h include/uapi/linux/nf_ckpt.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -o $@ $< userspace/lib/nlfamily.c $(NFCT_LIBS)

# ckpt-syncd without its nf_ckpt side, for the host benchmark.
NOCKPT_SRC := $(filter-out userspace/ckpt-syncd/ckpt.c,$(SYNCD_SRC)) \
	      selftests/tools/ckpt_syncd_nockpt.c

$(BUILD)/ckpt-syncd-nockpt $(BUILD)/san/ckpt-syncd-nockpt: $(SYNCD_DEPS) $(LIB_SRC) \
		selftests/tools/ckpt_syncd_nockpt.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -Iuserspace/ckpt-syncd -o $@ $(NOCKPT_SRC) $(LIB_SRC) \
		$(NFCT_LIBS)

$(BUILD)/ckpt_nlfuzz $(BUILD)/san/ckpt_nlfuzz: selftests/tools/ckpt_nlfuzz.c \
		include/uapi/linux/nf_ckpt.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -o $@ $< $(MNL_LIBS)

$(BUILD)/pcpd_nft_tool $(BUILD)/san/pcpd_nft_tool: selftests/tools/pcpd_nft_tool.c \
		userspace/pcpd/nft.c userspace/pcpd/nft.h userspace/lib/util.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -Iuserspace/pcpd -o $@ $< userspace/pcpd/nft.c \
		userspace/lib/util.c $(NFT_LIBS)

$(BUILD)/pcp_load $(BUILD)/san/pcp_load: selftests/tools/pcp_load.c $(PCP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -Iuserspace/pcp -o $@ $< $(PCP_SRC)

$(BUILD)/nft_rule_rate $(BUILD)/san/nft_rule_rate: selftests/tools/nft_rule_rate.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(san) -o $@ $< $(NFT_LIBS)

# Host unit tests and fuzz targets.
$(BUILD)/san/pcp_codec_test: selftests/host/pcp_codec_test.c selftests/host/ktap.h $(PCP_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_CFLAGS) -Iuserspace/pcp -Iuserspace/lib -o $@ $< $(PCP_SRC)

$(BUILD)/san/pcpd_mapping_test: selftests/host/pcpd_mapping_test.c selftests/host/ktap.h $(PCPD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_CFLAGS) -Iuserspace/pcp -Iuserspace/pcpd -Iuserspace/lib \
		-o $@ $< $(PCPD_SRC) $(PCP_SRC) userspace/lib/mapline.c userspace/lib/util.c

PCPD_POLICY_SRC := userspace/pcpd/config.c userspace/pcpd/policy.c \
		   userspace/pcpd/subscriber.c userspace/lib/util.c

$(BUILD)/san/pcpd_config_test: selftests/host/pcpd_config_test.c selftests/host/ktap.h \
		$(PCPD_POLICY_SRC) $(PCPD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_CFLAGS) -Iuserspace/pcp -Iuserspace/pcpd -Iuserspace/lib \
		-o $@ $< $(PCPD_POLICY_SRC)

$(BUILD)/fuzz/pcp_codec_fuzz: selftests/fuzz/pcp_codec_fuzz.c $(PCP_DEPS)
	@mkdir -p $(@D)
	clang -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iuserspace/pcp -Iuserspace/lib -o $@ $< $(PCP_SRC)

$(BUILD)/fuzz/pcpd_config_fuzz: selftests/fuzz/pcpd_config_fuzz.c $(PCPD_POLICY_SRC) \
		$(PCPD_DEPS)
	@mkdir -p $(@D)
	clang -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iuserspace/pcp -Iuserspace/pcpd -Iuserspace/lib -o $@ $< $(PCPD_POLICY_SRC)

SYNCD_WIRE := userspace/ckpt-syncd/wire.c userspace/ckpt-syncd/cache.c \
	      userspace/ckpt-syncd/maps.c $(LIB_SRC)
SYNCD_WIRE_DEPS := $(SYNCD_WIRE) userspace/ckpt-syncd/wire.h userspace/ckpt-syncd/cache.h \
		   userspace/ckpt-syncd/maps.h userspace/lib/mapline.h

$(BUILD)/san/ckpt_syncd_wire_test: selftests/host/ckpt_syncd_wire_test.c \
		selftests/host/ktap.h $(SYNCD_WIRE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_CFLAGS) -Iuserspace/ckpt-syncd -o $@ $< $(SYNCD_WIRE)

$(BUILD)/san/ckpt_syncd_link_test: selftests/host/ckpt_syncd_link_test.c \
		selftests/host/ktap.h userspace/ckpt-syncd/link.c \
		userspace/ckpt-syncd/link.h $(SYNCD_WIRE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_CFLAGS) -Iuserspace/ckpt-syncd -o $@ $< \
		userspace/ckpt-syncd/link.c userspace/lib/log.c $(SYNCD_WIRE)

$(BUILD)/fuzz/ckpt_syncd_wire_fuzz: selftests/fuzz/ckpt_syncd_wire_fuzz.c $(SYNCD_WIRE_DEPS)
	@mkdir -p $(@D)
	clang -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iuserspace/ckpt-syncd -Iuserspace/lib -o $@ $< userspace/ckpt-syncd/wire.c

deps:
	scripts/install-deps

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" \
	      UNITDIR="$(UNITDIR)"

# What `make` built: run it first (as the user who builds, not as root).
install:
	@$(INSTALL_ENV) scripts/install

uninstall:
	@$(INSTALL_ENV) scripts/install --uninstall

# The pieces of Debian's linux-source-6.1 we use at build time (checkpatch
# and the kselftest harness header); never copied into the tree.
linux-source: $(LINUX_SRC)/.done
$(LINUX_SRC)/.done:
	scripts/extract-linux-source $(LINUX_SRC)
	@touch $@

check:
	@scripts/install-deps --if-missing
	@$(MAKE) --no-print-directory all userspace-san lab-modules linux-source
	@$(MAKE) --no-print-directory -C selftests run_tests

KERNEL_SOURCES := $(filter-out %.mod.c,$(wildcard kernel/*.[ch] \
	include/uapi/linux/*.h selftests/lab/modules/*.c))
USER_SOURCES   := $(wildcard userspace/*/*.[ch] selftests/tools/*.c \
	selftests/host/*.c selftests/fuzz/*.c)

bench:
	@scripts/install-deps --if-missing
	@$(MAKE) --no-print-directory all
	@selftests/bench/nf_ckpt_bench.sh
	@selftests/bench/ckpt_syncd_bench.sh
	@selftests/bench/ckpt_syncd_host_bench.sh
	@selftests/bench/pcpd_bench.sh

demo:
	@scripts/install-deps --if-missing
	@$(MAKE) --no-print-directory all
	@selftests/lab/vm-run -t 170 demo/failover.sh

# Userspace follows kernel style too, but may use typedefs for callbacks
# and spells attributes out (it has no compiler_attributes.h).
style: linux-source
	$(LINUX_SRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		--ignore FILE_PATH_CHANGES -f $(KERNEL_SOURCES)
	$(LINUX_SRC)/scripts/checkpatch.pl --no-tree --terse \
		--ignore FILE_PATH_CHANGES,NEW_TYPEDEFS,PREFER_DEFINED_ATTRIBUTE_MACRO \
		-f $(USER_SOURCES)

sparse:
	@$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CHECK="sparse -Wsparse-error" modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/selftests/lab/modules clean 2>/dev/null || true
	rm -rf $(BUILD)
