#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload nf_ckpt 100 times in a guest.  Each time the generic
# netlink family "nf_ckpt" must appear with the module and disappear with
# it; at the end the slab must hold what it held before the first load.
#
#   guest (one namespace)
#   +--------------------------------------+
#   | insmod nf_ckpt.ko -> genl "nf_ckpt"  |
#   | rmmod nf_ckpt     -> no "nf_ckpt"    |
#   +--------------------------------------+

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

CYCLES=100

[ -r "$NF_CKPT_KO" ] || ktap_skip_all "nf_ckpt.ko is not built (run 'make')"
# nf_ckpt uses conntrack's symbols; insmod does not resolve dependencies.
modprobe nf_conntrack || ktap_skip_all "cannot load nf_conntrack"

ktap_plan 9

ktap_expect_fail "no nf_ckpt family before the first load" \
	genl_family_present nf_ckpt

# One load before measuring, so that what the first load of any module
# allocates for good (module loader caches) is in the baseline.
insmod "$NF_CKPT_KO" && rmmod nf_ckpt
before=$(slab_bytes)

ktap_check "$CYCLES load/unload cycles, family follows the module" \
	module_cycles "$NF_CKPT_KO" nf_ckpt "$CYCLES"
ktap_check "slab back to its baseline after $CYCLES cycles" \
	slab_within_slack "$before"

ktap_check "module loads again after the cycles" insmod "$NF_CKPT_KO"

ktap_result "the tests' ckptctl is the build with ASan and UBSan" \
	$(ldd "$CKPTCTL" | grep -q libasan && ldd "$CKPTCTL" | grep -q libubsan; echo $?)

stats=$("$CKPTCTL" --json stats)
echo "# ckptctl --json stats: $stats"
ktap_result "stats of a new namespace: no entries, default budget" \
	$([[ $stats == '{"entries":0,"budget":65536,'* ]]; echo $?)

ip netns add other
stats=$(ip netns exec other "$CKPTCTL" --json stats)
ktap_result "the family answers in another network namespace" \
	$([[ $stats == '{"entries":0,'* ]]; echo $?)
ip netns del other

ktap_expect_fail "stats from an unprivileged user namespace is refused" \
	unshare --user --map-root-user "$CKPTCTL" stats
ktap_check "module unloads with the family registered" rmmod nf_ckpt

ktap_finish
