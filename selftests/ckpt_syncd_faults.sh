#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ckpt-syncd under faults: a sync link losing 20% of its datagrams and
# reordering them during a burst of check-points (the backup converges);
# the backup's daemon killed in the middle of a burst (a full resync); a
# DESTROY lost with the active's daemon, then a new connection on the same
# tuple (one entry, the new one); 100 000 protected entries committed at
# takeover.
#
# Topology: selftests/lib/ha.sh; nat-a is active by hand.

# Two daemons built with ASan and 200 000 conntrack entries need more than
# the lab's default memory.
export LAB_MEM=${LAB_MEM:-1536}
. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"
. "$SELFTESTS_DIR/lib/ha.sh"

a() { ip netns exec nat-a "$@"; }
b() { ip netns exec nat-b "$@"; }
restart_syncd()
{
	ha_stop_syncd "$1" KILL
	ha_syncd "$1"
}

[ -x "$SYNCD" ] || ktap_skip_all "ckpt-syncd is not built (run 'make')"
ha_topology && modprobe sch_netem || ktap_skip_all "cannot build the topology"
echo 200000 > /sys/module/nf_conntrack/parameters/hashsize
a "$CKPTCTL" budget 300000 && b "$CKPTCTL" budget 300000

ktap_plan 10

ha_syncd nat-a && ha_syncd nat-b
ha_wait 10 eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up'

echo "# the sync link drops 20% and reorders, both ways"
a tc qdisc add dev a-sync root netem delay 2ms 2ms loss 20% reorder 25% 50%
b tc qdisc add dev b-sync root netem delay 2ms 2ms loss 20% reorder 25% 50%
sessions=$(ha_status nat-a sessions)
a "$CKPT_BULK" inject 20000 > /dev/null && a "$CKPT_BULK" set 20000 64 > /dev/null
ktap_check "nat-b converges on all 20 000 entries" \
	ha_wait 120 ha_status_is nat-b external 20000
echo "# nat-a retransmitted $(ha_status nat-a retransmitted) of $(ha_status nat-a sent); nat-b saw $(ha_status nat-b out_of_order) out of order, $(ha_status nat-b duplicates) duplicates"
ktap_result "the losses were repaired by retransmission, not by resync" \
	$([ "$(ha_status nat-a retransmitted)" -gt 0 ] &&
	  [ "$(ha_status nat-a sessions)" = "$sessions" ]; echo $?)
ktap_check "nf_ckpt on nat-a has all 20 000 synced" \
	ha_wait 60 eval '[ "$(a "$CKPTCTL" list | grep -c "sync=done")" = 20000 ]'
echo "# synced: $(a "$CKPTCTL" list | grep -c "sync=done"), report errors $(ha_status nat-a report_errors)"
a tc qdisc del dev a-sync root
b tc qdisc del dev b-sync root

echo "# nat-b's daemon killed during a burst of 10 000 more"
(a "$CKPT_BULK" clear 20000 64 > /dev/null; a "$CKPT_BULK" set 20000 64 > /dev/null) &
burst=$!
sleep 0.3
restart_syncd nat-b
wait $burst
ktap_check "after its restart nat-b holds nat-a's whole state again" \
	ha_wait 60 eval '[ "$(ha_status nat-b external)" = "$(ha_status nat-a internal)" ] && ha_status_is nat-b external 20000'

echo "# a DESTROY lost: the link down, the entry deleted, nat-a's daemon killed"
a conntrack -I -p udp -s 10.9.9.9 -d 198.51.100.2 --sport 5555 --dport 53 \
	--timeout 600 --mark 0x80000000 > /dev/null 2>&1
a "$CKPTCTL" set -p udp -s 10.9.9.9 -d 198.51.100.2 --sport 5555 --dport 53 -o 9
ktap_check "a UDP entry with 600 s to live reaches nat-b" \
	ha_wait 10 ha_status_is nat-b external 20001
a ip link set a-sync down
a conntrack -D -p udp -s 10.9.9.9 --sport 5555 > /dev/null 2>&1
restart_syncd nat-a
a conntrack -I -p udp -s 10.9.9.9 -d 198.51.100.2 --sport 5555 --dport 53 \
	--timeout 9000 --mark 0x80000000 > /dev/null 2>&1
a "$CKPTCTL" set -p udp -s 10.9.9.9 -d 198.51.100.2 --sport 5555 --dport 53 -o 9
a ip link set a-sync up
ktap_check "after the link returns nat-b holds 20 001 entries: the new one, not both" \
	ha_wait 60 eval 'ha_status_is nat-b peer up && [ "$(ha_status nat-b peer_sessions)" -ge 2 ] && ha_status_is nat-b external 20001'
echo "# nat-b: peer=$(ha_status nat-b peer) peer_sessions=$(ha_status nat-b peer_sessions) external=$(ha_status nat-b external); nat-a internal=$(ha_status nat-a internal)"
tail -4 "$HA_RUN/nat-a.syncd.log" | sed 's/^/# nat-a: /'

echo "# 80 000 more: 100 001 protected entries, committed on nat-b"
a "$CKPT_BULK" inject 100000 > /dev/null 2>&1
a "$CKPT_BULK" set 100000 64 > /dev/null
ktap_check "nat-b holds all 100 001" ha_wait 120 ha_status_is nat-b external 100001
a ip link set a-sync down
out=$(b "$SYNCD" --control "$HA_RUN/nat-b.sock" --commit)
echo "# $out"
ktap_result "the commit creates and adopts all 100 001" \
	$([[ $out == *"created=100001 failed=0 "*"adopted=100001 adopt_failed=0 "*"error=0"* ]]; echo $?)
ktap_result "the UDP entry is the new one: more than 600 s left" \
	$(b conntrack -L -p udp -s 10.9.9.9 --sport 5555 2>/dev/null | awk '{ exit !($3 > 600) }'; echo $?)
ktap_result "nat-b's conntrack and nf_ckpt hold 100 001 flagged entries" \
	$([ "$(b conntrack -L -m 0x80000000/0x80000000 2>/dev/null | wc -l)" = 100001 ] &&
	  b "$CKPTCTL" stats | grep -q "^entries: 100001$"; echo $?)

for n in nat-a nat-b; do
	grep -v " info " "$HA_RUN/$n.syncd.log" | sort | uniq -c | sort -rn | head -4 | sed "s/^/# $n: /"
done
ktap_finish
