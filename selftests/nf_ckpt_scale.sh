#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 100 000 flagged connections: set and cleared in batches, counted, listed,
# measured, then the module unloaded with all of them flagged.  Nothing may
# be left behind: not a slab object, not a mark bit.
#
#   guest, one namespace
#   +---------------------------------------------------------------+
#   | ckpt_bulk inject: 100 000 UDP conntrack entries (ctnetlink)   |
#   | ckpt_bulk set / clear / report: nf_ckpt, batched, every       |
#   | request ACKed                                                 |
#   +---------------------------------------------------------------+

. "$(dirname "$0")/lib/ktap.sh"
LAB_MEM=1024 in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

N=100000
MARK=0x80000000
BULK=$CKPT_BULK

stat_of() { "$CKPTCTL" --json stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
flagged_count() { conntrack -L -m $MARK/$MARK 2>/dev/null | grep -c udp; }
nothing_left()
{
	[ "$(flagged_count)" = 0 ] || { echo "# mark bits left behind"; return 1; }
	slab_within_slack "$before"
}

[ -x "$BULK" ] || ktap_skip_all "ckpt_bulk is not built (run 'make')"
modprobe nf_conntrack && modprobe nf_conntrack_netlink ||
	ktap_skip_all "cannot load conntrack"
sysctl -qw net.netfilter.nf_conntrack_max=$((N * 3))

ktap_plan 13

ktap_check "inject $N conntrack entries" "$BULK" inject $N

before=$(slab_bytes)
insmod "$NF_CKPT_KO"
"$CKPTCTL" budget $((N * 2))

ktap_check "flag $N connections in batches" "$BULK" set $N
ktap_result "stats count $N entries" \
	$([ "$(stat_of entries)" = $N ]; echo $?)
ktap_result "conntrack has $N entries with the mark bit" \
	$([ "$(flagged_count)" = $N ]; echo $?)
ktap_result "a dump lists all $N entries" \
	$([ "$("$CKPTCTL" list | grep -c 'owner=1 ')" = $N ]; echo $?)

after=$(slab_bytes)
echo "# slab grew by $(( (after - before) / N )) B per entry, in slub_debug's" \
	"slot sizes (see the benchmark for the true figure)"

ktap_check "clear $N connections in batches" "$BULK" clear $N
ktap_result "no entry and no mark bit left after clearing" \
	$([ "$(stat_of entries)" = 0 ] && [ "$(flagged_count)" = 0 ]; echo $?)
ktap_check "flag them all again, 64 a request" "$BULK" set $N 64
ktap_result "stats count $N entries again" \
	$([ "$(stat_of entries)" = $N ]; echo $?)

# Entry 5 (198.18.0.0:1029) unflagged: its report fails alone.
"$CKPTCTL" clear -p udp -s 198.18.0.0 -d 198.19.0.1 --sport 1029 --dport 9
ktap_expect_fail "a sync report of all $N, 64 a request, is refused for the one unflagged" \
	"$BULK" report $N 64
ktap_result "...and every other one is reported done, its request's others too" \
	$([ "$("$CKPTCTL" list | grep -c 'sync=done')" = $((N - 1)) ]; echo $?)

ktap_check "unload with $N entries flagged" rmmod nf_ckpt
ktap_check "unload cleared every mark bit and freed every entry" nothing_left

ktap_finish
