# SPDX-License-Identifier: GPL-2.0
#
# KTAP output and kselftest exit codes for shell tests.  Sourced.
#
#   ktap_plan N               the header and the plan
#   ktap_check DESC CMD...    "ok" if CMD succeeds, "not ok" otherwise
#   ktap_expect_fail DESC CMD...
#                             "ok" if CMD fails: for bad input that must
#                             be refused
#   ktap_result DESC COND     "ok" if COND (a shell exit status) is 0
#   ktap_skip DESC REASON     a skipped step, with its reason
#   ktap_finish               totals, then exit: 0 all passed, 1 any failed
#                             or a count other than the plan, 4 all skipped
#   ktap_skip_all REASON      skip the whole test (exit 4)
#   in_guest "$@"             run this script in a lab guest unless it is
#                             in one already

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_n=0
ktap_pass=0
ktap_fail=0
ktap_skipped=0

SELFTESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP_DIR=$(cd "$SELFTESTS_DIR/.." && pwd)

ktap_plan()
{
	ktap_planned=$1
	echo "TAP version 13"
	echo "1..$1"
}

ktap_print()
{
	local verdict=$1 desc=$2

	ktap_n=$((ktap_n + 1))
	echo "$verdict $ktap_n $desc"
}

ktap_result()
{
	if [ "$2" -eq 0 ]; then
		ktap_pass=$((ktap_pass + 1))
		ktap_print ok "$1"
	else
		ktap_fail=$((ktap_fail + 1))
		ktap_print "not ok" "$1"
	fi
}

ktap_check()
{
	local desc=$1 out rc
	shift

	out=$("$@" 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# /'
	ktap_result "$desc" $rc
}

ktap_expect_fail()
{
	local desc=$1 out rc
	shift

	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		printf '%s\n' "$out" | sed 's/^/# /'
		echo "# expected a failure, the command succeeded"
		ktap_result "$desc" 1
	else
		[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# refused: /'
		ktap_result "$desc" 0
	fi
}

ktap_skip()
{
	ktap_skipped=$((ktap_skipped + 1))
	ktap_print ok "$1 # SKIP $2"
}

ktap_skip_all()
{
	echo "TAP version 13"
	echo "1..0 # SKIP $1"
	exit $KSFT_SKIP
}

ktap_finish()
{
	echo "# totals: pass:$ktap_pass fail:$ktap_fail skip:$ktap_skipped"
	if [ "$ktap_n" != "${ktap_planned:-}" ]; then
		echo "# planned ${ktap_planned:-nothing}, ran $ktap_n"
		exit $KSFT_FAIL
	fi
	if [ $ktap_fail -gt 0 ]; then
		exit $KSFT_FAIL
	elif [ $ktap_pass -eq 0 ] && [ $ktap_skipped -gt 0 ]; then
		exit $KSFT_SKIP
	fi
	exit $KSFT_PASS
}

in_guest()
{
	[ "${LAB_GUEST:-0}" = 1 ] && return 0
	exec "$SELFTESTS_DIR/lab/vm-run" "$0" "$@"
}
