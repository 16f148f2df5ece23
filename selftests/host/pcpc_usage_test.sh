#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpc's usage errors: each must exit 2 with a message naming the command
# and what was wrong, before any request is sent (the server given is
# loopback's, where nothing answers).  --help must show every form the man
# page gives.  Runs the ASan/UBSan build.

. "$(dirname "$0")/../lib/ktap.sh"

PCPC=$TOP_DIR/build/san/pcpc
[ -x "$PCPC" ] || ktap_skip_all "$PCPC is not built (run 'make check')"

S="-s 127.0.0.1"

# usage DESC MESSAGE ARGS...: exit 2, MESSAGE on stderr's first line.
usage()
{
	local desc=$1 want=$2 out rc
	shift 2

	out=$(timeout 5 "$PCPC" "$@" 2>&1 >/dev/null)
	rc=$?
	echo "# pcpc $*: exit $rc: $(head -n 1 <<< "$out")"
	ktap_result "$desc" $([ $rc = 2 ] && [[ $(head -n 1 <<< "$out") == *"$want"* ]]; echo $?)
}

ktap_plan 12

usage "no arguments" "usage:"
usage "no server" "usage:" map -p tcp --port 80
usage "an unknown command" "usage:" $S bogus
usage "map with an unknown option names the command" "pcpc map: unrecognized option '--bogus'" \
	$S map -p tcp --port 80 --bogus
usage "peer with an option missing its value names the command" \
	"pcpc peer: option requires an argument" $S peer --port 80 -p
usage "map without a port" "pcpc: map needs -p PROTO and --port PORT" $S map -p tcp
usage "a bad filter" "bad filter" $S map -p tcp --port 80 --filter 192.0.2.1/33
usage "a bad peer" "bad peer" $S peer -p tcp --port 80 --peer 192.0.2.1
usage "a short nonce" "a nonce is 24 hex digits" $S map -p tcp --port 80 --nonce abcd
usage "a bad server" "bad server address" -s 300.1.1.1 announce

out=$("$PCPC" --help)
ktap_result "--help exits 0" $?
ktap_result "--help shows the clear FILTER and the bracketed IPv6 forms" \
	$([[ $out == *"|clear"* && $out == *"[ADDR6][/LEN][:PORT]"* &&
	     $out == *"[ADDR6]:PORT"* ]]; echo $?)
ktap_finish
