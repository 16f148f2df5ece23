# SPDX-License-Identifier: GPL-2.0
#
# Two host namespaces, a and b, joined by a veth named sync, with a
# ckpt-syncd in each: the pair without nf_ckpt, for the host tests and
# benchmarks that run build/ckpt-syncd-nockpt.  Sourced after ktap.sh;
# set PAIR_SYNCD (the daemon) and PAIR_DIR (a directory of this run's
# own) first.
#
#   a  203.0.113.1 --- sync --- 203.0.113.2  b
#
#   pair_topology        make them (conntrack events on), cleanup at exit
#   pair_ns NODE CMD...  CMD in NODE's namespace
#   pair_addr NODE, pair_peer NODE
#   pair_start NODE [OPTION...]
#                        NODE's daemon, with OPTIONs, its pid in
#                        PAIR_DIR/NODE.pid, its log PAIR_DIR/NODE.log;
#                        fails if no control socket came within 5 s
#   pair_status NODE KEY one value of NODE's daemon's status

PAIR=${PAIR:-sp$$}

pair_ns() { ip netns exec "$PAIR-$1" "${@:2}"; }
pair_addr() { [ "$1" = a ] && echo 203.0.113.1 || echo 203.0.113.2; }
pair_peer() { [ "$1" = a ] && echo b || echo a; }

pair_cleanup()
{
	local s

	for s in a b; do
		ip netns pids "$PAIR-$s" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.5
	for s in a b; do
		ip netns pids "$PAIR-$s" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$PAIR-$s" 2>/dev/null
	done
	rm -rf "$PAIR_DIR"
}

pair_topology()
{
	local s

	trap pair_cleanup EXIT
	ip netns add "$PAIR-a" && ip netns add "$PAIR-b" &&
		ip -n "$PAIR-a" link add sync type veth peer name sync netns "$PAIR-b" ||
		return 1
	for s in a b; do
		pair_ns $s ip link set lo up
		pair_ns $s ip addr add "$(pair_addr $s)"/24 dev sync
		pair_ns $s ip link set sync up
		pair_ns $s sysctl -qw net.netfilter.nf_conntrack_events=1
	done
}

pair_start()
{
	local t

	rm -f "$PAIR_DIR/$1.sock"
	# Not through pair_ns: $! must be the daemon, not a subshell.
	ip netns exec "$PAIR-$1" "$PAIR_SYNCD" --local "$(pair_addr "$1")":3780 \
		--peer "$(pair_addr "$(pair_peer "$1")")":3780 \
		--control "$PAIR_DIR/$1.sock" "${@:2}" >> "$PAIR_DIR/$1.log" 2>&1 &
	echo $! > "$PAIR_DIR/$1.pid"
	for t in $(seq 100); do
		[ -S "$PAIR_DIR/$1.sock" ] && return 0
		sleep 0.05
	done
	sed "s/^/# $1: /" "$PAIR_DIR/$1.log" >&2
	return 1
}

pair_status()
{
	pair_ns "$1" "$PAIR_SYNCD" --control "$PAIR_DIR/$1.sock" -s 2>/dev/null |
		sed -n "s/^$2=//p"
}
