// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ckpt-syncd's sync link (userspace/ckpt-syncd/link.c): two
 * links on loopback UDP sockets, driven by a clock of the test's own, so
 * that round trips are exact.  The retransmission timeout follows RFC
 * 6298 from the round trips of messages sent once, backs off when the
 * oldest message times out, and never goes under --rto; a message sent
 * after the caller read its time is not taken as timed out.  KTAP.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

#include "link.h"
#include "log.h"

#define PLAN 9

static unsigned int records;

static void on_record(void *arg, const struct sync_record *r)
{
	(void)arg;
	(void)r;
	records++;
}

static void on_acked(void *arg, uint32_t upto)
{
	(void)arg;
	(void)upto;
}

static void on_resync(void *arg)
{
	(void)arg;
}

static void on_peer(void *arg, bool up)
{
	(void)arg;
	(void)up;
}

static const struct link_ops ops = {
	.record = on_record, .acked = on_acked,
	.resync_requested = on_resync, .peer_state = on_peer,
};

/* A UDP socket on 127.0.0.1, its address in *SS. */
static int udp_socket(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*len = sizeof(*sin);
	if (fd < 0 || bind(fd, (struct sockaddr *)ss, *len) ||
	    getsockname(fd, (struct sockaddr *)ss, len))
		return -1;
	return fd;
}

static struct link a, b;

/* One record from A, sent at T; B takes it and answers at T + RTT. */
static void round_trip(uint64_t t, uint64_t rtt)
{
	link_put_marker(&a, SYNC_REC_RESYNC_BEGIN, t);
	link_flush(&a, t);
	usleep(1000);
	link_receive(&b, t + rtt);	/* applies, and acknowledges */
	usleep(1000);
	link_receive(&a, t + rtt);
}

int main(void)
{
	struct sockaddr_storage sa, sb;
	socklen_t la, lb;
	uint32_t before;
	int fa, fb;
	uint64_t t = 1000000;

	/* The link's log lines, as KTAP comments, in order with the rest. */
	log_open("# link", false, false);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fa = udp_socket(&sa, &la);
	fb = udp_socket(&sb, &lb);
	if (fa < 0 || fb < 0 || link_init(&a, fa, &sb, lb, 1024, &ops, NULL) ||
	    link_init(&b, fb, &sa, la, 1024, &ops, NULL)) {
		printf("1..0 # SKIP no loopback UDP sockets\n");
		return 4;
	}
	link_new_session(&a);
	link_new_session(&b);

	ktap_plan(PLAN);
	ktap_check(a.rto_ms == 50 && !a.srtt_us, "before any round trip the timeout is --rto, 50 ms");

	round_trip(t, 120);
	ktap_check(records == 1 && a.srtt_us == 120000 && a.rto_ms == 360,
		   "a first round trip of 120 ms: SRTT 120, RTTVAR 60, timeout 120 + 4 * 60 = 360 ms");
	t += 1000;
	round_trip(t, 120);
	ktap_check(a.srtt_us == 120000 && a.rto_ms == 300,
		   "the same round trip again: RTTVAR falls to 45, timeout 300 ms");
	for (int i = 0; i < 40; i++) {
		t += 1000;
		round_trip(t, 2);
	}
	ktap_check(a.rto_ms == 50 && a.srtt_us < 10000,
		   "fast round trips bring the timeout down to --rto, never under it");

	/* B stops answering: the oldest message times out. */
	t += 1000;
	link_put_marker(&a, SYNC_REC_RESYNC_END, t);
	link_flush(&a, t);
	before = (uint32_t)a.stats.retransmitted;
	link_tick(&a, t + 49);
	ktap_check(a.stats.retransmitted == before,
		   "nothing is sent again before the timeout");
	link_tick(&a, t + 50);
	ktap_check(a.stats.retransmitted == before + 1 && a.rto_ms == 100,
		   "at the timeout the oldest is sent again, and the timeout doubles");
	link_tick(&a, t + 149);
	link_tick(&a, t + 150);
	ktap_check(a.stats.retransmitted == before + 2 && a.rto_ms == 200,
		   "...and doubles again when it times out again");
	before = a.srtt_us;
	usleep(1000);
	link_receive(&b, t + 400);
	usleep(1000);
	link_receive(&a, t + 400);
	ktap_check(a.acked == a.sent_upto && a.srtt_us == before,
		   "the acknowledgement of a message sent again gives no round trip (Karn)");

	/*
	 * The daemon reads its time once a turn; what it sends meanwhile is
	 * stamped later.  A tick with the earlier time sends nothing again.
	 */
	t += 1000;
	link_put_marker(&a, SYNC_REC_RESYNC_BEGIN, t + 1);
	link_flush(&a, t + 1);
	before = (uint32_t)a.stats.retransmitted;
	link_tick(&a, t);
	ktap_check(a.stats.retransmitted == before && a.rto_ms == 200,
		   "a message stamped after the tick's time is not sent again");

	link_destroy(&a);
	link_destroy(&b);
	close(fa);
	close(fb);
	return ktap_done(PLAN);
}
