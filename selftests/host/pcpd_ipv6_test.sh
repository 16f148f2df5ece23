#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd over IPv6, on the host kernel in namespaces of our own: IPv6 is
# routed, not translated, and pcpd is its firewall (RFC 6887 Figure 5).
# MAP opens the client's own address and port, and only that; FILTER
# narrows who may come in; PEER makes the connection so replies pass;
# subscribers are /56 prefixes, each with its own quota; a restart keeps
# the mappings.  Needs root; runs the ASan/UBSan builds.
#
#   client                         nat (pcpd)                   server
#   2001:db8:1::2/64      c0-n0    2001:db8:1::1     n1-s0      2001:db8:2::2/64
#   2001:db8:1:5::2/64             2001:db8:1:5::1              (outside)
#   2001:db8:100::2/64             2001:db8:100::1
#                                  2001:db8:2::1  outside-interface n1

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/hostnet.sh"

PCPD=$TOP_DIR/build/san/pcpd
PCPC=$TOP_DIR/build/san/pcpc
NONCE=0102030405060708090a0b0c
LOG=$(mktemp)

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root for network namespaces"
[ -x "$PCPD" ] && [ -x "$PCPC" ] || ktap_skip_all "pcpd or pcpc is not built (run 'make check')"

# pcpc SERVER ARGS...: ask the pcpd address SERVER; the client's source is
# the address of that prefix, so each server address is one subscriber.
pcpc() { ns client "$PCPC" -j -s "$@"; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
status() { "$PCPD" --status --control "$LOG.sock"; }

ipv6_topology()
{
	host_topology || return 1
	ns client ip addr add 2001:db8:1::2/64 dev c0 nodad
	ns client ip addr add 2001:db8:1:5::2/64 dev c0 nodad
	ns client ip addr add 2001:db8:100::2/64 dev c0 nodad
	ns nat ip addr add 2001:db8:1::1/64 dev n0 nodad
	ns nat ip addr add 2001:db8:1:5::1/64 dev n0 nodad
	ns nat ip addr add 2001:db8:100::1/64 dev n0 nodad
	ns nat ip addr add 2001:db8:2::1/64 dev n1 nodad
	ns server ip addr add 2001:db8:2::2/64 dev s0 nodad
	ns client ip -6 route add default via 2001:db8:1::1
	ns server ip -6 route add default via 2001:db8:2::1
	ns nat sysctl -qw net.ipv6.conf.all.forwarding=1
}

# reach PORT WORD: does a TCP connection from outside to the client's
# PORT carry WORD to its listener?
reach()
{
	ns server socat -u - "TCP6:[2001:db8:1::2]:$1,connect-timeout=2" <<< "$2" \
		2>/dev/null || return 1
	sleep 0.3
	grep -q "$2" "$LOG.rx"
}

start_pcpd()
{
	# Not through the ns function: $! must be pcpd itself.
	ip netns exec "$NS_PREFIX-nat" "$PCPD" --listen 2001:db8:1::1 \
		--listen 2001:db8:1:5::1 --listen 2001:db8:100::1 \
		--outside-interface n1 --external 198.51.100.1 --quota 3 \
		--control "$LOG.sock" --state "$LOG.state" "$@" 2>> "$LOG" &
	pcpd_pid=$!
	sleep 1
}

# forged_map SRC PORT: a MAP for PORT from the IPv6 source SRC, sent as a
# raw frame from the client's c0 to the NAT's n0, so that SRC may be any
# address (an IPv4-mapped one: no IPv6 host has it).
forged_map()
{
	ns client python3 - "$1" "$2" "$(ip -n "$NS_PREFIX-nat" -br link show n0 | awk '{ print $3 }')" \
		"$(ip -n "$NS_PREFIX-client" -br link show c0 | awk '{ print $3 }')" <<-'PY'
	import socket, struct, sys
	src = socket.inet_pton(socket.AF_INET6, sys.argv[1])
	dst = socket.inet_pton(socket.AF_INET6, "2001:db8:1::1")
	dmac, smac = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[3:5])
	pcp = struct.pack("!BBHI", 2, 1, 0, 3600) + src
	pcp += b"\x05" * 12 + struct.pack("!B3xHH", 6, int(sys.argv[2]), 0) + bytes(16)
	udp = struct.pack("!HHHH", 40000, 5351, 8 + len(pcp), 0) + pcp
	def fold(b):
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b + b"\0" * (len(b) % 2)))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return ~s & 0xffff or 0xffff
	csum = fold(src + dst + struct.pack("!I3xB", len(udp), 17) + udp)
	udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
	ip6 = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + src + dst
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	s.bind(("c0", 0))
	s.send(dmac + smac + b"\x86\xdd" + ip6 + udp)
	PY
}

ipv6_topology || ktap_skip_all "cannot build the namespaces"
for port in 6000 6001 6002 6003; do
	ns client socat -u TCP6-LISTEN:$port,fork,reuseaddr OPEN:$LOG.rx,creat,append &
done
ns client socat -u UDP6-RECV:7000 OPEN:$LOG.rx,creat,append &
ns client socat -u UDP6-RECV:5350 OPEN:$LOG.announce,creat,append &

ktap_plan 29

ip netns exec "$NS_PREFIX-nat" "$PCPD" --listen 2001:db8:1::1 \
	--external 198.51.100.1 --control "$LOG.none" 2> "$LOG.err"
ktap_result "an IPv6 listen address without outside-interface: pcpd refuses to start" \
	$([ $? != 0 ] && grep -q "IPv6 clients need outside-interface" "$LOG.err"; echo $?)
bad=0
for addr in :: 0.0.0.0 ff02::1 ::ffff:192.0.2.1 224.0.0.1; do
	"$PCPD" --listen $addr --external 198.51.100.1 --control "$LOG.none" --status \
		2> "$LOG.err" && bad=1
	grep -q "listen: $addr is not one host's address" "$LOG.err" || bad=1
done
ktap_result "a listen address that is not one host's (::, 0.0.0.0, multicast, IPv4-mapped) is refused" $bad

start_pcpd
ktap_result "pcpd listens on IPv6 and sets up its table ip6 pcpd, filtering what comes in on n1" \
	$(kill -0 $pcpd_pid && ns nat nft list chain ip6 pcpd forward | grep -q 'iifname "n1" ct state invalid drop' &&
	  [ "$(ns nat nft list chain ip6 pcpd filter | grep -c 'iifname "n1" ct direction original')" = 2 ]; echo $?)

out=$(pcpc 2001:db8:1::1 announce)
echo "# $out"
ktap_result "ANNOUNCE over IPv6 succeeds" $([ "$(field result <<< "$out")" = SUCCESS ]; echo $?)
ktap_result "at start, pcpd announces itself to ff02::1, port 5350 (section 14.1.3)" \
	$([ "$(head -c 2 "$LOG.announce" | od -An -tx1 | tr -d ' ')" = 0280 ]; echo $?)

ktap_expect_fail "before any mapping, a connection from outside is dropped" reach 6000 early

forged_map 2001:db8:1::2 4241
forged_map ::ffff:198.51.100.2 4242
sleep 0.5
ktap_result "a raw-frame MAP from a real IPv6 source is served, and one from ::ffff:198.51.100.2 is not" \
	$(grep -q "map action=1 internal=2001:db8:1::2 proto=6 port=4241" "$LOG" &&
	  ! grep -q "port=4242" "$LOG" &&
	  ! ns nat nft list map ip pcpd map_tcp | grep -q 4242; echo $?)
pcpc 2001:db8:1::1 map -p tcp --port 4241 --delete --nonce 050505050505050505050505 > /dev/null

out=$(pcpc 2001:db8:1::1 map -p tcp --port 6000 --suggest-port 7777 --nonce $NONCE)
echo "# $out"
ktap_result "MAP opens the client's own address and port, whatever it suggested" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  [ "$(field external_addr <<< "$out")" = 2001:db8:1::2 ] &&
	  [ "$(field external_port <<< "$out")" = 6000 ]; echo $?)
ktap_check "a connection from outside now reaches it" reach 6000 through-pcp6
ktap_expect_fail "...and the port next to it stays closed" reach 6001 next-door
ktap_result "the open set holds the element, with a timeout" \
	$(ns nat nft list set ip6 pcpd open_tcp | grep -q '2001:db8:1::2 . 6000 timeout'; echo $?)

out=$(pcpc 2001:db8:1::1 map -p tcp --port 6001 --suggest-port 7777 --prefer-failure)
ktap_result "PREFER_FAILURE with another port suggested: CANNOT_PROVIDE_EXTERNAL" \
	$([ "$(field result <<< "$out")" = CANNOT_PROVIDE_EXTERNAL ]; echo $?)

out=$(pcpc 2001:db8:1::1 map -p tcp --port 6002 --nonce $NONCE --filter '[2001:db8:2::2]/128')
ktap_result "a mapping with a FILTER for the server succeeds" \
	$([ "$(field result <<< "$out")" = SUCCESS ]; echo $?)
ktap_check "the server the FILTER names comes in" reach 6002 filtered-in
out=$(pcpc 2001:db8:1::1 map -p tcp --port 6002 --nonce $NONCE --filter '[2001:db8:2::]/64:80')
ktap_result "a second FILTER that overlaps the first without holding it is installed too" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  ns nat nft list set ip6 pcpd allowed_port_tcp | grep -q "2001:db8:1::2 . 6002 . 2001:db8:2::/64 . 80" &&
	  reach 6002 still-in; echo $?)
pcpc 2001:db8:1::1 map -p tcp --port 6003 --filter '[2001:db8:9::]/48:80' > /dev/null
ktap_expect_fail "a mapping whose FILTER names another peer keeps the server out" \
	reach 6003 filtered-out
out=$(pcpc 2001:db8:1::1 map -p tcp --port 6004 --filter 198.51.100.2)
ktap_result "an IPv4 FILTER on an IPv6 mapping: MALFORMED_OPTION" \
	$([ "$(field result <<< "$out")" = MALFORMED_OPTION ]; echo $?)

ktap_result "the three mappings of 2001:db8:1::2 fill its /56's quota of 3" \
	$(status | grep -q "^subscriber addr=2001:db8:1:: mappings=3 "; echo $?)
out=$(pcpc 2001:db8:1:5::1 map -p udp --port 7100)
ktap_result "a host of another /64 in the same /56 is the same subscriber: USER_EX_QUOTA" \
	$([ "$(field result <<< "$out")" = USER_EX_QUOTA ]; echo $?)
out=$(pcpc 2001:db8:100::1 map -p udp --port 7100)
ktap_result "a host of another /56 is another subscriber, with its own quota" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  status | grep -q "^subscriber addr=2001:db8:100:: mappings=1 "; echo $?)

ns server socat -u - "UDP6:[2001:db8:1::2]:7000,sourceport=9001" <<< unasked
out=$(pcpc 2001:db8:1::1 map -p tcp --port 6000 --lifetime 0 --nonce $NONCE)
ktap_result "delete of the first mapping succeeds, and its element goes" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  ! ns nat nft list set ip6 pcpd open_tcp | grep -q '2001:db8:1::2 . 6000'; echo $?)
ktap_expect_fail "...and the connection from outside is dropped again" reach 6000 after-delete
out=$(pcpc 2001:db8:1::1 peer -p udp --port 7000 --peer '[2001:db8:2::2]:9000')
echo "# $out"
ktap_result "PEER over IPv6: the connection's own address and port are its binding" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  [ "$(field external_addr <<< "$out")" = 2001:db8:1::2 ] &&
	  [ "$(field external_port <<< "$out")" = 7000 ] &&
	  ns nat conntrack -L -f ipv6 -p udp --dport 9000 2>/dev/null |
		grep -q "src=2001:db8:1::2 dst=2001:db8:2::2 sport=7000"; echo $?)
bad=0
for remote in '[2001:db8:1::2]:9000' '[fe80::1]:9000' '[2001:db8:1::1]:9000' '[ff02::1]:9000'; do
	out=$(pcpc 2001:db8:1::1 peer -p udp --port 7001 --peer "$remote")
	[ "$(field result <<< "$out")" = MALFORMED_REQUEST ] || { echo "# $remote: $out"; bad=1; }
done
ktap_result "PEER to the client itself, a link-local, this server or a multicast peer: MALFORMED_REQUEST" $bad
ns server socat -u - "UDP6:[2001:db8:1::2]:7000,sourceport=9000" <<< peer-reply
sleep 0.5
ktap_result "the peer's datagram to the PEER connection passes, one from elsewhere did not" \
	$(grep -q peer-reply "$LOG.rx" && ! grep -q unasked "$LOG.rx"; echo $?)

kill $pcpd_pid
wait $pcpd_pid
ktap_result "pcpd stops on SIGTERM: its IPv4 table goes, its IPv6 firewall stays, empty" \
	$(! ns nat nft list table ip pcpd > /dev/null 2>&1 &&
	  ns nat nft list chain ip6 pcpd forward | grep -q 'iifname "n1" ct state new' &&
	  ! ns nat nft list set ip6 pcpd open_tcp | grep -q 2001:db8; echo $?)
ktap_expect_fail "...so while pcpd is away IPv6 stays closed, not open" reach 6002 while-away

# A ckpt-syncd of our own on the feed: one good IPv6 peer mapping, one
# that is not the host's own endpoint.
cat > "$LOG.lines" <<EOF2
peer-map proto=6 internal=2001:db8:1::50 internal_port=7000 external=2001:db8:1::50 external_port=7000 lifetime=600 nonce=$NONCE owner=1
peer-map proto=6 internal=2001:db8:1::51 internal_port=7001 external=2001:db8:1::99 external_port=7001 lifetime=600 nonce=$NONCE owner=1
EOF2
socat UNIX-LISTEN:"$LOG.feed",fork SYSTEM:"cat $LOG.lines; sleep 30" &
feeder=$!
start_pcpd --syncd "$LOG.feed"
ktap_result "after a restart the IPv6 mappings are back, and open" \
	$(status | grep -q "^map proto=6 internal=2001:db8:1::2 internal_port=6002 external=2001:db8:1::2 external_port=6002 " &&
	  reach 6002 after-restart; echo $?)
sleep 1
ktap_result "the peer's IPv6 mapping is installed on standby; one not the host's own is refused" \
	$(status | grep -q "^map proto=6 internal=2001:db8:1::50 .*standby=yes" &&
	  ns nat nft list set ip6 pcpd open_tcp | grep -q '2001:db8:1::50 . 7000' &&
	  grep -q 'replica-refused reason="an IPv6 mapping that is not the host.s own address and port"' "$LOG"; echo $?)
kill $feeder 2>/dev/null
kill $pcpd_pid
wait $pcpd_pid

ns nat nft delete table ip6 pcpd
sed 's/^/# log: /' "$LOG"
rm -f "$LOG" "$LOG.rx" "$LOG.announce" "$LOG.err" "$LOG.lines" "$LOG.state" "$LOG.state.lock"
ktap_finish
