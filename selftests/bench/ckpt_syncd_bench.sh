#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of ckpt-syncd in one guest run; never fails on a number.
#
#   1. Commit at takeover of N = 10 000 and 100 000 replicated entries
#      (ckpt-syncd -c: created through ctnetlink and adopted by nf_ckpt).
#   2. Replication throughput, entries a second into nat-b's cache:
#      in bulk (N entries flagged before nat-a's daemon starts, carried by
#      its first session), and live (N flags set while both run, next to
#      how fast they were set).  The guest has one CPU, and a status
#      request costs a process start there, so the script polls once a
#      second and takes the time of the last data nat-b applied from its
#      status (data_age_ms) instead of from when the poll saw it: the
#      times are right within about a status request.
#   3. Latency on an idle pair: 200 connections flagged one at a time, 10
#      ms apart, each timed from the flag to nf_ckpt reporting the peer
#      holds it (ckpt_bulk latency); p50 and p99.
#   4. Events: with 10 000 flagged among 200 000 new connections, the
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

# settled KEY VALUE: once nat-b's KEY is VALUE (polled once a second), the
# time (ms) nat-b applied its last data, by its own account.
settled()
{
	local before after age

	until ha_status_is nat-b "$1" "$2"; do sleep 1; done
	before=$(ms)
	age=$(ha_status nat-b data_age_ms)
	after=$(ms)
	echo $(((before + after) / 2 - age))
}

rate() { echo $(($1 * 1000 / ($2 > 0 ? $2 : 1))); }

bench_ckpt_syncd()
{
	local n=$1 t0 t1 done out

	a conntrack -F > /dev/null 2>&1
	b conntrack -F > /dev/null 2>&1
	a "$BULK" inject "$n" > /dev/null
	a "$BULK" set "$n" 64 > /dev/null
	ha_syncd nat-b
	t0=$(ms)
	ha_syncd nat-a		# its first session carries the N entries
	done=$(settled external "$n")
	echo "bulk_ms $((done - t0))"

	a "$BULK" clear "$n" 64 > /dev/null
	wait_for ha_status_is nat-b external 0
	t0=$(ms)
	a "$BULK" set "$n" 64 > /dev/null
	t1=$(ms)
	done=$(settled external "$n")
	echo "flag_ms $((t1 - t0))"
	echo "live_ms $((done - t0))"
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

bench_latency()
{
	local out

	a conntrack -F > /dev/null 2>&1
	b conntrack -F > /dev/null 2>&1
	ha_syncd nat-a && ha_syncd nat-b
	wait_for eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up'
	a "$BULK" inject 200 > /dev/null
	out=$(a "$BULK" latency 200)
	echo "# flag to the peer holding it, idle pair: ${out#sync latency: } (goal p99 < 10 ms)"
	kill "$(cat "$HA_RUN/nat-a.syncd.pid")" "$(cat "$HA_RUN/nat-b.syncd.pid")"
	sleep 1
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
	printf '# N=%d replication in bulk (a session carrying them): %d ms, %d entries/s (goal > 100 000)\n' \
		"$n" "$(value bulk_ms <<< "$ours")" "$(rate "$n" "$(value bulk_ms <<< "$ours")")"
	printf '# N=%d replication live: flags set at %d/s, the peer held all at %d/s\n' \
		"$n" "$(rate "$n" "$(value flag_ms <<< "$ours")")" \
		"$(rate "$n" "$(value live_ms <<< "$ours")")"
done
bench_latency
bench_events
echo "1..0 # benchmarks print numbers only"
