// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: building and checking sync link messages (see wire.h).
 */

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "wire.h"

#define ALIGN4(x)	(((x) + 3u) & ~(size_t)3u)
#define REC_HDR_LEN	4
#define ATTR_HDR_LEN	4

size_t sync_addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

void sync_msg_start(struct sync_writer *w, uint8_t *buf,
		    const struct sync_hdr *h)
{
	memset(buf, 0, SYNC_HDR_LEN);
	buf[0] = SYNC_VERSION;
	buf[1] = h->type;
	buf[2] = h->flags;
	put32(buf + 8, h->session);
	put32(buf + 12, h->seq);
	put32(buf + 16, h->ack_session);
	put32(buf + 20, h->ack);
	w->buf = buf;
	w->len = SYNC_HDR_LEN;
	w->records = 0;
}

size_t sync_msg_finish(struct sync_writer *w)
{
	put16(w->buf + 4, (uint16_t)w->len);
	return w->len;
}

static uint8_t *put_attr(uint8_t *p, uint16_t type, const void *val,
			 size_t len)
{
	put16(p, type);
	put16(p + 2, (uint16_t)(ATTR_HDR_LEN + len));
	memcpy(p + ATTR_HDR_LEN, val, len);
	memset(p + ATTR_HDR_LEN + len, 0, ALIGN4(len) - len);
	return p + ATTR_HDR_LEN + ALIGN4(len);
}

static uint8_t *put_attr_u32(uint8_t *p, uint16_t type, uint32_t v)
{
	v = htonl(v);
	return put_attr(p, type, &v, 4);
}

static uint8_t *put_tuple(uint8_t *p, uint16_t first, size_t alen,
			  const struct sync_tuple *t)
{
	uint8_t ports[4];

	memcpy(ports, &t->sport, 2);
	memcpy(ports + 2, &t->dport, 2);
	p = put_attr(p, first, t->src, alen);
	p = put_attr(p, first + 1, t->dst, alen);
	return put_attr(p, first + 2, ports, sizeof(ports));
}

/* The most one connection record can take: IPv6, every attribute. */
#define CT_REC_MAX	(REC_HDR_LEN + 13 * ATTR_HDR_LEN + 4 * 16 + 2 * 4 + \
			 3 * 4 + 4 * 4 + 8)

int sync_put_ct(struct sync_writer *w, uint16_t type,
		const struct sync_entry *e)
{
	size_t alen = sync_addr_len(e->family);
	uint8_t *start = w->buf + w->len;
	uint16_t zone = htons(e->zone);
	uint8_t *p = start + REC_HDR_LEN;

	if (w->len + CT_REC_MAX > SYNC_MTU)
		return -1;

	p = put_attr(p, SYNC_CT_ZONE, &zone, 2);
	p = put_attr(p, SYNC_CT_FAMILY, &e->family, 1);
	p = put_attr(p, SYNC_CT_PROTO, &e->proto, 1);
	p = put_tuple(p, SYNC_CT_ORIG_SRC, alen, &e->orig);
	if (type == SYNC_REC_CT_UPDATE) {
		uint8_t tcp[5] = { e->tcp_state, e->tcp_wscale[0],
				   e->tcp_wscale[1], e->tcp_flags[0],
				   e->tcp_flags[1] };

		p = put_tuple(p, SYNC_CT_REPLY_SRC, alen, &e->reply);
		p = put_attr_u32(p, SYNC_CT_STATUS, e->status);
		p = put_attr_u32(p, SYNC_CT_MARK, e->mark);
		p = put_attr_u32(p, SYNC_CT_TIMEOUT, e->timeout);
		p = put_attr_u32(p, SYNC_CT_OWNER, e->owner);
		if (e->has_tcp)
			p = put_attr(p, SYNC_CT_TCP, tcp, sizeof(tcp));
	}

	put16(start, type);
	put16(start + 2, (uint16_t)(p - start));
	w->len += (size_t)(p - start);
	w->records++;
	return 0;
}

/* The most one mapping record can take: IPv6, every attribute. */
#define MAP_REC_MAX	(REC_HDR_LEN + SYNC_MAP_MAX * ATTR_HDR_LEN + 4 * 4 + \
			 2 * 16 + MAP_NONCE_LEN + 2 * 4 + \
			 MAP_FILTERS_MAX * (16 + 4))

/* The FILTERs of M: address, prefix length, a zero octet, port. */
static uint8_t *put_filters(uint8_t *p, const struct map_record *m,
			    size_t alen)
{
	uint8_t v[MAP_FILTERS_MAX * (16 + 4)], *q = v;
	unsigned int i;

	for (i = 0; i < m->n_filters; i++) {
		memcpy(q, m->filters[i].addr, alen);
		q[alen] = m->filters[i].prefix_len;
		q[alen + 1] = 0;
		put16(q + alen + 2, m->filters[i].port);
		q += alen + 4;
	}
	return put_attr(p, SYNC_MAP_FILTERS, v, (size_t)(q - v));
}

int sync_put_map(struct sync_writer *w, uint16_t type,
		 const struct map_record *m)
{
	size_t alen = sync_addr_len(m->family);
	uint8_t *start = w->buf + w->len;
	uint8_t *p = start + REC_HDR_LEN;
	uint16_t port;

	if (w->len + MAP_REC_MAX > SYNC_MTU)
		return -1;

	p = put_attr(p, SYNC_MAP_FAMILY, &m->family, 1);
	p = put_attr(p, SYNC_MAP_PROTO, &m->proto, 1);
	p = put_attr(p, SYNC_MAP_INTERNAL, m->internal, alen);
	port = htons(m->internal_port);
	p = put_attr(p, SYNC_MAP_INTERNAL_PORT, &port, 2);
	if (type == SYNC_REC_MAP_UPDATE) {
		p = put_attr(p, SYNC_MAP_EXTERNAL, m->external, alen);
		port = htons(m->external_port);
		p = put_attr(p, SYNC_MAP_EXTERNAL_PORT, &port, 2);
		p = put_attr(p, SYNC_MAP_NONCE, m->nonce, MAP_NONCE_LEN);
		p = put_attr_u32(p, SYNC_MAP_LIFETIME, m->lifetime);
		p = put_attr_u32(p, SYNC_MAP_OWNER, m->owner);
		if (m->n_filters)
			p = put_filters(p, m, alen);
	}

	put16(start, type);
	put16(start + 2, (uint16_t)(p - start));
	w->len += (size_t)(p - start);
	w->records++;
	return 0;
}

int sync_put_marker(struct sync_writer *w, uint16_t type)
{
	uint8_t *p = w->buf + w->len;

	if (w->len + REC_HDR_LEN > SYNC_MTU)
		return -1;
	put16(p, type);
	put16(p + 2, REC_HDR_LEN);
	w->len += REC_HDR_LEN;
	w->records++;
	return 0;
}

int sync_parse_hdr(const uint8_t *buf, size_t len, struct sync_hdr *h,
		   const char **why)
{
	if (len < SYNC_HDR_LEN) {
		*why = "shorter than the header";
		return -1;
	}
	if (buf[0] != SYNC_VERSION) {
		*why = "unknown version";
		return -1;
	}
	h->type = buf[1];
	h->flags = buf[2];
	h->len = get16(buf + 4);
	h->session = get32(buf + 8);
	h->seq = get32(buf + 12);
	h->ack_session = get32(buf + 16);
	h->ack = get32(buf + 20);

	if (h->type == 0 || h->type > SYNC_MSG_MAX) {
		*why = "unknown message type";
		return -1;
	}
	if (len > SYNC_MTU) {
		*why = "longer than the sync MTU";
		return -1;
	}
	if (h->len != len) {
		*why = "length field differs from the datagram's";
		return -1;
	}
	if (buf[3] || get16(buf + 6)) {
		*why = "reserved field not zero";
		return -1;
	}
	if (h->type != SYNC_MSG_DATA && len != SYNC_HDR_LEN) {
		*why = "records in a message that carries none";
		return -1;
	}
	if (h->type == SYNC_MSG_DATA && h->seq == 0) {
		*why = "data with sequence number 0";
		return -1;
	}
	return 0;
}

/* Which attributes a record of TYPE must have, as a bit mask. */
static uint32_t required_attrs(uint16_t type)
{
	uint32_t key = 1u << SYNC_CT_FAMILY | 1u << SYNC_CT_PROTO |
		       1u << SYNC_CT_ORIG_SRC | 1u << SYNC_CT_ORIG_DST |
		       1u << SYNC_CT_ORIG_PORTS;
	uint32_t map_key = 1u << SYNC_MAP_FAMILY | 1u << SYNC_MAP_PROTO |
			   1u << SYNC_MAP_INTERNAL | 1u << SYNC_MAP_INTERNAL_PORT;

	switch (type) {
	case SYNC_REC_CT_DELETE:
		return key;
	case SYNC_REC_MAP_DELETE:
		return map_key;
	case SYNC_REC_MAP_UPDATE:	/* every one but the filters */
		return (1u << SYNC_MAP_FILTERS) - 2;
	}
	return key | 1u << SYNC_CT_REPLY_SRC | 1u << SYNC_CT_REPLY_DST |
	       1u << SYNC_CT_REPLY_PORTS | 1u << SYNC_CT_STATUS |
	       1u << SYNC_CT_TIMEOUT;
}

static int parse_family(uint8_t *family, const uint8_t *v, const char **why)
{
	*family = v[0];
	if (*family != AF_INET && *family != AF_INET6) {
		*why = "unknown address family";
		return -1;
	}
	return 0;
}

static int parse_ct_attr(void *obj, uint16_t type, const uint8_t *v,
			 size_t len, const char **why)
{
	struct sync_entry *e = obj;
	size_t alen = sync_addr_len(e->family);
	struct sync_tuple *t = type >= SYNC_CT_REPLY_SRC ? &e->reply : &e->orig;
	static const uint8_t fixed[SYNC_CT_MAX + 1] = {
		[SYNC_CT_ZONE] = 2, [SYNC_CT_FAMILY] = 1, [SYNC_CT_PROTO] = 1,
		[SYNC_CT_ORIG_PORTS] = 4, [SYNC_CT_REPLY_PORTS] = 4,
		[SYNC_CT_STATUS] = 4, [SYNC_CT_MARK] = 4,
		[SYNC_CT_TIMEOUT] = 4, [SYNC_CT_OWNER] = 4, [SYNC_CT_TCP] = 5,
	};
	size_t want = fixed[type] ? fixed[type] : alen;

	if (len != want) {
		*why = "attribute of the wrong length";
		return -1;
	}
	switch (type) {
	case SYNC_CT_ZONE:
		e->zone = get16(v);
		break;
	case SYNC_CT_FAMILY:
		return parse_family(&e->family, v, why);
	case SYNC_CT_PROTO:
		e->proto = v[0];
		break;
	case SYNC_CT_ORIG_SRC:
	case SYNC_CT_REPLY_SRC:
		memcpy(t->src, v, len);
		break;
	case SYNC_CT_ORIG_DST:
	case SYNC_CT_REPLY_DST:
		memcpy(t->dst, v, len);
		break;
	case SYNC_CT_ORIG_PORTS:
	case SYNC_CT_REPLY_PORTS:
		memcpy(&t->sport, v, 2);
		memcpy(&t->dport, v + 2, 2);
		break;
	case SYNC_CT_STATUS:
		e->status = get32(v);
		break;
	case SYNC_CT_MARK:
		e->mark = get32(v);
		break;
	case SYNC_CT_TIMEOUT:
		e->timeout = get32(v);
		break;
	case SYNC_CT_OWNER:
		e->owner = get32(v);
		break;
	case SYNC_CT_TCP:
		e->has_tcp = true;
		e->tcp_state = v[0];
		memcpy(e->tcp_wscale, v + 1, 2);
		memcpy(e->tcp_flags, v + 3, 2);
		break;
	}
	return 0;
}

/* 1 to MAP_FILTERS_MAX filters, each a prefix with no host bits. */
static int parse_filters(struct map_record *m, const uint8_t *v, size_t len,
			 size_t alen, const char **why)
{
	size_t each = alen + 4, bits = alen * 8, b;
	struct map_filter *f;

	if (!len || len % each || len / each > MAP_FILTERS_MAX) {
		*why = "attribute of the wrong length";
		return -1;
	}
	for (; len; v += each, len -= each) {
		f = &m->filters[m->n_filters++];
		memcpy(f->addr, v, alen);
		f->prefix_len = v[alen];
		f->port = get16(v + alen + 2);
		if (f->prefix_len > bits || v[alen + 1]) {
			*why = "a filter's prefix length is out of range";
			return -1;
		}
		for (b = f->prefix_len; b < bits; b++) {
			if (f->addr[b / 8] & (0x80 >> (b % 8))) {
				*why = "a filter's address has host bits";
				return -1;
			}
		}
	}
	return 0;
}

static int parse_map_attr(void *obj, uint16_t type, const uint8_t *v,
			  size_t len, const char **why)
{
	struct map_record *m = obj;
	size_t alen = sync_addr_len(m->family);
	static const uint8_t fixed[SYNC_MAP_MAX + 1] = {
		[SYNC_MAP_FAMILY] = 1, [SYNC_MAP_PROTO] = 1,
		[SYNC_MAP_INTERNAL_PORT] = 2, [SYNC_MAP_EXTERNAL_PORT] = 2,
		[SYNC_MAP_NONCE] = MAP_NONCE_LEN, [SYNC_MAP_LIFETIME] = 4,
		[SYNC_MAP_OWNER] = 4,
	};
	size_t want = fixed[type] ? fixed[type] : alen;

	if (type == SYNC_MAP_FILTERS)
		return parse_filters(m, v, len, alen, why);
	if (len != want) {
		*why = "attribute of the wrong length";
		return -1;
	}
	switch (type) {
	case SYNC_MAP_FAMILY:
		return parse_family(&m->family, v, why);
	case SYNC_MAP_PROTO:
		m->proto = v[0];
		break;
	case SYNC_MAP_INTERNAL:
		memcpy(m->internal, v, len);
		break;
	case SYNC_MAP_INTERNAL_PORT:
		m->internal_port = get16(v);
		break;
	case SYNC_MAP_EXTERNAL:
		memcpy(m->external, v, len);
		break;
	case SYNC_MAP_EXTERNAL_PORT:
		m->external_port = get16(v);
		break;
	case SYNC_MAP_NONCE:
		memcpy(m->nonce, v, len);
		break;
	case SYNC_MAP_LIFETIME:
		m->lifetime = get32(v);
		break;
	case SYNC_MAP_OWNER:
		m->owner = get32(v);
		break;
	}
	return 0;
}

typedef int (*attr_fn)(void *obj, uint16_t type, const uint8_t *v,
		       size_t len, const char **why);

/* The attributes of a record body P, each in turn to FN. */
static int parse_attrs(const uint8_t *p, size_t len, uint16_t rtype,
		       uint16_t max, attr_fn fn, void *obj, const char **why)
{
	uint32_t seen = 0;
	uint16_t last = 0;
	size_t off = 0;

	while (off < len) {
		uint16_t atype, alen;

		if (len - off < ATTR_HDR_LEN) {
			*why = "attribute header past the record's end";
			return -1;
		}
		atype = get16(p + off);
		alen = get16(p + off + 2);
		if (alen < ATTR_HDR_LEN || ALIGN4(alen) > len - off) {
			*why = "attribute length past the record's end";
			return -1;
		}
		if (atype == 0 || atype > max) {
			*why = "unknown attribute type";
			return -1;
		}
		if (atype <= last) {
			*why = "attributes out of order or repeated";
			return -1;
		}
		if (fn(obj, atype, p + off + ATTR_HDR_LEN, alen - ATTR_HDR_LEN,
		       why))
			return -1;
		seen |= 1u << atype;
		last = atype;
		off += ALIGN4(alen);
	}
	if ((seen & required_attrs(rtype)) != required_attrs(rtype)) {
		*why = "record lacks a required attribute";
		return -1;
	}
	return 0;
}

static int parse_record(const uint8_t *p, uint16_t len, struct sync_record *r,
			const char **why)
{
	const uint8_t *body = p + REC_HDR_LEN;
	size_t blen = len - REC_HDR_LEN;

	memset(r, 0, sizeof(*r));
	r->type = get16(p);
	switch (r->type) {
	case SYNC_REC_CT_UPDATE:
	case SYNC_REC_CT_DELETE:
		r->ct.family = AF_INET;
		return parse_attrs(body, blen, r->type, SYNC_CT_MAX,
				   parse_ct_attr, &r->ct, why);
	case SYNC_REC_MAP_UPDATE:
	case SYNC_REC_MAP_DELETE:
		r->map.family = AF_INET;
		return parse_attrs(body, blen, r->type, SYNC_MAP_MAX,
				   parse_map_attr, &r->map, why);
	}
	if (blen) {
		*why = "marker record with a body";
		return -1;
	}
	return 0;
}

/* Check every record (FN NULL), or hand each to FN. */
static int walk_records(const uint8_t *buf, size_t len, sync_rec_fn fn,
			void *arg, const char **why)
{
	size_t off = SYNC_HDR_LEN;
	struct sync_record r;

	while (off < len) {
		uint16_t type, rlen;

		if (len - off < REC_HDR_LEN) {
			*why = "record header past the message's end";
			return -1;
		}
		type = get16(buf + off);
		rlen = get16(buf + off + 2);
		if (rlen < REC_HDR_LEN || rlen % 4 || rlen > len - off) {
			*why = "record length past the message's end";
			return -1;
		}
		if (type == 0 || type > SYNC_REC_MAX) {
			*why = "unknown record type";
			return -1;
		}
		if (parse_record(buf + off, rlen, &r, why))
			return -1;
		if (fn)
			fn(arg, &r);
		off += rlen;
	}
	return 0;
}

/* FN NULL only checks; otherwise the message is checked, then applied. */
int sync_parse_records(const uint8_t *buf, size_t len, sync_rec_fn fn,
		       void *arg, const char **why)
{
	if (walk_records(buf, len, NULL, NULL, why))
		return -1;
	return fn ? walk_records(buf, len, fn, arg, why) : 0;
}
