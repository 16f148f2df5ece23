#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ckpt-syncd's wire format under libFuzzer (lib/fuzz.sh).
. "$(dirname "$0")/../lib/fuzz.sh"
fuzz_run ckpt_syncd_wire_fuzz "ckpt-syncd wire format"
