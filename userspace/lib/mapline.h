/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A check-pointed PCP MAP mapping, as pcpd hands it to ckpt-syncd for
 * replication and ckpt-syncd hands the peer's back: one text line of
 * key=value fields on the pcpd feed of ckpt-syncd's control socket.
 *
 *   map proto=6 internal=10.0.0.2 internal_port=40000
 *       external=198.51.100.1 external_port=40000 lifetime=593
 *       nonce=0123456789abcdef01234567 owner=167772162
 *       filters=198.51.100.0/24:0,203.0.113.7/32:5060
 *   unmap proto=6 internal=10.0.0.2 internal_port=40000
 *
 * (one line each).  The lifetime is the seconds left when the line was
 * written, so that no two machines' clocks are ever compared.  filters
 * (RFC 6887 section 13.3: the remote peers allowed in, port 0 for all)
 * is there only when the mapping has some.
 */
#ifndef CKPT_MAPLINE_H
#define CKPT_MAPLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAP_NONCE_LEN	12
#define MAP_FILTERS_MAX	8
/* The longest line, IPv6 with 8 FILTERs, is about 640 octets. */
#define MAP_LINE_MAX	1024

/* A remote peer prefix allowed to reach a mapping (the FILTER option). */
struct map_filter {
	uint8_t addr[16];		/* IPv4 in the first 4 octets */
	uint8_t prefix_len;		/* of the family: 0-32 for IPv4 */
	uint16_t port;			/* host order; 0: every port */
};

/* The key is family, protocol, internal address and port. */
struct map_record {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t proto;
	uint16_t internal_port;		/* host order */
	uint8_t internal[16];		/* IPv4 in the first 4 octets */
	uint8_t external[16];
	uint16_t external_port;		/* host order */
	uint8_t nonce[MAP_NONCE_LEN];
	uint32_t lifetime;		/* seconds left */
	uint32_t owner;			/* the subscriber charged */
	uint8_t n_filters;
	struct map_filter filters[MAP_FILTERS_MAX];
};

bool map_filters_equal(const struct map_filter *a, unsigned int na,
		       const struct map_filter *b, unsigned int nb);

/*
 * "VERB fields" into BUF (at least MAP_LINE_MAX), with a newline; a key
 * only when KEY_ONLY.  Returns the length.
 */
size_t map_line_format(char *buf, const char *verb,
		       const struct map_record *m, bool key_only);

/*
 * Parse the fields after the verb of LINE (no newline).  A line with
 * only the key (KEY_ONLY) leaves the rest zero.  0, or -1 with *WHY.
 */
int map_line_parse(const char *fields, bool key_only, struct map_record *m,
		   const char **why);

bool map_same_key(const struct map_record *a, const struct map_record *b);

#endif /* CKPT_MAPLINE_H */
