# SPDX-License-Identifier: GPL-2.0
#
# An HA NAT pair in namespaces, for the failover tests and `make demo`.
# Sourced after ktap.sh (or by the demo, after setting TOP_DIR).
#
#                         inside 192.0.2.0/24          outside 198.51.100.0/24
#   client                  +--- nat-a -----------------+              server
#   +-----------+           | a-in  .11      a-out .11  |           +-----------+
#   | c0 .2     |--+        |     a-sync 203.0.113.1    |        +--| s0 .2     |
#   | gw .1     |  |  br-in +-----------|---------------+ br-out |  |           |
#   +-----------+  +---(sw)--+          | sync link      +--(sw)--+  +-----------+
#                          |  +---------|---------------+    |
#                          +--| b-in .12 b-sync .2 b-out .12 |--+
#                             +--- nat-b -----------------+
#
# The virtual addresses 192.0.2.1 (the client's gateway) and 198.51.100.1
# (the address the pair translates to) belong to whichever node is master.
# Both nodes have the same nftables NAT table; each starts with its gate
# closed (table ckpt_gate: forwarded packets and packets to the virtual
# addresses dropped before conntrack sees them, counted and logged), and
# opens it only after committing its peer's state.

HA_VIP_IN=192.0.2.1
HA_VIP_OUT=198.51.100.1
HA_CLIENT=192.0.2.2
HA_SERVER=198.51.100.2
HA_RUN=${HA_RUN:-/run/ckpt-ha}

SYNCD=${SYNCD:-$TOP_DIR/build/san/ckpt-syncd}
CKPTCTL=${CKPTCTL:-$TOP_DIR/build/san/ckptctl}
PCPD=${PCPD:-$TOP_DIR/build/san/pcpd}
PCPC=${PCPC:-$TOP_DIR/build/san/pcpc}
NOTIFY=$TOP_DIR/contrib/keepalived/ckpt-notify

# ha_node_addrs NODE: its octet on the inside and outside, its sync address.
ha_octet() { [ "$1" = nat-a ] && echo 11 || echo 12; }
ha_sync_addr() { [ "$1" = nat-a ] && echo 203.0.113.1 || echo 203.0.113.2; }
ha_peer() { [ "$1" = nat-a ] && echo nat-b || echo nat-a; }
ha_pfx() { [ "$1" = nat-a ] && echo a || echo b; }

ha_nat_tables()
{
	local p
	p=$(ha_pfx "$1")

	cat > "$HA_RUN/$1.gate.nft" <<-NFT
	table ip ckpt_gate
	flush table ip ckpt_gate
	table ip ckpt_gate {
		counter dropped {
		}
		set virtual {
			type ipv4_addr
			elements = { $HA_VIP_IN, $HA_VIP_OUT }
		}
		chain pre {
			type filter hook prerouting priority -310; policy accept;
			iifname { "$p-in", "$p-out" } fib daddr type unicast jump closed
			iifname { "$p-in", "$p-out" } ip daddr @virtual jump closed
		}
		chain closed {
			counter name "dropped"
			limit rate 10/second log prefix "ckpt-gate drop: " level info
			drop
		}
	}
	NFT
	# No pick-up of TCP connections in mid-stream: a connection this node
	# has no state for is invalid here, not adopted with a new binding.
	ip netns exec "$1" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	# Every connection gets the event extension, so a flag set on one
	# created while no daemon listened is still announced.
	ip netns exec "$1" sysctl -qw net.netfilter.nf_conntrack_events=1
	ip netns exec "$1" nft -f - <<-NFT
	table ip natlab {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "$p-out" ip saddr 192.0.2.0/24 snat to $HA_VIP_OUT
		}
		chain forward_filter {
			type filter hook forward priority filter; policy accept;
			ct state invalid drop
		}
	}
	NFT
	ip netns exec "$1" nft -f "$HA_RUN/$1.gate.nft"
}

# ha_node_up NODE: addresses, forwarding and tables on NODE's links
# (NODE-in and NODE-out already in its namespace).
ha_node_up()
{
	local node=$1 p o
	p=$(ha_pfx "$node")
	o=$(ha_octet "$node")

	ip -n "$node" addr add 192.0.2.$o/24 dev $p-in
	ip -n "$node" addr add 198.51.100.$o/24 dev $p-out
	ip -n "$node" link set $p-in up
	ip -n "$node" link set $p-out up
	ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1
	ha_nat_tables "$node"
}

# ha_sync_up NODE: the sync link's address (NODE-sync in its namespace).
ha_sync_up()
{
	local p
	p=$(ha_pfx "$1")

	ip -n "$1" addr add "$(ha_sync_addr "$1")"/24 dev $p-sync
	ip -n "$1" link set $p-sync up
}

# ha_modules: what every member of the lab needs loaded, nf_ckpt included.
ha_modules()
{
	modprobe nf_conntrack && modprobe nf_conntrack_netlink &&
		modprobe nft_nat && modprobe nft_fib_ipv4 && modprobe veth &&
		modprobe bridge || return 1
	sysctl -qw net.netfilter.nf_conntrack_max=400000
	if ! grep -q '^nf_ckpt ' /proc/modules; then
		insmod "$TOP_DIR/nf_ckpt.ko" || return 1
	fi
	mkdir -p "$HA_RUN"
}

# ha_namespaces NS...: new namespaces, loopback up.
ha_namespaces()
{
	local ns

	for ns in "$@"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
}

# ha_edge: the switch (namespace sw, bridges br-in and br-out), the client
# and the server.
ha_edge()
{
	ha_namespaces sw client server || return 1
	ip -n sw link add br-in type bridge
	ip -n sw link add br-out type bridge
	ip -n sw link set br-in up
	ip -n sw link set br-out up

	ip link add c0 netns client type veth peer name sw-c netns sw
	ip link add s0 netns server type veth peer name sw-s netns sw
	ip -n sw link set sw-c master br-in up
	ip -n sw link set sw-s master br-out up
	ip -n client addr add $HA_CLIENT/24 dev c0
	ip -n server addr add $HA_SERVER/24 dev s0
	ip -n client link set c0 up
	ip -n server link set s0 up
	ip -n client route add default via $HA_VIP_IN
}

# ha_topology: the namespaces, links and tables above, in one machine;
# nf_ckpt loaded.
ha_topology()
{
	local node p

	ha_modules && ha_edge && ha_namespaces nat-a nat-b || return 1
	for node in nat-a nat-b; do
		p=$(ha_pfx $node)
		ip link add $p-in netns $node type veth peer name sw-${p}i netns sw
		ip link add $p-out netns $node type veth peer name sw-${p}o netns sw
		ip -n sw link set sw-${p}i master br-in up
		ip -n sw link set sw-${p}o master br-out up
		ha_node_up $node || return 1
	done
	ip link add a-sync netns nat-a type veth peer name b-sync netns nat-b
	ha_sync_up nat-a && ha_sync_up nat-b
}

# ha_syncd NODE: start ckpt-syncd on NODE; its log is $HA_RUN/NODE.syncd.log.
ha_syncd()
{
	local node=$1 peer
	peer=$(ha_peer "$node")

	rm -f "$HA_RUN/$node.sock"	# a killed daemon's, not a live one
	ip netns exec "$node" "$SYNCD" --local "$(ha_sync_addr "$node")":3780 \
		--peer "$(ha_sync_addr "$peer")":3780 \
		--control "$HA_RUN/$node.sock" \
		>> "$HA_RUN/$node.syncd.log" 2>&1 &
	echo $! > "$HA_RUN/$node.syncd.pid"
	ha_wait 5 test -S "$HA_RUN/$node.sock"
}

# ha_stop_syncd NODE [SIGNAL]: stop NODE's ckpt-syncd and wait until it
# is gone (it may not be this shell's child, so not with wait).  One that
# outlives the wait is described: what it is, where it waits, its log.
ha_stop_syncd()
{
	local pid f
	pid=$(cat "$HA_RUN/$1.syncd.pid")

	kill -"${2:-TERM}" "$pid" 2>/dev/null
	ha_wait 20 eval "! kill -0 $pid 2>/dev/null" && return 0
	echo "# $1: ckpt-syncd pid $pid still there 20 s after SIG${2:-TERM}"
	for f in cmdline stat wchan syscall status stack; do
		echo "# $1: /proc/$pid/$f: $(tr '\0\n' ' ;' < "/proc/$pid/$f" 2>&1)"
	done
	tail -n 20 "$HA_RUN/$1.syncd.log" | sed "s/^/# $1: syncd.log: /"
	return 1
}

# ha_status NODE KEY: one value of NODE's ckpt-syncd status.
ha_status()
{
	ip netns exec "$1" "$SYNCD" --control "$HA_RUN/$1.sock" -s 2>/dev/null |
		sed -n "s/^$2=//p"
}

# ha_wait SECONDS CMD...: run CMD every 0.1 s until it succeeds.
ha_wait()
{
	local end=$((SECONDS + $1))
	shift

	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# ha_status_is NODE KEY VALUE
ha_status_is() { [ "$(ha_status "$1" "$2")" = "$3" ]; }

# ha_keepalived NODE PRIORITY: VRRP for the pair's virtual addresses, with
# the notify script committing and opening the gate on becoming master.
ha_keepalived()
{
	local node=$1 prio=$2 p conf
	p=$(ha_pfx "$node")
	conf=$HA_RUN/$node.keepalived.conf

	sed -e "s|@NODE@|$node|g" -e "s|@IN@|$p-in|g" -e "s|@OUT@|$p-out|g" \
	    -e "s|@PRIORITY@|$prio|g" -e "s|@NOTIFY@|$NOTIFY|g" \
	    -e "s|@SYNCD@|$SYNCD|g" -e "s|@CONTROL@|$HA_RUN/$node.sock|g" \
	    -e "s|@RUN@|$HA_RUN|g" \
	    "$TOP_DIR/contrib/keepalived/keepalived.conf.lab" > "$conf"
	ip netns exec "$node" keepalived --dont-fork --log-console \
		--log-detail --use-file="$conf" \
		--pid="$HA_RUN/$node.keepalived.pid" \
		--vrrp_pid="$HA_RUN/$node.vrrp.pid" \
		--checkers_pid="$HA_RUN/$node.checkers.pid" \
		--vrrp >> "$HA_RUN/$node.keepalived.log" 2>&1 &
	echo $! > "$HA_RUN/$node.keepalived.ppid"
}

# ha_pcpd NODE [OPTION...]: pcpd on NODE, with OPTIONs, serving the inside
# virtual address (it binds it before the address is there) and
# replicating its check-pointed mappings through NODE's ckpt-syncd; its
# log is $HA_RUN/NODE.pcpd.log.
ha_pcpd()
{
	ip netns exec "$1" "$PCPD" --listen $HA_VIP_IN --external $HA_VIP_OUT \
		--syncd "$HA_RUN/$1.sock" --control "$HA_RUN/$1.pcpd.sock" "${@:2}" \
		>> "$HA_RUN/$1.pcpd.log" 2>&1 &
	echo $! > "$HA_RUN/$1.pcpd.pid"
}

# ha_master NODE: is NODE master, with its gate open?
ha_master()
{
	ip -n "$1" -4 addr show | grep -q " $HA_VIP_OUT/" &&
		! ip netns exec "$1" nft list chain ip ckpt_gate pre | grep -q "jump closed"
}

# ha_gate_drops NODE: the packets NODE's closed gate has dropped.
ha_gate_drops()
{
	ip netns exec "$1" nft list counter ip ckpt_gate dropped |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# ha_crash NODE: kill every process in NODE's namespace and cut its links;
# nothing is shut down cleanly.
ha_crash()
{
	local node=$1 p
	p=$(ha_pfx "$node")

	disown -a	# no "Killed" notices from this shell's jobs
	ip netns pids "$node" | xargs -r kill -9
	ip -n "$node" link set $p-in down
	ip -n "$node" link set $p-out down
	ip -n "$node" link set $p-sync down
}

# ha_service PORT: a service in the client on TCP PORT that says "mapped".
ha_service()
{
	ip netns exec client socat TCP-LISTEN:"$1",reuseaddr,fork SYSTEM:'echo mapped' &
}

# ha_map PORT [PCPC-ARG...]: the client asks for a check-pointed MAP of its
# TCP PORT, lifetime 600; pcpc's JSON answer.
ha_map()
{
	local port=$1
	shift

	ip netns exec client "$PCPC" -j -s $HA_VIP_IN map -p tcp --port "$port" \
		--checkpoint --lifetime 600 "$@"
}

# ha_json KEY JSON: the value of KEY in pcpc's one-line JSON answer.
ha_json() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<< "$2"; }

# ha_inbound PORT: what the server gets on connecting to the pair's
# outside address, PORT (a mapping's external port).
ha_inbound()
{
	ip netns exec server socat -T 3 - TCP:$HA_VIP_OUT:"$1",connect-timeout=3 \
		< /dev/null 2>/dev/null
}

# ha_stream_server NAME PORT: the server writes what it receives on PORT
# to $HA_RUN/NAME.rx.
ha_stream_server()
{
	ip netns exec server socat -u TCP-LISTEN:"$2",reuseaddr \
		OPEN:"$HA_RUN/$1.rx",creat,trunc &
}

# ha_stream NAME SPORT DPORT [UDP]: from the client's port SPORT, a line
# every 50 ms to the server's DPORT (over TCP, or a datagram a line) until
# $HA_RUN/NAME.stop exists; what was sent is in NAME.tx, the sender's exit
# status in NAME.rc (not 0 on a reset).
ha_stream()
{
	local name=$1 sport=$2 dport=$3 proto=${4:-TCP} d=$HA_RUN

	rm -f "$d/$name.stop" "$d/$name.rc"
	(
		i=0
		while [ ! -e "$d/$name.stop" ]; do
			echo "$name line $i"
			i=$((i + 1))
			sleep 0.05
		done | tee "$d/$name.tx" |
			ip netns exec client socat -u - \
				"$proto":$HA_SERVER:"$dport",sourceport="$sport"
		echo $? > "$d/$name.rc"
	) &
}

# ha_udp_server NAME PORT: as ha_stream_server, for UDP datagrams.
ha_udp_server()
{
	ip netns exec server socat -u UDP-RECV:"$2" OPEN:"$HA_RUN/$1.rx",creat,trunc &
}

# ha_stream_stop NAME: end the stream; true if its sender finished well
# within 10 s and the server received every byte sent.
ha_stream_stop()
{
	local d=$HA_RUN

	touch "$d/$1.stop"
	ha_wait 10 test -e "$d/$1.rc" || return 1
	sleep 0.5
	echo "# $1: sent $(wc -l < "$d/$1.tx") lines, received $(wc -l < "$d/$1.rx"), sender exit $(cat "$d/$1.rc")"
	[ "$(cat "$d/$1.rc")" = 0 ] && cmp -s "$d/$1.tx" "$d/$1.rx"
}
