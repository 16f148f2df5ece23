#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pcpd's configuration parser under libFuzzer (lib/fuzz.sh), with a
# dictionary of the file's words so that the fuzzer reaches the classes.
. "$(dirname "$0")/../lib/fuzz.sh"
fuzz_run pcpd_config_fuzz "pcpd configuration parser" \
	"$(dirname "$0")/../fuzz/pcpd_config.dict"
