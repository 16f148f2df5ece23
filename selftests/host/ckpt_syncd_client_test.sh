#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ckpt-syncd's client side (--commit, --status) and keepalived's notify
# script, against a stand-in daemon: a socat on a unix socket in a private
# directory that answers one fixed line.  A commit that reports an error,
# or whose answer is cut, must exit 1, so that ckpt-notify logs it as a
# failed commit.  Runs the ASan/UBSan build; ckpt-notify runs in a network
# namespace of its own (its gate commands must not touch the host's
# nftables), so that part needs root.

. "$(dirname "$0")/../lib/ktap.sh"

SYNCD=$TOP_DIR/build/san/ckpt-syncd
NOTIFY=$TOP_DIR/contrib/keepalived/ckpt-notify
[ -x "$SYNCD" ] || ktap_skip_all "$SYNCD is not built (run 'make check')"
command -v socat > /dev/null || ktap_skip_all "socat is not installed"

DIR=$(mktemp -d)
NS=ckpt-client-test-$$
cleanup()
{
	[ -n "${FAKE:-}" ] && kill "$FAKE" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

# fake ANSWER: a stand-in daemon at $DIR/sock that reads the command line
# and answers ANSWER (nothing at all if ANSWER is "-").
fake()
{
	[ -n "${FAKE:-}" ] && kill "$FAKE" 2>/dev/null && wait "$FAKE" 2>/dev/null
	rm -f "$DIR/sock"
	printf '%s' "$1" > "$DIR/answer"
	socat UNIX-LISTEN:"$DIR/sock",fork \
		SYSTEM:"read line; echo \"\$line\" >> $DIR/commands; [ \"\$(cat $DIR/answer)\" = - ] || cat $DIR/answer" &
	FAKE=$!
	for _ in $(seq 50); do [ -S "$DIR/sock" ] && return; sleep 0.1; done
}

# client DESC WANT_RC WANT_OUTPUT ARGS...: run the client, check its exit
# code and that its output (stdout and stderr) has WANT_OUTPUT.
client()
{
	local desc=$1 want_rc=$2 want=$3 out rc
	shift 3

	out=$("$SYNCD" --control "$DIR/sock" "$@" 2>&1)
	rc=$?
	echo "# ckpt-syncd $*: exit $rc: $(tr '\n' ' ' <<< "$out")"
	ktap_result "$desc" $([ $rc = "$want_rc" ] && [[ $out == *"$want"* ]]; echo $?)
}

ok_line="committed created=3 failed=0 expired=0 adopted=3 adopt_failed=0 ms=4 adopt_ms=1 error=0"
bad_line="committed created=0 failed=0 expired=0 adopted=0 adopt_failed=0 ms=1 adopt_ms=0 error=-5"

ktap_plan 8

fake "$ok_line
"
client "a commit that reports error=0 exits 0 and prints the result" 0 "$ok_line" --commit
ktap_result "...and the daemon was sent exactly the command 'commit'" \
	$([ "$(tail -n 1 "$DIR/commands")" = commit ]; echo $?)
fake "$bad_line
"
client "a commit that reports an error exits 1 and says the commit failed" 1 \
	"the commit failed" --commit
fake "-"
client "a commit whose answer never comes (the daemon closes) exits 1" 1 \
	"the commit failed" --commit
fake "committed created=3 failed=0 expired=0 adopted=3"
client "a commit answer cut before error= exits 1" 1 "the commit failed" --commit
fake "peer=up
"
client "a status request passes the answer through and exits 0" 0 "peer=up" -s
kill "$FAKE"; wait "$FAKE" 2>/dev/null; FAKE=
rm -f "$DIR/sock"
client "no daemon at the control path: exit 1, cannot reach it" 1 "cannot reach the daemon" --commit

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
	ktap_skip "ckpt-notify logs a failed commit (needs root for a namespace)"
else
	fake "$bad_line
"
	out=$(ip netns exec "$NS" "$NOTIFY" master "$DIR/sock" /dev/null "$SYNCD" 2>&1)
	echo "# ckpt-notify master: $(tr '\n' ' ' <<< "$out")"
	ktap_result "ckpt-notify master logs a commit that reported an error as failed" \
		$([[ $out == *'state=master reason="commit failed: '*"error=-5"* ]]; echo $?)
fi
ktap_finish
