#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark of pcpd, on this host in namespaces (no kernel module needed),
# loopback-fast veths: requests a second for new mappings and for
# renewals, with 10 000 mappings already live, and the p50 and p99 of the
# time to an answer (tools/pcp_load, 64 requests in flight); next to it,
# in the same run, the rate of the other way to install mappings: one
# nftables rule each, in a transaction each (tools/nft_rule_rate), with
# 10 000 such rules already there.  And pcpd's own memory per mapping
# (its resident size's growth over 20 000 mappings; the kernel's nftables
# element is not counted).  Goals: 20 000 new and 50 000 renewed a second,
# under 512 bytes a mapping.  A benchmark prints numbers; it never fails
# on one.

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/hostnet.sh"

PCPD=$TOP_DIR/build/pcpd
LOAD=$TOP_DIR/build/pcp_load
RULES=$TOP_DIR/build/nft_rule_rate
RUN=$(mktemp -d)

[ -x "$PCPD" ] && [ -x "$LOAD" ] && [ -x "$RULES" ] ||
	ktap_skip_all "pcpd or the benchmark tools are not built (run 'make')"
host_topology || ktap_skip_all "cannot build the namespaces"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

ip netns exec "$NS_PREFIX-nat" "$PCPD" --listen 192.0.2.1 --external 198.51.100.1 \
	--quota 100000 --control "$RUN/pcpd.sock" 2> "$RUN/pcpd.log" &
pcpd=$!
sleep 1
rss0=$(rss_kb $pcpd)

# 10 000 live first, then the measured run beside them.
ns client "$LOAD" 192.0.2.1 10000 64 10000 > "$RUN/warm" || { cat "$RUN/pcpd.log"; exit 1; }
ns client "$LOAD" 192.0.2.1 10000 64 30000 > "$RUN/load" || { cat "$RUN/pcpd.log"; exit 1; }
rss1=$(rss_kb $pcpd)
maps=$("$PCPD" --status --control "$RUN/pcpd.sock" | sed -n 's/^mappings=//p')
kill $pcpd
wait $pcpd

ns nat "$RULES" 10000 > /dev/null		# 10 000 rules there, then
rules=$(ns nat "$RULES" 10000 | field rate)	# 10 000 more, measured
# (each run makes and drops its own table: the second starts empty too)

create=$(grep ^create "$RUN/load")
renew=$(grep ^renew "$RUN/load")
new=$(field rate <<< "$create")
echo "# pcpd with 10 000 mappings live: new mappings $new/s (p50 $(field p50_us <<< "$create") us, p99 $(field p99_us <<< "$create") us), goal 20 000"
echo "# pcpd renewals: $(field rate <<< "$renew")/s (p50 $(field p50_us <<< "$renew") us, p99 $(field p99_us <<< "$renew") us), goal 50 000"
echo "# a rule per mapping, a transaction each: $rules/s; pcpd's element per mapping: $((new * 10 / (rules ? rules : 1)))/10 x that"
echo "# pcpd's memory: $(((rss1 - rss0) * 1024 / (maps ? maps : 1))) bytes a mapping ($maps mappings; resident size $rss0 -> $rss1 KiB), goal < 512"
rm -rf "$RUN"
echo "1..0 # benchmarks print numbers only"
