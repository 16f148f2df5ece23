#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ckpt-syncd's sync link's unit tests (retransmission timeout), as built with ASan and UBSan by `make check`.
bin=$(dirname "$0")/../../build/san/ckpt_syncd_link_test
[ -x "$bin" ] || { echo "1..0 # SKIP $bin is not built (run 'make check')"; exit 4; }
exec "$bin"
