#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd honours CHECKPOINT_REQUIRED through nf_ckpt: a MAP with the option
# becomes an endpoint rule charged to the subscriber, and a connection
# through the mapping is flagged; the option is in the answer only when
# honoured; one subscriber's quota and rate run out without touching
# another's; a renewal without the option and a delete remove the rule
# and the flags of the connections it made;
# stopping pcpd removes them all.
#
#   client  192.0.2.2 ---+
#                        nat (pcpd on 192.0.2.1 and 10.0.3.1) --- server
#   client2 10.0.3.2 ----+          198.51.100.1             198.51.100.2
#
# Policy for every subscriber: at most 3 check-pointed mappings, 10 new a
# minute with a burst of 2.

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

LOG=$PCPD_LOG
MARK=$CKPT_MARK
NONCE=0102030405060708090a0b0c
NONCE2=0c0b0a090807060504030201
NONCE3=0a0a0a0a0b0b0b0b0c0c0c0c

pcpc2() { ip netns exec client2 "$PCPC" -j -s 10.0.3.1 "$@"; }
rules() { nat "$CKPTCTL" rule list; }
has_rule() { rules | grep -q "^proto=$1 addr=$2 port=$3 .*owner=$4$"; }

[ -x "$PCPD" ] || ktap_skip_all "pcpd is not built (run 'make')"
nat_topology && client2_topology && insmod "$NF_CKPT_KO" ||
	ktap_skip_all "cannot build the topology"

ip netns exec client socat -u TCP-LISTEN:6000,reuseaddr,fork - > /dev/null &
ip netns exec nat "$PCPD" --listen 192.0.2.1 --listen 10.0.3.1 \
	--external 198.51.100.1 --checkpoint-max 3 --checkpoint-rate 10/min \
	--checkpoint-burst 2 --quota 4 --control /tmp/pcpd.sock 2> "$LOG" &
pcpd_pid=$!
sleep 1

ktap_plan 18

out=$(pcpc map -p tcp --port 6000 --checkpoint --nonce $NONCE)
echo "# $out"
ktap_result "MAP tcp/6000 with CHECKPOINT_REQUIRED is granted" \
	$(granted "$out" true; echo $?)
# 192.0.2.2 is subscriber 3221225986.
ktap_result "nf_ckpt has its endpoint rule, charged to the subscriber" \
	$(has_rule 6 192.0.2.2 6000 3221225986; echo $?)
ip netns exec server socat -u - TCP:198.51.100.1:6000,connect-timeout=5 <<< hello
ktap_result "a connection through the mapping is flagged" \
	$(nat conntrack -L -p tcp --dport 6000 -m $MARK/$MARK 2>/dev/null |
	  grep -q "src=192.0.2.2"; echo $?)

out=$(pcpc map -p tcp --port 6001 --checkpoint)
ktap_result "a second one is granted (the burst of 2)" \
	$(granted "$out" true; echo $?)
out=$(pcpc map -p tcp --port 6002 --checkpoint --nonce $NONCE3)
echo "# $out"
ktap_result "a third at once: the MAP succeeds, without the option (rate)" \
	$(granted "$out" false; echo $?)
ktap_result "...and no rule was added for it" \
	$(! has_rule 6 192.0.2.2 6002 3221225986; echo $?)

out=$(pcpc2 map -p tcp --port 7000 --checkpoint)
ktap_result "another subscriber is granted meanwhile: its own bucket" \
	$(granted "$out" true; echo $?)

sleep 6
out=$(pcpc map -p tcp --port 6002 --checkpoint --nonce $NONCE3)
ktap_result "six seconds later, the third is granted" \
	$(granted "$out" true; echo $?)
sleep 6
out=$(pcpc map -p tcp --port 6003 --checkpoint --nonce $NONCE2)
echo "# $out"
ktap_result "a fourth is refused the option: the quota is 3" \
	$(granted "$out" false; echo $?)

out=$(pcpc map -p tcp --port 6000 --nonce $NONCE)
ktap_result "renewing tcp/6000 without the option succeeds, not check-pointed" \
	$(granted "$out" false; echo $?)
ktap_result "...and its rule is gone" \
	$(! has_rule 6 192.0.2.2 6000 3221225986; echo $?)
ktap_result "...and so is the flag of the connection it had flagged" \
	$(! nat conntrack -L -p tcp --dport 6000 -m $MARK/$MARK 2>/dev/null |
	  grep -q "src=192.0.2.2" &&
	  grep -q "checkpoint-released internal=192.0.2.2 proto=6 port=6000 why=renewed without the option connections_cleared=1" "$LOG"; echo $?)

out=$(pcpc map -p tcp --port 6003 --checkpoint --nonce $NONCE2)
ktap_result "with a place free again, tcp/6003 is granted on renewal" \
	$(granted "$out" true; echo $?)

grep -q "checkpoint-refused internal=192.0.2.2 port=6002 reason=rate" "$LOG" &&
	grep -q "checkpoint-refused internal=192.0.2.2 port=6003 reason=quota" "$LOG"
ktap_result "the log names each refusal and its reason" $?

# --quota 4: mappings of each client, check-pointed or not.
out=$(pcpc map -p tcp --port 6004)
ktap_result "the client's fifth mapping is USER_EX_QUOTA (quota 4)" \
	$([ "$(field result <<< "$out")" = USER_EX_QUOTA ]; echo $?)
out=$(pcpc2 map -p tcp --port 7001)
ktap_result "...while the other client still gets its second" \
	$([ "$(field result <<< "$out")" = SUCCESS ]; echo $?)
status=$("$PCPD" --status --control /tmp/pcpd.sock)
echo "$status" | grep "^subscriber" | sed 's/^/# /'
ktap_result "pcpd --status: each subscriber's mappings and check-points" \
	$(grep -q "^subscriber addr=192.0.2.2 mappings=4 peers=0 quota=4 checkpointed=3 max=3 " <<< "$status" &&
	  grep -q "^subscriber addr=10.0.3.2 mappings=2 " <<< "$status"; echo $?)

kill "$pcpd_pid"
wait "$pcpd_pid"
ktap_result "stopping pcpd removes its rules" $([ -z "$(rules)" ]; echo $?)
sed 's/^/# log: /' "$LOG" | grep checkpoint | head -20
ktap_finish
