# SPDX-License-Identifier: GPL-2.0
#
# Helpers for tests that run inside a lab guest.  Sourced after ktap.sh.

NF_CKPT_KO=$TOP_DIR/nf_ckpt.ko
LAB_FAULT_KO=$SELFTESTS_DIR/lab/modules/ckpt_lab_fault.ko
# The userspace programs as built with ASan and UBSan for the tests.
CKPTCTL=$TOP_DIR/build/san/ckptctl
CKPT_BULK=$TOP_DIR/build/san/ckpt_bulk
CKPT_NLFUZZ=$TOP_DIR/build/san/ckpt_nlfuzz
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Bytes held by live objects of the kmalloc caches, where a module's leaked
# allocations land (a leak in a module's own cache is reported by the kernel
# itself when the module destroys the cache).  Filesystem and memory
# management caches are left out: the 9p root and the page cache move them
# by tens of KiB for reasons of their own.  slub_debug keeps caches from
# being merged, so these are the true kmalloc caches.
slab_bytes()
{
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 1
	awk '$1 ~ /^kmalloc-/ { sum += $2 * $4 } END { print sum }' /proc/slabinfo
}

# For the pcpd tests on nat_topology: the sanitized builds, pcpd's log,
# the flag's mark bit (the default), and pcpc's JSON answers.
PCPD=${PCPD:-$TOP_DIR/build/san/pcpd}
PCPC=${PCPC:-$TOP_DIR/build/san/pcpc}
PCPD_LOG=/tmp/pcpd.log
CKPT_MARK=0x80000000
nat() { ip netns exec nat "$@"; }
pcpc() { ip netns exec client "$PCPC" -j -s 192.0.2.1 "$@"; }
# field KEY < JSON: the value of KEY
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
# granted JSON true|false: SUCCESS, with check-pointing granted or not
granted() { [ "$(field result <<< "$1")" = SUCCESS ] && [ "$(field checkpoint_granted <<< "$1")" = "$2" ]; }

# Is the generic netlink family NAME registered in this namespace?
genl_family_present()
{
	genl ctrl get name "$1" > /dev/null 2>&1
}

# Slab growth a test tolerates (kmalloc caches; see slab_bytes): a few KiB
# come and go with the kernel's own work.
SLAB_SLACK=8192

# module_cycles KO NAME COUNT [PARAM...]
# Load and unload a module COUNT times; the generic netlink family NAME, if
# not "-", must appear with each load and disappear with each unload.
module_cycles()
{
	local ko=$1 family=$2 count=$3 name i
	shift 3

	name=$(basename "$ko" .ko)
	for i in $(seq "$count"); do
		insmod "$ko" "$@" ||
			{ echo "# cycle $i: insmod failed"; return 1; }
		if [ "$family" != - ] && ! genl_family_present "$family"; then
			echo "# cycle $i: family $family missing after load"
			return 1
		fi
		rmmod "$name" || { echo "# cycle $i: rmmod failed"; return 1; }
		if [ "$family" != - ] && genl_family_present "$family"; then
			echo "# cycle $i: family $family still there after unload"
			return 1
		fi
	done
}

# slab_within_slack BEFORE: has the slab grown by at most SLAB_SLACK bytes
# since slab_bytes printed BEFORE?  Growth that fades within a few seconds
# (objects freed after an RCU grace period, per-CPU caches being flushed)
# is noise; a leak stays.
slab_within_slack()
{
	local after grew try

	for try in 1 2 3; do
		after=$(slab_bytes)
		grew=$((after - $1))
		echo "# slab: before=$1 after=$after grew=$grew slack=$SLAB_SLACK"
		[ "$grew" -le "$SLAB_SLACK" ] && return 0
		sleep 2
	done
	return 1
}

# nat_topology: three namespaces, a client inside a masquerading NAT and a
# server outside it, with the modules the tests need loaded.  The NAT's
# nftables table is "natlab", chain "post"; tests add their own chains.
#
#   client                  nat                          server
#   +------------+  veth   +---------------------------+  veth   +-------------+
#   | c0         |---------| n0            n1          |---------| s0          |
#   | 192.0.2.2  |         | 192.0.2.1     198.51.100.1|         | 198.51.100.2|
#   +------------+         | masquerade out of n1      |         +-------------+
#                          +---------------------------+
nat_topology()
{
	local ns l

	modprobe nf_conntrack && modprobe nf_conntrack_netlink &&
		modprobe nft_masq && modprobe nft_nat && modprobe veth || return 1

	for ns in client nat server; do
		ip netns add $ns
		ip -n $ns link set lo up
	done
	ip link add c0 netns client type veth peer name n0 netns nat
	ip link add s0 netns server type veth peer name n1 netns nat
	ip -n client addr add 192.0.2.2/24 dev c0
	ip -n nat addr add 192.0.2.1/24 dev n0
	ip -n nat addr add 198.51.100.1/24 dev n1
	ip -n server addr add 198.51.100.2/24 dev s0
	for l in client:c0 nat:n0 nat:n1 server:s0; do
		ip -n ${l%:*} link set ${l#*:} up
	done
	ip -n client route add default via 192.0.2.1
	ip netns exec nat sysctl -qw net.ipv4.ip_forward=1
	ip netns exec nat nft -f - <<-'NFT'
	table ip natlab {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "n1" masquerade
		}
	}
	NFT
}

# client2_topology: a second client, 10.0.3.2, on its own link to nat
# (10.0.3.1), after nat_topology: another subscriber.
client2_topology()
{
	ip netns add client2 &&
	ip link add c2 netns client2 type veth peer name n2 netns nat || return 1
	ip -n client2 addr add 10.0.3.2/24 dev c2
	ip -n nat addr add 10.0.3.1/24 dev n2
	ip -n client2 link set c2 up
	ip -n client2 link set lo up
	ip -n nat link set n2 up
	ip -n client2 route add default via 10.0.3.1
}

# expect_refusal DESC REASON CKPTCTL-ARGS...: the test's ckptctl function
# must refuse, with REASON in what it prints (the kernel's extack message or
# ckptctl's own), not merely fail.
expect_refusal()
{
	local desc=$1 reason=$2 out
	shift 2

	if out=$(ckptctl "$@" 2>&1); then
		echo "# accepted: ckptctl $*"
		ktap_result "$desc" 1
		return
	fi
	echo "# refused: $out"
	ktap_result "$desc" $([[ $out == *"$reason"* ]]; echo $?)
}
