#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ckpt-syncd's daemon on the host, without nf_ckpt (which this kernel
# cannot load): build/san/ckpt-syncd-nockpt, ckpt-syncd with a stand-in
# for its nf_ckpt side (tools/ckpt_syncd_nockpt.c), under ASan and UBSan,
# in two namespaces joined by a veth:
#
#   - a pair replicates flagged conntrack entries (mark bit 31, made by
#     ckpt_bulk inject-flagged), and a deletion, and never an unflagged
#     entry;
#   - SIGTERM stops the daemon even when its timer is due in the same
#     wakeup (the daemon is stopped with SIGSTOP, sent SIGTERM, and let go
#     once its 10 ms timer has fired), with exit status 0; SIGHUP does
#     not stop it;
#   - a's resync of 200 000 entries keeps the link alive while it reads
#     the dump: neither daemon, told to declare a peer dead after 600 ms
#     of silence, ever does, and b ends with all of them; again when the
#     running daemon is asked for a resync.

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/syncpair.sh"

PAIR_SYNCD=$TOP_DIR/build/san/ckpt-syncd-nockpt
PAIR_DIR=$(mktemp -d)
BULK=$TOP_DIR/build/ckpt_bulk
[ -x "$PAIR_SYNCD" ] && [ -x "$BULK" ] ||
	ktap_skip_all "ckpt-syncd-nockpt or ckpt_bulk is not built (run 'make check')"
[ "$(id -u)" = 0 ] || ktap_skip_all "needs root for its namespaces"

DIR=$PAIR_DIR

wait_for()
{
	local t

	for t in $(seq $(($1 * 20))); do
		"${@:2}" && return 0
		sleep 0.05
	done
	return 1
}

# stop NODE [SIGNAL]: its exit status, or 124 if it did not stop in 5 s.
stop()
{
	local pid

	pid=$(cat "$DIR/$1.pid")
	kill -"${2:-TERM}" "$pid"
	wait_for 5 eval "! kill -0 $pid 2>/dev/null" || return 124
	wait "$pid"
}

pair_topology || ktap_skip_all "cannot make the namespaces"

ktap_plan 11

for port in $(seq 2000 2009); do	# unflagged: never sent
	pair_ns a conntrack -I -p udp -s 10.9.0.1 -d 10.9.0.2 --sport "$port" --dport 9 \
		-t 3600 > /dev/null 2>&1
done
pair_start b && pair_start a
ktap_check "a pair of daemons is up over the veth" \
	wait_for 10 eval '[ "$(pair_status a peer)" = up ] && [ "$(pair_status b peer)" = up ]'
pair_ns a "$BULK" inject-flagged 1000 > /dev/null
ktap_check "b's cache holds a's 1 000 flagged entries, not its 10 unflagged" \
	wait_for 10 eval '[ "$(pair_status b external)" = 1000 ]'
pair_ns a conntrack -D -p udp -s 198.18.0.0 --sport 1024 > /dev/null 2>&1
ktap_check "an entry deleted on a leaves b's cache" \
	wait_for 10 eval '[ "$(pair_status b external)" = 999 ]'

stop a HUP
ktap_result "SIGHUP does not stop the daemon" \
	$([ $? = 124 ] && [ "$(pair_status a peer)" = up ] &&
	  grep -q 'sighup reason="nothing to reload' "$DIR/a.log"; echo $?)

# The stop signal and the timer in one wakeup, five times.
ok=0
for i in 1 2 3 4 5; do
	pid=$(cat "$DIR/a.pid")
	kill -STOP "$pid"
	kill -TERM "$pid"
	sleep 0.1		# its 10 ms timer fires meanwhile
	kill -CONT "$pid"
	wait_for 5 eval "! kill -0 $pid 2>/dev/null" && wait "$pid" && ok=$((ok + 1))
	[ $i = 5 ] || pair_start a
done
echo "# stopped $ok of 5 times"
ktap_result "SIGTERM with the timer due in the same wakeup stops it, exit 0, every time" \
	$([ $ok = 5 ] && [ "$(grep -c 'stopping signal=15' "$DIR/a.log")" = 5 ]; echo $?)

# A long dump: acknowledgements read and messages sent while it is read.
BIG=200000
stop b
pair_ns a conntrack -F > /dev/null 2>&1
pair_ns a "$BULK" inject-flagged $BIG > /dev/null
pair_start b --keepalive 100 --dead 600
before=$(cat "$DIR/a.log" "$DIR/b.log" | grep -c 'peer state=down')
t0=$SECONDS
pair_start a --keepalive 100 --dead 600
ktap_check "b's cache holds all $BIG entries of a's resync" \
	wait_for 120 eval '[ "$(pair_status b external)" = $BIG ]'
echo "# $BIG entries in about $((SECONDS - t0)) s (sanitizer builds)"
ktap_result "neither declared the other dead while a read its dump (--dead 600)" \
	$([ "$(cat "$DIR/a.log" "$DIR/b.log" | grep -c 'peer state=down')" = "$before" ]
	  echo $?)

# The same from a's running loop, which goes on after it: b asks a for
# its whole state.
sessions=$(pair_status a sessions)
asked=$(grep -c 'resync reason="the peer asked for it"' "$DIR/a.log")
ip netns exec "$PAIR-b" "$PAIR_SYNCD" --control "$DIR/b.sock" --resync > /dev/null
wait_for 60 eval '[ "$(pair_status a sessions)" -gt "$sessions" ] &&
	[ "$(pair_status a lag_ms)" = 0 ]'
sleep 1
ktap_result "a resync b asked of a's running daemon: still no one declared dead, b holds $BIG" \
	$([ "$(cat "$DIR/a.log" "$DIR/b.log" | grep -c 'peer state=down')" = "$before" ] &&
	  [ "$(pair_status b external)" = $BIG ]; echo $?)
# b asks until it sees the new session begin: its later HELLOs name the old.
n=$(grep -c 'resync reason="the peer asked for it"' "$DIR/a.log")
echo "# a resynchronised $((n - asked)) times for b's one request"
ktap_result "...and a resynchronised once for it, not once more per HELLO" \
	$([ $((n - asked)) = 1 ]; echo $?)

stop b
ktap_result "SIGTERM stops the other, exit 0" $?
ktap_result "no sanitizer report" \
	$(! grep -q "ERROR: AddressSanitizer\|runtime error:" "$DIR/a.log" "$DIR/b.log"; echo $?)
[ "$ktap_fail" = 0 ] || sed 's/^/# /' "$DIR/a.log" "$DIR/b.log" | tail -40
ktap_finish
