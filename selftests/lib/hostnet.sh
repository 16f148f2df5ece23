# SPDX-License-Identifier: GPL-2.0
#
# Namespaces on the host, for userspace tests that need a network but not
# our kernel module.  Sourced after ktap.sh.  NS_PREFIX names this run's
# namespaces, so that parallel runs do not meet.
#
#   client (inside)        nat                              server (outside)
#   +-------------+ veth  +-------------------------------+ veth +-------------+
#   | 192.0.2.2   |-------| 192.0.2.1        198.51.100.1 |------| 198.51.100.2|
#   +-------------+       +-------------------------------+      +-------------+

NS_PREFIX=${NS_PREFIX:-st$$}

ns() { ip netns exec "$NS_PREFIX-$1" "${@:2}"; }

host_topology_cleanup()
{
	local n

	for n in client nat server; do
		ip netns pids "$NS_PREFIX-$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$NS_PREFIX-$n" 2>/dev/null
	done
}

host_topology()
{
	local n

	trap host_topology_cleanup EXIT
	for n in client nat server; do
		ip netns add "$NS_PREFIX-$n" || return 1
		ns $n ip link set lo up
	done
	ip -n "$NS_PREFIX-client" link add c0 type veth peer name n0 netns "$NS_PREFIX-nat" &&
	ip -n "$NS_PREFIX-server" link add s0 type veth peer name n1 netns "$NS_PREFIX-nat" ||
		return 1
	ns client ip addr add 192.0.2.2/24 dev c0
	ns nat ip addr add 192.0.2.1/24 dev n0
	ns nat ip addr add 198.51.100.1/24 dev n1
	ns server ip addr add 198.51.100.2/24 dev s0
	ns client ip link set c0 up
	ns nat ip link set n0 up
	ns nat ip link set n1 up
	ns server ip link set s0 up
	ns client ip route add default via 192.0.2.1
	ns server ip route add 192.0.2.0/24 via 198.51.100.1
	ns nat sysctl -qw net.ipv4.ip_forward=1
}
