#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd's nftables mappings (userspace/pcpd/nft.c, driven by pcpd_nft_tool)
# with real traffic, on the host kernel in namespaces of our own: a mapping
# DNATs a new inbound connection, a replace retargets it, a delete stops
# it, the kernel expires an element by its timeout, and pcpd's table comes
# and goes without touching a table it does not own.  Needs root.
#
#   client (inside)        nat                              server (outside)
#   +-------------+ veth  +-------------------------------+ veth +-------------+
#   | 192.0.2.2   |-------| 192.0.2.1        198.51.100.1 |------| 198.51.100.2|
#   | :6000 :6001 |       | table ip pcpd (pcpd_nft_tool) |      |             |
#   | udp :7000   |       | table ip operator (not ours)  |      |             |
#   +-------------+       +-------------------------------+      +-------------+

. "$(dirname "$0")/../lib/ktap.sh"

TOOL=$TOP_DIR/build/san/pcpd_nft_tool
P=pcpdnft$$

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root for network namespaces"
[ -x "$TOOL" ] || ktap_skip_all "$TOOL is not built (run 'make check')"

ns() { ip netns exec "$P-$1" "${@:2}"; }
tool() { ns nat "$TOOL" "$@"; }

cleanup()
{
	local n

	for n in client nat server; do
		ip netns pids "$P-$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$P-$n" 2>/dev/null
	done
}
trap cleanup EXIT

topology()
{
	local n

	for n in client nat server; do
		ip netns add "$P-$n" || return 1
		ns $n ip link set lo up
	done
	ip -n "$P-client" link add c0 type veth peer name n0 netns "$P-nat" &&
	ip -n "$P-server" link add s0 type veth peer name n1 netns "$P-nat" || return 1
	ns client ip addr add 192.0.2.2/24 dev c0
	ns nat ip addr add 192.0.2.1/24 dev n0
	ns nat ip addr add 198.51.100.1/24 dev n1
	ns server ip addr add 198.51.100.2/24 dev s0
	ns client ip link set c0 up
	ns nat ip link set n0 up
	ns nat ip link set n1 up
	ns server ip link set s0 up
	ns client ip route add default via 192.0.2.1
	ns server ip route add 192.0.2.0/24 via 198.51.100.1
	ns nat sysctl -qw net.ipv4.ip_forward=1
	ns nat nft add table ip operator
	ns nat nft add chain ip operator keep
}

# reach PORT WORD: does WORD sent to 198.51.100.1:PORT arrive at the client's
# listener on the port the mapping names?
reach()
{
	local port=$1 word=$2

	ns server socat -u - TCP:198.51.100.1:$port,connect-timeout=3 <<< "$word" \
		2>/dev/null || return 1
	sleep 0.5
	grep -q "$word" /tmp/$P.received
}

element_count() { ns nat nft list map ip pcpd map_tcp | grep -c ' : 192.0.2.2 \. '; }

topology || ktap_skip_all "cannot build the namespaces"
: > /tmp/$P.received
ns client socat -u TCP-LISTEN:6000,fork,reuseaddr OPEN:/tmp/$P.received,append &
ns client socat -u TCP-LISTEN:6001,fork,reuseaddr OPEN:/tmp/$P.received,append &
ns client socat -u UDP-RECV:7000 OPEN:/tmp/$P.received,append &
sleep 0.5

ktap_plan 11

ktap_check "pcpd's table is set up" tool setup
ktap_check "a TCP mapping 198.51.100.1:5000 -> 192.0.2.2:6000 is added" \
	tool add tcp 198.51.100.1 5000 192.0.2.2 6000 60
ktap_result "the map holds it with its timeout" \
	$(ns nat nft list map ip pcpd map_tcp | grep -q '198.51.100.1 . 5000 timeout 1m.* : 192.0.2.2 . 6000'; echo $?)
ktap_check "a new inbound connection reaches the mapped host" reach 5000 alpha
ktap_expect_fail "adding the same mapping again is refused" \
	tool add tcp 198.51.100.1 5000 192.0.2.2 6000 60
ktap_check "replace retargets the mapping to port 6001" \
	tool replace tcp 198.51.100.1 5000 192.0.2.2 6001 60
ktap_result "one element, now to 6001, and traffic follows" \
	$([ "$(element_count)" = 1 ] && reach 5000 bravo; echo $?)
tool del tcp 198.51.100.1 5000
ktap_expect_fail "after delete, a connection to the mapping fails" reach 5000 charlie

tool add udp 198.51.100.1 7000 192.0.2.2 7000 60
ns server socat -u - UDP:198.51.100.1:7000 <<< delta
sleep 0.5
ktap_result "a UDP mapping delivers a datagram" $(grep -q delta /tmp/$P.received; echo $?)

tool add tcp 198.51.100.1 5002 192.0.2.2 6000 2
sleep 3
ktap_result "the kernel expires an element by its timeout" \
	$([ "$(element_count)" = 0 ]; echo $?)

tool teardown
ktap_result "teardown removes pcpd's table and leaves the operator's" \
	$(! ns nat nft list table ip pcpd > /dev/null 2>&1 &&
	  ns nat nft list table ip operator > /dev/null; echo $?)

rm -f /tmp/$P.received
ktap_finish
