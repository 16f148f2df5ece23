#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of ckpt-syncd next to conntrackd 1.4.7, side by side in one
# guest run, printed as ratios; never fails on a number.
#
#   1. Commit at takeover of N = 10 000 and 100 000 replicated entries:
#      ckpt-syncd -c against conntrackd -c (its external cache), the same
#      entries replicated from nat-a by each daemon in turn.  Goal: ckpt-
#      syncd at least 3 times faster.
#   2. Replication throughput: entries a second from flagging on nat-a to
#      nat-b's cache holding them all, in bulk.
#   3. Events: with 10 000 flagged among N connections, the conntrack
#      events each daemon's socket received (conntrackd takes all).
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

conntrackd_conf()
{
	local node=$1 me=$2 peer=$3 dev=$4

	cat > "$HA_RUN/$node.ctd.conf" <<-CONF
	Sync {
		Mode FTFW {
		}
		UDP {
			IPv4_address $me
			IPv4_Destination_Address $peer
			Port 3790
			Interface $dev
			Checksum on
		}
	}
	General {
		HashSize 262144
		HashLimit 1048576
		Syslog off
		LogFile $HA_RUN/$node.ctd.log
		LockFile $HA_RUN/$node.ctd.lock
		UNIX {
			Path $HA_RUN/$node.ctd.sock
		}
		NetlinkBufferSize 16777216
		NetlinkBufferSizeMaxGrowth 67108864
	}
	CONF
}

# ctd_external NODE: entries in conntrackd's external cache on NODE.
ctd_external()
{
	ip netns exec "$1" conntrackd -C "$HA_RUN/$1.ctd.conf" -s ext 2>/dev/null |
		sed -n 's/.*current active connections:[[:space:]]*\([0-9]*\).*/\1/p' | head -1
}

wait_for() { ha_wait 600 "$@"; }

fresh_entries()
{
	a conntrack -F > /dev/null 2>&1
	b conntrack -F > /dev/null 2>&1
	a "$BULK" inject "$1" > /dev/null
}

bench_ckpt_syncd()
{
	local n=$1 t0 t1 out

	fresh_entries "$n"
	ha_syncd nat-a && ha_syncd nat-b
	wait_for eval 'ha_status_is nat-a peer up && ha_status_is nat-b peer up'
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

bench_conntrackd()
{
	local n=$1 t0 t1

	fresh_entries "$n"
	conntrackd_conf nat-a 203.0.113.1 203.0.113.2 a-sync
	conntrackd_conf nat-b 203.0.113.2 203.0.113.1 b-sync
	rm -f "$HA_RUN"/*.ctd.lock
	b conntrackd -C "$HA_RUN/nat-b.ctd.conf" -d
	a conntrackd -C "$HA_RUN/nat-a.ctd.conf" -d
	wait_for eval '[ "$(ctd_external nat-b)" = "$n" ]'
	b conntrack -F > /dev/null 2>&1
	t0=$(ms)
	b conntrackd -C "$HA_RUN/nat-b.ctd.conf" -c > /dev/null 2>&1
	t1=$(ms)
	echo "commit_ms $((t1 - t0))"
	echo "# conntrackd: committed $(b conntrack -C) entries" >&2
	a conntrackd -C "$HA_RUN/nat-a.ctd.conf" -k > /dev/null 2>&1
	b conntrackd -C "$HA_RUN/nat-b.ctd.conf" -k > /dev/null 2>&1
	sleep 1
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
command -v conntrackd > /dev/null || ktap_skip_all "conntrackd is not installed"
sysctl -qw net.netfilter.nf_conntrack_max=800000
echo 400000 > /sys/module/nf_conntrack/parameters/hashsize
a "$CKPTCTL" budget 500000 && b "$CKPTCTL" budget 500000

echo "# conntrackd $(conntrackd -v 2>&1 | head -1)"
for n in $SIZES; do
	ours=$(bench_ckpt_syncd "$n")
	theirs=$(bench_conntrackd "$n")
	c_ours=$(value commit_ms <<< "$ours")
	c_theirs=$(value commit_ms <<< "$theirs")
	printf '# N=%d commit: ckpt-syncd %d ms, conntrackd %d ms, ratio %s (goal >= 3)\n' \
		"$n" "$c_ours" "$c_theirs" \
		"$(awk -v a="$c_ours" -v b="$c_theirs" 'BEGIN { printf "%.1f", b / (a ? a : 1) }')"
	printf '# N=%d replication: %d entries/s acknowledged by the peer (goal > 100 000)\n' \
		"$n" "$(value repl_rate <<< "$ours")"
done
bench_events
echo "1..0 # benchmarks print numbers only"
