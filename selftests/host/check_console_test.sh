#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host unit test of the lab's verdict on a guest's logs (lab/check-console):
# every kind of kernel trouble in a console log, a missing result line and a
# forbidden taint must be found; a clean run and the taint of our own
# out-of-tree module must not be.

. "$(dirname "$0")/../lib/ktap.sh"

CHECK=$SELFTESTS_DIR/lab/check-console
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

clean_console='[    0.000000] Linux version 6.1.0 (debian-kernel@lists.debian.org)
[    2.661646] Run /init as init process
[    4.874103] 9p: Installing v9fs 9p2000 file system support
[    6.990020] sysrq: Resetting'

# verdict CONSOLE_LINE RESULT_LINE: exit status of check-console on a clean
# console log plus CONSOLE_LINE, and an output log ending in RESULT_LINE.
verdict()
{
	printf '%s\n%s\n' "$clean_console" "$1" > "$dir/console"
	printf 'TAP version 13\n1..1\nok 1 x\n%s\n' "$2" > "$dir/out"
	"$CHECK" "$dir/console" "$dir/out" > "$dir/said"
}

expect()
{
	local desc=$1 want=$2 line=$3 result=$4 got

	verdict "$line" "$result"
	got=$?
	[ $got -eq "$want" ] || { echo "# got $got, want $want"; sed 's/^/# /' "$dir/said"; }
	ktap_result "$desc" $([ $got -eq "$want" ]; echo $?)
}

ok_result='LAB-RESULT: rc=0 tainted=0'

ktap_plan 15

expect "a clean run passes" 0 '' "$ok_result"
expect "our module's taint (O|E = 12288) passes" 0 '' \
	'LAB-RESULT: rc=0 tainted=12288'
expect "a failing test still has a clean log" 0 '' \
	'LAB-RESULT: rc=1 tainted=0'
expect "WARNING: fails" 1 \
	'[    5.27] WARNING: CPU: 0 PID: 131 at x.c:25 f+0x1a/0x1000 [m]' "$ok_result"
expect "BUG: fails" 1 \
	'[    5.27] BUG: unable to handle page fault for address: 0000' "$ok_result"
expect "a slab debugging report fails" 1 \
	'[    5.27] BUG kmalloc-64 (Tainted: G    B   O): Redzone overwritten' "$ok_result"
expect "an Oops fails" 1 '[    5.27] Oops: 0002 [#1] PREEMPT SMP NOPTI' "$ok_result"
expect "general protection fails" 1 \
	'[    5.27] general protection fault, probably for non-canonical address' "$ok_result"
expect "list_add corruption fails" 1 \
	'[    5.27] list_add corruption. prev->next should be next' "$ok_result"
expect "a lockdep report fails" 1 \
	'[    5.27] WARNING: possible circular locking dependency detected' "$ok_result"
expect "a hung task fails" 1 \
	'[  125.00] INFO: task rmmod:131 blocked for more than 120 seconds.' "$ok_result"
expect "a panic fails" 1 '[    5.27] Kernel panic - not syncing: Fatal exception' "$ok_result"
expect "a missing result line fails" 1 '' ''
expect "taint W (512) fails even with a clean log" 1 '' \
	'LAB-RESULT: rc=0 tainted=12800'
expect "taint D (128) fails" 1 '' 'LAB-RESULT: rc=0 tainted=128'

ktap_finish
