#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of nf_ckpt, measured side by side in one guest run and printed
# as ratios; a benchmark is not a test and never fails on a number.
#
#   1. Forwarding throughput of unflagged TCP through a masquerading NAT:
#      module not loaded / loaded, nothing flagged / loaded with 100 000
#      flagged entries and 10 000 rules.  Rounds alternate the
#      configurations; the median of each is compared.  Goal: >= 99% and
#      >= 97% of the first.  Under software emulation single runs vary by
#      up to 30%: ROUNDS (5) and SECONDS_PER_RUN (5) trade time for
#      confidence.
#   2. Flag set and clear rates over netlink, batched (ckpt_bulk), next to
#      ctnetlink's own rate at creating the same entries; the rate of
#      ckpt-syncd's sync reports (64 a request) next to that of ctnetlink
#      lookups of the same entries (one a request), which stand in for
#      the reports where nf_ckpt cannot load (ckpt_syncd_host_bench.sh):
#      their ratio says how much more the stand-in costs.
#   3. Kernel memory per flagged IPv4 entry, from MemFree, with slab
#      debugging off.  Goal: <= 64 bytes beyond the conntrack entry.
#
#   client 192.0.2.2 --- nat 192.0.2.1 | 198.51.100.1 --- server 198.51.100.2
#                        masquerade, nf_ckpt

. "$(dirname "$0")/../lib/ktap.sh"
LAB_SLUB= LAB_MEM=1024 LAB_TIMEOUT=900 in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

N=100000
RULES=10000
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
# The configurations compared; "rules" and "flagged" split "full" in two.
CONFIGS=${CONFIGS:-none empty full}
# Benchmarks run the plain builds, not the sanitized ones of the tests.
BULK=$TOP_DIR/build/ckpt_bulk
CKPTCTL=$TOP_DIR/build/ckptctl

nat() { ip netns exec nat "$@"; }

setup()
{
	nat_topology || return 1
	sysctl -qw net.netfilter.nf_conntrack_max=$((N * 3))
	echo $((N * 2)) > /sys/module/nf_conntrack/parameters/hashsize
}

# Mbit/s of one TCP stream from client to server through the NAT.
throughput()
{
	ip netns exec server iperf3 -s -D -1 > /dev/null 2>&1
	sleep 0.5
	ip netns exec client iperf3 -c 198.51.100.2 -t "$SECONDS_PER_RUN" -J 2>/dev/null |
		sed -n 's/.*"bits_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' | tail -n 1 |
		awk '{ printf "%.0f\n", $1 / 1e6 }'
}

median()
{
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

configure()
{
	case $1 in
	none)
		lsmod | grep -q '^nf_ckpt ' && rmmod nf_ckpt
		;;
	empty)
		insmod "$NF_CKPT_KO"
		;;
	rules)
		insmod "$NF_CKPT_KO"
		nat "$BULK" rules $RULES > /dev/null
		;;
	flagged)
		insmod "$NF_CKPT_KO"
		nat "$CKPTCTL" budget $((N * 2))
		nat "$BULK" set $N > /dev/null
		;;
	full)
		configure flagged
		nat "$BULK" rules $RULES > /dev/null
		;;
	esac
}

ratio() { awk "BEGIN { printf \"%.3f\", $1 / $2 }"; }

bench_forwarding()
{
	local round c t a

	echo "# ctnetlink, as a yardstick: $(nat "$BULK" inject $N)"
	for round in $(seq "$ROUNDS"); do
		for c in $CONFIGS; do
			configure $c
			t=$(throughput)
			echo "# round $round $c: ${t:-0} Mbit/s"
			echo "${t:-0}" >> "/tmp/bench.$c"
			configure none
		done
	done

	a=$(median < /tmp/bench.none)
	echo "# forwarding, median of $ROUNDS runs of ${SECONDS_PER_RUN}s, Mbit/s:"
	echo "#   not loaded                          $a"
	for c in ${CONFIGS#none }; do
		t=$(median < /tmp/bench.$c)
		printf '#   %-35s %s  ratio %s\n' "$(describe $c)" "$t" "$(ratio "$t" "$a")"
	done
	echo "# goals: loaded >= 0.99, loaded with $N flagged and $RULES rules >= 0.97"
}

describe()
{
	case $1 in
	empty) echo "loaded, nothing flagged" ;;
	rules) echo "loaded, $RULES rules" ;;
	flagged) echo "loaded, $N flagged" ;;
	full) echo "loaded, $N flagged, $RULES rules" ;;
	esac
}

rate_of() { sed -n 's/.* \([0-9]*\)\/s$/\1/p'; }

# In "nat", whose $N injected entries are still there, unflagged: one
# tuple a request, then 64 tuples a request, and while those are flagged,
# sync reports next to ctnetlink lookups.
bench_rates()
{
	local per set clear report lookup

	insmod "$NF_CKPT_KO"
	nat "$CKPTCTL" budget $((N * 2))
	for per in 1 64; do
		set=$(nat "$BULK" set $N $per | rate_of)
		if [ $per = 64 ]; then
			report=$(nat "$BULK" report $N 64 | rate_of)
			lookup=$(nat "$BULK" get $N | rate_of)
		fi
		clear=$(nat "$BULK" clear $N $per | rate_of)
		echo "# netlink rates, $N connections, $per a request, requests" \
			"batched: flag set $set/s, flag clear $clear/s (goal > 100000/s)"
	done
	echo "# sync reports, 64 a request: $report/s; ctnetlink lookups of the" \
		"same connections, one a request: $lookup/s; a lookup costs" \
		"$(ratio "${report:-0}" "${lookup:-1}") reports"
	rmmod nf_ckpt
}

mem_free_kib() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }

settle()
{
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 2
}

bench_memory()
{
	local before after

	insmod "$NF_CKPT_KO"
	nat "$CKPTCTL" budget $((N * 2))
	settle
	before=$(mem_free_kib)
	nat "$BULK" set $N > /dev/null
	settle
	after=$(mem_free_kib)
	rmmod nf_ckpt

	echo "# memory: $(( (before - after) * 1024 / N )) bytes per flagged IPv4" \
		"entry, index included (MemFree before and after flagging $N;" \
		"goal <= 64)"
}

setup || ktap_skip_all "cannot build the topology"
ktap_plan 3
# A step passes when it measured something, never on the figure itself.
bench_forwarding
ktap_result "forwarding measured in every configuration" \
	$(! grep -qx '0' /tmp/bench.* && [ -s /tmp/bench.none ]; echo $?)
rates=$(bench_rates)
echo "$rates"
ktap_result "flag set, clear, report and lookup rates measured" \
	$(! grep -q 'flag set /s\|flag clear /s' <<< "$rates" &&
	  grep -q 'flag set [0-9]' <<< "$rates" &&
	  grep -q 'reports, 64 a request: [0-9][0-9]*/s; .*request: [0-9][0-9]*/s' \
		<<< "$rates"; echo $?)
memory=$(bench_memory)
echo "$memory"
ktap_result "memory per entry measured" \
	$([[ $memory =~ memory:\ [1-9][0-9]*\ bytes ]]; echo $?)
ktap_finish
