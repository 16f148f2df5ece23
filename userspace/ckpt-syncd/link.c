// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: the reliable sync link (see link.h).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "link.h"
#include "log.h"

#define RETRANSMIT_BURST	16	/* messages sent again a tick, at most */
#define RTO_MAX_MS		1000	/* under --dead's default, 3000 */

int link_init(struct link *l, int fd, const struct sockaddr_storage *peer,
	      socklen_t peer_len, uint32_t queue, const struct link_ops *ops,
	      void *arg)
{
	uint32_t cap = 64;

	memset(l, 0, sizeof(*l));
	while (cap < queue)
		cap <<= 1;
	l->ring = calloc(cap, sizeof(*l->ring));
	if (!l->ring)
		return -1;
	l->ring_mask = cap - 1;
	l->fd = fd;
	l->peer = *peer;
	l->peer_len = peer_len;
	l->ops = ops;
	l->arg = arg;
	l->window = 256;
	l->rto_min_ms = 50;
	l->rto_ms = 50;
	l->keepalive_ms = 250;
	l->dead_ms = 3000;
	l->want_resync = true;
	return 0;
}

static struct out_msg *slot(const struct link *l, uint32_t seq)
{
	return l->ring[seq & l->ring_mask];
}

static void drop_held(struct link *l)
{
	uint32_t i;

	for (i = 0; i < SYNC_RX_WINDOW; i++) {
		free(l->held[i]);
		l->held[i] = NULL;
	}
}

uint32_t link_held(const struct link *l)
{
	uint32_t i, n = 0;

	for (i = 0; i < SYNC_RX_WINDOW; i++)
		n += l->held[i] != NULL;
	return n;
}

void link_destroy(struct link *l)
{
	uint32_t i;

	drop_held(l);
	for (i = 0; i <= l->ring_mask; i++)
		free(l->ring[i]);
	free(l->ring);
	l->ring = NULL;
}

void link_new_session(struct link *l)
{
	uint32_t s;

	do {
		if (getrandom(&s, sizeof(s), 0) != sizeof(s))
			s = (uint32_t)rand();
	} while (!s || s == l->session);

	l->session = s;
	l->next_seq = 1;
	l->acked = 0;
	l->sent_upto = 0;
	l->open = false;
	l->overflowed = false;
	l->srtt_us = l->rttvar_us = 0;	/* perhaps another peer */
	l->rto_ms = l->rto_min_ms;
	l->stats.sessions++;
	log_info("session id=%08x reason=\"a new session, with this node's whole state\"",
		 s);
}

uint32_t link_queued(const struct link *l)
{
	return l->next_seq - 1 - l->acked;
}

static void send_msg(struct link *l, const uint8_t *buf, size_t len)
{
	if (sendto(l->fd, buf, len, 0, (const struct sockaddr *)&l->peer,
		   l->peer_len) < 0 && errno != ECONNREFUSED)
		log_debug("link reason=\"send: %s\"", strerror(errno));
}

static void send_control(struct link *l, uint8_t type, uint64_t now)
{
	struct sync_hdr h = {
		.type = type,
		.session = l->session,
		.ack_session = l->peer_session,
		.ack = l->expect ? l->expect - 1 : 0,
	};
	uint8_t buf[SYNC_HDR_LEN];
	struct sync_writer w;

	if (type == SYNC_MSG_HELLO && l->want_resync)
		h.flags = SYNC_F_RESYNC;
	sync_msg_start(&w, buf, &h);
	send_msg(l, buf, sync_msg_finish(&w));
	l->ack_due = false;
	if (type == SYNC_MSG_HELLO)
		l->last_hello_ms = now;
}

/* The open message, opened if need be; NULL when the queue is full. */
static struct sync_writer *writer(struct link *l)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA };
	struct out_msg *m;

	if (l->open)
		return &l->w;
	if (link_queued(l) > l->ring_mask) {
		l->overflowed = true;
		l->stats.overflows++;
		return NULL;
	}
	m = slot(l, l->next_seq);
	if (!m) {
		m = malloc(sizeof(*m));
		if (!m)
			return NULL;
		l->ring[l->next_seq & l->ring_mask] = m;
	}
	h.session = l->session;
	h.seq = l->next_seq;
	sync_msg_start(&l->w, m->buf, &h);
	m->sent_ms = 0;
	m->resent = false;
	l->open = true;
	return &l->w;
}

/* Close the open message: it is queued and numbered. */
static void close_msg(struct link *l)
{
	struct out_msg *m;

	if (!l->open)
		return;
	m = slot(l, l->next_seq);
	m->len = (uint16_t)sync_msg_finish(&l->w);
	l->next_seq++;
	l->open = false;
}

/* A record of any kind, as PUT writes it into a message. */
struct put {
	uint16_t type;
	const struct sync_entry *ct;
	const struct map_record *map;
};

static int put(struct sync_writer *w, const struct put *p)
{
	if (p->ct)
		return sync_put_ct(w, p->type, p->ct);
	if (p->map)
		return sync_put_map(w, p->type, p->map);
	return sync_put_marker(w, p->type);
}

/* Into the open message, or a new one when it is full. */
static uint32_t put_record(struct link *l, const struct put *p, uint64_t now)
{
	struct sync_writer *w = writer(l);

	if (w && put(w, p)) {
		close_msg(l);
		link_flush(l, now);
		w = writer(l);
		if (w && put(w, p))
			w = NULL;
	}
	return w ? l->next_seq : 0;
}

uint32_t link_put_ct(struct link *l, uint16_t type, const struct sync_entry *e,
		     uint64_t now)
{
	return put_record(l, &(struct put){ .type = type, .ct = e }, now);
}

uint32_t link_put_map(struct link *l, uint16_t type,
		      const struct map_record *m, uint64_t now)
{
	return put_record(l, &(struct put){ .type = type, .map = m }, now);
}

uint32_t link_put_marker(struct link *l, uint16_t type, uint64_t now)
{
	return put_record(l, &(struct put){ .type = type }, now);
}

/* Send the closed messages the window allows. */
static void send_queued(struct link *l, uint64_t now)
{
	struct out_msg *m;

	while (l->sent_upto + 1 < l->next_seq &&
	       l->sent_upto - l->acked < l->window) {
		m = slot(l, ++l->sent_upto);
		send_msg(l, m->buf, m->len);
		m->sent_ms = now;
		l->stats.sent++;
	}
}

void link_flush(struct link *l, uint64_t now)
{
	close_msg(l);
	send_queued(l, now);
}

uint64_t link_oldest_unacked_ms(const struct link *l, uint64_t now)
{
	const struct out_msg *m;

	if (l->acked >= l->sent_upto)
		return 0;
	m = slot(l, l->acked + 1);
	return m->sent_ms ? now - m->sent_ms : 0;
}

/*
 * The retransmission timeout from a round trip of RTT_US (RFC 6298
 * section 2, in microseconds): SRTT + 4 RTTVAR, between --rto and
 * RTO_MAX_MS.  A fixed timeout fired while a busy receiver, not the
 * network, held the answer, and sent the same data twice.
 */
static void rtt_sample(struct link *l, uint32_t rtt_us)
{
	uint32_t delta, rto;

	if (!l->srtt_us) {
		l->srtt_us = rtt_us ? rtt_us : 1;
		l->rttvar_us = rtt_us / 2;
	} else {
		delta = l->srtt_us > rtt_us ? l->srtt_us - rtt_us : rtt_us - l->srtt_us;
		l->rttvar_us = l->rttvar_us - l->rttvar_us / 4 + delta / 4;
		l->srtt_us = l->srtt_us - l->srtt_us / 8 + rtt_us / 8;
	}
	rto = (l->srtt_us + 4 * l->rttvar_us) / 1000;
	l->rto_ms = rto < l->rto_min_ms ? l->rto_min_ms :
		    rto > RTO_MAX_MS ? RTO_MAX_MS : rto;
}

static void on_ack(struct link *l, const struct sync_hdr *h, uint64_t now)
{
	const struct out_msg *m;

	if (h->ack_session != l->session || h->ack <= l->acked ||
	    h->ack > l->sent_upto)
		return;
	m = slot(l, h->ack);
	if (!m->resent && m->sent_ms && now >= m->sent_ms)
		rtt_sample(l, (uint32_t)(now - m->sent_ms) * 1000);
	l->acked = h->ack;
	l->ops->acked(l->arg, h->ack);
}

/*
 * The peer asks for a new session until it has seen the first message of
 * one.  A request naming an older session of ours is answered by the
 * current one already, and so is one from a peer that has seen none of
 * ours (session 0) while the current session's first message is not yet
 * acknowledged: that message is on its way to it.
 */
static void on_hello(struct link *l, const struct sync_hdr *h)
{
	if (!(h->flags & SYNC_F_RESYNC))
		return;
	if (h->ack_session != l->session && (h->ack_session || !l->acked))
		return;
	log_info("peer reason=\"asks for this node's whole state\"");
	l->ops->resync_requested(l->arg);
}

/* Keep a message that came ahead of its turn, if it is in the window. */
static void hold(struct link *l, const uint8_t *buf, size_t len, uint32_t seq)
{
	struct out_msg **slot = &l->held[seq % SYNC_RX_WINDOW];

	if (seq - l->expect >= SYNC_RX_WINDOW || *slot)
		return;	/* too far ahead, or held already */
	*slot = malloc(sizeof(**slot));
	if (!*slot)
		return;	/* it will be sent again */
	memcpy((*slot)->buf, buf, len);
	(*slot)->len = (uint16_t)len;
	l->stats.out_of_order++;
}

/* Apply the message EXPECT, then those held that follow it. */
static void apply_in_order(struct link *l, const uint8_t *buf, size_t len)
{
	struct out_msg *m;
	const char *why;

	sync_parse_records(buf, len, l->ops->record, l->arg, &why);
	l->expect++;
	while ((m = l->held[l->expect % SYNC_RX_WINDOW])) {
		l->held[l->expect % SYNC_RX_WINDOW] = NULL;
		sync_parse_records(m->buf, m->len, l->ops->record, l->arg, &why);
		free(m);
		l->expect++;
	}
}

static void on_data(struct link *l, const uint8_t *buf, size_t len,
		    const struct sync_hdr *h)
{
	const char *why;

	/* Checked whole before anything, the session included, changes. */
	if (sync_parse_records(buf, len, NULL, NULL, &why)) {
		l->stats.malformed++;
		log_warning("link seq=%u reason=\"malformed message: %s\"",
			    h->seq, why);
		return;
	}
	if (h->session != l->peer_session) {
		if (h->seq != 1)
			return;	/* the session's first message will come */
		drop_held(l);
		l->peer_session = h->session;
		l->expect = 1;
		l->want_resync = false;
		l->stats.peer_sessions++;
		log_info("peer session=%08x reason=\"the peer sends its whole state\"",
			 h->session);
	}
	l->ack_due = true;
	if (h->seq < l->expect)
		l->stats.duplicates++;
	else if (h->seq > l->expect)
		hold(l, buf, len, h->seq);
	else
		apply_in_order(l, buf, len);
}

static void on_datagram(struct link *l, const uint8_t *buf, size_t len,
			uint64_t now)
{
	struct sync_hdr h;
	const char *why;

	if (sync_parse_hdr(buf, len, &h, &why)) {
		l->stats.malformed++;
		log_warning("link reason=\"malformed message: %s\"", why);
		return;
	}
	l->stats.received++;
	l->last_heard_ms = now;
	if (!l->peer_up) {
		l->peer_up = true;
		l->ops->peer_state(l->arg, true);
	}

	on_ack(l, &h, now);
	if (h.type == SYNC_MSG_HELLO)
		on_hello(l, &h);
	else if (h.type == SYNC_MSG_DATA) {
		uint32_t expect = l->expect;

		on_data(l, buf, len, &h);
		if (l->expect != expect)
			l->last_data_ms = now;
	}
}

/* Only the peer's address may speak on the link. */
static bool from_peer(const struct link *l, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *a6 = (const void *)ss, *p6 = (const void *)&l->peer;
	const struct sockaddr_in *a4 = (const void *)ss, *p4 = (const void *)&l->peer;

	if (ss->ss_family != l->peer.ss_family)
		return false;
	if (ss->ss_family == AF_INET)
		return a4->sin_addr.s_addr == p4->sin_addr.s_addr;
	return !memcmp(&a6->sin6_addr, &p6->sin6_addr, sizeof(a6->sin6_addr));
}

static void receive(struct link *l, uint64_t now)
{
	uint8_t buf[SYNC_MTU + 1];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t n;

	while ((n = recvfrom(l->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &sl)) >= 0) {
		if (from_peer(l, &ss))
			on_datagram(l, buf, (size_t)n, now);
		else
			l->stats.foreign++;
		sl = sizeof(ss);
	}
	if (l->ack_due)
		send_control(l, SYNC_MSG_ACK, now);
}

void link_receive(struct link *l, uint64_t now)
{
	receive(l, now);
	link_flush(l, now);
}

/*
 * Send again the oldest unacknowledged messages whose timeout passed, a
 * few a tick: the peer holds what came after a gap, so filling the gap
 * moves its acknowledgement past them all.
 */
static void retransmit(struct link *l, uint64_t now)
{
	uint32_t seq, n = 0;
	struct out_msg *m;

	for (seq = l->acked + 1; seq <= l->sent_upto && n < RETRANSMIT_BURST;
	     seq++) {
		m = slot(l, seq);
		if (m->sent_ms > now || now - m->sent_ms < l->rto_ms)
			continue;	/* sent after NOW was read, or recently */
		/* The oldest timed out: back off (RFC 6298 section 5.5). */
		if (seq == l->acked + 1)
			l->rto_ms = l->rto_ms > RTO_MAX_MS / 2 ? RTO_MAX_MS :
				    2 * l->rto_ms;
		send_msg(l, m->buf, m->len);
		m->sent_ms = now;
		m->resent = true;
		l->stats.retransmitted++;
		n++;
	}
}

/* The timers' work, and what the window allows, the open message kept. */
static void tick(struct link *l, uint64_t now)
{
	if (l->peer_up && now - l->last_heard_ms > l->dead_ms) {
		l->peer_up = false;
		l->ops->peer_state(l->arg, false);
	}
	retransmit(l, now);
	send_queued(l, now);
	if (now - l->last_hello_ms >= l->keepalive_ms || l->ack_due)
		send_control(l, l->ack_due ? SYNC_MSG_ACK : SYNC_MSG_HELLO,
			     now);
}

void link_tick(struct link *l, uint64_t now)
{
	close_msg(l);
	tick(l, now);
}

void link_poll(struct link *l, uint64_t now)
{
	receive(l, now);
	tick(l, now);
}
