#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest whose kernel logs a WARNING while the test itself exits 0: the lab
# must fail it.
. "$(dirname "$0")/../../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/guest.sh"
insmod "$LAB_FAULT_KO" warn=1 && rmmod ckpt_lab_fault
exit 0
