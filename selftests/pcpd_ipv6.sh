#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd honours CHECKPOINT_REQUIRED over IPv6, where it is the firewall
# rather than a NAT: a check-pointed MAP becomes an IPv6 endpoint rule in
# nf_ckpt and a connection through it is flagged; a check-pointed PEER
# flags its IPv6 connection; the owner of an IPv6 subscriber is its /56
# hashed into 0.0.0.0/8; renewals without the option clear the rule and
# the flag; stopping pcpd removes them.
#
#   client 2001:db8:1::2 --- nat (pcpd on 2001:db8:1::1) --- server 2001:db8:2::2
#                            outside-interface n1

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

LOG=$PCPD_LOG
MARK=$CKPT_MARK
N1=0102030405060708090a0b0c
N2=0c0b0a090807060504030201

pcpc6() { ip netns exec client "$PCPC" -j -s 2001:db8:1::1 "$@"; }
rules() { nat "$CKPTCTL" rule list; }
# the owner nf_ckpt holds for the rule of PORT
rule_owner() { rules | sed -n "s/^proto=6 addr=2001:db8:1::2 port=$1 .*owner=\([0-9]*\)$/\1/p"; }
flagged() { nat conntrack -L -f ipv6 -p "$1" -m $MARK/$MARK 2>/dev/null | grep -q "$2"; }

[ -x "$PCPD" ] || ktap_skip_all "pcpd is not built (run 'make')"
nat_topology && insmod "$NF_CKPT_KO" || ktap_skip_all "cannot build the topology"
ip -n client addr add 2001:db8:1::2/64 dev c0 nodad
ip -n nat addr add 2001:db8:1::1/64 dev n0 nodad
ip -n nat addr add 2001:db8:2::1/64 dev n1 nodad
ip -n server addr add 2001:db8:2::2/64 dev s0 nodad
ip -n client -6 route add default via 2001:db8:1::1
ip -n server -6 route add default via 2001:db8:2::1
nat sysctl -qw net.ipv6.conf.all.forwarding=1

ip netns exec client socat -u TCP6-LISTEN:6000,reuseaddr,fork - > /dev/null &
ip netns exec server socat -u UDP6-RECV:9000 - > /dev/null &
ip netns exec nat "$PCPD" --listen 2001:db8:1::1 --outside-interface n1 \
	--external 198.51.100.1 --checkpoint-max 4 --control /tmp/pcpd.sock 2> "$LOG" &
pcpd_pid=$!
sleep 1

ktap_plan 9

out=$(pcpc6 map -p tcp --port 6000 --checkpoint --nonce $N1)
echo "# $out"
ktap_result "an IPv6 MAP with CHECKPOINT_REQUIRED is granted, on the host's own port" \
	$(granted "$out" true && [ "$(field external_addr <<< "$out")" = 2001:db8:1::2 ]; echo $?)
owner=$(rule_owner 6000)
echo "# owner=$owner"
ktap_result "nf_ckpt has its IPv6 endpoint rule, owned by a tag in 0.0.0.0/8" \
	$([ -n "$owner" ] && [ "$owner" -gt 0 ] && [ "$owner" -lt 16777216 ]; echo $?)
ip netns exec server socat -u - "TCP6:[2001:db8:1::2]:6000,connect-timeout=5" <<< hello
ktap_result "a connection from outside through the mapping is flagged" \
	$(flagged tcp "dst=2001:db8:1::2 sport=[0-9]* dport=6000"; echo $?)

ip netns exec client socat -u - "UDP6:[2001:db8:2::2]:9000,sourceport=5000" <<< hello
out=$(pcpc6 peer -p udp --port 5000 --peer '[2001:db8:2::2]:9000' --checkpoint --nonce $N2)
echo "# $out"
ktap_result "an IPv6 PEER with CHECKPOINT_REQUIRED is granted, its binding the host's own" \
	$(granted "$out" true && [ "$(field external_addr <<< "$out")" = 2001:db8:1::2 ] &&
	  [ "$(field external_port <<< "$out")" = 5000 ]; echo $?)
ktap_result "its connection is flagged, charged to the same owner as the MAP" \
	$(flagged udp "src=2001:db8:1::2 dst=2001:db8:2::2 sport=5000" &&
	  nat "$CKPTCTL" list | grep -q "src=2001:db8:1::2 dst=2001:db8:2::2 sport=5000 .*owner=$owner"; echo $?)

out=$(pcpc6 peer -p udp --port 5000 --peer '[2001:db8:2::2]:9000' --nonce $N2)
ktap_result "a PEER renewal without the option clears the flag" \
	$(granted "$out" false && ! flagged udp "sport=5000"; echo $?)
out=$(pcpc6 map -p tcp --port 6000 --nonce $N1)
ktap_result "a MAP renewal without the option removes the rule and its connection's flag" \
	$(granted "$out" false && [ -z "$(rule_owner 6000)" ] &&
	  ! flagged tcp "dport=6000"; echo $?)

pcpc6 map -p tcp --port 6000 --checkpoint --nonce $N1 > /dev/null
kill $pcpd_pid
wait $pcpd_pid
ktap_result "stopping pcpd removes its IPv6 rules" $([ -z "$(rules)" ]; echo $?)
sed 's/^/# log: /' "$LOG"
ktap_result "its log names the IPv6 hosts" \
	$(grep -q "checkpoint-released internal=2001:db8:1::2 proto=6 port=6000" "$LOG"; echo $?)
ktap_finish
