#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest that stops before the lab's result line, as a crash would: the
# lab must fail it, though nothing was logged and no test said "not ok".
echo b > /proc/sysrq-trigger
sleep 30
