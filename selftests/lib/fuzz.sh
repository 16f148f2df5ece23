# SPDX-License-Identifier: GPL-2.0
#
# fuzz_run TARGET WHAT [DICT]: build/fuzz/TARGET under libFuzzer, with ASan
# and UBSan, for FUZZ_SECONDS (default 30) from an empty corpus and a fixed
# seed, with the dictionary DICT if given.  Any crash, sanitizer report,
# leak or broken invariant (the target aborts) fails the one KTAP result.
# A failing input is kept for replay: build/fuzz/TARGET FILE.

fuzz_run()
{
	local bin corpus artifacts
	bin=$(dirname "$0")/../../build/fuzz/$1

	[ -x "$bin" ] || { echo "1..0 # SKIP $bin is not built (run 'make check')"; exit 4; }
	corpus=$(mktemp -d)
	trap 'rm -rf "$corpus" "$corpus.log"' EXIT
	artifacts=$(dirname "$bin")/artifacts
	mkdir -p "$artifacts"

	echo "TAP version 13"
	echo "1..1"
	if "$bin" -max_total_time="${FUZZ_SECONDS:-30}" -seed=1 -print_final_stats=1 \
		${3:+-dict="$3"} -artifact_prefix="$artifacts/" "$corpus" \
		> "$corpus.log" 2>&1; then
		grep -E '^Done|stat::number_of_executed_units|cov:' "$corpus.log" |
			tail -n 2 | sed 's/^/# /'
		echo "ok 1 $2: no crash, leak or broken invariant"
		exit 0
	fi
	tail -n 30 "$corpus.log" | sed 's/^/# /'
	echo "not ok 1 $2: the fuzzer found a failure"
	exit 1
}
