/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt-syncd's wire format: the messages two ckpt-syncd daemons exchange on
 * the sync link.  Every message is one UDP datagram of at most SYNC_MTU
 * octets, integers in network order:
 *
 *   header   version(1) type(1) flags(1) 0(1) length(2) 0(2)
 *            session(4) seq(4) ack_session(4) ack(4)
 *   records  (DATA only) type(2) length(2) attributes..., padded to 4
 *   attrs    type(2) length(2) value, padded to 4, in increasing type order
 *
 * A DATA message has a sequence number in its sender's session and is
 * acknowledged cumulatively; ACK and HELLO messages carry only the header.
 * A message that breaks any rule is refused whole, before anything in it
 * is applied.
 */
#ifndef CKPT_SYNCD_WIRE_H
#define CKPT_SYNCD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapline.h"

#define SYNC_VERSION	1
#define SYNC_MTU	1400
#define SYNC_HDR_LEN	24

enum sync_msg_type {
	SYNC_MSG_DATA = 1,	/* records, sequenced, acknowledged */
	SYNC_MSG_ACK,		/* acknowledges DATA up to ack */
	SYNC_MSG_HELLO,		/* keepalive, with the ack */
	__SYNC_MSG_MAX,
	SYNC_MSG_MAX = __SYNC_MSG_MAX - 1
};

/* HELLO flags */
#define SYNC_F_RESYNC	0x01	/* send me your whole state, in a new session */

enum sync_rec_type {
	SYNC_REC_CT_UPDATE = 1,	/* a flagged connection, as it is now */
	SYNC_REC_CT_DELETE,	/* gone, or no longer flagged */
	SYNC_REC_RESYNC_BEGIN,	/* the sender's whole state follows */
	SYNC_REC_RESYNC_END,	/* ...and is complete: drop what was not in it */
	SYNC_REC_MAP_UPDATE,	/* a check-pointed PCP mapping, as it is now */
	SYNC_REC_MAP_DELETE,	/* gone, or no longer check-pointed */
	__SYNC_REC_MAX,
	SYNC_REC_MAX = __SYNC_REC_MAX - 1
};

enum sync_ct_attr {
	SYNC_CT_ZONE = 1,	/* u16 */
	SYNC_CT_FAMILY,		/* u8, AF_INET or AF_INET6 */
	SYNC_CT_PROTO,		/* u8 */
	SYNC_CT_ORIG_SRC,	/* 4 or 16 octets */
	SYNC_CT_ORIG_DST,
	SYNC_CT_ORIG_PORTS,	/* source port, destination port */
	SYNC_CT_REPLY_SRC,
	SYNC_CT_REPLY_DST,
	SYNC_CT_REPLY_PORTS,
	SYNC_CT_STATUS,		/* u32, IPS_* */
	SYNC_CT_MARK,		/* u32 */
	SYNC_CT_TIMEOUT,	/* u32, seconds left when the sender read it */
	SYNC_CT_OWNER,		/* u32, the subscriber charged */
	SYNC_CT_TCP,		/* state, wscale orig, reply, flags orig, reply */
	__SYNC_CT_MAX,
	SYNC_CT_MAX = __SYNC_CT_MAX - 1
};

enum sync_map_attr {
	SYNC_MAP_FAMILY = 1,	/* u8 */
	SYNC_MAP_PROTO,		/* u8 */
	SYNC_MAP_INTERNAL,	/* 4 or 16 octets */
	SYNC_MAP_INTERNAL_PORT,	/* u16 */
	SYNC_MAP_EXTERNAL,	/* 4 or 16 octets */
	SYNC_MAP_EXTERNAL_PORT,	/* u16 */
	SYNC_MAP_NONCE,		/* 12 octets */
	SYNC_MAP_LIFETIME,	/* u32, seconds left when the sender read it */
	SYNC_MAP_OWNER,		/* u32, the subscriber charged */
	SYNC_MAP_FILTERS,	/* optional: 1 to 8 FILTERs, see below */
	__SYNC_MAP_MAX,
	SYNC_MAP_MAX = __SYNC_MAP_MAX - 1
};

/*
 * SYNC_MAP_FILTERS holds each FILTER as the address (4 or 16 octets), its
 * prefix length (u8), a zero octet and the port (u16, 0: every port).
 */

struct sync_tuple {
	uint8_t src[16];	/* an IPv4 address in the first 4 octets */
	uint8_t dst[16];
	uint16_t sport;		/* network order */
	uint16_t dport;
};

/* A connection as replicated; the key is zone, family, proto and orig. */
struct sync_entry {
	struct sync_tuple orig;
	struct sync_tuple reply;
	uint32_t status;
	uint32_t mark;
	uint32_t timeout;
	uint32_t owner;
	uint16_t zone;
	uint8_t family;
	uint8_t proto;
	uint8_t tcp_state;
	uint8_t tcp_wscale[2];
	uint8_t tcp_flags[2];
	bool has_tcp;
};

/* A record as parsed: a connection, a mapping, or a marker. */
struct sync_record {
	uint16_t type;
	union {
		struct sync_entry ct;
		struct map_record map;
	};
};

struct sync_hdr {
	uint8_t type;
	uint8_t flags;
	uint16_t len;
	uint32_t session;
	uint32_t seq;
	uint32_t ack_session;
	uint32_t ack;
};

struct sync_writer {
	uint8_t *buf;
	size_t len;
	unsigned int records;
};

/* Building: a header, then records while they fit, then finish. */
void sync_msg_start(struct sync_writer *w, uint8_t *buf,
		    const struct sync_hdr *h);
int sync_put_ct(struct sync_writer *w, uint16_t type,
		const struct sync_entry *e);
int sync_put_map(struct sync_writer *w, uint16_t type,
		 const struct map_record *m);
int sync_put_marker(struct sync_writer *w, uint16_t type);
size_t sync_msg_finish(struct sync_writer *w);

/* Parsing: 0, or -1 with *why saying what was wrong. */
int sync_parse_hdr(const uint8_t *buf, size_t len, struct sync_hdr *h,
		   const char **why);

typedef void (*sync_rec_fn)(void *arg, const struct sync_record *r);
int sync_parse_records(const uint8_t *buf, size_t len, sync_rec_fn fn,
		       void *arg, const char **why);

size_t sync_addr_len(uint8_t family);

#endif /* CKPT_SYNCD_WIRE_H */
