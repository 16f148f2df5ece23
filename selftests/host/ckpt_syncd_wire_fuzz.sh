#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ckpt-syncd's wire format under libFuzzer, with ASan and UBSan, for FUZZ_SECONDS
# (default 30) from an empty corpus and a fixed seed: any crash, sanitizer
# report, leak or broken invariant (the target aborts) fails the test.
bin=$(dirname "$0")/../../build/fuzz/ckpt_syncd_wire_fuzz
[ -x "$bin" ] || { echo "1..0 # SKIP $bin is not built (run 'make check')"; exit 4; }

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
# A failing input is kept for replay: build/fuzz/ckpt_syncd_wire_fuzz FILE
artifacts=$(dirname "$bin")/artifacts
mkdir -p "$artifacts"

echo "TAP version 13"
echo "1..1"
if "$bin" -max_total_time="${FUZZ_SECONDS:-30}" -seed=1 -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$corpus" > "$corpus.log" 2>&1; then
	grep -E '^Done|stat::number_of_executed_units|cov:' "$corpus.log" | tail -n 2 | sed 's/^/# /'
	echo "ok 1 ckpt-syncd wire format: no crash, leak or broken invariant"
	rm -f "$corpus.log"
	exit 0
fi
tail -n 30 "$corpus.log" | sed 's/^/# /'
echo "not ok 1 ckpt-syncd wire format: the fuzzer found a failure"
rm -f "$corpus.log"
exit 1
