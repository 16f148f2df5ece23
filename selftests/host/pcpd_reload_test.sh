#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpd run from a configuration file alone, on the host kernel in
# namespaces of our own (lib/hostnet.sh), then changed by SIGHUP:
#
#   1. the file's quota, lifetimes and classes hold; THIRD_PARTY from a
#      client the file does not trust is UNSUPP_OPTION;
#   2. a reload raises the quota, shortens lifetimes and trusts the
#      client: the MAP refused before now succeeds, THIRD_PARTY makes a
#      mapping for the other host and is echoed;
#   3. a reload with a mistake, or one changing what needs a restart,
#      changes nothing and says why with the file's line;
#   4. with a state file, a restart keeps the mappings, their nonces and
#      external ports, and the epoch goes on; a state file with a line
#      that cannot be restored makes a new epoch.
#
# Needs root; runs the ASan/UBSan builds.

. "$(dirname "$0")/../lib/ktap.sh"
. "$SELFTESTS_DIR/lib/hostnet.sh"

PCPD=$TOP_DIR/build/san/pcpd
PCPC=$TOP_DIR/build/san/pcpc
DIR=$(mktemp -d)
CONF=$DIR/pcpd.conf
LOG=$DIR/pcpd.log

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root for network namespaces"
[ -x "$PCPD" ] && [ -x "$PCPC" ] || ktap_skip_all "pcpd or pcpc is not built (run 'make check')"

pcpc() { ns client "$PCPC" -j -s 192.0.2.1 "$@"; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
status() { "$PCPD" --status --config "$CONF"; }

# write_conf QUOTA LIFETIME [EXTRA LINE]: the file, in full.
write_conf()
{
	cat > "$CONF" <<-END
	# pcpd.conf of pcpd_reload_test.sh
	listen 192.0.2.1
	external 198.51.100.1
	control $DIR/pcpd.sock
	state $DIR/pcpd.state
	quota $1
	lifetime $2

	class default {
		checkpoint-max 2
	}
	class gold {
		members 192.0.2.0/28
		checkpoint all
		checkpoint-max 8
	}
	$3
	END
}

# reload: SIGHUP, then wait for pcpd's answer in its log.
reload()
{
	local n
	n=$(grep -c "reload" "$LOG")
	kill -HUP $pcpd_pid
	for _ in $(seq 50); do
		[ "$(grep -c "reload" "$LOG")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

host_topology || ktap_skip_all "cannot build the namespaces"
write_conf 2 60-7200
ip netns exec "$NS_PREFIX-nat" "$PCPD" --config "$CONF" 2> "$LOG" &
pcpd_pid=$!
sleep 1

ktap_plan 22

ktap_result "pcpd starts from the file alone, naming it and its classes" \
	$(grep -q "started .* config=$CONF classes=2" "$LOG" &&
	  grep -q "class name=gold checkpoint=all max=8 .* members=1" "$LOG"; echo $?)

pcpc map -p tcp --port 7001 > /dev/null
pcpc map -p tcp --port 7002 > /dev/null
out=$(pcpc map -p tcp --port 7003)
ktap_result "the file's quota 2: a third MAP is USER_EX_QUOTA" \
	$([ "$(field result <<< "$out")" = USER_EX_QUOTA ]; echo $?)
ktap_result "--status finds pcpd through the file's control path; the client is gold" \
	$(status | grep -q "^subscriber addr=192.0.2.2 mappings=2 .* class=gold "; echo $?)

out=$(pcpc map -p tcp --port 7100 --third-party 192.0.2.99)
ktap_result "THIRD_PARTY from a client the file does not trust: UNSUPP_OPTION" \
	$([ "$(field result <<< "$out")" = UNSUPP_OPTION ] &&
	  grep -q 'third-party-refused client=192.0.2.2 reason="not a third-party client' "$LOG"; echo $?)

write_conf 3 60-100 "third-party 192.0.2.0/30 192.0.2.64/26"
reload
ktap_result "SIGHUP: pcpd reloads and says what it now holds" \
	$(grep -q "reloaded config=$CONF classes=2 lifetime=60-100 quota=3" "$LOG"; echo $?)
out=$(pcpc map -p tcp --port 7003 --lifetime 3600)
ktap_result "...the MAP refused before succeeds under quota 3, its lifetime cut to 100" \
	$([ "$(field result <<< "$out")" = SUCCESS ] && [ "$(field lifetime <<< "$out")" = 100 ]; echo $?)
out=$(pcpc map -p tcp --port 7100 --third-party 192.0.2.99)
echo "# $out"
ktap_result "...THIRD_PARTY from the client now trusted maps 192.0.2.99, echoed" \
	$([ "$(field result <<< "$out")" = SUCCESS ] &&
	  [ "$(field third_party_echoed <<< "$out")" = true ] &&
	  status | grep -q "^map proto=6 internal=192.0.2.99 internal_port=7100 "; echo $?)
out=$(pcpc map -p tcp --port 7101 --third-party 127.0.0.1)
ktap_result "...but not for a loopback address: MALFORMED_REQUEST" \
	$([ "$(field result <<< "$out")" = MALFORMED_REQUEST ]; echo $?)
out=$(pcpc map -p tcp --port 7102 --third-party 192.0.2.1)
out2=$(pcpc map -p tcp --port 7103 --third-party 198.51.100.2)
ktap_result "...nor for the NAT's own address, nor a host outside the file's 192.0.2.64/26: NOT_AUTHORIZED" \
	$([ "$(field result <<< "$out")" = NOT_AUTHORIZED ] &&
	  [ "$(field result <<< "$out2")" = NOT_AUTHORIZED ] &&
	  grep -q 'third-party-refused client=192.0.2.2 internal=192.0.2.1 reason="one of this NAT' "$LOG" &&
	  grep -q 'third-party-refused client=192.0.2.2 internal=198.51.100.2 reason="not a host this client may map' "$LOG"; echo $?)

cp "$CONF" "$CONF.good"
write_conf 50 60-100 "class silver {
	checkpoint sometimes
}"
reload
ktap_result "a reload with a mistake fails, naming the file's line and changing nothing" \
	$(grep -q "reload-failed reason=\"$CONF:18: checkpoint: 'sometimes' is not on-request, all or never\" changed=nothing" "$LOG" &&
	  [ "$(field result <<< "$(pcpc map -p udp --port 7004)")" = USER_EX_QUOTA ]; echo $?)

sed 's/^listen 192.0.2.1/listen 192.0.2.9/' "$CONF.good" > "$CONF"
reload
ktap_result "a reload changing the listen address is refused: it needs a restart" \
	$(grep -q 'reload-failed key=listen reason="listen changes only at a restart" changed=nothing' "$LOG" &&
	  [ "$(field result <<< "$(pcpc announce)")" = SUCCESS ]; echo $?)

cp "$CONF.good" "$CONF"
reload
ktap_result "the mappings made before the reloads are all still there" \
	$([ "$(status | grep -c '^map ')" = 4 ]; echo $?)

# 4. A restart with the state file.
timeout 5 ip netns exec "$NS_PREFIX-nat" "$PCPD" --config "$CONF" --listen 192.0.2.9 \
	--control "$DIR/second.sock" 2> "$DIR/second.log"
ktap_result "a second pcpd given the same state file does not start, and says why" \
	$([ $? != 0 ] && grep -q "start-failed state=$DIR/pcpd.state reason=\"another pcpd uses this state file\"" "$DIR/second.log"; echo $?)
sleep 2
before=$(field epoch <<< "$(pcpc announce)")
echo precious > "$DIR/victim"
ln -s "$DIR/victim" "$DIR/pcpd.state.new"
kill $pcpd_pid
wait $pcpd_pid
ktap_result "pcpd stops on SIGTERM, cleanly, saving its 4 mappings" \
	$([ $? = 0 ] && grep -q "state-saved path=$DIR/pcpd.state mappings=4 " "$LOG" &&
	  ! ns nat nft list table ip pcpd > /dev/null 2>&1; echo $?)
ktap_result "...to a file of its own (mode 600), not through a link planted at its temporary name" \
	$([ "$(cat "$DIR/victim")" = precious ] && [ ! -L "$DIR/pcpd.state" ] &&
	  [ "$(stat -c %a "$DIR/pcpd.state")" = 600 ]; echo $?)
ip netns exec "$NS_PREFIX-nat" "$PCPD" --config "$CONF" 2> "$LOG.2" &
pcpd_pid=$!
sleep 1
ktap_result "restarted, pcpd restores them all and the state file is consumed" \
	$(grep -q "state-restored path=$DIR/pcpd.state mappings=4 expired=0 lost=0 peers_lost=0 " "$LOG.2" &&
	  [ "$(status | grep -c '^map ')" = 4 ] && [ ! -e "$DIR/pcpd.state" ]; echo $?)
after=$(field epoch <<< "$(pcpc announce)")
ktap_result "the epoch goes on ($before before the stop, $after after): no state was lost" \
	$([ -n "$before" ] && [ "$after" -ge "$before" ]; echo $?)
status | grep "^map " | sed 's/^/# /'
ktap_result "the third party's mapping keeps its external port, in nftables too" \
	$(status | grep -q "^map proto=6 internal=192.0.2.99 internal_port=7100 external=198.51.100.1 external_port=7100 " &&
	  ns nat nft list map ip pcpd map_tcp | grep -q "198.51.100.1 . 7100 .*: 192.0.2.99 . 7100"; echo $?)
out=$(pcpc map -p tcp --port 7001)
ktap_result "...and the nonces came back: a refresh with another is NOT_AUTHORIZED" \
	$([ "$(field result <<< "$out")" = NOT_AUTHORIZED ]; echo $?)

kill $pcpd_pid
wait $pcpd_pid
sed -i -e 's/^plain proto=6 internal=192.0.2.99 .*/plain proto=6 internal=192.0.2.99 nonsense/' \
	-e 's/owner=[0-9]*/owner=1/' "$DIR/pcpd.state"
ip netns exec "$NS_PREFIX-nat" "$PCPD" --config "$CONF" 2> "$LOG.3" &
pcpd_pid=$!
sleep 1
ktap_result "a state line that cannot be restored is refused with its reason, and the epoch starts again" \
	$(grep -q 'state-refused reason=.* line="plain proto=6 internal=192.0.2.99 nonsense"' "$LOG.3" &&
	  grep -q "state-restored .* mappings=3 expired=0 lost=1 " "$LOG.3" &&
	  [ "$(field epoch <<< "$(pcpc announce)")" -lt 5 ]; echo $?)
ktap_result "the file's owner= is not believed: the mappings are charged to their host" \
	$(status | grep -q "^subscriber addr=192.0.2.2 mappings=3 " &&
	  ! status | grep -q "^subscriber addr=0.0.0.1 "; echo $?)
kill $pcpd_pid
wait $pcpd_pid
ktap_result "pcpd stops cleanly again (no sanitizer report)" $?
cat "$LOG.2" "$LOG.3" >> "$LOG"
sed 's/^/# log: /' "$LOG"
rm -rf "$DIR"
ktap_finish
