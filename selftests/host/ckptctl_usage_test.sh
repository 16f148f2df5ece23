#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ckptctl's usage errors, on the host, where no nf_ckpt family exists: each
# must exit 2 with a message saying what was expected, before any netlink
# request (else it would exit 1, "no nf_ckpt family").  Runs the
# ASan/UBSan build.

. "$(dirname "$0")/../lib/ktap.sh"

CKPTCTL=$TOP_DIR/build/san/ckptctl
[ -x "$CKPTCTL" ] || ktap_skip_all "$CKPTCTL is not built (run 'make check')"

T="-p tcp -s 192.0.2.2 -d 198.51.100.2 --sport 40000 --dport 8080"

# usage DESC MESSAGE ARGS...: exit 2, MESSAGE on stderr.
usage()
{
	local desc=$1 want=$2 out rc
	shift 2

	out=$("$CKPTCTL" "$@" 2>&1 >/dev/null)
	rc=$?
	echo "# ckptctl $*: exit $rc: $(head -n 1 <<< "$out")"
	ktap_result "$desc" $([ $rc = 2 ] && [[ $out == *"$want"* ]]; echo $?)
}

ktap_plan 16

usage "no command" "usage:"
usage "an unknown command" "unknown command 'bogus'" bogus
usage "set without a tuple" "set needs a TUPLE" set
usage "set with half a tuple" "set needs a TUPLE" set -p tcp -s 192.0.2.2
usage "a bad address" "bad address '192.0.2.300'" set -p tcp -s 192.0.2.300
usage "a port out of range" "bad port '70000'" set $T --sport 70000
usage "addresses of two families" "different families" \
	set -p tcp -s 192.0.2.2 -d 2001:db8::1 --sport 1 --dport 2
usage "set with --state" "set takes no --state" set $T --state done
usage "sync-set without --state" "sync-set needs --state" sync-set $T
usage "a bad sync state" "must be done or pending" sync-set $T --state 7
usage "list with a tuple" "list takes no tuple" list $T
usage "get with an owner" "get takes no -o OWNER" get $T -o 1
usage "-j after the command" "go before the command" list --json
usage "a negative budget" "bad budget '-5'" budget -5
usage "rule add without an address" "needs -a ADDR" rule add -p tcp --port 6000
usage "an unknown rule command" "unknown rule command" rule foo

ktap_finish
