#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Endpoint rules for PCP MAP mappings: a rule on a mapping's internal
# endpoint flags every new connection through the mapping before it is
# confirmed, and nothing else; a FILTER restricts it to one remote; a
# ctnetlink listener filtering on the mark bit sees only flagged
# connections; a replication daemon's sync report reaches the multicast
# group and the entry.
#
#   client (inside)         nat                             server (outside)
#   +------------+  veth   +------------------------------+  veth   +-------------+
#   | c0         |---------| n0             n1            |---------| s0          |
#   | 192.0.2.2  |         | 192.0.2.1      198.51.100.1  |         | 198.51.100.2|
#   | :6000 tcp  |         | masquerade out of n1         |         |             |
#   | :7000 udp  |         | DNAT 198.51.100.1:5000/tcp   |         |             |
#   +------------+         |   -> 192.0.2.2:6000          |         +-------------+
#                          | DNAT 198.51.100.1:7000/udp   |
#                          |   -> 192.0.2.2:7000          |
#                          +------------------------------+

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

MARK=0x80000000

nat() { ip netns exec nat "$@"; }
ckptctl() { nat "$CKPTCTL" "$@"; }
stat_of() { ckptctl --json stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
flagged() { nat conntrack -L -m $MARK/$MARK 2>/dev/null | grep -c -- "$1"; }

setup()
{
	nat_topology && insmod "$NF_CKPT_KO" || return 1

	nat nft -f - <<-'NFT'
	table ip natlab {
		chain pre {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "n1" tcp dport 5000 dnat to 192.0.2.2:6000
			iifname "n1" udp dport 7000 dnat to 192.0.2.2:7000
		}
	}
	NFT
}

# inbound_tcp SPORT: a TCP connection from the server through the mapping.
inbound_tcp()
{
	ip netns exec server socat -u - \
		TCP:198.51.100.1:5000,sourceport="$1",connect-timeout=5 <<< hello
}

inbound_udp()
{
	ip netns exec server socat -u - \
		UDP:198.51.100.1:7000,sourceport="$1" <<< hello
}

[ -r "$NF_CKPT_KO" ] || ktap_skip_all "nf_ckpt.ko is not built (run 'make')"
setup || ktap_skip_all "cannot build the topology"

ip netns exec client socat -u TCP-LISTEN:6000,reuseaddr,fork - > /dev/null &
ip netns exec client socat -u UDP-RECV:7000 - > /dev/null &
ip netns exec server socat -u TCP-LISTEN:8080,reuseaddr,fork - > /dev/null &
nat conntrack -E -e NEW -m $MARK/$MARK > /tmp/events 2>/dev/null &
events=$!
sleep 1

ktap_plan 24

ktap_check "a rule for the TCP mapping's internal endpoint, owner 3" \
	ckptctl rule add -p tcp -a 192.0.2.2 --port 6000 -o 3
ktap_check "a FILTER rule for the UDP mapping: remote 198.51.100.2 port 9999" \
	ckptctl rule add -p udp -a 192.0.2.2 --port 7000 \
	--remote 198.51.100.2/32 --remote-port 9999 -o 4
rules=$(ckptctl rule list)
echo "$rules" | sed 's/^/# rule: /'
ktap_result "rule list shows both rules" \
	$([ "$(grep -c . <<< "$rules")" = 2 ]; echo $?)

inbound_tcp 41000
ip netns exec client socat -u - TCP:198.51.100.2:8080,sourceport=40000 <<< x
inbound_udp 9999
inbound_udp 9998
sleep 1
nat conntrack -L 2>/dev/null | sed 's/^/# conntrack: /'

ktap_result "a new inbound TCP connection through the mapping is flagged" \
	$([ "$(flagged 'sport=41000 dport=5000')" = 1 ]; echo $?)
ktap_result "its entry is charged to the rule's owner" \
	$(ckptctl list -o 3 | grep -q 'sport=41000 dport=5000'; echo $?)
ktap_result "an unrelated outbound TCP connection is not flagged" \
	$([ "$(flagged 'dport=8080')" = 0 ]; echo $?)
ktap_result "UDP from the FILTER's remote port is flagged" \
	$([ "$(flagged 'sport=9999 dport=7000')" = 1 ]; echo $?)
ktap_result "UDP from another remote port is not flagged" \
	$([ "$(flagged 'sport=9998 dport=7000')" = 0 ]; echo $?)
ktap_result "rule hits and entries count the two flagged connections" \
	$([ "$(stat_of rule_hits)" = 2 ] && [ "$(stat_of entries)" = 2 ]; echo $?)

kill $events
echo "# events: $(tr '\n' '|' < /tmp/events)"
ktap_result "a listener filtering on the mark bit saw the flagged connections" \
	$(grep -q 'sport=41000 dport=5000' /tmp/events &&
	  grep -q 'sport=9999 dport=7000' /tmp/events; echo $?)
ktap_result "and none of the others" \
	$(! grep -q -e 'dport=8080' -e 'sport=9998' /tmp/events; echo $?)

expect_refusal "an equal rule is refused" "equal rule exists" \
	rule add -p tcp -a 192.0.2.2 --port 6000 -o 3
expect_refusal "deleting a rule that does not exist is refused" "no such rule" \
	rule del -p tcp -a 192.0.2.2 --port 6001
expect_refusal "a rule for ICMP is refused" "protocol must be" \
	rule add -p icmp -a 192.0.2.2
expect_refusal "a rule for all protocols on one port is refused" "all ports" \
	rule add -p 0 -a 192.0.2.2 --port 80
expect_refusal "an IPv4 remote prefix longer than 32 is refused" "out of range" \
	rule add -p udp -a 192.0.2.2 --port 7001 --remote 198.51.100.0/33
expect_refusal "a rule without an internal address is refused" \
	"internal address" rule add -p udp --port 7001
expect_refusal "an IPv6 remote on an IPv4 rule is refused" "different families" \
	rule add -p udp -a 192.0.2.2 --port 7001 --remote 2001:db8::1

TCP_IN="-p tcp -s 198.51.100.2 -d 198.51.100.1 --sport 41000 --dport 5000"
nat "$CKPTCTL" monitor > /tmp/monitor 2>&1 &
monitor=$!
sleep 1
ktap_check "a replication daemon reports the inbound entry synced" \
	ckptctl sync-set $TCP_IN --state done
sleep 1
kill $monitor
echo "# monitor: $(cat /tmp/monitor)"
ktap_result "the sync group heard it, and the entry says sync=done" \
	$(grep -q 'sync .*sport=41000 dport=5000.*sync=done' /tmp/monitor &&
	  ckptctl get $TCP_IN | grep -q 'sync=done'; echo $?)
expect_refusal "a sync report for an unflagged connection is refused" \
	"not check-pointed" sync-set -p tcp -s 192.0.2.2 -d 198.51.100.2 \
	--sport 40000 --dport 8080 --state done

ktap_check "delete the TCP rule" \
	ckptctl rule del -p tcp -a 192.0.2.2 --port 6000
inbound_tcp 41001
sleep 1
ktap_result "after deletion, a new inbound connection is not flagged" \
	$([ "$(flagged 'sport=41001 dport=5000')" = 0 ]; echo $?)

ktap_check "unload with a rule and entries present" rmmod nf_ckpt

ktap_finish
