#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, end to end: on an HA NAT pair run by keepalived, a TCP
# connection protected with PCP's CHECKPOINT_REQUIRED keeps working when
# the active NAT dies, with every byte delivered and no reset, while an
# unprotected connection beside it stalls and costs no replication; a
# protected UDP stream carries on too, its connection adopted (still
# protected) on the new master.  A
# check-pointed MAP mapping, filtered to the server, survives too: after
# the takeover it still takes new inbound connections, its FILTER with it,
# its refresh with its nonce is accepted
# (and one with another nonce refused), and the clients are told of the
# new epoch.  The dead node comes back as backup, resynchronises, and
# takes over again.
#
# Topology: selftests/lib/ha.sh.  Both NATs run ckpt-syncd and keepalived
# (contrib/keepalived: the notify script commits the peer's state before
# opening the node's gate); pcpd serves the inside virtual address.

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"
. "$SELFTESTS_DIR/lib/ha.sh"

MARK=0x80000000

flagged() { ip netns exec "$1" conntrack -L -p tcp --sport "$2" -m $MARK/$MARK 2>/dev/null | grep -c ESTABLISHED; }
flagged_udp() { ip netns exec "$1" conntrack -L -p udp --sport "$2" -m $MARK/$MARK 2>/dev/null | grep -c "src=$HA_CLIENT"; }

[ -x "$SYNCD" ] || ktap_skip_all "ckpt-syncd is not built (run 'make')"
command -v keepalived > /dev/null || ktap_skip_all "keepalived is not installed"
ha_topology || ktap_skip_all "cannot build the topology"

ktap_plan 34

ha_syncd nat-a && ha_syncd nat-b
ha_keepalived nat-a 150
ktap_check "nat-a becomes master and opens its gate" ha_wait 15 ha_master nat-a
ha_keepalived nat-b 100
ha_pcpd nat-a
ha_pcpd nat-b
ktap_check "the ckpt-syncd pair is up" \
	ha_wait 10 eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up'

ha_stream_server protected 9000
ha_stream_server unprotected 9001
ha_udp_server protudp 9002
sleep 0.5
out=$(ip netns exec client "$PCPC" -j -s $HA_VIP_IN map -p tcp --port 40000 \
	--checkpoint --lifetime 600)
echo "# pcpc: $out"
udp=$(ip netns exec client "$PCPC" -j -s $HA_VIP_IN map -p udp --port 40003 \
	--checkpoint --lifetime 600)
echo "# pcpc: $udp"
ktap_result "pcpc: MAPs for the client's TCP port 40000 and UDP port 40003 with CHECKPOINT_REQUIRED are granted" \
	$([[ $out == *'"checkpoint_granted":true'* ]] &&
	  [[ $udp == *'"checkpoint_granted":true'* ]]; echo $?)

# A mapping for a service in the client: inbound connections to it.
ha_service 40002
map=$(ha_map 40002 --filter $HA_SERVER/32)
echo "# pcpc: $map"
eport=$(ha_json external_port "$map")
nonce=$(ha_json nonce "$map")
inbound() { ha_inbound "$eport"; }
ktap_result "pcpc: a check-pointed MAP of port 40002 (external port $eport), reachable from outside" \
	$([[ $map == *'"checkpoint_granted":true'* ]] && [ "$(inbound)" = mapped ]; echo $?)

ha_stream protected 40000 9000
ha_stream unprotected 40001 9001
ha_stream protudp 40003 9002 UDP
ktap_check "the streams from TCP port 40000 and UDP port 40003 are flagged on nat-a" \
	ha_wait 10 eval '[ "$(flagged nat-a 40000)" = 1 ] && [ "$(flagged_udp nat-a 40003)" = 1 ]'
# Three connections are flagged: the streams, and the inbound one that
# went through the check-pointed mapping (closed, it waits in TIME_WAIT).
ktap_check "nat-b holds them and the mapping's inbound connection, and only them" \
	ha_wait 10 ha_status_is nat-b external 3
ktap_check "nf_ckpt on nat-a says the peer holds it" \
	ha_wait 5 eval 'ip netns exec nat-a "$CKPTCTL" list | grep -q "sport=40000 .*sync=done"'
ktap_check "pcpd on nat-b holds both check-pointed mappings on standby, with 40002's FILTER" \
	ha_wait 10 eval 'ha_status_is nat-b maps_peer 3 &&
		[ "$(grep -c "standby-map .*port=4000[02] " "$HA_RUN/nat-b.pcpd.log")" -ge 2 ] &&
		ip netns exec nat-b nft list set ip pcpd allowed_tcp | grep -q " . $HA_SERVER . 0-65535"'

# An asymmetric path: a second upstream router that sends replies to the
# pair's outside address to nat-b, the backup.  Its closed gate drops
# them before conntrack, counts them, and names the flow in the kernel log.
ha_namespaces stray
ip link add st0 netns stray type veth peer name sw-st netns sw
ip -n sw link set sw-st master br-out up
ip -n stray addr add 198.51.100.7/24 dev st0
ip -n stray link set st0 up
ip -n stray route add $HA_VIP_OUT/32 via 198.51.100.12
sysctl -qw net.netfilter.nf_log_all_netns=1
udp_eport=$(ha_json external_port "$udp")
drops=$(ha_gate_drops nat-b)
drops_a=$(ha_gate_drops nat-a)
echo reply | ip netns exec stray socat -u - UDP-SENDTO:$HA_VIP_OUT:$udp_eport,sourceport=9002
ktap_check "nat-b's closed gate counts a reply of the protected UDP flow sent to it" \
	ha_wait 5 eval '[ "$(ha_gate_drops nat-b)" -gt "$drops" ]'
ktap_result "...and logs it: ckpt-gate drop: IN=b-out ... DST=$HA_VIP_OUT ... DPT=$udp_eport" \
	$(dmesg | grep "ckpt-gate drop: IN=b-out " | grep "DST=$HA_VIP_OUT " |
	  grep -q "SPT=9002 DPT=$udp_eport "; echo $?)
ktap_result "nat-a, the master, dropped nothing meanwhile: its gate is open" \
	$([ "$(ha_gate_drops nat-a)" = "$drops_a" ]; echo $?)
# keepalived adds the virtual addresses before the notify script commits:
# a packet to one of them that came then must stop at the closed gate, not
# reach the node's own stack (a reset) or start a conntrack entry (field
# note 7).  The address goes on lo, and b-out answers ARP only for its own
# addresses, so the server keeps sending to nat-a.
ip netns exec nat-b sysctl -qw net.ipv4.conf.b-out.arp_ignore=1
ip -n nat-b addr add $HA_VIP_OUT/32 dev lo
drops=$(ha_gate_drops nat-b)
echo early | ip netns exec stray socat -u - UDP-SENDTO:$HA_VIP_OUT:$udp_eport,sourceport=9002
ktap_check "with the outside virtual address up but not yet committed, nat-b's gate drops a packet to it" \
	ha_wait 5 eval '[ "$(ha_gate_drops nat-b)" -gt "$drops" ]'
ktap_result "...before conntrack: nat-b has no entry for it" \
	$(! ip netns exec nat-b conntrack -L -p udp --dport "$udp_eport" 2>/dev/null | grep -q .; echo $?)
ip -n nat-b addr del $HA_VIP_OUT/32 dev lo
ip netns exec nat-b sysctl -qw net.ipv4.conf.b-out.arp_ignore=0
sleep 2

echo "# nat-a crashes: its processes killed, its links cut"
lines_at_crash=$(wc -l < "$HA_RUN/protected.rx")
udp_at_crash=$(wc -l < "$HA_RUN/protudp.rx")
unprotected_at_crash=$(wc -l < "$HA_RUN/unprotected.rx")
ktap_result "both streams flowed through nat-a ($lines_at_crash and $unprotected_at_crash lines)" \
	$([ "$lines_at_crash" -gt 20 ] && [ "$unprotected_at_crash" -gt 20 ]; echo $?)
ha_crash nat-a
ip netns exec client "$PCPC" -j -s $HA_VIP_IN watch --timeout 30 > "$HA_RUN/announce" &
watcher=$!
ktap_check "nat-b becomes master and opens its gate" ha_wait 15 ha_master nat-b
ktap_result "its notify script committed nat-a's state (ckpt-syncd -c)" \
	$([ "$(ha_status nat-b commits)" = 1 ] && [ "$(ha_status nat-b commit_created)" = 3 ]; echo $?)
ktap_check "...and read them back by a resync, as the commit raises no events" \
	ha_wait 10 ha_status_is nat-b internal 3
ktap_check "the protected stream carries on through nat-b" \
	ha_wait 20 eval '[ "$(wc -l < "$HA_RUN/protected.rx")" -gt $((lines_at_crash + 40)) ]'
ktap_check "the protected UDP stream carries on through nat-b ($udp_at_crash datagrams before), still flagged there" \
	ha_wait 20 eval '[ "$(wc -l < "$HA_RUN/protudp.rx")" -gt $((udp_at_crash + 40)) ] &&
		[ "$(flagged_udp nat-b 40003)" = 1 ]'
# 192.0.2.2, the client's subscriber, is owner 3221225986.
ip netns exec nat-b "$CKPTCTL" list | grep "sport=4000[03] " | sed 's/^/# nat-b: /'
ktap_result "nat-b has the protected connections, flagged and adopted, owned as their mappings' rules own them" \
	$([ "$(flagged nat-b 40000)" = 1 ] &&
	  ip netns exec nat-b "$CKPTCTL" list | grep -q "sport=40000 .*owner=3221225986" &&
	  ip netns exec nat-b "$CKPTCTL" list | grep -q "sport=40003 .*owner=3221225986"; echo $?)
ktap_result "pcpd on nat-b took both mappings over and began a new epoch" \
	$(grep -q "takeover epoch=0 mappings=3 adopted=3" "$HA_RUN/nat-b.pcpd.log"; echo $?)
wait $watcher
echo "# announcement: $(cat "$HA_RUN/announce")"
ktap_result "the client heard an unsolicited ANNOUNCE with the new epoch" \
	$(e=$(ha_json epoch "$(cat "$HA_RUN/announce")"); [ -n "$e" ] && [ "$e" -lt 30 ]; echo $?)
ktap_check "the mapping takes a new inbound connection through nat-b" \
	eval '[ "$(inbound)" = mapped ]'
ktap_check "nat-b's ckpt-syncd reads events again: the new connection, flagged by the rule" \
	ha_wait 10 ha_status_is nat-b internal 4
bad=$(ha_map 40002 --nonce 000000000000000000000000)
echo "# pcpc, another nonce: $bad"
ktap_result "a refresh with another nonce is refused (NOT_AUTHORIZED)" \
	$([[ $bad == *NOT_AUTHORIZED* ]]; echo $?)
again=$(ha_map 40002 --nonce "$nonce")
echo "# pcpc, its nonce: $again"
ktap_result "the refresh with its nonce keeps external port $eport and the check-point" \
	$([[ $again == *'"result":"SUCCESS"'* && $again == *"\"external_port\":$eport,"* &&
	     $again == *'"checkpoint_granted":true'* ]]; echo $?)

echo "# nat-a returns, as a backup that lost its state"
ip netns exec nat-a conntrack -F 2>/dev/null
for l in a-in a-out a-sync; do ip -n nat-a link set $l up; done
ha_nat_tables nat-a
ha_syncd nat-a
ha_pcpd nat-a
ha_keepalived nat-a 150
# The streams, and the inbound connections before and after the crash.
ktap_check "nat-a resynchronises: it holds the four flagged connections again" \
	ha_wait 20 ha_status_is nat-a external 4
ktap_check "...and the three mappings, on standby for its pcpd" \
	ha_wait 10 ha_status_is nat-a maps_peer 3
ktap_result "nat-a stays backup (no preemption)" $(! ha_master nat-a; echo $?)

echo "# fail back: keepalived on nat-b stops"
udp_at_failback=$(wc -l < "$HA_RUN/protudp.rx")
kill "$(cat "$HA_RUN/nat-b.keepalived.ppid")"
ktap_check "nat-a becomes master again" ha_wait 15 ha_master nat-a
ktap_check "...and its pcpd takes both mappings back" \
	ha_wait 5 grep -q "takeover epoch=0 mappings=3 adopted=3" "$HA_RUN/nat-a.pcpd.log"
sleep 3

ktap_check "the protected stream: every byte delivered, no reset, through both failovers" \
	ha_stream_stop protected
ktap_expect_fail "the unprotected stream did not survive the crash" \
	ha_stream_stop unprotected
# Datagrams sent while the addresses move are lost; the flow is not.
ktap_check "the protected UDP stream carries on after the fail back too, still flagged on nat-a" \
	ha_wait 20 eval '[ "$(wc -l < "$HA_RUN/protudp.rx")" -gt $((udp_at_failback + 40)) ] &&
		[ "$(flagged_udp nat-a 40003)" = 1 ]'
touch "$HA_RUN/protudp.stop"
echo "# protudp: sent $(wc -l < "$HA_RUN/protudp.tx") datagrams, received $(wc -l < "$HA_RUN/protudp.rx")"
pkill -f "sourceport=40001" 2>/dev/null

for f in "$HA_RUN"/*.syncd.log "$HA_RUN"/*.pcpd.log; do
	if [ "$ktap_fail" = 0 ]; then
		grep -v " info \|: map \|started\|listening" "$f" | head -3
	else
		cat "$f"	# all of it, to see what went wrong
	fi | sed "s|^|# $(basename "$f"): |"
done
ktap_finish
