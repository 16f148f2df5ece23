#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flag real connections through a masquerading NAT by their tuple, see them
# in `ckptctl list` and in conntrack by the mark bit, refuse bad requests
# with the kernel's reason, enforce the budget, clear, expire, and unload
# with entries flagged.  A ctnetlink listener filtering on the mark bit
# hears of a flag at once, and again CKPT_ANNOUNCE_SECS (30 s) later.
#
#   client                  nat                          server
#   +------------+  veth   +---------------------------+  veth   +-------------+
#   | c0         |---------| n0            n1          |---------| s0          |
#   | 192.0.2.2  |         | 192.0.2.1     198.51.100.1|         | 198.51.100.2|
#   +------------+         | masquerade out of n1      |         | :8080 tcp   |
#                          | nf_ckpt, ckptctl          |         | :5353 udp   |
#                          +---------------------------+         +-------------+

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

MARK=0x80000000
TCP_TUPLE="-p tcp -s 192.0.2.2 -d 198.51.100.2 --sport 40000 --dport 8080"
UDP_TUPLE="-p udp -s 192.0.2.2 -d 198.51.100.2 --sport 40001 --dport 5353"

nat() { ip netns exec nat "$@"; }
ckptctl() { nat "$CKPTCTL" "$@"; }

setup()
{
	nat_topology && insmod "$NF_CKPT_KO"
}

start_flows()
{
	ip netns exec server socat -u TCP-LISTEN:8080,reuseaddr - > /dev/null &
	ip netns exec server socat -u UDP-RECV:5353 - > /dev/null &
	sleep 1
	ip netns exec client socat -u EXEC:"sleep 300" \
		TCP:198.51.100.2:8080,sourceport=40000 &
	echo ping | ip netns exec client socat -u - \
		UDP:198.51.100.2:5353,sourceport=40001
	sleep 1
	nat conntrack -L 2>/dev/null | sed 's/^/# conntrack: /'
}

stat_of() { ckptctl --json stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
flagged_in_conntrack() { nat conntrack -L -m $MARK/$MARK 2>/dev/null | grep -c "$1"; }

wait_for_stat()
{
	local name=$1 want=$2 i

	for i in $(seq 30); do
		[ "$(stat_of "$name")" = "$want" ] && return 0
		sleep 1
	done
	echo "# $name is $(stat_of "$name"), expected $want"
	return 1
}

# tcp_events: how many events the mark-filtered listener had for the TCP flow.
tcp_events() { grep -c 'sport=40000 dport=8080' /tmp/events; }

wait_for_reannounce()
{
	local left=$((flagged_at + 40 - $(date +%s)))

	[ $left -gt 0 ] && sleep $left
	echo "# events: $(tr '\n' '|' < /tmp/events)"
	[ "$(tcp_events)" -ge $((events_before + 2)) ]
}

[ -r "$NF_CKPT_KO" ] || ktap_skip_all "nf_ckpt.ko is not built (run 'make')"
setup || ktap_skip_all "cannot build the topology"
# Listening before the flows start: conntrack gives a connection its event
# extension at creation only if someone listens (nf_conntrack_events=2).
nat conntrack -E -e UPDATE -m $MARK/$MARK > /tmp/events 2>/dev/null &
sleep 1
start_flows

ktap_plan 25

ktap_check "flag the TCP flow by its tuple, owner 7" \
	ckptctl set $TCP_TUPLE -o 7
ktap_check "flag the UDP flow by its tuple, owner 8" \
	ckptctl set $UDP_TUPLE -o 8
ktap_result "stats count 2 entries and 2 flags set" \
	$([ "$(stat_of entries)" = 2 ] && [ "$(stat_of set)" = 2 ]; echo $?)

list=$(ckptctl list)
echo "$list" | sed 's/^/# list: /'
ktap_result "list shows the TCP flow with its masquerade binding" \
	$(grep -q 'proto=6 src=192.0.2.2 .*reply: proto=6 src=198.51.100.2 dst=198.51.100.1 sport=8080 dport=40000.* owner=7 .*tcp_state=ESTABLISHED' <<< "$list"; echo $?)
ktap_result "list filtered by owner 8 shows only the UDP flow" \
	$([ "$(ckptctl list -o 8 | grep -c proto=17)" = 1 ] &&
	  [ "$(ckptctl list -o 8 | grep -c .)" = 1 ]; echo $?)
ktap_result "conntrack shows both flows with the mark bit" \
	$([ "$(flagged_in_conntrack 198.51.100.2)" = 2 ]; echo $?)
ktap_check "get by the reply tuple finds the TCP entry" \
	ckptctl get -p tcp -s 198.51.100.2 -d 198.51.100.1 --sport 8080 --dport 40000
ktap_check "set again updates the owner" ckptctl set $TCP_TUPLE -o 9
ktap_result "the entry's owner is now 9 and no entry was added" \
	$(ckptctl --json get $TCP_TUPLE | grep -q '"owner":9' &&
	  [ "$(stat_of entries)" = 2 ]; echo $?)

expect_refusal "ckptctl refuses set without a tuple" "set needs a TUPLE" set
expect_refusal "ICMP is refused: it has no ports" "protocol must be" \
	set -p icmp -s 192.0.2.2 -d 198.51.100.2 --sport 1 --dport 1
expect_refusal "port 0 is refused" "port 0" \
	set -p tcp -s 192.0.2.2 -d 198.51.100.2 --sport 0 --dport 8080
expect_refusal "a connection conntrack does not have is refused" \
	"no such connection" set -p tcp -s 192.0.2.2 -d 198.51.100.2 \
	--sport 40999 --dport 8080
expect_refusal "mark bit 32 is refused" "out of range" mark-bit 32
expect_refusal "moving the mark bit while entries exist is refused" \
	"while entries are flagged" mark-bit 30

ckptctl budget 2
ip netns exec client socat -u - UDP:198.51.100.2:5353,sourceport=40002 <<< x
expect_refusal "a flag beyond the budget is refused" "budget" \
	set -p udp -s 192.0.2.2 -d 198.51.100.2 --sport 40002 --dport 5353
ktap_result "the refusal is counted" \
	$([ "$(stat_of refused_budget)" = 1 ]; echo $?)
ckptctl budget 65536

ktap_check "clear the TCP flow" ckptctl clear $TCP_TUPLE
ktap_result "cleared: one entry left, the TCP flow lost the mark bit" \
	$([ "$(stat_of entries)" = 1 ] && [ "$(stat_of cleared)" = 1 ] &&
	  [ "$(flagged_in_conntrack 'dport=8080')" = 0 ]; echo $?)
ktap_check "clearing an unflagged connection is not an error" \
	ckptctl clear $TCP_TUPLE

nat conntrack -D -p udp --orig-port-src 40001 > /dev/null 2>&1
ktap_check "a flagged connection that dies leaves the index as expired" \
	wait_for_stat expired 1

events_before=$(tcp_events)
ckptctl set $TCP_TUPLE -o 1
flagged_at=$(date +%s)
sleep 1
ktap_result "a listener on the mark bit hears of a flag at once, without a packet" \
	$([ "$(tcp_events)" = $((events_before + 1)) ]; echo $?)
ktap_check "the listener hears of the flagged flow again after 30 s" \
	wait_for_reannounce

ktap_check "unload with an entry flagged" rmmod nf_ckpt
ktap_result "unload cleared the mark bit of the flagged connection" \
	$([ "$(flagged_in_conntrack 'dport=8080')" = 0 ]; echo $?)

ktap_finish
