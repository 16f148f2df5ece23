/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt-syncd's sync link: reliable, ordered delivery of records to the
 * peer over UDP.
 *
 * Each side sends in a session (a random 32-bit id) whose DATA messages
 * are numbered from 1.  The receiver applies them strictly in order,
 * holding up to SYNC_RX_WINDOW that arrive ahead of a gap, and
 * acknowledges the highest it has applied; the sender keeps every message
 * until it is acknowledged and sends again, oldest first, what is not
 * acknowledged within the retransmission timeout.  A
 * session always starts with the sender's whole state (RESYNC_BEGIN ...
 * RESYNC_END), so a loss the link cannot repair (the queue overflowing,
 * events lost in the kernel, the peer restarting) is repaired by starting
 * a new session.  HELLO messages keep the link alive and carry the ack.
 */
#ifndef CKPT_SYNCD_LINK_H
#define CKPT_SYNCD_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "wire.h"

/* DATA messages ahead of the next expected one, kept until it comes. */
#define SYNC_RX_WINDOW	256

struct out_msg {
	uint64_t sent_ms;	/* last transmission, 0 if never */
	bool resent;		/* its round trip says nothing (Karn) */
	uint16_t len;
	uint8_t buf[SYNC_MTU];
};

struct link_stats {
	uint64_t sent;
	uint64_t retransmitted;
	uint64_t received;
	uint64_t duplicates;
	uint64_t out_of_order;	/* arrived ahead, held until their turn */
	uint64_t malformed;
	uint64_t foreign;	/* datagrams not from the peer's address */
	uint64_t sessions;	/* sessions this side started (resyncs sent) */
	uint64_t peer_sessions;	/* sessions of the peer followed */
	uint64_t overflows;
};

struct link_ops {
	void (*record)(void *arg, const struct sync_record *r);
	void (*acked)(void *arg, uint32_t upto);
	void (*resync_requested)(void *arg);
	void (*peer_state)(void *arg, bool up);
};

struct link {
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	const struct link_ops *ops;
	void *arg;

	/* sending */
	uint32_t session;
	uint32_t next_seq;	/* of the next message to queue */
	uint32_t acked;		/* the peer has every message up to this */
	uint32_t sent_upto;	/* every message up to this was sent once */
	struct out_msg **ring;	/* message seq at ring[seq & ring_mask] */
	uint32_t ring_mask;
	struct sync_writer w;	/* the message being filled, if open */
	bool open;
	bool overflowed;

	/* receiving */
	uint32_t peer_session;
	uint32_t expect;	/* next sequence number from the peer */
	bool ack_due;
	bool want_resync;	/* ask the peer for a new session */
	/* messages that arrived ahead of expect, by seq % SYNC_RX_WINDOW */
	struct out_msg *held[SYNC_RX_WINDOW];

	uint64_t last_heard_ms;
	uint64_t last_data_ms;	/* a DATA message of the peer's was applied */
	uint64_t last_hello_ms;
	bool peer_up;

	uint32_t window;
	uint32_t rto_min_ms;	/* --rto: the timeout never goes below it */
	uint32_t rto_ms;	/* the timeout now, from the round trips */
	uint32_t srtt_us, rttvar_us;	/* RFC 6298's estimates; 0: none yet */
	uint32_t keepalive_ms;
	uint32_t dead_ms;
	struct link_stats stats;
};

int link_init(struct link *l, int fd, const struct sockaddr_storage *peer,
	      socklen_t peer_len, uint32_t queue, const struct link_ops *ops,
	      void *arg);
void link_destroy(struct link *l);

/* Drop what is queued and start a session; the caller sends its state. */
void link_new_session(struct link *l);

/*
 * Queue a record: the sequence number of the message holding it, or 0 when
 * the queue is full; the record is then dropped and overflowed set, and
 * the caller must start a new session.
 */
uint32_t link_put_ct(struct link *l, uint16_t type, const struct sync_entry *e,
		     uint64_t now);
uint32_t link_put_map(struct link *l, uint16_t type,
		      const struct map_record *m, uint64_t now);
uint32_t link_put_marker(struct link *l, uint16_t type, uint64_t now);

/* Close the open message and send what the window allows. */
void link_flush(struct link *l, uint64_t now);

/* Read what the peer sent (acknowledging it), then send what the window allows. */
void link_receive(struct link *l, uint64_t now);

/*
 * link_receive() and link_tick() at once, leaving the open message open:
 * for long work (a resync's dump) to keep the link going between its
 * steps, timeouts and keepalives included.
 */
void link_poll(struct link *l, uint64_t now);
void link_tick(struct link *l, uint64_t now);

uint32_t link_queued(const struct link *l);
uint32_t link_held(const struct link *l);
uint64_t link_oldest_unacked_ms(const struct link *l, uint64_t now);

#endif /* CKPT_SYNCD_LINK_H */
