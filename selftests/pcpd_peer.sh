#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd serves PEER (RFC 6887 section 12) on conntrack, with RFC 7767's
# CHECKPOINT_REQUIRED: the answer gives an existing connection's real NAT
# binding and extends its lifetime; a PEER for a connection not yet there
# creates it with a binding that the connection then uses; the first
# PEER's nonce is required afterwards; with the option the connection is
# flagged in nf_ckpt, charged to the subscriber, within its quota; a
# renewal without it clears the flag; bad suggestions and remote peers are
# refused; stopping pcpd clears its flags and leaves the connections.
#
#   client 192.0.2.2 --- nat (pcpd on 192.0.2.1, masquerade) --- server
#                               198.51.100.1               198.51.100.2

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

LOG=$PCPD_LOG
MARK=$CKPT_MARK
N1=0102030405060708090a0b0c
N2=0c0b0a090807060504030201
N3=0a0a0a0a0b0b0b0b0c0c0c0c

answer() { [ "$(field result <<< "$1")" = "$2" ]; }
# conntrack's line for the client's connection from PROTO/PORT
ct() { nat conntrack -L -p "$1" --orig-port-src "$2" 2>/dev/null; }
flagged() { nat conntrack -L -p "$1" --orig-port-src "$2" -m $MARK/$MARK 2>/dev/null | grep -q "src=192.0.2.2"; }

[ -x "$PCPD" ] || ktap_skip_all "pcpd is not built (run 'make')"
nat_topology && insmod "$NF_CKPT_KO" || ktap_skip_all "cannot build the topology"
nat sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30

ip netns exec nat "$PCPD" --listen 192.0.2.1 --external 198.51.100.1 \
	--lifetime 120-3600 --quota 5 --checkpoint-max 2 --checkpoint-rate 100 \
	--checkpoint-burst 10 --control /tmp/pcpd.sock 2> "$LOG" &
pcpd_pid=$!
ip netns exec server socat -u UDP-RECV:7000 /dev/null &
ip netns exec server socat TCP-LISTEN:8000,reuseaddr,fork \
	SYSTEM:'echo $SOCAT_PEERADDR/$SOCAT_PEERPORT' &
sleep 1

ktap_plan 17

# An existing UDP connection from the client's port 5000.
ip netns exec client socat -u - UDP:198.51.100.2:7000,sourceport=5000 <<< hello
out=$(pcpc peer -p udp --port 5000 --peer 198.51.100.2:7000 --checkpoint \
	--lifetime 600 --nonce $N1)
echo "# $out"
echo "# $(ct udp 5000)"
eport=$(ct udp 5000 | sed -n 's/.*dst=198.51.100.1 sport=7000 dport=\([0-9]*\).*/\1/p')
ktap_result "PEER of an existing connection: its binding 198.51.100.1:$eport, check-pointed" \
	$(granted "$out" true && [ "$(field external_addr <<< "$out")" = 198.51.100.1 ] &&
	  [ -n "$eport" ] && [ "$(field external_port <<< "$out")" = "$eport" ]; echo $?)
ktap_result "the connection is flagged, charged to the subscriber" \
	$(flagged udp 5000 &&
	  nat "$CKPTCTL" list | grep -q "sport=5000 .*owner=3221225986"; echo $?)
timeout=$(ct udp 5000 | awk '{ print $3 }')
ktap_result "its lifetime was extended to the PEER's (conntrack timeout $timeout s)" \
	$([ "$timeout" -gt 500 ]; echo $?)

out=$(pcpc peer -p udp --port 5000 --peer 198.51.100.2:7000 --nonce $N2)
ktap_result "a PEER with another nonce is refused (NOT_AUTHORIZED)" \
	$(answer "$out" NOT_AUTHORIZED; echo $?)
out=$(pcpc peer -p udp --port 5000 --peer 198.51.100.2:7000 --lifetime 600 --nonce $N1)
ktap_result "a renewal without the option is answered without it..." \
	$(granted "$out" false; echo $?)
ktap_result "...and clears the flag" $(! flagged udp 5000; echo $?)
out=$(pcpc peer -p udp --port 5000 --peer 198.51.100.2:7000 --checkpoint \
	--lifetime 600 --nonce $N1)
ktap_result "a renewal with the option flags it again" \
	$(granted "$out" true && flagged udp 5000; echo $?)

# A PEER before the connection: it is created, and the connection uses it.
out=$(pcpc peer -p tcp --port 6000 --peer 198.51.100.2:8000 --checkpoint --nonce $N3)
echo "# $out"
echo "# $(ct tcp 6000)"
ktap_result "PEER of a connection not yet there creates it, port 6000 kept, flagged" \
	$(granted "$out" true && [ "$(field external_port <<< "$out")" = 6000 ] &&
	  flagged tcp 6000; echo $?)
seen=$(ip netns exec client socat -T 5 - TCP:198.51.100.2:8000,sourceport=6000 < /dev/null)
ktap_result "the connection then goes out with that binding (the server saw $seen)" \
	$([ "$seen" = 198.51.100.1/6000 ]; echo $?)

out=$(pcpc map -p tcp --port 6500)
out=$(pcpc peer -p tcp --port 6600 --peer 198.51.100.2:8000 --suggest-port 6500)
ktap_result "a PEER suggesting a MAP mapping's port is CANNOT_PROVIDE_EXTERNAL" \
	$(answer "$out" CANNOT_PROVIDE_EXTERNAL && [ -z "$(ct tcp 6600)" ]; echo $?)

out=$(pcpc peer -p udp --port 5001 --peer 198.51.100.2:7000 --checkpoint)
echo "# $out"
ktap_result "a third check-pointed PEER: created, but not check-pointed (quota 2)" \
	$(granted "$out" false && ! flagged udp 5001 &&
	  grep -q "checkpoint-refused .*port=5001 reason=quota" "$LOG"; echo $?)

out=$(pcpc peer -p tcp --port 6001 --peer 198.51.100.2:8000 --suggest-port 6000)
echo "# $out"
ktap_result "a suggested port taken for that peer: CANNOT_PROVIDE_EXTERNAL, nothing left" \
	$(answer "$out" CANNOT_PROVIDE_EXTERNAL && [ -z "$(ct tcp 6001)" ]; echo $?)
out=$(pcpc peer -p udp --port 5002 --peer 127.0.0.1:7000)
ktap_result "a loopback remote peer is MALFORMED_REQUEST" \
	$(answer "$out" MALFORMED_REQUEST; echo $?)
out=$(pcpc peer -p udp --port 5002 --peer 198.51.100.2:7000 --delete)
ktap_result "a PEER asking lifetime 0 gets the minimum, 120" \
	$(answer "$out" SUCCESS && [ "$(field lifetime <<< "$out")" = 120 ]; echo $?)

out=$(pcpc peer -p udp --port 5003 --peer 198.51.100.2:7000)
ktap_result "PEER connections count against --quota with the MAPs: the sixth is USER_EX_QUOTA" \
	$(answer "$out" USER_EX_QUOTA && [ -z "$(ct udp 5003)" ]; echo $?)

kill $pcpd_pid
wait $pcpd_pid
ktap_result "pcpd stops cleanly" $?
ktap_result "stopping cleared its flags and left the connections" \
	$(! flagged udp 5000 && ! flagged tcp 6000 && [ -n "$(ct udp 5000)" ]; echo $?)

grep -v "^pcpd: peer \|listening\|started" "$LOG" | head -8 | sed 's/^/# /'
ktap_finish
