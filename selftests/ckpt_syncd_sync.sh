#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ckpt-syncd replicates the check-pointed connections of one NAT to its
# peer, and only those: a flagged TCP flow reaches the peer's external
# cache and nf_ckpt says the peer holds it; an unflagged flow beside it
# is not sent; clearing the flag removes it from the peer; 10 000 flagged
# entries are replicated and committed into the peer's conntrack with
# their NAT bindings and adopted by its nf_ckpt; malformed sync messages
# are refused and counted; a restarted daemon gets a full resync.
#
# Topology: selftests/lib/ha.sh (client, nat-a, nat-b, server, a bridge
# on each side, a sync link between the NATs).  nat-a is made active by
# hand here; keepalived is exercised by ckpt_failover.sh.

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"
. "$SELFTESTS_DIR/lib/ha.sh"

MARK=0x80000000

a() { ip netns exec nat-a "$@"; }
b() { ip netns exec nat-b "$@"; }
flagged_ct() { ip netns exec "$1" conntrack -L -m $MARK/$MARK 2>/dev/null | grep -c -- "$2"; }

[ -x "$SYNCD" ] || ktap_skip_all "ckpt-syncd is not built (run 'make')"
ha_topology || ktap_skip_all "cannot build the topology"

# nat-a active by hand: the virtual addresses, the gate open.
ip -n nat-a addr add $HA_VIP_IN/24 dev a-in
ip -n nat-a addr add $HA_VIP_OUT/24 dev a-out
a nft flush chain ip ckpt_gate pre
ip netns exec server socat -u TCP-LISTEN:8080,reuseaddr,fork - > /dev/null &
ip netns exec server socat -u TCP-LISTEN:8081,reuseaddr,fork - > /dev/null &
sleep 0.5

ktap_plan 18

ktap_check "ckpt-syncd starts on nat-a" ha_syncd nat-a
ktap_check "ckpt-syncd starts on nat-b" ha_syncd nat-b
ktap_check "each sees the other up" \
	ha_wait 5 eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up'

# A protected flow from port 40000 and an unprotected one from 40001.
(sleep 60 | ip netns exec client socat -u - \
	TCP:$HA_SERVER:8080,sourceport=40000) &
(sleep 60 | ip netns exec client socat -u - \
	TCP:$HA_SERVER:8081,sourceport=40001) &
ha_wait 5 eval '[ "$(a conntrack -L -p tcp --sport 40001 2>/dev/null | grep -c ESTABLISHED)" = 1 ]'
TUPLE="-p tcp -s $HA_CLIENT -d $HA_SERVER --sport 40000 --dport 8080"
ktap_check "flag the flow from port 40000 on nat-a" \
	a "$CKPTCTL" set $TUPLE -o 5

ktap_check "nat-b's external cache holds it" \
	ha_wait 3 ha_status_is nat-b external 1
echo "# nat-a internal=$(ha_status nat-a internal) nat-b external=$(ha_status nat-b external)"
a conntrack -L -m $MARK/$MARK 2>/dev/null | sed 's/^/# flagged: /'
ktap_check "nf_ckpt on nat-a says the peer holds it (sync=done)" \
	ha_wait 3 eval 'a "$CKPTCTL" get $TUPLE | grep -q "sync=done"'
ktap_result "the unprotected flow was not sent: nat-a holds one entry" \
	$([ "$(ha_status nat-a internal)" = 1 ]; echo $?)

ktap_check "clearing the flag drops it from nat-b" \
	eval 'a "$CKPTCTL" clear $TUPLE && ha_wait 3 ha_status_is nat-b external 0'
a "$CKPTCTL" set $TUPLE -o 5

echo "# 10 000 more flagged entries on nat-a"
a "$CKPT_BULK" inject 10000 > /dev/null && a "$CKPT_BULK" set 10000 64 > /dev/null
ktap_check "nat-b's external cache holds all 10 001" \
	ha_wait 30 ha_status_is nat-b external 10001
ktap_check "nf_ckpt on nat-a has every entry synced" \
	ha_wait 10 eval '[ "$(a "$CKPTCTL" list | grep -c "sync=done")" = 10001 ]'
echo "# synced=$(a "$CKPTCTL" list | grep -c "sync=done") report_errors=$(ha_status nat-a report_errors) internal=$(ha_status nat-a internal)"
a "$CKPTCTL" list | grep -v "sync=done" | head -3 | sed 's/^/# not synced: /'

# Malformed messages on the sync link, from nat-a's address.
before=$(ha_status nat-b malformed)
for hex in 01 020100000018000000000000000000000000000000000000 \
	   01ff00000018000000000001000000010000000000000000 \
	   0101000000200000000000010000000100000000000000000005000400000000 \
	   0101000000200000000000010000000100000000000000000001002000000000; do
	echo "$hex" | xxd -r -p | a socat -u - UDP:203.0.113.2:3780,sourceport=3781
done
ktap_check "five malformed messages refused and counted on nat-b" \
	ha_wait 3 eval '[ "$(ha_status nat-b malformed)" = $((before + 5)) ]'
ktap_result "the external cache is untouched by them" \
	$([ "$(ha_status nat-b external)" = 10001 ]; echo $?)

out=$(b "$SYNCD" --control "$HA_RUN/nat-b.sock" --commit)
echo "# $out"
ktap_result "commit on nat-b creates all 10 001 connections and adopts them" \
	$([[ $out == *"created=10001 failed=0 "*"adopted=10001 adopt_failed=0 "*"error=0"* ]]; echo $?)
ktap_result "nat-b's conntrack has the TCP flow with its NAT binding, flagged" \
	$(b conntrack -L -p tcp --sport 40000 -m $MARK/$MARK 2>/dev/null |
	  grep -q "ESTABLISHED src=$HA_CLIENT dst=$HA_SERVER sport=40000 dport=8080 .*src=$HA_SERVER dst=$HA_VIP_OUT sport=8080"; echo $?)
b conntrack -L -p tcp 2>/dev/null | sed 's/^/# nat-b: /'
ktap_result "nf_ckpt on nat-b counts 10 001 entries" \
	$(b "$CKPTCTL" stats | grep -q "^entries: 10001$"; echo $?)

ha_stop_syncd nat-b
b conntrack -F 2>/dev/null
ha_syncd nat-b
ktap_check "a restarted ckpt-syncd on nat-b gets nat-a's whole state again" \
	ha_wait 30 ha_status_is nat-b external 10001
echo "# nat-b external=$(ha_status nat-b external) nat-a internal=$(ha_status nat-a internal)"
tail -5 "$HA_RUN/nat-b.syncd.log" | sed 's/^/# nat-b log: /'

# A UDP flow that lives on traffic: each datagram refreshes its 5 s
# timeout on nat-a without an event, so nat-b's cached time runs out while
# the flow is alive.  The commit must not drop it.
a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5
ip netns exec server socat -u UDP-RECV:9100 /dev/null &
# Listening first: a refused datagram would end the sender, and the flow.
ha_wait 5 eval 'ip netns exec server ss -Hlun | grep -q ":9100 "'
(for i in $(seq 24); do echo tick; sleep 0.5; done) |
	ip netns exec client socat -u - UDP:$HA_SERVER:9100,sourceport=41000 &
ha_wait 5 eval 'a conntrack -L -p udp --sport 41000 2>/dev/null | grep -q 41000'
a "$CKPTCTL" set -p udp -s $HA_CLIENT -d $HA_SERVER --sport 41000 --dport 9100 -o 5
ktap_check "nat-b's cache holds the UDP flow" ha_wait 5 ha_status_is nat-b external 10002
sleep 8	# its 5 s ran out on nat-b's clock; the flow goes on
echo "# nat-a: $(a conntrack -L -p udp --sport 41000 2>/dev/null)"
out=$(b "$SYNCD" --control "$HA_RUN/nat-b.sock" --commit)
echo "# $out"
ktap_result "a flow whose cached time ran out a few seconds ago is committed, not expired" \
	$([[ $out == *" expired=0 "* ]] &&
	  b conntrack -L -p udp --sport 41000 -m $MARK/$MARK 2>/dev/null | grep -q "dport=9100 "; echo $?)
b conntrack -L -p udp --sport 41000 2>/dev/null | sed 's/^/# nat-b: /'

for n in nat-a nat-b; do
	grep -v "^ckpt-syncd: info" "$HA_RUN/$n.syncd.log" | head -5 | sed "s/^/# $n: /"
done
ktap_finish
