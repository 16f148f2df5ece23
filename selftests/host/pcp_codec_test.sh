#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The PCP codec's unit tests, as built with ASan and UBSan by `make check`.
bin=$(dirname "$0")/../../build/san/pcp_codec_test
[ -x "$bin" ] || { echo "1..0 # SKIP $bin is not built (run 'make check')"; exit 4; }
exec "$bin"
