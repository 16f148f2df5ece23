#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lab tests itself: a lab that cannot fail is worthless.  Guests that do
# something wrong (a kernel WARNING, a slab leak, no result line, a hang)
# must be failed with the right reason; a clean guest must pass; two guests
# on a declared link must reach each other, and killing one must be seen by
# the other.
#
#   clean, warn, leak0, leak, noresult, hang: one guest each
#
#   +---------+  wire0 (QEMU dgram, unix sockets)  +---------+
#   | a       |-----------------------------------| b       |
#   | .1      |            192.0.2.0/24           | .2      |
#   +---------+                                   +---------+
#                                                  killed mid-test
#
#   +---------+  wire0 (QEMU stream, c listens)    +---------+
#   | c       |-----------------------------------| d       |
#   | .1      |            192.0.2.0/24           | .2      |
#   +---------+                                   +---------+
#                                                  killed mid-test

. "$(dirname "$0")/lib/ktap.sh"
. "$SELFTESTS_DIR/lab/lab.sh"

PROBES=$SELFTESTS_DIR/lab/probes

# expect_verdict DESC WANT REASON TIMEOUT GUEST PROG [ARG...]
# Run PROG in a new guest; the lab's verdict must be WANT (0 pass, 1 fail)
# and, for a failure, the lab's explanation must match REASON.
expect_verdict()
{
	local desc=$1 want=$2 reason=$3 limit=$4 guest=$5 got
	shift 5

	lab_start "$guest" "$@"
	lab_finish "$guest" "$limit" > "$LAB_LOGS/$guest.verdict"
	got=$?
	cat "$LAB_LOGS/$guest.verdict"

	if [ $got -ne "$want" ]; then
		echo "# lab verdict $got, expected $want"
		ktap_result "$desc" 1
	elif [ "$want" -ne 0 ] && ! grep -Eq -- "$reason" "$LAB_LOGS/$guest.verdict"; then
		echo "# the lab failed the guest, but not for /$reason/"
		ktap_result "$desc" 1
	else
		ktap_result "$desc" 0
	fi
}

# topology KIND A B: A and B on a link of KIND reach each other; killing
# B's QEMU is seen by A, which then finishes clean.
topology()
{
	local kind=$1 a=$2 b=$3

	lab_link wire0 "$a" "$b" "$kind"
	lab_start "$a" "$PROBES/peer.sh" 192.0.2.1 192.0.2.2 wait-gone
	lab_start "$b" "$PROBES/peer.sh" 192.0.2.2 192.0.2.1

	lab_wait_output "$a" 'LAB-SYNC: reached' 120 &&
		lab_wait_output "$b" 'LAB-SYNC: reached' 120
	ktap_result "guests $a and $b reach each other over a $kind link" $?

	lab_kill "$b"
	lab_wait_output "$a" 'LAB-SYNC: .* is gone' 120
	ktap_result "$a sees $b gone once $b's QEMU is killed" $?

	lab_finish "$a" 60
	ktap_result "$a finishes clean after its peer's crash" $?
}

[ -r "$LAB_FAULT_KO" ] || [ -r "$PROBES/../modules/ckpt_lab_fault.ko" ] ||
	ktap_skip_all "ckpt_lab_fault.ko is not built (run 'make lab-modules')"

lab_init lab_selftest || ktap_skip_all "the lab cannot start (see above)"

ktap_plan 12

expect_verdict "a clean guest passes" 0 - 120 clean "$PROBES/clean.sh"
expect_verdict "a kernel WARNING fails the run though the test exits 0" \
	1 'WARNING:' 120 warn "$PROBES/warn.sh"
expect_verdict "the slab check passes 20 leak-free module cycles" \
	0 - 180 leak0 "$PROBES/leak.sh" 0
expect_verdict "the slab check fails 20 cycles leaking 4096 bytes each" \
	1 'test exited with 1' 180 leak "$PROBES/leak.sh" 4096
expect_verdict "a guest that stops without its result line fails" \
	1 'no LAB-RESULT' 120 noresult "$PROBES/no-result.sh"
expect_verdict "a guest that hangs fails at its timeout" \
	1 'timed out' 30 hang "$PROBES/hang.sh"
topology dgram a b
topology stream c d

ktap_finish
