#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# pcpd's configuration and check-point policy unit tests, as built with ASan and UBSan by `make check`.
bin=$(dirname "$0")/../../build/san/pcpd_config_test
[ -x "$bin" ] || { echo "1..0 # SKIP $bin is not built (run 'make check')"; exit 4; }
exec "$bin"
