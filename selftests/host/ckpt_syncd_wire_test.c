// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ckpt-syncd's wire format and caches: records survive the
 * trip byte for byte; every malformed message is refused whole, with its
 * reason; the cache finds every entry across its growth, deletes, purges
 * by resync generation, and counts remaining lifetimes on the receiver's
 * clock.  The same for replicated PCP mappings: their records, their text
 * lines on the pcpd feed, and their store.
 */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cache.h"
#include "ktap.h"
#include "mapline.h"
#include "maps.h"
#include "util.h"
#include "wire.h"

#define PLAN 59

static struct sync_entry tcp_entry(uint16_t sport)
{
	struct sync_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.proto = 6;
	e.zone = 3;
	inet_pton(AF_INET, "192.0.2.2", e.orig.src);
	inet_pton(AF_INET, "198.51.100.2", e.orig.dst);
	e.orig.sport = htons(sport);
	e.orig.dport = htons(8080);
	inet_pton(AF_INET, "198.51.100.2", e.reply.src);
	inet_pton(AF_INET, "198.51.100.1", e.reply.dst);
	e.reply.sport = htons(8080);
	e.reply.dport = htons(61000);
	e.status = 0x1be;
	e.mark = 0x80000001;
	e.timeout = 431999;
	e.owner = 7;
	e.has_tcp = true;
	e.tcp_state = 3;
	e.tcp_wscale[0] = 7;
	e.tcp_wscale[1] = 9;
	e.tcp_flags[0] = 0x23;
	e.tcp_flags[1] = 0x03;
	return e;
}

static struct map_record map_entry(uint16_t port)
{
	struct map_record m;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.family = AF_INET;
	m.proto = 6;
	inet_pton(AF_INET, "10.0.0.2", m.internal);
	m.internal_port = port;
	inet_pton(AF_INET, "198.51.100.1", m.external);
	m.external_port = (uint16_t)(port + 1000);
	for (i = 0; i < MAP_NONCE_LEN; i++)
		m.nonce[i] = (uint8_t)(0xa0 + i);
	m.lifetime = 593;
	m.owner = 167772162;
	return m;
}

struct got {
	unsigned int n;
	uint16_t type[8];
	struct sync_entry e[8];
	struct map_record m[8];
};

static void collect(void *arg, const struct sync_record *r)
{
	struct got *g = arg;

	if (g->n < 8) {
		g->type[g->n] = r->type;
		g->e[g->n] = r->ct;
		g->m[g->n] = r->map;
	}
	g->n++;
}

static size_t build_data(uint8_t *buf, uint32_t seq)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .session = 0xabcdef01,
			      .seq = seq, .ack_session = 0x11, .ack = 5 };
	struct sync_entry e = tcp_entry(40000), v6 = tcp_entry(40001);
	struct sync_writer w;

	v6.family = AF_INET6;
	v6.has_tcp = false;
	inet_pton(AF_INET6, "2001:db8::2", v6.orig.src);
	inet_pton(AF_INET6, "2001:db8:1::2", v6.orig.dst);
	inet_pton(AF_INET6, "2001:db8:1::2", v6.reply.src);
	inet_pton(AF_INET6, "2001:db8::2", v6.reply.dst);
	sync_msg_start(&w, buf, &h);
	sync_put_marker(&w, SYNC_REC_RESYNC_BEGIN);
	sync_put_ct(&w, SYNC_REC_CT_UPDATE, &e);
	sync_put_ct(&w, SYNC_REC_CT_UPDATE, &v6);
	sync_put_ct(&w, SYNC_REC_CT_DELETE, &e);
	sync_put_marker(&w, SYNC_REC_RESYNC_END);
	return sync_msg_finish(&w);
}

static void test_round_trip(void)
{
	static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct sync_entry e = tcp_entry(40000), del;
	uint8_t buf[SYNC_MTU];
	struct got g = { 0 };
	struct sync_hdr h;
	const char *why = "";
	size_t len = build_data(buf, 9);

	ktap_check(!sync_parse_hdr(buf, len, &h, &why) && h.type == SYNC_MSG_DATA &&
		   h.session == 0xabcdef01 && h.seq == 9 && h.ack_session == 0x11 &&
		   h.ack == 5 && h.len == len,
		   "header fields survive the trip");
	ktap_check(!sync_parse_records(buf, len, collect, &g, &why) && g.n == 5,
		   "five records parsed");
	ktap_check(g.type[0] == SYNC_REC_RESYNC_BEGIN && g.type[4] == SYNC_REC_RESYNC_END,
		   "markers in order");
	ktap_check(g.type[1] == SYNC_REC_CT_UPDATE &&
		   !memcmp(&g.e[1], &e, sizeof(e)),
		   "an IPv4 TCP update is equal field for field");
	ktap_check(g.e[2].family == AF_INET6 && !g.e[2].has_tcp &&
		   !memcmp(g.e[2].orig.src, v6_src, 16),
		   "an IPv6 update keeps its 16-octet addresses");
	memset(&del, 0, sizeof(del));
	del.family = e.family;
	del.proto = e.proto;
	del.zone = e.zone;
	del.orig = e.orig;
	ktap_check(g.type[3] == SYNC_REC_CT_DELETE &&
		   !memcmp(&g.e[3], &del, sizeof(del)),
		   "a delete carries the key only");
}

static void test_full_message(void)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	struct sync_entry e = tcp_entry(1);
	uint8_t buf[SYNC_MTU];
	struct sync_writer w;
	unsigned int n = 0;

	e.family = AF_INET6;
	sync_msg_start(&w, buf, &h);
	while (!sync_put_ct(&w, SYNC_REC_CT_UPDATE, &e))
		n++;
	ktap_check(n > 5 && sync_msg_finish(&w) <= SYNC_MTU,
		   "records stop when the message is full, within the MTU");
}

/* Parse BUF; refused with a reason containing WANT? */
static int refused(const uint8_t *buf, size_t len, const char *want)
{
	struct got g = { 0 };
	const char *why = "";
	struct sync_hdr h;

	if (!sync_parse_hdr(buf, len, &h, &why) &&
	    !sync_parse_records(buf, len, collect, &g, &why))
		return 0;
	if (g.n)
		return 0;	/* something was applied */
	if (!strstr(why, want))
		printf("# reason \"%s\", wanted \"%s\"\n", why, want);
	return strstr(why, want) != NULL;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void test_bad_headers(void)
{
	uint8_t buf[SYNC_MTU];
	size_t len = build_data(buf, 1);
	uint8_t bad[SYNC_MTU];

	ktap_check(refused(buf, SYNC_HDR_LEN - 1, "shorter than the header"),
		   "a message shorter than the header");
	memcpy(bad, buf, len);
	bad[0] = 2;
	ktap_check(refused(bad, len, "unknown version"), "version 2");
	memcpy(bad, buf, len);
	bad[1] = SYNC_MSG_MAX + 1;
	ktap_check(refused(bad, len, "unknown message type"),
		   "message type one past the maximum");
	bad[1] = 0;
	ktap_check(refused(bad, len, "unknown message type"), "message type 0");
	memcpy(bad, buf, len);
	ktap_check(refused(bad, len - 4, "length field differs"),
		   "a datagram shorter than its length field");
	bad[3] = 1;
	ktap_check(refused(bad, len, "reserved"), "a reserved octet set");
	memcpy(bad, buf, len);
	bad[1] = SYNC_MSG_ACK;
	ktap_check(refused(bad, len, "records in a message"),
		   "an ACK with records");
	memcpy(bad, buf, len);
	memset(bad + 12, 0, 4);
	ktap_check(refused(bad, len, "sequence number 0"), "DATA with seq 0");
}

static void test_bad_records(void)
{
	uint8_t buf[SYNC_MTU], bad[SYNC_MTU];
	size_t len = build_data(buf, 1);
	size_t rec = SYNC_HDR_LEN + 4;	/* the first CT record */
	size_t attr = rec + 4;		/* its first attribute (zone) */

	memcpy(bad, buf, len);
	put16(bad + rec, SYNC_REC_MAX + 1);
	ktap_check(refused(bad, len, "unknown record type"),
		   "record type one past the maximum, after a good record");
	memcpy(bad, buf, len);
	put16(bad + rec + 2, (uint16_t)(len - rec + 4));
	ktap_check(refused(bad, len, "record length past"),
		   "a record length past the message's end");
	memcpy(bad, buf, len);
	put16(bad + rec + 2, 6);
	ktap_check(refused(bad, len, "record length"),
		   "a record length not a multiple of 4");
	memcpy(bad, buf, len);
	put16(bad + attr, SYNC_CT_MAX + 1);
	ktap_check(refused(bad, len, "unknown attribute"),
		   "attribute type one past the maximum");
	memcpy(bad, buf, len);
	put16(bad + attr + 8, SYNC_CT_ZONE);	/* family's type: zone again */
	ktap_check(refused(bad, len, "out of order or repeated"),
		   "an attribute repeated, out of order");
	memcpy(bad, buf, len);
	put16(bad + attr + 2, 200);
	ktap_check(refused(bad, len, "attribute length past"),
		   "an attribute length past the record's end");
	memcpy(bad, buf, len);
	put16(bad + attr + 8 + 4, 7);	/* family attribute's value: 7 */
	bad[attr + 8 + 4] = 7;
	ktap_check(refused(bad, len, "family"), "an unknown address family");
}

static size_t build_maps(uint8_t *buf)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	struct map_record m = map_entry(40000), v6 = map_entry(40001);
	struct sync_writer w;

	v6.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", v6.internal);
	inet_pton(AF_INET6, "2001:db8:1::1", v6.external);
	sync_msg_start(&w, buf, &h);
	sync_put_map(&w, SYNC_REC_MAP_UPDATE, &m);
	sync_put_map(&w, SYNC_REC_MAP_UPDATE, &v6);
	sync_put_map(&w, SYNC_REC_MAP_DELETE, &m);
	return sync_msg_finish(&w);
}

static void test_map_records(void)
{
	struct map_record m = map_entry(40000), key, v6;
	uint8_t buf[SYNC_MTU], bad[SYNC_MTU];
	size_t len = build_maps(buf), rec = SYNC_HDR_LEN;
	struct got g = { 0 };
	const char *why = "";

	ktap_check(!sync_parse_records(buf, len, collect, &g, &why) && g.n == 3 &&
		   g.type[0] == SYNC_REC_MAP_UPDATE && !memcmp(&g.m[0], &m, sizeof(m)),
		   "a mapping update is equal field for field");
	v6 = g.m[1];
	ktap_check(v6.family == AF_INET6 && v6.internal[0] == 0x20 &&
		   v6.external[15] == 1 && v6.external_port == 41001,
		   "an IPv6 mapping keeps its 16-octet addresses");
	memset(&key, 0, sizeof(key));
	key.family = m.family;
	key.proto = m.proto;
	key.internal_port = m.internal_port;
	memcpy(key.internal, m.internal, sizeof(key.internal));
	ktap_check(g.type[2] == SYNC_REC_MAP_DELETE && !memcmp(&g.m[2], &key, sizeof(key)),
		   "a mapping delete carries the key only");

	/*
	 * The update's attributes from rec + 4: family 8 octets, proto 8,
	 * internal 8, internal port 8, external 8, external port 8, nonce 16,
	 * lifetime 8, owner 8.
	 */
	memcpy(bad, buf, len);
	put16(bad + rec + 68, SYNC_MAP_NONCE);	/* lifetime's type */
	ktap_check(refused(bad, len, "out of order or repeated"),
		   "a mapping record with two nonces");
	memcpy(bad, buf, len);
	put16(bad + rec + 12, SYNC_MAP_INTERNAL);	/* proto's type */
	ktap_check(refused(bad, len, "wrong length"),
		   "a mapping record whose internal address is one octet");
	memcpy(bad, buf, len);
	put16(bad + rec + 38, 9);	/* external: 5 octets */
	ktap_check(refused(bad, len, "wrong length") ||
		   refused(bad, len, "length past"),
		   "a mapping address of the wrong length");
}

/* A key-only record: delete's attributes end before the external address. */
static void test_map_missing(void)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	struct map_record m = map_entry(1);
	uint8_t buf[SYNC_MTU];
	struct sync_writer w;
	size_t len;

	sync_msg_start(&w, buf, &h);
	sync_put_map(&w, SYNC_REC_MAP_DELETE, &m);
	len = sync_msg_finish(&w);
	put16(buf + SYNC_HDR_LEN, SYNC_REC_MAP_UPDATE);
	ktap_check(refused(buf, len, "lacks a required attribute"),
		   "a mapping update with only its key");
}

/* A mapping with FILTERs: the remote peers allowed to reach it. */
static struct map_record filtered(void)
{
	struct map_record m = map_entry(40010);

	m.n_filters = 2;
	inet_pton(AF_INET, "198.51.100.0", m.filters[0].addr);
	m.filters[0].prefix_len = 24;
	inet_pton(AF_INET, "203.0.113.7", m.filters[1].addr);
	m.filters[1].prefix_len = 32;
	m.filters[1].port = 5060;
	return m;
}

static void test_map_filters(void)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	struct map_record m = filtered(), back;
	char line[MAP_LINE_MAX];
	uint8_t buf[SYNC_MTU];
	struct sync_writer w;
	struct got g = { 0 };
	const char *why = "";
	size_t len, n;

	sync_msg_start(&w, buf, &h);
	sync_put_map(&w, SYNC_REC_MAP_UPDATE, &m);
	len = sync_msg_finish(&w);
	ktap_check(!sync_parse_records(buf, len, collect, &g, &why) && g.n == 1 &&
		   !memcmp(&g.m[0], &m, sizeof(m)),
		   "a mapping's two FILTERs cross the wire, field for field");
	/* The filters attribute ends the record: its first prefix length. */
	buf[len - 2 * 8 + 4] = 21;	/* 198.51.100.0/21 has host bits */
	ktap_check(refused(buf, len, "host bits"),
		   "a FILTER prefix with host bits is refused");
	buf[len - 2 * 8 + 4] = 33;	/* past IPv4's 32 */
	ktap_check(refused(buf, len, "prefix length is out of range"),
		   "a FILTER prefix length of 33 is refused");

	n = map_line_format(line, "map", &m, false);
	line[n - 1] = '\0';
	printf("# %s\n", line);
	ktap_check(strstr(line, " filters=198.51.100.0/24:0,203.0.113.7/32:5060") &&
		   !map_line_parse(line + 4, false, &back, &why) &&
		   !memcmp(&back, &m, sizeof(m)),
		   "a mapping's line carries its FILTERs and reads back the same");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.2 internal_port=1 external=198.51.100.1 external_port=1 lifetime=1 nonce=a0a1a2a3a4a5a6a7a8a9aaab owner=1 filters=198.51.100.1/24:0",
				  false, &back, &why) && strstr(why, "invalid"),
		   "a line's FILTER with host bits is refused");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.2 internal_port=1 external=198.51.100.1 external_port=1 lifetime=1 nonce=a0a1a2a3a4a5a6a7a8a9aaab owner=1 filters=,,198.51.100.2/32:0,",
				  false, &back, &why) && strstr(why, "invalid"),
		   "a filters list with empty items is refused");
}

/* The longest mapping there is: IPv6, 8 FILTERs of whole addresses. */
static void test_map_longest(void)
{
	struct map_record m = { .family = AF_INET6, .proto = 17,
				.internal_port = 65535, .external_port = 65535,
				.lifetime = UINT32_MAX, .owner = UINT32_MAX,
				.n_filters = MAP_FILTERS_MAX };
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	char line[MAP_LINE_MAX];
	struct map_record back;
	uint8_t buf[SYNC_MTU];
	struct sync_writer w;
	struct got g = { 0 };
	const char *why = "";
	size_t n, len;
	int i;

	memset(m.internal, 0xfe, 16);
	memcpy(m.external, m.internal, 16);
	memset(m.nonce, 0xab, sizeof(m.nonce));
	for (i = 0; i < MAP_FILTERS_MAX; i++) {
		memset(m.filters[i].addr, 0xfd, 16);
		m.filters[i].addr[15] = (uint8_t)i;
		m.filters[i].prefix_len = 128;
		m.filters[i].port = 65535;
	}
	n = map_line_format(line, "peer-map", &m, false);
	printf("# %zu octets: %.80s...\n", n, line);
	ktap_check(n < MAP_LINE_MAX && line[n - 1] == '\n' && (line[n - 1] = '\0', 1) &&
		   !map_line_parse(line + 9, false, &back, &why) &&
		   !memcmp(&back, &m, sizeof(m)),
		   "the longest mapping line (IPv6, 8 FILTERs) fits and reads back the same");
	sync_msg_start(&w, buf, &h);
	ktap_check(!sync_put_map(&w, SYNC_REC_MAP_UPDATE, &m) &&
		   (len = sync_msg_finish(&w)) &&
		   !sync_parse_records(buf, len, collect, &g, &why) && g.n == 1 &&
		   !memcmp(&g.m[0], &m, sizeof(m)),
		   "...and crosses the wire in one message");
}

static bool keep_line(void *arg, char *line)
{
	snprintf(arg, 64, "%s", line);
	return true;
}

/* A NUL inside a feed line must not hide the rest of it from the parser. */
static void test_split_nul(void)
{
	char buf[] = "map a=1\0 filters=x\nrest", got[64] = "";
	size_t left = split_lines(buf, sizeof(buf) - 1, keep_line, got);

	ktap_check(!strcmp(got, "map a=1\x7f filters=x") && left == 4 &&
		   !memcmp(buf, "rest", 4),
		   "split_lines: a NUL inside a line becomes DEL, the rest is kept");
}

static void test_map_lines(void)
{
	struct map_record m = map_entry(40000), back;
	char line[MAP_LINE_MAX], bad[MAP_LINE_MAX];
	const char *why = "";
	size_t n;

	n = map_line_format(line, "map", &m, false);
	ktap_check(n && line[n - 1] == '\n' &&
		   strstr(line, "map proto=6 internal=10.0.0.2 internal_port=40000 ") == line &&
		   strstr(line, " external=198.51.100.1 external_port=41000 lifetime=593 ") &&
		   strstr(line, " nonce=a0a1a2a3a4a5a6a7a8a9aaab owner=167772162\n"),
		   "a mapping's line, field for field");
	printf("# %s", line);
	line[n - 1] = '\0';
	ktap_check(!map_line_parse(line + 4, false, &back, &why) &&
		   !memcmp(&back, &m, sizeof(m)),
		   "the line parses back to the same mapping");
	ktap_check(!map_line_parse("proto=17 internal=10.0.0.3 internal_port=5060",
				   true, &back, &why) && back.proto == 17 &&
		   back.internal_port == 5060 && back.family == AF_INET,
		   "a key-only line");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.3 internal_port=1 colour=red",
				  true, &back, &why) && strstr(why, "unknown field"),
		   "an unknown field is refused");
	ktap_check(map_line_parse("proto=6 proto=6 internal=10.0.0.3 internal_port=1",
				  true, &back, &why) && strstr(why, "twice"),
		   "a field given twice is refused");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.3", true, &back, &why) &&
		   strstr(why, "missing"),
		   "a missing field is refused");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.300 internal_port=1",
				  true, &back, &why) && strstr(why, "invalid"),
		   "a bad address is refused");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.3 internal_port=017", true,
				  &back, &why) && strstr(why, "invalid") &&
		   map_line_parse("proto=6 internal=10.0.0.3 internal_port=0x10", true,
				  &back, &why),
		   "numbers are decimal: 017 and 0x10 are refused");
	ktap_check(map_line_parse("proto=6 internal=10.0.0.3 internal_port=65536",
				  true, &back, &why) && strstr(why, "invalid"),
		   "a port past 65535 is refused");
	/* The good line again, its nonce's last two digits made "xy". */
	strcpy(bad, line + 4);
	memcpy(strstr(bad, " owner=") - 2, "xy", 2);
	ktap_check(map_line_parse(bad, false, &back, &why) && strstr(why, "invalid"),
		   "a nonce that is not hex is refused");
	ktap_check(map_line_parse(line + 4, true, &back, &why) &&
		   strstr(why, "unknown field"),
		   "a full line where a key is wanted is refused");
}

static bool odd_port(void *arg, struct map_entry *e)
{
	(void)arg;
	return e->r.internal_port % 2;
}

static void test_map_store(void)
{
	static struct map_store s;
	struct map_record m;
	struct map_entry *e;
	unsigned int i, found = 0;

	for (i = 0; i < 10000; i++) {
		m = map_entry((uint16_t)(i + 1));
		maps_update(&s, &m, 1000);
	}
	for (i = 0; i < 10000; i++) {
		m = map_entry((uint16_t)(i + 1));
		found += maps_find(&s, &m) != NULL;
	}
	ktap_check(s.count == 10000 && found == 10000, "10 000 mappings all found");
	m = map_entry(2);
	m.lifetime = 10;
	e = maps_update(&s, &m, 2000);
	ktap_check(s.count == 10000 && e && maps_now(e, 5500).lifetime == 7 &&
		   maps_now(e, 12000).lifetime == 0,
		   "an update replaces; lifetime counts down on this clock");
	ktap_check(maps_walk(&s, odd_port, NULL) == 5000 && s.count == 5000,
		   "a walk drops what its function says");
	ktap_check(maps_delete(&s, &m) && !maps_find(&s, &m) && !maps_delete(&s, &m),
		   "delete removes once");
	maps_clear(&s);
	ktap_check(s.count == 0, "clear empties the store");
}

static void test_cache(void)
{
	struct cache_entry *ce;
	struct sync_entry e;
	struct cache c;
	unsigned int i, found = 0;

	cache_init(&c);
	for (i = 0; i < 20000; i++) {
		e = tcp_entry((uint16_t)(i + 1));
		cache_update(&c, &e, 1000)->gen = i % 2;
	}
	for (i = 0; i < 20000; i++) {
		e = tcp_entry((uint16_t)(i + 1));
		found += cache_find(&c, &e) != NULL;
	}
	ktap_check(c.count == 20000 && found == 20000,
		   "20 000 entries all found after the table grew");
	e = tcp_entry(5);
	e.timeout = 10;
	cache_update(&c, &e, 2000);
	ktap_check(c.count == 20000, "an update of an entry adds none");
	ce = cache_find(&c, &e);
	ktap_check(ce && cache_timeout_left(ce, 2000) == 10 &&
		   cache_timeout_left(ce, 5500) == 7 &&
		   cache_timeout_left(ce, 12000) == 0,
		   "time left counts down on the receiver's clock, to 0");
	ktap_check(cache_delete(&c, &e) && !cache_find(&c, &e) &&
		   !cache_delete(&c, &e) && c.count == 19999,
		   "delete removes once");
	ktap_check(cache_purge(&c, 1) == 9999 && c.count == 10000,
		   "purge drops the entries of other generations");
	cache_destroy(&c);
}

int main(void)
{
	ktap_plan(PLAN);
	test_round_trip();
	test_full_message();
	test_bad_headers();
	test_bad_records();
	test_cache();
	test_map_records();
	test_map_missing();
	test_map_filters();
	test_map_longest();
	test_split_nul();
	test_map_lines();
	test_map_store();
	return ktap_done(PLAN);
}
