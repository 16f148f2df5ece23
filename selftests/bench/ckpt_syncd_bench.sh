#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of ckpt-syncd in one guest run; never fails on a number.
#
#   1. Commit at takeover of N = 10 000 and 100 000 replicated entries:
#      ckpt-syncd (created through ctnetlink and adopted by nf_ckpt) next
#      to conntrackd 1.4.7 (`conntrackd -c`, its external cache filled by
#      an FTFW bulk send from nat-a's conntrackd over the same sync link),
#      on the same N UDP entries, each timed from its client's start to
#      its return by a shell already in nat-b's namespace, then checked in
#      nat-b's table.
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
#      conntrack events ckpt-syncd's filtered socket read, next to those an
#      unfiltered listener (what conntrackd reads) is sent, counted by
#      ckpt_bulk events, which only counts.
#
# Usage: ckpt_syncd_bench.sh [N...]  (default 10000 100000)
#
# Topology: selftests/lib/ha.sh; only the NATs and their sync link are used.

. "$(dirname "$0")/../lib/ktap.sh"
LAB_SLUB= LAB_MEM=2048 LAB_TIMEOUT=1500 in_guest "$@"
SYNCD=$TOP_DIR/build/ckpt-syncd
CKPTCTL=$TOP_DIR/build/ckptctl
BULK=$TOP_DIR/build/ckpt_bulk
. "$SELFTESTS_DIR/lib/ha.sh"
. "$SELFTESTS_DIR/lib/conntrackd.sh"

SIZES=${*:-10000 100000}

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

# timed NODE CMD...: CMD run in NODE's namespace, timed from inside it,
# so that entering the namespace (ip netns exec remounts /sys, 100 ms and
# more under emulation) is not counted; CMD's own start is.  Prints
# CMD's output, then "wall_ms N".
timed()
{
	ip netns exec "$1" sh -c 't0=$(date +%s%3N); "$@"; t1=$(date +%s%3N); echo "wall_ms $((t1 - t0))"' \
		sh "${@:2}"
}

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
	echo "# bulk: nat-a sent $(ha_status nat-a sent) messages, $(ha_status nat-a retransmitted) again; its timeout $(ha_status nat-a rto_ms) ms, round trip $(ha_status nat-a srtt_ms) ms" >&2

	a "$BULK" clear "$n" 64 > /dev/null
	wait_for ha_status_is nat-b external 0
	t0=$(ms)
	a "$BULK" set "$n" 64 > /dev/null
	t1=$(ms)
	done=$(settled external "$n")
	echo "flag_ms $((t1 - t0))"
	echo "live_ms $((done - t0))"
	echo "# live: nat-a sent $(ha_status nat-a sent) messages in all, $(ha_status nat-a retransmitted) again" >&2
	# nat-a dies before the commit, its entries with it: the guest's one
	# CPU then commits alone, as a backup machine would.
	ha_stop_syncd nat-a
	a "$BULK" clear "$n" 64 > /dev/null
	a conntrack -F > /dev/null 2>&1
	out=$(timed nat-b "$SYNCD" --control "$HA_RUN/nat-b.sock" --commit)
	echo "# ckpt-syncd: $out" >&2
	echo "commit_ms $(sed -n 's/.* ms=\([0-9]*\).*/\1/p' <<< "$out")"
	echo "adopt_ms $(sed -n 's/.* adopt_ms=\([0-9]*\).*/\1/p' <<< "$out")"
	echo "commit_wall_ms $(sed -n 's/^wall_ms //p' <<< "$out")"
	ha_stop_syncd nat-b
}

# ctd_conf NODE: a conntrackd configuration for NODE, FTFW over the
# sync link (its own port), files in $HA_RUN, big enough for 100 000.
ctd_conf()
{
	conntrackd_conf "$(ha_sync_addr "$1")" "$(ha_sync_addr "$(ha_peer "$1")")" \
		"$(ha_pfx "$1")-sync" "$HA_RUN/$1"
}

ctd() { ip netns exec "$1" conntrackd -C "$HA_RUN/$1.ctd.conf" "${@:2}"; }

# The bench's entries in NODE's conntrack table.
entries() { ip netns exec "$1" conntrack -L -p udp --dport 9 2>/dev/null | grep -c 198.19.0.1; }

# The same N entries committed by conntrackd: nat-a's sends them in bulk,
# nat-b's external cache takes them, and `conntrackd -c` is timed.
bench_conntrackd()
{
	local n=$1 node held=0 out

	a conntrack -F > /dev/null 2>&1
	b conntrack -F > /dev/null 2>&1
	a "$BULK" inject "$n" > /dev/null
	for node in nat-b nat-a; do
		ctd_conf $node > "$HA_RUN/$node.ctd.conf"
		rm -f "$HA_RUN/$node.ctd.lock" "$HA_RUN/$node.ctd.ctl"
		ctd $node -d < /dev/null > /dev/null 2>&1
	done
	ha_wait 10 test -S "$HA_RUN/nat-a.ctd.ctl"
	ha_wait 10 test -S "$HA_RUN/nat-b.ctd.ctl"
	ctd nat-a -B
	for _ in $(seq 120); do
		held=$(ctd nat-b -e | grep -c 198.19.0.1)
		[ "$held" -ge "$n" ] && break
		sleep 2
	done
	ctd nat-a -k > /dev/null 2>&1	# nat-a dies first, as above
	a conntrack -F > /dev/null 2>&1
	out=$(timed nat-b conntrackd -C "$HA_RUN/nat-b.ctd.conf" -c)
	echo "held $held"
	echo "commit_wall_ms $(sed -n 's/^wall_ms //p' <<< "$out")"
	echo "committed $(entries nat-b)"
	echo "# conntrackd: $(sed -n 's/.*\(commit has taken .*\)/\1/p' "$HA_RUN/nat-b.ctd.log" | tail -1)" >&2
	ctd nat-b -k > /dev/null 2>&1
	ha_wait 10 eval '! pidof conntrackd > /dev/null'
	a conntrack -F > /dev/null 2>&1
	b conntrack -F > /dev/null 2>&1
}

# 10 000 flagged among EVENTS_N new connections: the events ckpt-syncd's
# filtered socket read, next to an unfiltered listener's (what conntrackd
# reads).
bench_events()
{
	local n=${EVENTS_N:-200000} listener

	a conntrack -F > /dev/null 2>&1
	ha_syncd nat-a
	a "$BULK" events 40 > "$HA_RUN/all.events" &
	listener=$!
	sleep 1
	a "$BULK" inject "$n" > /dev/null
	a "$BULK" set 10000 64 > /dev/null
	wait "$listener"
	printf '# events: %d connections, 10 000 flagged: ckpt-syncd read %d; an unfiltered listener (what conntrackd reads) was sent %s\n' \
		"$n" "$(ha_status nat-a events)" "$(cat "$HA_RUN/all.events")"
	ha_stop_syncd nat-a
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
	ha_stop_syncd nat-a
	ha_stop_syncd nat-b
}

value() { sed -n "s/^$1 //p"; }

ha_topology || ktap_skip_all "cannot build the topology"
sysctl -qw net.netfilter.nf_conntrack_max=800000
echo 400000 > /sys/module/nf_conntrack/parameters/hashsize
a "$CKPTCTL" budget 500000 && b "$CKPTCTL" budget 500000

for n in $SIZES; do
	ours=$(bench_ckpt_syncd "$n")
	theirs=$(bench_conntrackd "$n")
	c_ours=$(value commit_wall_ms <<< "$ours")
	c_theirs=$(value commit_wall_ms <<< "$theirs")
	printf '# N=%d commit, ckpt-syncd: %d ms from its client (%d in the daemon, of which adoption %d), %d entries/s\n' \
		"$n" "$c_ours" "$(value commit_ms <<< "$ours")" \
		"$(value adopt_ms <<< "$ours")" "$(rate "$n" "$c_ours")"
	printf '# N=%d commit, conntrackd: %d ms from its client, %d entries/s; its cache held %d, the table has %d\n' \
		"$n" "$c_theirs" "$(rate "$n" "$c_theirs")" \
		"$(value held <<< "$theirs")" "$(value committed <<< "$theirs")"
	printf '# N=%d commit ratio: ckpt-syncd %d.%02dx as fast as conntrackd (goal 3x)\n' \
		"$n" "$((c_theirs / (c_ours ? c_ours : 1)))" \
		"$((c_theirs * 100 / (c_ours ? c_ours : 1) % 100))"
	printf '# N=%d replication in bulk (a session carrying them): %d ms, %d entries/s (goal > 100 000)\n' \
		"$n" "$(value bulk_ms <<< "$ours")" "$(rate "$n" "$(value bulk_ms <<< "$ours")")"
	printf '# N=%d replication live: flags set at %d/s, the peer held all at %d/s\n' \
		"$n" "$(rate "$n" "$(value flag_ms <<< "$ours")")" \
		"$(rate "$n" "$(value live_ms <<< "$ours")")"
done
bench_latency
bench_events
echo "1..0 # benchmarks print numbers only"
