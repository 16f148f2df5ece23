#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd answers a new check-point only once the backup holds it (RFC 7767
# section 3.2, "sync-wait"), on the HA pair of lib/ha.sh with nat-a
# master:
#
#   1. a MAP with CHECKPOINT_REQUIRED: when the client has its answer,
#      nat-b's ckpt-syncd already holds the mapping (ckpt-syncd's
#      "synced" line confirmed it);
#   2. a PEER with the option: answered once nf_ckpt says the backup holds
#      the connection (its sync notification); a PEER of a connection a
#      MAP's rule flagged borrows that flag and leaves it at its renewal;
#   3. with the sync link cut, both wait sync-wait (500 ms), are answered
#      without the option, and the rule and the flag are taken back;
#   4. with the link back, the same requests are granted again;
#   4b. a PEER waits (pcpd restarted with a sync-wait of 10 s) while pcpd
#      is stopped and 5 000 sync notifications overrun its socket, the
#      PEER's own among the lost: pcpd, let go, reads the overrun, asks
#      nf_ckpt for the waiting PEER's state and confirms it, never letting
#      it time out;
#   5. with nat-a's ckpt-syncd stopped, pcpd answers at once, without the
#      option, naming the reason.

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"
. "$SELFTESTS_DIR/lib/ha.sh"

MARK=0x80000000
BULK=$TOP_DIR/build/ckpt_bulk	# fast: its work must fit in a sync-wait
LOG=$HA_RUN/nat-a.pcpd.log
# Renewals must give the nonce of the request that made the mapping.
N1=0102030405060708090a0b01
N2=0102030405060708090a0b02
N3=0102030405060708090a0b03
N4=0102030405060708090a0b04

pcpc() { ip netns exec client "$PCPC" -j -s $HA_VIP_IN "$@"; }
pstatus() { ip netns exec nat-a "$PCPD" --status --control "$HA_RUN/nat-a.pcpd.sock" | sed -n "s/^$1=//p"; }
has_rule() { ip netns exec nat-a "$CKPTCTL" rule list | grep -q "^proto=6 addr=$HA_CLIENT port=$1 "; }
flagged() { ip netns exec nat-a conntrack -L -p udp --orig-port-src "$1" -m $MARK/$MARK 2>/dev/null | grep -q "src=$HA_CLIENT"; }
# udp_out SPORT: one datagram from the client's SPORT to the server's 7000.
udp_out() { ip netns exec client socat -u - UDP:$HA_SERVER:7000,sourceport="$1" <<< hello; }
# timed CMD...: CMD's output; how long it took, in ms, in $took.
timed() { local t0; t0=$(date +%s%N); out=$("$@"); took=$((($(date +%s%N) - t0) / 1000000)); }

[ -x "$SYNCD" ] || ktap_skip_all "ckpt-syncd is not built (run 'make')"
command -v keepalived > /dev/null || ktap_skip_all "keepalived is not installed"
ha_topology || ktap_skip_all "cannot build the topology"

ktap_plan 14

ha_syncd nat-a && ha_syncd nat-b
ha_keepalived nat-a 150
ha_wait 15 ha_master nat-a
ha_keepalived nat-b 100
ha_pcpd nat-a
ha_pcpd nat-b
ip netns exec server socat -u UDP-RECV:7000 /dev/null &
ktap_check "the pair is up, nat-a master, pcpd connected to its ckpt-syncd" \
	ha_wait 15 eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up &&
		ha_status_is nat-a pcpd_connected 1'

# 1. MAP
timed pcpc map -p tcp --port 41000 --checkpoint --lifetime 600
echo "# $out (${took} ms)"
held=$(ha_status nat-b maps_peer)
ktap_result "a check-pointed MAP is granted, and by then nat-b holds it (maps_peer=$held)" \
	$([[ $out == *'"checkpoint_granted":true'* ]] && [ "$held" = 1 ] &&
	  [ "$(pstatus sync_confirmed)" = 1 ]; echo $?)

# 2. PEER
udp_out 5000
timed pcpc peer -p udp --port 5000 --peer $HA_SERVER:7000 --checkpoint --lifetime 600
echo "# $out (${took} ms)"
ktap_result "a check-pointed PEER is granted once nf_ckpt says the backup holds the connection; no answer waits, so pcpd left nf_ckpt's sync group" \
	$([[ $out == *'"checkpoint_granted":true'* ]] && flagged 5000 &&
	  [ "$(pstatus sync_confirmed)" = 2 ] && [ "$(pstatus sync_listening)" = no ] &&
	  ip netns exec nat-a "$CKPTCTL" list | grep -q "sport=5000 .*sync=done"; echo $?)

# 2b. A connection a MAP's rule flagged already: the PEER borrows its flag.
pcpc map -p udp --port 5002 --checkpoint --lifetime 600 > /dev/null
udp_out 5002
ha_wait 5 eval 'ip netns exec nat-a "$CKPTCTL" list | grep -q "sport=5002 .*sync=done"'
confirmed=$(pstatus sync_confirmed)
out=$(pcpc peer -p udp --port 5002 --peer $HA_SERVER:7000 --checkpoint --lifetime 600 --nonce $N1)
echo "# $out"
ktap_result "a PEER of a connection a MAP's rule flagged, held by the backup: granted without waiting" \
	$([[ $out == *'"checkpoint_granted":true'* ]] &&
	  [ "$(pstatus sync_confirmed)" = "$confirmed" ] &&
	  [ "$(pstatus sync_timeouts)" = 0 ]; echo $?)
pcpc peer -p udp --port 5002 --peer $HA_SERVER:7000 --lifetime 600 --nonce $N1 > /dev/null
ktap_result "...and its renewal without the option leaves the rule's flag alone" \
	$(flagged 5002 && grep -q "checkpoint-released-rule-keeps-it .*port=5002 " "$LOG"; echo $?)

# 3. The sync link cut: nothing can be confirmed.
ip -n nat-a link set a-sync down
timed pcpc map -p tcp --port 41001 --checkpoint --lifetime 600 --nonce $N2
echo "# $out (${took} ms)"
ktap_result "sync link down: a MAP waits sync-wait and is answered without the option (${took} ms)" \
	$([[ $out == *'"result":"SUCCESS"'* ]] && [[ $out == *'"checkpoint_granted":false'* ]] &&
	  [ "$took" -ge 450 ]; echo $?)
ktap_result "...its rule was taken back, and the log says why" \
	$(! has_rule 41001 &&
	  grep -q 'checkpoint-unconfirmed internal=192.0.2.2 proto=6 port=41001 waited_ms=[0-9]* reason="sync-wait ran out"' "$LOG"; echo $?)
udp_out 5001
timed pcpc peer -p udp --port 5001 --peer $HA_SERVER:7000 --checkpoint --lifetime 600 --nonce $N3
echo "# $out (${took} ms)"
ktap_result "sync link down: a PEER is answered without the option, its flag cleared" \
	$([[ $out == *'"checkpoint_granted":false'* ]] && ! flagged 5001 &&
	  [ "$(pstatus sync_timeouts)" = 2 ]; echo $?)

# 4. The link back.
ip -n nat-a link set a-sync up
ha_wait 15 eval 'ha_status_is nat-a peer up && [ "$(ha_status nat-a lag_ms)" = 0 ]'
out=$(pcpc map -p tcp --port 41001 --checkpoint --lifetime 600 --nonce $N2)
echo "# $out"
ktap_result "link back: the same MAP is granted, and nat-b holds both" \
	$([[ $out == *'"checkpoint_granted":true'* ]] && has_rule 41001 &&
	  [ "$(ha_status nat-b maps_peer)" = 3 ]; echo $?)
out=$(pcpc peer -p udp --port 5001 --peer $HA_SERVER:7000 --checkpoint --lifetime 600 --nonce $N3)
ktap_result "link back: the PEER is granted" \
	$([[ $out == *'"checkpoint_granted":true'* ]] && flagged 5001; echo $?)

# 4b. Sync notifications lost while a PEER waits.  pcpd again, with the
# longest sync-wait, for what follows to happen while the PEER waits.
pid=$(cat "$HA_RUN/nat-a.pcpd.pid")
kill "$pid"
wait "$pid"
first=$?		# judged with the others' at the end
ha_pcpd nat-a --sync-wait 10000
pid=$(cat "$HA_RUN/nat-a.pcpd.pid")
ha_wait 10 eval '[ "$(pstatus replica)" = connected ]'
confirmed=$(pstatus sync_confirmed)
timeouts=$(pstatus sync_timeouts)
ip -n nat-a link set a-sync down
udp_out 5003
# pcpc gives up after its 3 tries; what pcpd does is read from its status.
pcpc peer -p udp --port 5003 --peer $HA_SERVER:7000 --checkpoint --lifetime 600 \
	> /dev/null 2>&1 &
asked=$!
ha_wait 5 eval '[ "$(pstatus sync_listening)" = yes ]'
# pcpc's later tries would make pcpd look again: they are dropped.
ip netns exec nat-a nft add table ip test_drop_pcp
ip netns exec nat-a nft add chain ip test_drop_pcp in \
	'{ type filter hook input priority -400; }'
ip netns exec nat-a nft add rule ip test_drop_pcp in udp dport 5351 drop
kill -STOP "$pid"
t0=$SECONDS
ip netns exec nat-a "$BULK" inject 5000 > /dev/null
ip netns exec nat-a "$BULK" set 5000 64 > /dev/null
ip netns exec nat-a "$BULK" report 5000 64 > /dev/null
ip -n nat-a link set a-sync up
ha_wait 8 eval 'ip netns exec nat-a "$CKPTCTL" get -p udp -s $HA_CLIENT -d $HA_SERVER \
	--sport 5003 --dport 7000 | grep -q "sync=done"'
held=$?
echo "# pcpd stopped for $((SECONDS - t0)) s; the backup held the PEER's connection: $held (0: yes)"
kill -CONT "$pid"
ktap_check "notifications overrun while pcpd was stopped: it says so" \
	ha_wait 10 grep -q 'sync-notifications-failed reason="No buffer space available"' "$LOG"
ktap_result "...and confirms the waiting PEER from nf_ckpt's state, no time-out" \
	$([ $held = 0 ] && ha_wait 10 eval '[ "$(pstatus sync_confirmed)" -gt "$confirmed" ]' &&
	  [ "$(pstatus sync_timeouts)" = "$timeouts" ] && flagged 5003; echo $?)
wait "$asked"
ip netns exec nat-a nft delete table ip test_drop_pcp

# 5. No ckpt-syncd at all on nat-a.
ha_stop_syncd nat-a
ha_wait 5 eval '[ "$(pstatus replica)" = absent ]'
out=$(pcpc map -p tcp --port 41002 --checkpoint --lifetime 600 --nonce $N4)
echo "# $out"
ktap_result "ckpt-syncd stopped: answered at once without the option, saying why" \
	$([[ $out == *'"checkpoint_granted":false'* ]] &&
	  grep -q 'checkpoint-unconfirmed internal=192.0.2.2 proto=6 port=41002 waited_ms=[0-9]\{1,2\} ' "$LOG" &&
	  grep -q 'checkpoint-unconfirmed internal=192.0.2.2 proto=6 port=41002 .*reason="ckpt-syncd is not connected"' "$LOG"; echo $?)

a=$(cat "$HA_RUN/nat-a.pcpd.pid")
b=$(cat "$HA_RUN/nat-b.pcpd.pid")
kill "$a" "$b"
wait "$a"
ra=$?
wait "$b"
rb=$?
echo "# exit status: nat-a's first pcpd $first, its second $ra, nat-b's $rb"
ktap_result "every pcpd stopped cleanly (exit 0, no sanitizer report)" \
	$([ "$ra" = 0 ] && [ "$rb" = 0 ] && [ "$first" = 0 ]; echo $?)
grep -E "checkpoint|replica|sync" "$LOG" | sed 's/^/# nat-a: /'
ktap_finish
