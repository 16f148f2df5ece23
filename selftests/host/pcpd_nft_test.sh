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

. "$SELFTESTS_DIR/lib/hostnet.sh"

TOOL=$TOP_DIR/build/san/pcpd_nft_tool
P=$NS_PREFIX

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root for network namespaces"
[ -x "$TOOL" ] || ktap_skip_all "$TOOL is not built (run 'make check')"

tool() { ns nat "$TOOL" "$@"; }

topology()
{
	host_topology || return 1
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
