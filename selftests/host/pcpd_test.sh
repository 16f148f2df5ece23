#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd and pcpc end to end, on the host kernel in namespaces of our own
# (lib/hostnet.sh): pcpd listens on the NAT's inside address and installs
# mappings in nftables; pcpc asks from the client.  ANNOUNCE, MAP create
# with traffic through the mapping, refresh, nonce checks, delete, the
# option 192 never echoed while pcpd does not honour it, NAT-PMP, an
# opcode not served, a malformed request, and a clean stop.  Needs root;
# runs the ASan/UBSan builds.

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/hostnet.sh"

PCPD=$TOP_DIR/build/san/pcpd
PCPC=$TOP_DIR/build/san/pcpc
NONCE=0102030405060708090a0b0c
LOG=$(mktemp)

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root for network namespaces"
[ -x "$PCPD" ] && [ -x "$PCPC" ] || ktap_skip_all "pcpd or pcpc is not built (run 'make check')"

pcpc() { ns client "$PCPC" -j -s 192.0.2.1 "$@"; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }

# raw HEX: send these octets to pcpd, print the answer in hex.
raw()
{
	printf "$1" | ns client socat -t 2 - UDP:192.0.2.1:5351 | od -An -tx1 | tr -d ' \n'
}

host_topology || ktap_skip_all "cannot build the namespaces"
ns client socat -u TCP-LISTEN:6000,fork,reuseaddr OPEN:$LOG.rx,creat,append &
# Not through the ns function: $! must be pcpd itself (ip netns exec execs).
ip netns exec "$NS_PREFIX-nat" "$PCPD" --listen 192.0.2.1 --outside-interface n1 \
	--external 198.51.100.1 --lifetime 3-7200 --control "$LOG.sock" \
	--syncd "$LOG.feed" 2> "$LOG" &
pcpd_pid=$!
sleep 1

ktap_plan 37

out=$("$PCPC" -s 192.0.2.1 map -p tcp --port 70000 2>&1)
ktap_result "pcpc refuses a port out of range before sending anything" \
	$([ $? = 2 ] && [[ $out == *"bad port '70000'"* ]]; echo $?)

ktap_result "with no IPv6 listen address, outside-interface makes no IPv6 firewall" \
	$(ns nat nft list table ip pcpd > /dev/null && ! ns nat nft list table ip6 pcpd > /dev/null 2>&1; echo $?)

out=$(pcpc announce)
echo "# $out"
ktap_result "ANNOUNCE succeeds" $([ "$(field result <<< "$out")" = SUCCESS ]; echo $?)

out=$(pcpc map -p tcp --port 6000 --checkpoint --nonce $NONCE)
echo "# $out"
ktap_result "MAP creates a mapping 198.51.100.1:6000 for 192.0.2.2:6000" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  [ "$(field external_port <<< "$out")" = 6000 ] &&
	  [ "$(field external_addr <<< "$out")" = 198.51.100.1 ]; echo $?)
ktap_result "CHECKPOINT_REQUIRED is not echoed: no nf_ckpt on this host" \
	$([ "$(field checkpoint_granted <<< "$out")" = false ]; echo $?)

ns server socat -u - TCP:198.51.100.1:6000,connect-timeout=3 <<< through-pcp
sleep 0.5
ktap_result "a connection from outside reaches the client through the mapping" \
	$(grep -q through-pcp $LOG.rx; echo $?)

status=$("$PCPD" --status --control "$LOG.sock")
echo "$status" | sed 's/^/# status: /'
ktap_result "pcpd --status lists the mapping and its subscriber" \
	$(grep -q "^mappings=1$" <<< "$status" &&
	  grep -q "^map proto=6 internal=192.0.2.2 internal_port=6000 external=198.51.100.1 external_port=6000 " <<< "$status" &&
	  grep -q "^subscriber addr=192.0.2.2 " <<< "$status"; echo $?)
status=$("$PCPD" --status --json --control "$LOG.sock")
ktap_result "pcpd --status --json: one object with the mapping" \
	$([ "$(wc -l <<< "$status")" = 1 ] && [[ $status == '{"epoch":'*'"mappings":1,'*'"internal_port":6000,'*'}' ]]; echo $?)
"$PCPD" --status --control "$LOG.nowhere" 2> "$LOG.err"
ktap_result "pcpd --status without a daemon: exit 1 and says why" \
	$([ $? = 1 ] && grep -q "cannot reach the daemon" "$LOG.err"; echo $?)

out=$(pcpc map -p tcp --port 6000 --lifetime 1 --nonce $NONCE)
ktap_result "a refresh keeps the port; the lifetime is raised to the minimum" \
	$([ "$(field external_port <<< "$out")" = 6000 ] &&
	  [ "$(field lifetime <<< "$out")" = 3 ]; echo $?)
out=$(pcpc map -p tcp --port 6000 --lifetime 3600 --nonce $NONCE)

out=$(pcpc map -p tcp --port 6000 --nonce ffffffffffffffffffffffff)
ktap_result "another nonce is NOT_AUTHORIZED" \
	$([ "$(field result <<< "$out")" = NOT_AUTHORIZED ]; echo $?)

out=$(pcpc map -p tcp --port 6000 --delete --nonce $NONCE)
ktap_result "a delete with the nonce succeeds with lifetime 0" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  [ "$(field lifetime <<< "$out")" = 0 ]; echo $?)
ktap_result "the nftables element is gone" \
	$(! ns nat nft list map ip pcpd map_tcp | grep -q 'elements'; echo $?)
out=$(pcpc map -p tcp --port 6000 --delete --nonce $NONCE)
ktap_result "deleting it again succeeds" \
	$([ "$(field result <<< "$out")" = SUCCESS ]; echo $?)

ans=$(raw '\x00\x00')
echo "# NAT-PMP answer: $ans"
ktap_result "a NAT-PMP request gets NAT-PMP's 8-octet UNSUPP_VERSION" \
	$([[ $ans == 00800001* ]] && [ ${#ans} = 16 ]; echo $?)

peer=$(raw '\x02\x02\x00\x00\x00\x00\x0e\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xc0\x00\x02\x02')
ktap_result "a request too short for PEER is MALFORMED_REQUEST" \
	$([ "${peer:2:2}" = 82 ] && [ "${peer:6:2}" = 03 ]; echo $?)

out=$(pcpc map -p tcp --port 6200 --third-party 192.0.2.99)
ktap_result "THIRD_PARTY from a client not allowed to use it is refused: UNSUPP_OPTION" \
	$([ "$(field result <<< "$out")" = UNSUPP_OPTION ]; echo $?)
# FILTER (RFC 6887 section 13.3): only 198.51.100.2 may come in.
ns server ip addr add 198.51.100.3/24 dev s0
ns client socat TCP-LISTEN:6300,fork,reuseaddr SYSTEM:'echo allowed-in' &
# from SOURCE, what the client's service on the mapping says (or nothing)
from() { ns server socat -T 2 - TCP:198.51.100.1:6300,bind="$1",connect-timeout=2 < /dev/null 2>/dev/null; }
FN=0a0b0c0d0e0f0a0b0c0d0e0f
out=$(pcpc map -p tcp --port 6300 --nonce $FN --filter 198.51.100.2/32)
ktap_result "MAP with a FILTER for 198.51.100.2 succeeds, and it is in nftables" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  ns nat nft list set ip pcpd allowed_tcp | grep -q "198.51.100.1 . 6300 . 198.51.100.2 . 0-65535" &&
	  "$PCPD" --status --control "$LOG.sock" | grep -q "internal_port=6300 .* filters=1"; echo $?)
ktap_result "...198.51.100.2 gets in, 198.51.100.3 does not" \
	$([ "$(from 198.51.100.2)" = allowed-in ] && [ -z "$(from 198.51.100.3)" ]; echo $?)
out=$(pcpc map -p tcp --port 6300 --nonce $FN --filter 198.51.100.0/30:0)
ktap_result "a refresh's FILTER adds to the mapping's: now 198.51.100.3 gets in too" \
	$([ "$(field result <<< "$out")" = SUCCESS ] && [ "$(from 198.51.100.3)" = allowed-in ] &&
	  "$PCPD" --status --control "$LOG.sock" | grep -q "internal_port=6300 .* filters=2"; echo $?)
out=$(pcpc map -p tcp --port 6300 --nonce $FN --filter 1.1.1.1 --filter 1.1.1.2 \
	--filter 1.1.1.3 --filter 1.1.1.4 --filter 1.1.1.5 --filter 1.1.1.6 --filter 1.1.1.7)
ktap_result "past 8 filters a mapping: EXCESSIVE_REMOTE_PEERS, and nothing changes" \
	$([ "$(field result <<< "$out")" = EXCESSIVE_REMOTE_PEERS ] &&
	  "$PCPD" --status --control "$LOG.sock" | grep -q "internal_port=6300 .* filters=2"; echo $?)
out=$(pcpc map -p tcp --port 6300 --nonce $FN --filter clear --filter 198.51.100.3)
ktap_result "FILTER length 0 clears them; the one after it stands: only 198.51.100.3 now" \
	$([ "$(field result <<< "$out")" = SUCCESS ] && [ -z "$(from 198.51.100.2)" ] &&
	  [ "$(from 198.51.100.3)" = allowed-in ]; echo $?)
out=$(pcpc map -p tcp --port 6301 --nonce $FN --filter 198.51.100.0/24 \
	--filter 198.51.100.2/32:5060 --filter 198.51.100.2/32)
ktap_result "overlapping FILTERs are accepted (section 13.3: they MAY overlap)" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  [ "$(ns nat nft list set ip pcpd allowed_tcp | grep -c " . 6301 . ")" = 1 ]; echo $?)
pcpc map -p tcp --port 6301 --nonce $FN --delete > /dev/null

# A FILTER added to a mapping cuts a connection already open from a peer
# it does not allow (section 13.3: packets that do not match are dropped).
ns client socat -u TCP-LISTEN:6302,reuseaddr OPEN:"$LOG.late",creat,append &
sleep 0.3
pcpc map -p tcp --port 6302 --nonce $FN > /dev/null
(echo before; sleep 2; echo after) |
	ns server socat -u - TCP:198.51.100.1:6302,bind=198.51.100.3 2>/dev/null &
sleep 1
pcpc map -p tcp --port 6302 --nonce $FN --filter 198.51.100.2 > /dev/null
sleep 2.5
ktap_result "a FILTER added later cuts the open connection from a peer it leaves out" \
	$(grep -q before "$LOG.late" && ! grep -q after "$LOG.late"; echo $?)
pcpc map -p tcp --port 6302 --nonce $FN --delete > /dev/null
# Any port of one peer, and port 80 of its /24: ranges that overlap
# without one holding the other, which one nftables set would refuse.
out=$(pcpc map -p tcp --port 6303 --nonce $FN --filter 198.51.100.2/32 --filter 198.51.100.0/24:80)
ktap_result "overlapping FILTERs (a peer's every port, its /24's port 80) are both installed" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  ns nat nft list set ip pcpd allowed_tcp | grep -q "198.51.100.1 . 6303 . 198.51.100.2 . 0-65535" &&
	  ns nat nft list set ip pcpd allowed_port_tcp |
		grep -q "198.51.100.1 . 6303 . 198.51.100.0/24 . 80"; echo $?)
pcpc map -p tcp --port 6303 --nonce $FN --delete > /dev/null
out=$(pcpc map -p tcp --port 6300 --nonce $FN --delete)
ktap_result "a delete takes its filters out of nftables too" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  ! ns nat nft list set ip pcpd allowed_tcp | grep -q " 6300 " &&
	  ! ns nat nft list set ip pcpd filtered_tcp | grep -q " 6300 "; echo $?)

# pcpd must survive what its neighbours do.
timeout 5 ip netns exec "$NS_PREFIX-nat" "$PCPD" --listen 192.0.2.1 \
	--external 198.51.100.1 --control "$LOG.sock2" 2> "$LOG.err"
ktap_result "a second pcpd on the same address does not start, and says why" \
	$([ $? != 0 ] && grep -q "start-failed listen=192.0.2.1 port=5351" "$LOG.err" &&
	  [ "$(field result <<< "$(pcpc announce)")" = SUCCESS ]; echo $?)
echo precious > "$LOG.file"
timeout 5 ip netns exec "$NS_PREFIX-nat" "$PCPD" --listen 192.0.2.9 \
	--external 198.51.100.1 --control "$LOG.file" 2> "$LOG.err"
ktap_result "--control on a file that is not a socket: refused, the file untouched" \
	$([ $? = 1 ] && grep -q "start-failed control=.* reason=\"File exists\"" "$LOG.err" &&
	  [ "$(cat "$LOG.file")" = precious ]; echo $?)
for _ in 1 2 3; do socat -u - UNIX-CONNECT:"$LOG.sock" <<< status; done
ktap_result "control clients that hang up before the answer do not kill pcpd" \
	$(kill -0 $pcpd_pid && [ "$(field result <<< "$(pcpc announce)")" = SUCCESS ]; echo $?)

# A ckpt-syncd of our own on the feed: one good peer mapping, four bad.
nonce=0123456789abcdef01234567
cat > "$LOG.lines" <<EOF2
peer-map proto=6 internal=192.0.2.50 internal_port=7000 external=198.51.100.1 external_port=7000 lifetime=600 nonce=$nonce owner=1
peer-map proto=17 internal=10.99.0.9 internal_port=5351 external=192.0.2.1 external_port=5351 lifetime=600 nonce=$nonce owner=2
peer-map proto=6 internal=192.0.2.51 internal_port=22 external=198.51.100.1 external_port=22 lifetime=600 nonce=$nonce owner=2
peer-map proto=6 internal=192.0.2.52 internal_port=7001 external=198.51.100.1 external_port=7001 lifetime=0 nonce=$nonce owner=2
peer-map proto=1 internal=192.0.2.53 internal_port=7002 external=198.51.100.1 external_port=7002 lifetime=600 nonce=$nonce owner=2
EOF2
socat UNIX-LISTEN:"$LOG.feed",fork SYSTEM:"cat $LOG.lines; sleep 30" &
feeder=$!
ha_wait() { local end=$((SECONDS + $1)); shift; until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done; }
ha_wait 10 grep -q "standby-map internal=192.0.2.50" "$LOG"
sleep 1
ktap_result "the feed's good peer mapping is installed on standby" \
	$(ns nat nft list map ip pcpd map_tcp | grep -q '198.51.100.1 . 7000 ' &&
	  "$PCPD" --status --control "$LOG.sock" | grep -q "^map proto=6 internal=192.0.2.50 .*standby=yes"; echo $?)
ktap_result "...and the four that break this node's policy are refused, with reasons" \
	$([ "$(grep -c "replica-refused" "$LOG")" = 4 ] &&
	  grep -q 'replica-refused reason="not this node.s external address"' "$LOG" &&
	  grep -q 'replica-refused reason="an external port this node does not hand out"' "$LOG" &&
	  grep -q 'replica-refused reason="lifetime 0"' "$LOG" &&
	  grep -q 'replica-refused reason="not TCP or UDP"' "$LOG" &&
	  ! ns nat nft list table ip pcpd | grep -q '5351\|7001\|7002'; echo $?)
ktap_result "pcpd is still there, answering" \
	$(kill -0 $pcpd_pid && [ "$(field result <<< "$(pcpc announce)")" = SUCCESS ]; echo $?)
kill $feeder 2>/dev/null

# A 3-second mapping: its element's own timeout is 6 s, so at 4.5 s it is
# gone only if pcpd deleted it when the mapping expired.
out=$(pcpc map -p udp --port 6100 --lifetime 3)
sleep 4.5
ktap_result "a mapping expired at 3 s: its element (own timeout 6 s) is gone by 4.5 s" \
	$([ "$(field lifetime <<< "$out")" = 3 ] &&
	  ! ns nat nft list map ip pcpd map_udp | grep -q '198.51.100.1 . 6100' &&
	  ! "$PCPD" --status --control "$LOG.sock" | grep -q "internal_port=6100 "; echo $?)
ktap_result "a subscriber holding nothing any more is forgotten" \
	$(! "$PCPD" --status --control "$LOG.sock" | grep -q "^subscriber addr=192.0.2.2 "; echo $?)

kill $pcpd_pid
wait $pcpd_pid
ktap_result "pcpd stops on SIGTERM and removes its table" \
	$(! ns nat nft list table ip pcpd > /dev/null 2>&1; echo $?)
sed 's/^/# log: /' "$LOG"
ktap_result "its log names every refusal with its reason" \
	$(grep -q 'refused client=192.0.2.2 opcode=1 result=NOT_AUTHORIZED' "$LOG" &&
	  grep -q 'refused client=192.0.2.2 result=MALFORMED_REQUEST' "$LOG"; echo $?)

# --syslog, in a mount namespace whose /dev/log is a socat of ours: a
# started pcpd logs at info, a second one on the same control socket
# fails to start and logs it at err (facility daemon: <30> and <27>).
ns nat unshare --mount sh -c "
	mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 &&
	mknod -m 444 /dev/urandom c 1 9 || exit 1
	socat -u UNIX-RECV:/dev/log OPEN:$LOG.syslog,creat,append &
	sleep 0.3
	$PCPD --syslog --listen 192.0.2.1 --external 198.51.100.1 --control $LOG.s2 &
	sleep 1
	$PCPD --syslog --listen 192.0.2.1 --external 198.51.100.1 --control $LOG.s2
	kill %2; sleep 0.5; kill %1" 2> /dev/null
(sed 's/<[0-9]*>/\n&/g' "$LOG.syslog"; echo) | sed '/^$/d; s/^/# syslog: /'
ktap_result "--syslog: events reach syslog, a start at info, a failed start at err" \
	$(grep -aq '<30>.*pcpd\[[0-9]*\]: listening addr=192.0.2.1' "$LOG.syslog" &&
	  grep -aq '<27>.*pcpd\[[0-9]*\]: start-failed control=.* reason="another pcpd answers there"' "$LOG.syslog"; echo $?)

rm -f "$LOG" "$LOG.rx" "$LOG.err" "$LOG.file" "$LOG.lines" "$LOG.late" "$LOG.syslog"
ktap_finish
