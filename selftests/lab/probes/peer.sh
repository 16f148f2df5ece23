#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# peer.sh ADDR PEER [wait-gone]: give the lab link "wire0" ADDR, ping PEER
# until it answers and say so; then, with "wait-gone", wait until PEER stops
# answering (it was killed) and say that, else wait to be killed.
addr=$1
peer=$2

ip addr add "$addr/24" dev wire0
ip link set wire0 up

for _ in $(seq 60); do
	ping -c 1 -W 1 "$peer" > /dev/null 2>&1 && break
done
ping -c 1 -W 1 "$peer" > /dev/null 2>&1 || { echo "peer $peer never answered"; exit 1; }
echo "LAB-SYNC: reached $peer"

if [ "${3:-}" != wait-gone ]; then
	sleep 3600
	exit 1
fi

for _ in $(seq 120); do
	if ! ping -c 3 -W 1 "$peer" > /dev/null 2>&1; then
		echo "LAB-SYNC: $peer is gone"
		exit 0
	fi
	sleep 1
done
echo "peer $peer still answers"
exit 1
