#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The failover test with the pair as separate machines: nat-a and nat-b
# are guests of their own, and the crash is nat-a's QEMU process killed,
# with no warning to anything in it.  A third guest, the edge, holds the
# switch, the client and the server, and runs the checks (vmpair/role.sh):
# a protected stream and a check-pointed MAP survive, an unprotected
# stream does not.  Then nat-a boots again with nothing of its old state,
# resynchronises as backup, and takes the addresses back when nat-b's
# keepalived stops (the fail back); the stream survives that too.  nat-b
# and the returned nat-a, which finish cleanly, must show no kernel
# warning and no sanitizer report.
#
#                 a-in, a-out               sync
#   +--------+  ---------------  +-------+ ------ +-------+
#   |  edge  |                   | nat-a |        | nat-b |
#   | client |  ---------------------------------- |       |
#   | server |      b-in, b-out                    +-------+
#   +--------+
#
# Every link is a QEMU dgram link over unix sockets (lab/lab.sh).

. "$(dirname "$0")/lib/ktap.sh"
. "$SELFTESTS_DIR/lab/lab.sh"

ROLE=$SELFTESTS_DIR/vmpair/role.sh

[ -x "$TOP_DIR/build/san/ckpt-syncd" ] || ktap_skip_all "ckpt-syncd is not built (run 'make')"
[ -r "$TOP_DIR/nf_ckpt.ko" ] || ktap_skip_all "nf_ckpt.ko is not built (run 'make')"
command -v keepalived > /dev/null || ktap_skip_all "keepalived is not installed"
lab_init ckpt_vmpair || ktap_skip_all "the lab cannot start (see above)"

ktap_plan 5

lab_link a-in edge nat-a && lab_link a-out edge nat-a &&
	lab_link b-in edge nat-b && lab_link b-out edge nat-b &&
	lab_link sync nat-a nat-b || exit 1
lab_start nat-a "$ROLE" nat-a
lab_start nat-b "$ROLE" nat-b
lab_start edge "$ROLE" edge

# The edge's checks, as they come.
tail -n +1 -f --pid="${lab_pid[edge]}" "$LAB_LOGS/edge.out" |
	sed -u -e '/^LAB-/d' -e 's/^/# edge: /' &
streamer=$!

lab_wait_output edge 'LAB-SYNC: crash nat-a' 600 &&
	grep -aq 'LAB-SYNC: nat-a ready' "$LAB_LOGS/nat-a.out"
crashed=$?
[ $crashed = 0 ] && lab_kill nat-a

# nat-a boots again on the same links; its first run's output is kept.
returned=1
if [ $crashed = 0 ] && lab_wait_output edge 'LAB-SYNC: restart nat-a' 600; then
	for f in out console qemu; do
		mv "$LAB_LOGS/nat-a.$f" "$LAB_LOGS/nat-a.crashed.$f"
	done
	rm -f "$LAB_RUN"/*.nat-a	# the killed QEMU's link sockets
	lab_start nat-a "$ROLE" nat-a return &&
		lab_wait_output nat-a 'LAB-SYNC: nat-a ready' 300 && returned=0
fi

lab_finish edge 900 > "$LAB_LOGS/edge.verdict"
edge_rc=$?
wait "$streamer"
sed 's/^/# /' "$LAB_LOGS/edge.verdict"
ktap_result "the edge's checks through the pair of guests (above)" $edge_rc
ktap_result "nat-a's QEMU was killed while nat-a was master" $crashed

lab_finish nat-b 120 > "$LAB_LOGS/nat-b.verdict"
nat_b_rc=$?
sed -n -e '/^# nat-b/p' -e '/^LAB-/d' "$LAB_LOGS/nat-b.out" | head -30 | sed 's/^/# nat-b: /'
sed 's/^/# /' "$LAB_LOGS/nat-b.verdict"
ktap_result "nat-b ran to the end clean: no kernel warning, no sanitizer report" $nat_b_rc
ktap_result "nat-a was booted again after the crash, its daemons up" $returned

nat_a_rc=1
if [ $returned = 0 ]; then
	lab_finish nat-a 120 > "$LAB_LOGS/nat-a.verdict"
	nat_a_rc=$?
	sed -n -e '/^# nat-a/p' -e '/^LAB-/d' "$LAB_LOGS/nat-a.out" | head -30 |
		sed 's/^/# nat-a: /'
	sed 's/^/# /' "$LAB_LOGS/nat-a.verdict"
fi
ktap_result "nat-a, back, ran to the end clean: no kernel warning, no sanitizer report" $nat_a_rc
[ -n "${lab_pid[nat-a]:-}" ] && lab_kill nat-a > /dev/null
ktap_finish
