#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed requests of known kinds must each be refused with an extack
# message.  Random and malformed requests (ckpt_nlfuzz): random
# commands and attributes, valid requests with a byte changed, requests cut
# short.  Every one must be answered, the kernel log must stay clean (the
# lab checks it, with slab debugging), and the module must still work and
# unload.
#
#   guest, netns "fuzz": one UDP conntrack entry that the fuzzer's
#   well-formed requests name, so that some of them succeed

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

FUZZ=$CKPT_NLFUZZ
COUNT=${COUNT:-20000}

fuzz() { ip netns exec fuzz "$@"; }

[ -x "$FUZZ" ] || ktap_skip_all "ckpt_nlfuzz is not built (run 'make')"
modprobe nf_conntrack && modprobe nf_conntrack_netlink ||
	ktap_skip_all "cannot load conntrack"
insmod "$NF_CKPT_KO"
ip netns add fuzz
fuzz conntrack -I -p udp -s 192.0.2.2 -d 198.51.100.2 --sport 4660 \
	--dport 53 -t 600 > /dev/null 2>&1

ktap_plan 6

ktap_check "every malformed request of the probe list is refused with an extack message" \
	fuzz "$FUZZ" probe

ktap_check "$COUNT requests, seed 1, all answered" fuzz "$FUZZ" "$COUNT" 1
ktap_check "$COUNT requests, seed 2, all answered" fuzz "$FUZZ" "$COUNT" 2
ktap_result "well-formed requests among them flagged the connection" \
	$(fuzz "$CKPTCTL" --json stats | grep -qv '"set":0,'; echo $?)
ktap_result "rules added by the fuzzer are listed" \
	$([ "$(fuzz "$CKPTCTL" rule list | grep -c proto=6)" -gt 0 ]; echo $?)
ktap_check "the module unloads with what the fuzzer left" rmmod nf_ckpt

ktap_finish
