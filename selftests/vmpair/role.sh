#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# role.sh ROLE: one guest of ckpt_vmpair.sh, the HA pair as separate
# machines.  The topology and daemons are those of lib/ha.sh; only the
# links differ: the lab's links between guests instead of veths.
#
#   nat-a, nat-b  a member of the pair: its links (a-in, a-out, sync) moved
#                 into a namespace of its name, the sync link renamed
#                 a-sync; ckpt-syncd, keepalived and pcpd as in the
#                 one-guest lab.  A status service on its inside address,
#                 TCP port 7000, lets the edge watch it.  nat-a runs until
#                 its QEMU is killed.  nat-b stops its keepalived (the fail
#                 back) when the edge connects to its port 7002, and stops
#                 cleanly when the edge connects to its port 7001.
#   nat-a return  nat-a booted again after the crash, with nothing of its
#                 old state: it joins as backup, resynchronises, takes the
#                 addresses back at the fail back, and stops cleanly when
#                 the edge connects to its port 7001.
#   edge          the switch, the client and the server, and the checks.
#   status NODE   what the status service answers: master=yes|no, then
#                 ckpt-syncd's status, then pcpd's log.

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/guest.sh"
. "$SELFTESTS_DIR/lib/ha.sh"

STATUS_PORT=7000
FINISH_PORT=7001
FAILBACK_PORT=7002

status()
{
	local node=$1

	if ha_master "$node"; then echo master=yes; else echo master=no; fi
	"$SYNCD" --control "$HA_RUN/$node.sock" -s 2>&1
	cat "$HA_RUN/$node.pcpd.log"
}

nat()
{
	local node=$1 again=${2:-} p o
	p=$(ha_pfx "$node")
	o=$(ha_octet "$node")

	ha_modules && ha_namespaces "$node" || exit 1
	ip link set $p-in netns "$node" && ip link set $p-out netns "$node" &&
		ip link set sync netns "$node" &&
		ip -n "$node" link set sync name $p-sync || exit 1
	ha_node_up "$node" && ha_sync_up "$node" || exit 1
	ha_syncd "$node" || { cat "$HA_RUN/$node.syncd.log"; exit 1; }
	if [ "$node" = nat-a ]; then
		# Back after the crash, it stays backup: no preemption.
		ha_keepalived nat-a 150
	else
		# nat-b joins once nat-a is master, as in the one-guest lab.
		ha_wait 180 ip netns exec nat-b ping -c 1 -W 1 $HA_VIP_IN > /dev/null ||
			{ echo "nat-a never became master"; exit 1; }
		ha_keepalived nat-b 100
	fi
	ha_pcpd "$node"
	ip netns exec "$node" socat -U TCP-LISTEN:$STATUS_PORT,bind=192.0.2.$o,reuseaddr,fork \
		SYSTEM:"$0 status $node" &
	echo "LAB-SYNC: $node ready"

	if [ "$node" = nat-a ] && [ "$again" != return ]; then
		sleep 3600	# until the edge has its QEMU killed
		exit 1
	fi
	if [ "$node" = nat-b ]; then
		# The fail back: keepalived stops, and says so to nat-a.
		{ ip netns exec nat-b socat -u TCP-LISTEN:$FAILBACK_PORT,bind=192.0.2.$o - > /dev/null
		  echo "# nat-b: fail back, keepalived stops"
		  kill "$(cat "$HA_RUN/nat-b.keepalived.ppid")"; } &
	fi
	ip netns exec "$node" socat -u TCP-LISTEN:$FINISH_PORT,bind=192.0.2.$o - > /dev/null
	echo "# $node: told to finish"
	kill "$(cat "$HA_RUN/$node.keepalived.ppid")" "$(cat "$HA_RUN/$node.pcpd.pid")" 2>/dev/null
	ha_stop_syncd "$node" || stuck=1
	sleep 1
	grep -hv " info \|: map \|started\|listening" "$HA_RUN/$node".*.log | head -20 | sed 's/^/# /'
	# A sanitizer's report aborts its daemon; say so, and fail.
	! grep -h "ERROR: AddressSanitizer\|runtime error:" "$HA_RUN/$node".*.log &&
		[ -z "${stuck:-}" ]
}

# The edge's view of NODE's status: KEY's value.
st() { ip netns exec client socat -u -T 20 TCP:192.0.2.$(ha_octet "$1"):$STATUS_PORT,connect-timeout=2 - 2>/dev/null; }
st_key() { st "$1" | sed -n "s/^$2=//p"; }
st_is() { [ "$(st_key "$1" "$2")" = "$3" ]; }
# tell NODE PORT: connect to NODE's PORT, which makes it act.
tell() { ip netns exec client socat -u - TCP:192.0.2.$(ha_octet "$1"):"$2",connect-timeout=5 < /dev/null; }

edge()
{
	local l map eport nonce again before watcher t0

	ha_modules && ha_edge || exit 1
	for l in a-in b-in; do
		ip link set $l netns sw && ip -n sw link set $l master br-in up || exit 1
	done
	for l in a-out b-out; do
		ip link set $l netns sw && ip -n sw link set $l master br-out up || exit 1
	done

	ktap_plan 21
	ktap_check "nat-a is master, and the ckpt-syncd pair is up across the guests" \
		ha_wait 240 eval 'st_is nat-a master yes && st_is nat-b master no &&
			st_is nat-a peer up && st_is nat-b peer up &&
			st_is nat-b pcpd_connected 1'

	ha_service 40002
	ha_stream_server protected 9000
	ha_stream_server unprotected 9001
	sleep 0.5
	map=$(ha_map 40002)
	echo "# pcpc: $map"
	eport=$(ha_json external_port "$map")
	nonce=$(ha_json nonce "$map")
	inbound() { ha_inbound "$eport"; }
	ktap_result "a check-pointed MAP of the client's port 40002 is granted and reachable" \
		$([[ $map == *'"checkpoint_granted":true'* ]] && [ "$(inbound)" = mapped ]; echo $?)
	map=$(ha_map 40000)
	ktap_result "a check-pointed MAP of port 40000, the protected stream's" \
		$([[ $map == *'"checkpoint_granted":true'* ]]; echo $?)

	ha_stream protected 40000 9000
	ha_stream unprotected 40001 9001
	ktap_check "nat-b holds the two flagged connections and the two mappings" \
		ha_wait 30 eval 'st_is nat-b external 2 && st_is nat-b maps_peer 2'
	sleep 2

	before=$(wc -l < "$HA_RUN/protected.rx")
	ktap_result "both streams flow through nat-a ($before lines so far)" \
		$([ "$before" -gt 10 ] && [ "$(wc -l < "$HA_RUN/unprotected.rx")" -gt 10 ]; echo $?)
	t0=$(date +%s.%N)
	echo "LAB-SYNC: crash nat-a"	# the host kills nat-a's QEMU
	ktap_check "nat-b becomes master" ha_wait 90 st_is nat-b master yes
	echo "# nat-b master $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the crash was asked for"
	# Listening only now: nat-a, alive until the host killed it, announced
	# itself too.  nat-b's announcements go on for two minutes.
	ip netns exec client "$PCPC" -j -s $HA_VIP_IN watch --timeout 90 > "$HA_RUN/announce" &
	watcher=$!
	ktap_result "nat-b committed both connections and its pcpd took both mappings over" \
		$(st nat-b > "$HA_RUN/nat-b.status"
		  grep -q "^commit_created=2$" "$HA_RUN/nat-b.status" &&
		  grep -q "takeover epoch=0 mappings=2 adopted=2" "$HA_RUN/nat-b.status"; echo $?)
	ktap_check "the protected stream carries on through nat-b" \
		ha_wait 60 eval '[ "$(wc -l < "$HA_RUN/protected.rx")" -gt $((before + 60)) ]'
	wait $watcher
	echo "# announcement: $(cat "$HA_RUN/announce")"
	ktap_result "the client heard nat-b announce a new epoch" \
		$(e=$(ha_json epoch "$(cat "$HA_RUN/announce")"); [ -n "$e" ] && [ "$e" -lt 30 ]; echo $?)
	ktap_check "the mapping takes a new inbound connection through nat-b" \
		eval '[ "$(inbound)" = mapped ]'
	again=$(ha_map 40002 --nonce "$nonce")
	echo "# pcpc, its nonce: $again"
	ktap_result "its refresh with its nonce keeps external port $eport" \
		$([[ $again == *'"result":"SUCCESS"'* && $again == *"\"external_port\":$eport,"* ]]; echo $?)

	ktap_expect_fail "the unprotected stream did not survive" \
		ha_stream_stop unprotected
	pkill -f "sourceport=40001" 2>/dev/null

	echo "LAB-SYNC: restart nat-a"	# the host boots nat-a again
	ktap_check "nat-a returns as backup and resynchronises: nat-b's flagged connections and both mappings" \
		ha_wait 300 eval 'st_is nat-a peer up && st_is nat-a maps_peer 2 &&
			[ "$(st_key nat-a external)" = "$(st_key nat-b internal)" ]'
	echo "# nat-a holds $(st_key nat-a external) connections of nat-b's"
	ktap_result "nat-a stays backup (no preemption)" \
		$(st_is nat-a master no && st_is nat-b master yes; echo $?)
	ktap_result "nat-b is told to fail back (its keepalived stops)" \
		$(tell nat-b $FAILBACK_PORT; echo $?)
	ktap_check "nat-a becomes master again, and its pcpd takes both mappings back" \
		ha_wait 60 eval 'st nat-a > "$HA_RUN/nat-a.status" &&
			grep -q "^master=yes$" "$HA_RUN/nat-a.status" &&
			grep -q "takeover epoch=0 mappings=2 adopted=2" "$HA_RUN/nat-a.status"'
	before=$(wc -l < "$HA_RUN/protected.rx")
	# Through nat-a: it holds the addresses (only the master does).
	ktap_check "the protected stream carries on through nat-a" \
		ha_wait 60 eval '[ "$(wc -l < "$HA_RUN/protected.rx")" -gt $((before + 60)) ] &&
			st_is nat-a master yes'
	ktap_check "the mapping takes a new inbound connection through nat-a" \
		eval '[ "$(inbound)" = mapped ] && st_is nat-a master yes'
	ktap_check "the protected stream: every byte delivered, no reset, through both failovers" \
		ha_stream_stop protected
	ktap_result "nat-b is told to finish" $(tell nat-b $FINISH_PORT; echo $?)
	ktap_result "nat-a is told to finish" $(tell nat-a $FINISH_PORT; echo $?)
	ktap_finish
}

case "${1:-}" in
nat-a | nat-b) nat "$1" "${2:-}" ;;
edge) edge ;;
status) status "$2" ;;
*) echo "usage: role.sh nat-a [return]|nat-b|edge|status NODE" >&2; exit 2 ;;
esac
