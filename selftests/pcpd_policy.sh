#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd's policy classes decide check-points through nf_ckpt, overriding the
# client either way (RFC 7767 sections 4 and 5), from a configuration file
# changed by SIGHUP:
#
#   client  192.0.2.2 ---+   gold: every mapping and connection protected,
#                        |   asked or not, at most 3
#                        nat (pcpd on 192.0.2.1 and 10.0.3.1) --- server
#                        |    198.51.100.1                     198.51.100.2
#   client2 10.0.3.2 ----+   bronze: nothing protected; after the reload,
#                            default: what it asks for, SIP (udp 5060)
#                            always, ssh (tcp 22) never
#
# The option is in an answer only when the client asked and it was
# honoured; a protection the network made unasked is visible in nf_ckpt
# and in pcpd's log and status.  Last, pcpd restarts with its state file:
# the mappings and their rules come back; the PEER record does not, so
# the epoch starts again.

. "$(dirname "$0")/lib/ktap.sh"
in_guest "$@"
. "$SELFTESTS_DIR/lib/guest.sh"

LOG=$PCPD_LOG
MARK=$CKPT_MARK
CONF=/tmp/pcpd.conf
N1=0102030405060708090a0b0c
N2=0c0b0a090807060504030201

pcpc2() { ip netns exec client2 "$PCPC" -j -s 10.0.3.1 "$@"; }
has_rule() { nat "$CKPTCTL" rule list | grep -q "^proto=$1 addr=$2 port=$3 "; }
flagged() { nat conntrack -L -p "$1" --orig-port-src "$2" -m $MARK/$MARK 2>/dev/null | grep -q "src=192.0.2.2"; }

# write_conf [bronze]: the file, with 10.0.3.0/24 in class bronze or not.
write_conf()
{
	cat > "$CONF" <<-END
	listen 192.0.2.1
	listen 10.0.3.1
	external 198.51.100.1
	control /tmp/pcpd.sock
	state /tmp/pcpd.state

	class default {
		checkpoint-max 4
		protect udp 5060
		never-protect tcp 22
	}
	class gold {
		members 192.0.2.0/24
		checkpoint all
		checkpoint-max 3
	}
	END
	[ "$1" = bronze ] && printf 'class bronze {\n\tmembers 10.0.3.0/24\n\tcheckpoint never\n}\n' >> "$CONF"
}

[ -x "$PCPD" ] || ktap_skip_all "pcpd is not built (run 'make')"
nat_topology && client2_topology && insmod "$NF_CKPT_KO" ||
	ktap_skip_all "cannot build the topology"
ip netns exec server socat -u UDP-RECV:7000 /dev/null &

write_conf bronze
ip netns exec nat "$PCPD" --config "$CONF" 2> "$LOG" &
pcpd_pid=$!
sleep 1

ktap_plan 19

# 1. gold: protected whether it asks or not.
out=$(pcpc map -p tcp --port 6000 --nonce $N1)
ktap_result "gold: a MAP without the option succeeds, and the answer has no option" \
	$(granted "$out" false; echo $?)
ktap_result "...but the network protected it: nf_ckpt has its rule, the log says forced" \
	$(has_rule 6 192.0.2.2 6000 &&
	  grep -q "checkpoint-forced internal=192.0.2.2 proto=6 port=6000 class=gold" "$LOG"; echo $?)
out=$(pcpc map -p tcp --port 6001 --checkpoint)
ktap_result "gold: a MAP with the option is granted, with the option" \
	$(granted "$out" true && has_rule 6 192.0.2.2 6001; echo $?)
ip netns exec client socat -u - UDP:198.51.100.2:7000,sourceport=5000 <<< hello
out=$(pcpc peer -p udp --port 5000 --peer 198.51.100.2:7000)
ktap_result "gold: a PEER without the option flags its connection" \
	$(granted "$out" false && flagged udp 5000; echo $?)
out=$(pcpc map -p tcp --port 6003 --checkpoint)
ktap_result "gold's fourth is refused the option: checkpoint-max 3 bounds forced ones too" \
	$(granted "$out" false && ! has_rule 6 192.0.2.2 6003 &&
	  grep -q "checkpoint-refused internal=192.0.2.2 port=6003 reason=quota class=gold" "$LOG"; echo $?)
out=$(pcpc map -p tcp --port 6000 --nonce $N1)
ktap_result "gold: a renewal without the option keeps the protection" \
	$(granted "$out" false && has_rule 6 192.0.2.2 6000; echo $?)

# 2. bronze: nothing, asked or not.
out=$(pcpc2 map -p udp --port 5060 --checkpoint --nonce $N2)
ktap_result "bronze: a MAP with the option succeeds without it, and no rule" \
	$(granted "$out" false && ! has_rule 17 10.0.3.2 5060 &&
	  grep -q "checkpoint-refused internal=10.0.3.2 port=5060 reason=policy class=bronze" "$LOG"; echo $?)

# 3. SIGHUP: client2 leaves bronze for default.
write_conf
kill -HUP $pcpd_pid
sleep 1
ktap_result "SIGHUP: pcpd reloads the file with two classes" \
	$(grep -q "reloaded config=$CONF classes=2" "$LOG"; echo $?)
out=$(pcpc2 map -p udp --port 5060 --nonce $N2)
ktap_result "default: a renewal of udp/5060 without the option is protected (protect udp 5060)" \
	$(granted "$out" false && has_rule 17 10.0.3.2 5060; echo $?)
out=$(pcpc2 map -p tcp --port 22 --checkpoint)
ktap_result "default: tcp/22 with the option is refused it (never-protect tcp 22)" \
	$(granted "$out" false && ! has_rule 6 10.0.3.2 22; echo $?)
out=$(pcpc2 map -p tcp --port 7000 --checkpoint)
ktap_result "default: tcp/7000 with the option is granted" \
	$(granted "$out" true && has_rule 6 10.0.3.2 7000; echo $?)
out=$(pcpc2 map -p tcp --port 7001)
ktap_result "default: tcp/7001 without it is not protected" \
	$(granted "$out" false && ! has_rule 6 10.0.3.2 7001; echo $?)

status=$("$PCPD" --status --config "$CONF")
echo "$status" | grep "^subscriber" | sed 's/^/# /'
ktap_result "--status: gold holds 3 check-points, 2 of them forced" \
	$(grep -q "^subscriber addr=192.0.2.2 .* checkpointed=3 max=3 class=gold granted=3 forced=2 refused_quota=1 " <<< "$status"; echo $?)
ktap_result "--status: client2 is now default, 2 check-points, 1 forced, 2 refused by policy" \
	$(grep -q "^subscriber addr=10.0.3.2 .* checkpointed=2 max=4 class=default granted=2 forced=1 .* refused_policy=2$" <<< "$status"; echo $?)

kill "$pcpd_pid"
wait "$pcpd_pid"
ktap_result "pcpd stops cleanly" $?
ktap_result "stopping removes every rule and flag it made" \
	$([ -z "$(nat "$CKPTCTL" rule list)" ] && ! flagged udp 5000; echo $?)

# 4. A restart keeps the mappings and their check-points.
ip netns exec nat "$PCPD" --config "$CONF" 2> "$LOG.2" &
pcpd_pid=$!
sleep 1
grep state "$LOG" "$LOG.2" | sed 's/^/# /'
ktap_result "restarted, pcpd restores its 7 mappings; the PEER record was not kept" \
	$(grep -q "state-saved path=/tmp/pcpd.state mappings=7 peers_not_kept=1" "$LOG" &&
	  grep -q "state-restored path=/tmp/pcpd.state mappings=7 expired=0 lost=0 peers_lost=1 " "$LOG.2"; echo $?)
ktap_result "...with the rules of the 4 check-pointed ones back in nf_ckpt" \
	$(has_rule 6 192.0.2.2 6000 && has_rule 6 192.0.2.2 6001 &&
	  has_rule 17 10.0.3.2 5060 && has_rule 6 10.0.3.2 7000 &&
	  [ "$(nat "$CKPTCTL" rule list | wc -l)" = 4 ]; echo $?)
ktap_result "...and a new epoch, since the PEER record was lost" \
	$([ "$(field epoch <<< "$(pcpc announce)")" -lt 5 ]; echo $?)
kill "$pcpd_pid"
wait "$pcpd_pid"
cat "$LOG.2" >> "$LOG"
sed 's/^/# log: /' "$LOG" | grep -E "checkpoint|reload|class|state"
ktap_finish
