#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Address families, zones, namespaces and privilege: IPv6 connections and
# connections in a conntrack zone are flagged by their tuple; the same
# tuple in two zones is two connections; a namespace deleted with flagged
# entries and rules leaves nothing behind; only CAP_NET_ADMIN over the
# namespace may use the family.
#
#   guest
#   +-----------------------+   +--------------------------------------+
#   | netns "v6z"           |   | netns "doomed"                       |
#   | conntrack -I entries: |   | 1000 flagged entries, one rule,      |
#   |  IPv6 TCP, zone 0     |   | then `ip netns del`                  |
#   |  IPv4 UDP, zones 0, 5 |   +--------------------------------------+
#   +-----------------------+   unshare -U -r [-n]: a user namespace

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

MARK=0x80000000
BULK=$CKPT_BULK
V6_TUPLE="-p tcp -s 2001:db8::2 -d 2001:db8:1::2 --sport 40000 --dport 443"
Z_TUPLE="-p udp -s 192.0.2.2 -d 198.51.100.2 --sport 5060 --dport 5060"

v6z() { ip netns exec v6z "$@"; }
ckptctl() { v6z "$CKPTCTL" "$@"; }

inject()
{
	v6z conntrack -I "$@" -t 600 > /dev/null 2>&1
}

# Run ckptctl in "v6z" from a new user namespace, which does not own "v6z":
# the kernel itself must refuse, not the namespace switch.
unprivileged_set()
{
	local out

	out=$(v6z unshare --user --map-root-user "$CKPTCTL" set $V6_TUPLE 2>&1)
	echo "# $out"
	[[ $out == *"kernel: Operation not permitted"* ]]
}

[ -r "$NF_CKPT_KO" ] && [ -x "$BULK" ] ||
	ktap_skip_all "nf_ckpt.ko or ckpt_bulk is not built (run 'make')"
modprobe nf_conntrack && modprobe nf_conntrack_netlink ||
	ktap_skip_all "cannot load conntrack"
insmod "$NF_CKPT_KO"
ip netns add v6z

ktap_plan 12

inject $V6_TUPLE --state ESTABLISHED -u ASSURED
ktap_check "flag an IPv6 TCP connection by its tuple" ckptctl set $V6_TUPLE -o 6
ktap_result "it is listed with its IPv6 addresses" \
	$(ckptctl list | grep -q 'src=2001:db8::2 dst=2001:db8:1::2 sport=40000 dport=443.*owner=6'; echo $?)

inject $Z_TUPLE
inject $Z_TUPLE -w 5
ktap_check "flag the zone 5 connection" ckptctl set $Z_TUPLE -w 5
ktap_result "only the zone 5 connection has the mark bit" \
	$([ "$(v6z conntrack -L -w 5 -m $MARK/$MARK 2>/dev/null | grep -c 5060)" = 1 ] &&
	  [ "$(v6z conntrack -L -m $MARK/$MARK 2>/dev/null | grep -c 5060)" = 1 ]; echo $?)
ktap_result "the entry says zone 5" \
	$(ckptctl get $Z_TUPLE -w 5 | grep -q 'zone=5 '; echo $?)
ktap_expect_fail "the zone 0 connection of the same tuple is not flagged" \
	ckptctl get $Z_TUPLE
ktap_check "flag the zone 0 connection too" ckptctl set $Z_TUPLE
ktap_result "the two zones make two entries" \
	$([ "$(ckptctl list | grep -c 'sport=5060')" = 2 ]; echo $?)

before=$(slab_bytes)
ip netns add doomed
ip netns exec doomed "$BULK" inject 1000 > /dev/null
ip netns exec doomed "$BULK" set 1000 > /dev/null
ip netns exec doomed "$CKPTCTL" rule add -p udp -a 192.0.2.2 --port 9
ktap_result "a namespace holds 1000 flagged entries and a rule" \
	$(ip netns exec doomed "$CKPTCTL" --json stats | grep -q '"entries":1000,'; echo $?)
ip netns del doomed
sleep 3	# namespaces are torn down by a worker
ktap_check "deleting it leaves the slab as it was" slab_within_slack "$before"

ktap_check "root of a user namespace not owning ours may not flag in it" \
	unprivileged_set
ktap_check "root of a user namespace may use the family in its own network namespace" \
	unshare --user --map-root-user --net "$CKPTCTL" stats

ktap_finish
