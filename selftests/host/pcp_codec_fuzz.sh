#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The PCP codec under libFuzzer (lib/fuzz.sh).
. "$(dirname "$0")/../lib/fuzz.sh"
fuzz_run pcp_codec_fuzz "pcp codec"
