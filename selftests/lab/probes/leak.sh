#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# leak.sh BYTES: load and unload the fault module 20 times, each load leaking
# BYTES, and apply the slab check of the load tests.  With BYTES=0 the lab
# must pass it; with 4096 (80 KiB in all) it must fail it.
. "$(dirname "$0")/../../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/guest.sh"

insmod "$LAB_FAULT_KO" && rmmod ckpt_lab_fault
before=$(slab_bytes)
module_cycles "$LAB_FAULT_KO" - 20 leak="$1" || exit 1
slab_within_slack "$before"
