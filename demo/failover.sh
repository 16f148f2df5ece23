#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: a narrated failover of a Linux HA NAT pair, in one lab guest.
#
# An application protects one TCP connection with a PCP MAP request
# carrying CHECKPOINT_REQUIRED (pcpc); a second connection beside it is
# not protected.  nat-a, the active NAT, is killed (processes and links,
# no clean shutdown); keepalived moves the virtual addresses to nat-b,
# whose ckpt-syncd commits the replicated state first.  The protected
# stream carries on with every byte; the other stalls.  Exit 0 when that
# is what happened.

. "$(dirname "$0")/../selftests/lib/ktap.sh"
in_guest "$@"
# The optimised builds, not the sanitizer ones the tests use.
SYNCD=$TOP_DIR/build/ckpt-syncd
CKPTCTL=$TOP_DIR/build/ckptctl
PCPD=$TOP_DIR/build/pcpd
PCPC=$TOP_DIR/build/pcpc
. "$SELFTESTS_DIR/lib/ha.sh"

step=0
say() { step=$((step + 1)); printf '\n[%d] %s\n' "$step" "$*"; }
show() { sed 's/^/      /'; }
lines() { wc -l < "$HA_RUN/$1.rx" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
fail() { echo; echo "demo failed: $*"; exit 1; }

cat <<'TXT'
nf_ckpt failover demo
=====================

  client 192.0.2.2 --- inside bridge ---+--- nat-a (active) ---+--- outside bridge --- server
                         gw 192.0.2.1   |        | sync link   |   198.51.100.1       198.51.100.2
                                        +--- nat-b (backup) ---+

Both NATs translate to the virtual address 198.51.100.1; keepalived
gives it (and the inside gateway 192.0.2.1) to the master.
TXT

say "Building the pair: namespaces, bridges, nftables NAT, nf_ckpt loaded"
ha_topology || fail "cannot build the topology"
ha_syncd nat-a && ha_syncd nat-b || fail "ckpt-syncd did not start"
ha_keepalived nat-a 150
ha_wait 20 ha_master nat-a || fail "nat-a did not become master"
ha_keepalived nat-b 100
ha_pcpd nat-a
ha_pcpd nat-b
ha_wait 10 eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up' ||
	fail "the ckpt-syncd pair did not meet"
echo "      nat-a is master; ckpt-syncd on nat-a and nat-b see each other"

say "The application asks for protection: a PCP MAP for its port 40000 with CHECKPOINT_REQUIRED"
echo "      \$ pcpc -s 192.0.2.1 map -p tcp --port 40000 --lifetime 600 --checkpoint"
map=$(ip netns exec client "$PCPC" -s $HA_VIP_IN map -p tcp --port 40000 \
	--lifetime 600 --checkpoint)
show <<< "$map"
nonce=$(sed -n 's/^nonce: //p' <<< "$map")
eport=$(sed -n 's/^external_port: //p' <<< "$map")

say "Two TCP streams of numbered lines to the server: 'protected' from port 40000, 'unprotected' from 40001"
ha_stream_server protected 9000
ha_stream_server unprotected 9001
sleep 0.5
ha_stream protected 40000 9000
ha_stream unprotected 40001 9001
ha_wait 10 ha_status_is nat-b external 1 || fail "the protected flow did not reach nat-b"
sleep 2
echo "      nf_ckpt on nat-a flagged the protected connection through pcpd's endpoint rule"
echo "      (owner: the subscriber 192.0.2.2 as a number; sync=done: the peer holds it):"
ip netns exec nat-a "$CKPTCTL" list | show
echo "      ckpt-syncd replicated it, and only it: nat-b's cache holds $(ha_status nat-b external) connection(s)"

say "nat-a crashes: every process in it killed, its links cut"
t0=$(now)
ha_crash nat-a
ha_wait 30 ha_master nat-b || fail "nat-b did not take over"
t1=$(now)
before_p=$(lines protected)
before_u=$(lines unprotected)
echo "      keepalived made nat-b master $(elapsed "$t0" "$t1") s after the crash;"
echo "      its notify script committed nat-a's state, then opened the gate"
echo "      (until then nat-b drops forwarded packets, so none reaches conntrack first):"
echo "      ckpt-syncd: created=$(ha_status nat-b commit_created) failed=$(ha_status nat-b commit_failed) adopted=$(ha_status nat-b commit_adopted) in $(ha_status nat-b commit_ms) ms"
echo "      pcpd on nat-b had the mapping on standby, and now owns it; a new epoch is announced:"
grep -h "takeover " "$HA_RUN/nat-b.pcpd.log" | show

say "The application renews its mapping with its nonce, as the new epoch tells it to"
echo "      \$ pcpc -s 192.0.2.1 map -p tcp --port 40000 --lifetime 600 --checkpoint --nonce $nonce"
renew=$(ip netns exec client "$PCPC" -s $HA_VIP_IN map -p tcp --port 40000 \
	--lifetime 600 --checkpoint --nonce "$nonce")
show <<< "$renew"
if grep -q "^result: SUCCESS" <<< "$renew" &&
   grep -q "^external_port: $eport\$" <<< "$renew"; then
	m_how="renewed on nat-b with its nonce; external port $eport kept"
else
	m_how="NOT renewed"
fi

say "Watching the streams through nat-b for 15 s"
for i in 1 2 3; do
	sleep 5
	echo "      +$((i * 5)) s: protected received $(lines protected) lines, unprotected $(lines unprotected)"
done

say "Ending both streams"
touch "$HA_RUN/unprotected.stop"
if ha_stream_stop protected > /dev/null; then p_ok=1; else p_ok=0; fi
if ha_stream_stop unprotected > /dev/null; then u_ok=1; else u_ok=0; fi
# The sender's exit status: not 0 if the connection was reset.
if [ "$(cat "$HA_RUN/unprotected.rc" 2>/dev/null)" != 0 ]; then
	u_how="reset: nat-b had no state for it"
else
	u_how="stalled: nat-b had no state for it"
fi
pkill -f "sourceport=40001" 2>/dev/null

row()
{
	printf '  %-12s %-10s %6s %9s %12s   %s\n' "$@"
}
echo
echo "Summary"
echo "-------"
row stream protected sent received "via nat-b" result
row protected yes "$(wc -l < "$HA_RUN/protected.tx")" "$(lines protected)" \
	"+$(($(lines protected) - before_p))" \
	"$([ $p_ok = 1 ] && echo "survived: every byte, no reset" || echo "BROKEN")"
row unprotected no "$(wc -l < "$HA_RUN/unprotected.tx")" "$(lines unprotected)" \
	"+$(($(lines unprotected) - before_u))" \
	"$([ $u_ok = 1 ] && echo "survived (unexpected)" || echo "$u_how")"
echo
echo "  mapping:  $m_how"
echo "  failover: nat-b master $(elapsed "$t0" "$t1") s after the crash; commit of $(ha_status nat-b commit_created) entry in $(ha_status nat-b commit_ms) ms"

[ $p_ok = 1 ] && [ $u_ok = 0 ] || fail "the protected stream did not survive, or the unprotected one did"
[ "$m_how" != "NOT renewed" ] || fail "the protected mapping was not renewed on nat-b"
echo
echo "demo passed"
