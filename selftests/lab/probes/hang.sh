#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest whose test never ends: the lab must fail it at its timeout.
sleep 3600
