#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replication throughput on this host's own CPUs, not under emulation:
# this kernel cannot load nf_ckpt, so ckpt-syncd runs without its nf_ckpt
# side (build/ckpt-syncd-nockpt: the flag is mark bit 31, set by
# ckpt_bulk inject-flagged).  Its sync reports are stood in for by a
# ctnetlink lookup of each connection, answered with the whole entry and
# waited for: more work than nf_ckpt's report while nobody is in its sync
# group, which nf_ckpt_bench.sh measures next to the same lookup in a
# guest (there a lookup cost 5 to 7 reports).  So "with lookups" is below
# what ckpt-syncd does with nf_ckpt here, and "no reports" above it.  Two namespaces, a
# and b, joined by a veth as the sync link, one daemon in each, like two
# machines.  Measured, for each N:
#
#   ckpt-syncd  bulk: N flagged entries in a, b's daemon started, then
#               a's: the time from a's start until b's external cache
#               holds N (b's last applied message, from its status's
#               data_age_ms); live: with both running, N flagged entries
#               made in a (ctnetlink, batched): the time from the first
#               until b holds N.  With lookups in place of reports, then
#               with no reports (NOCKPT_REPORTS=none).
#   conntrackd  the same N entries (every one of them: conntrackd filters
#               none by mark) sent in bulk by a's conntrackd (FTFW) over
#               the same veth: b's conntrackd started, then a's, which
#               dumps the table at its start and is told to send it (-B)
#               once it holds N; the time from a's start until b's
#               external cache holds N, polled every 20 ms
#
# and their ratios.  The two are not timed alike: ckpt-syncd's end is
# dated back to b's last applied message, while conntrackd's start and end
# are polled with a process start each (conntrackd -s), which adds up to
# some 30 ms to its time alone; a ratio near 1, or at 10 000 entries,
# is within that.  A benchmark prints numbers; it never fails on one.
#
# Usage: ckpt_syncd_host_bench.sh [N...]  (default 10000 100000)

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/conntrackd.sh"
. "$SELFTESTS_DIR/lib/syncpair.sh"

PAIR_SYNCD=$TOP_DIR/build/ckpt-syncd-nockpt
PAIR_DIR=$(mktemp -d)
BULK=$TOP_DIR/build/ckpt_bulk
SIZES=${*:-10000 100000}
RUN=$PAIR_DIR

[ -x "$PAIR_SYNCD" ] && [ -x "$BULK" ] ||
	ktap_skip_all "ckpt-syncd-nockpt or ckpt_bulk is not built (run 'make')"
command -v conntrackd > /dev/null || ktap_skip_all "conntrackd is not installed"

ms() { date +%s%3N; }
rate() { echo $(($1 * 1000 / ($2 > 0 ? $2 : 1))); }

# until_true SECONDS CMD...: CMD, every 10 ms, until it succeeds; 1 if it
# never did.
until_true()
{
	local end=$((SECONDS + $1))

	until "${@:2}"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.01
	done
}

stop_syncd()
{
	local pid

	pid=$(cat "$RUN/$1.pid")
	kill "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	rm -f "$RUN/$1.sock"
}

# held_at COUNT: once b's external cache holds COUNT, the time (ms) b
# applied its last message, by its own account.
held_at()
{
	local before after age

	until_true 120 eval "[ \"\$(pair_status b external)\" = $1 ]" || return 1
	before=$(ms)
	age=$(pair_status b data_age_ms)
	after=$(ms)
	echo $(((before + after) / 2 - age))
}

bench_ckpt_syncd()
{
	local count=$1 t0 t1

	pair_ns a conntrack -F > /dev/null 2>&1
	pair_ns b conntrack -F > /dev/null 2>&1
	pair_ns a "$BULK" inject-flagged "$count" > /dev/null || return 1
	pair_start b || return 1
	t0=$(ms)
	pair_start a || return 1
	t1=$(held_at "$count") || return 1
	echo "bulk $((t1 - t0))"
	echo "# ckpt-syncd bulk: a sent $(pair_status a sent) messages, $(pair_status a retransmitted) of them again" >&2

	pair_ns a conntrack -F > /dev/null 2>&1
	until_true 120 eval '[ "$(pair_status b external)" = 0 ]' || return 1
	t0=$(ms)
	pair_ns a "$BULK" inject-flagged "$count" > /dev/null || return 1
	t1=$(held_at "$count") || return 1
	echo "live $((t1 - t0))"
	echo "# ckpt-syncd live: a has read $(pair_status a events) conntrack events in all (the flush's deletions too), $(pair_status a event_overruns) overruns, $(pair_status a resyncs_requested) resyncs asked" >&2
	stop_syncd a
	stop_syncd b
}

ctd_conf() { conntrackd_conf "$(pair_addr "$1")" "$(pair_addr "$(pair_peer "$1")")" sync "$RUN/$1"; }

ctd() { pair_ns "$1" conntrackd -C "$RUN/$1.ctd.conf" "${@:2}"; }

# The objects in conntrackd's CACHE (internal or external) on NODE.
ctd_cache() { ctd "$1" -s cache 2>/dev/null | awk -v c="cache:$2" '$1 == c { print $NF; exit }'; }

bench_conntrackd()
{
	local count=$1 s t0 t1 held=0

	pair_ns a conntrack -F > /dev/null 2>&1
	pair_ns b conntrack -F > /dev/null 2>&1
	pair_ns a "$BULK" inject "$count" > /dev/null || return 1
	for s in b a; do
		ctd_conf $s > "$RUN/$s.ctd.conf"
		rm -f "$RUN/$s.ctd.lock" "$RUN/$s.ctd.ctl"
		[ $s = a ] && t0=$(ms)
		ctd $s -d < /dev/null > /dev/null 2>&1
		for _ in $(seq 500); do [ -S "$RUN/$s.ctd.ctl" ] && break; sleep 0.01; done
	done
	# a's internal cache holds what its dump at start read; then the bulk.
	until_true 120 eval '[ "$(ctd_cache a internal)" = "$count" ]' || return 1
	ctd a -B
	for _ in $(seq 3000); do
		held=$(ctd_cache b external)
		[ "${held:-0}" -ge "$count" ] && break
		sleep 0.02
	done
	t1=$(ms)
	echo "$((t1 - t0)) ${held:-0}"
	for s in a b; do ctd $s -k > /dev/null 2>&1; done
	for _ in $(seq 100); do pidof conntrackd > /dev/null || break; sleep 0.05; done
}

pair_topology || ktap_skip_all "cannot build the namespaces"
max=$(sysctl -n net.netfilter.nf_conntrack_max)
for count in $SIZES; do
	if [ "$count" -gt "$max" ]; then
		echo "# N=$count is more than this host's nf_conntrack_max ($max): not run"
		continue
	fi
	ours=$(bench_ckpt_syncd "$count") || ktap_skip_all "ckpt-syncd-nockpt's run failed (see above)"
	bare=$(NOCKPT_REPORTS=none bench_ckpt_syncd "$count") ||
		ktap_skip_all "ckpt-syncd-nockpt's run without reports failed (see above)"
	theirs=$(bench_conntrackd "$count") || ktap_skip_all "conntrackd's run failed"
	ctd=${theirs% *}
	printf '# N=%d replication on the host, conntrackd: bulk %d ms, %d entries/s (its peer held %d)\n' \
		"$count" "$ctd" "$(rate "$count" "$ctd")" "${theirs#* }"
	for run in "with lookups:$ours" "no reports:$bare"; do
		bulk=$(sed -n 's/^bulk //p' <<< "${run#*:}")
		live=$(sed -n 's/^live //p' <<< "${run#*:}")
		printf '# N=%d replication on the host, ckpt-syncd %s: bulk %d ms, %d entries/s (goal > 100 000), %d.%02dx as fast as conntrackd; live %d ms, %d entries/s\n' \
			"$count" "${run%%:*}" "$bulk" "$(rate "$count" "$bulk")" \
			"$((ctd / (bulk ? bulk : 1)))" "$((ctd * 100 / (bulk ? bulk : 1) % 100))" \
			"$live" "$(rate "$count" "$live")"
	done
done
echo "1..0 # benchmarks print numbers only"
