#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of ckpt-syncd in one guest run; never fails on a number.
#
#   1. Commit at takeover of N = 10 000 and 100 000 replicated entries
#      (ckpt-syncd -c: created through ctnetlink and adopted by nf_ckpt).
#   2. Replication throughput: entries a second from flagging on nat-a to
#      nat-b's cache holding them all, in bulk.
#   3. Events: with 10 000 flagged among 200 000 new connections, the
#      conntrack events ckpt-syncd's filtered socket read, next to an
#      unfiltered listener's (what conntrackd reads).
#
# The comparison with conntrackd 1.4.7's commit is not here yet.
#
# Topology: selftests/lib/ha.sh; only the NATs and their sync link are used.

. "$(dirname "$0")/../lib/ktap.sh"
LAB_SLUB= LAB_MEM=2048 LAB_TIMEOUT=900 in_guest "$@"
SYNCD=$TOP_DIR/build/ckpt-syncd
CKPTCTL=$TOP_DIR/build/ckptctl
BULK=$TOP_DIR/build/ckpt_bulk
. "$SELFTESTS_DIR/lib/ha.sh"

SIZES=${SIZES:-10000 100000}

a() { ip netns exec nat-a "$@"; }
b() { ip netns exec nat-b "$@"; }
ms() { date +%s%3N; }

wait_for() { ha_wait 600 "$@"; }

bench_ckpt_syncd()
{
	local n=$1 t0 t1 out

	a conntrack -F > /dev/null 2>&1
	b conntrack -F > /dev/null 2>&1
	ha_syncd nat-a && ha_syncd nat-b
	wait_for eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up'
	a "$BULK" inject "$n" > /dev/null
	t0=$(ms)
	a "$BULK" set "$n" 64 > /dev/null
	wait_for ha_status_is nat-b external "$n"
	t1=$(ms)
	echo "repl_rate $((n * 1000 / (t1 - t0 + 1)))"
	out=$(b "$SYNCD" --control "$HA_RUN/nat-b.sock" --commit)
	echo "# ckpt-syncd: $out" >&2
	echo "commit_ms $(sed -n 's/.* ms=\([0-9]*\).*/\1/p' <<< "$out")"
	kill "$(cat "$HA_RUN/nat-a.syncd.pid")" "$(cat "$HA_RUN/nat-b.syncd.pid")"
	sleep 1
	a "$BULK" clear "$n" 64 > /dev/null
}

# 10 000 flagged among EVENTS_N new connections: the events ckpt-syncd's
# filtered socket read, next to an unfiltered listener's (what conntrackd
# reads).
bench_events()
{
	local n=${EVENTS_N:-200000} all listener

	a conntrack -F > /dev/null 2>&1
	ha_syncd nat-a
	a conntrack -E -e NEW,UPDATE,DESTROY > "$HA_RUN/all.events" 2>/dev/null &
	listener=$!
	sleep 1
	a "$BULK" inject "$n" > /dev/null
	a "$BULK" set 10000 64 > /dev/null
	sleep 3
	kill "$listener"
	all=$(wc -l < "$HA_RUN/all.events")
	printf '# events: %d connections, 10 000 flagged: ckpt-syncd read %d, an unfiltered listener %d\n' \
		"$n" "$(ha_status nat-a events)" "$all"
	kill "$(cat "$HA_RUN/nat-a.syncd.pid")"
}

value() { sed -n "s/^$1 //p"; }

ha_topology || ktap_skip_all "cannot build the topology"
sysctl -qw net.netfilter.nf_conntrack_max=800000
echo 400000 > /sys/module/nf_conntrack/parameters/hashsize
a "$CKPTCTL" budget 500000 && b "$CKPTCTL" budget 500000

for n in $SIZES; do
	ours=$(bench_ckpt_syncd "$n")
	c_ours=$(value commit_ms <<< "$ours")
	printf '# N=%d commit: %d ms, %d entries/s (created and adopted)\n' \
		"$n" "$c_ours" "$((n * 1000 / (c_ours ? c_ours : 1)))"
	printf '# N=%d replication: %d entries/s acknowledged by the peer (goal > 100 000)\n' \
		"$n" "$(value repl_rate <<< "$ours")"
done
bench_events
echo "1..0 # benchmarks print numbers only"
