// SPDX-License-Identifier: GPL-2.0
/*
 * The text form of a replicated PCP mapping (see mapline.h).
 */

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mapline.h"
#include "util.h"

static const char *addr_str(uint8_t family, const uint8_t *a, char *buf)
{
	return inet_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

/*
 * What FMT makes, after the *N octets of BUF, never past MAP_LINE_MAX
 * (which the longest record, IPv6 with 8 FILTERs, stays well within).
 */
static void append(char *buf, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + *n, MAP_LINE_MAX - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < MAP_LINE_MAX ? *n + (size_t)k : MAP_LINE_MAX - 1;
}

size_t map_line_format(char *buf, const char *verb,
		       const struct map_record *m, bool key_only)
{
	char in[INET6_ADDRSTRLEN], ex[INET6_ADDRSTRLEN];
	char nonce[2 * MAP_NONCE_LEN + 1];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	append(buf, &n, "%s proto=%u internal=%s internal_port=%u", verb,
	       m->proto, addr_str(m->family, m->internal, in), m->internal_port);
	if (!key_only) {
		for (i = 0; i < MAP_NONCE_LEN; i++)
			sprintf(nonce + 2 * i, "%02x", m->nonce[i]);
		append(buf, &n, " external=%s external_port=%u lifetime=%u nonce=%s owner=%u",
		       addr_str(m->family, m->external, ex), m->external_port,
		       m->lifetime, nonce, m->owner);
	}
	for (i = 0; !key_only && i < m->n_filters; i++)
		append(buf, &n, "%s%s/%u:%u", i ? "," : " filters=",
		       addr_str(m->family, m->filters[i].addr, in),
		       m->filters[i].prefix_len, m->filters[i].port);
	append(buf, &n, "\n");
	return n;
}

enum {
	F_PROTO, F_INTERNAL, F_INTERNAL_PORT, F_EXTERNAL, F_EXTERNAL_PORT,
	F_LIFETIME, F_NONCE, F_OWNER, F_FILTERS, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"proto", "internal", "internal_port", "external", "external_port",
	"lifetime", "nonce", "owner", "filters",
};

/* The fields every full line has; filters is optional. */
#define FIELDS_REQUIRED	((1u << F_FILTERS) - 1)

static int parse_addr(const char *s, uint8_t *family, uint8_t *out)
{
	uint8_t f = strchr(s, ':') ? AF_INET6 : AF_INET;

	if (*family && *family != f)
		return -1;
	*family = f;
	return inet_pton(f, s, out) == 1 ? 0 : -1;
}

/* Decimal, as written: a feed line's "017" is neither 15 nor 17. */
static int parse_canonical(const char *v, unsigned long max, unsigned long *n)
{
	if (v[strspn(v, "0123456789")] || (v[0] == '0' && v[1]))
		return -1;
	return parse_decimal(v, max, n);
}

/* "ADDR/LEN:PORT", a prefix with no host bits. */
static int parse_filter(char *s, struct map_record *m, struct map_filter *f)
{
	char *slash = strchr(s, '/'), *colon = strrchr(s, ':');
	unsigned long len, port, bits, i;

	if (!slash || !colon || colon < slash)
		return -1;
	*slash = *colon = '\0';
	if (parse_addr(s, &m->family, f->addr))
		return -1;
	bits = m->family == AF_INET6 ? 128 : 32;
	if (parse_canonical(slash + 1, bits, &len) ||
	    parse_canonical(colon + 1, 65535, &port))
		return -1;
	f->prefix_len = (uint8_t)len;
	f->port = (uint16_t)port;
	for (i = len; i < bits; i++)
		if (f->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	return 0;
}

static int parse_filters(const char *v, struct map_record *m)
{
	char copy[MAP_LINE_MAX], *tok, *save;

	/* No empty item: ",," or a comma at either end is a mistake. */
	if (!*v || *v == ',' || v[strlen(v) - 1] == ',' || strstr(v, ",,"))
		return -1;
	snprintf(copy, sizeof(copy), "%s", v);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (m->n_filters == MAP_FILTERS_MAX ||
		    parse_filter(tok, m, &m->filters[m->n_filters]))
			return -1;
		m->n_filters++;
	}
	return m->n_filters ? 0 : -1;
}

static int parse_field(int f, const char *v, struct map_record *m)
{
	unsigned long n;

	switch (f) {
	case F_PROTO:
		if (parse_canonical(v, 255, &n) || !n)
			return -1;
		m->proto = (uint8_t)n;
		return 0;
	case F_INTERNAL:
		return parse_addr(v, &m->family, m->internal);
	case F_EXTERNAL:
		return parse_addr(v, &m->family, m->external);
	case F_INTERNAL_PORT:
	case F_EXTERNAL_PORT:
		if (parse_canonical(v, 65535, &n))
			return -1;
		if (f == F_INTERNAL_PORT)
			m->internal_port = (uint16_t)n;
		else
			m->external_port = (uint16_t)n;
		return 0;
	case F_LIFETIME:
	case F_OWNER:
		if (parse_canonical(v, UINT32_MAX, &n))
			return -1;
		if (f == F_LIFETIME)
			m->lifetime = (uint32_t)n;
		else
			m->owner = (uint32_t)n;
		return 0;
	case F_NONCE:
		return parse_hex(v, m->nonce, MAP_NONCE_LEN);
	case F_FILTERS:
		return parse_filters(v, m);
	}
	return -1;
}

int map_line_parse(const char *fields, bool key_only, struct map_record *m,
		   const char **why)
{
	unsigned int seen = 0, want = key_only ? 0x7 : FIELDS_REQUIRED;
	unsigned int allowed = key_only ? want : want | 1u << F_FILTERS;
	char copy[MAP_LINE_MAX], *tok, *save, *eq;
	int f;

	memset(m, 0, sizeof(*m));
	if (strlen(fields) >= sizeof(copy)) {
		*why = "line too long";
		return -1;
	}
	strcpy(copy, fields);
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq) {
			*why = "a field without '='";
			return -1;
		}
		*eq = '\0';
		for (f = 0; f < F_COUNT; f++)
			if (!strcmp(tok, field_names[f]))
				break;
		if (f == F_COUNT || !(allowed & 1u << f)) {
			*why = "unknown field";
			return -1;
		}
		if (seen & 1u << f) {
			*why = "a field given twice";
			return -1;
		}
		if (parse_field(f, eq + 1, m)) {
			*why = "a field's value is invalid";
			return -1;
		}
		seen |= 1u << f;
	}
	if ((seen & want) != want) {
		*why = "a field is missing";
		return -1;
	}
	return 0;
}

bool map_filters_equal(const struct map_filter *a, unsigned int na,
		       const struct map_filter *b, unsigned int nb)
{
	unsigned int i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (memcmp(a[i].addr, b[i].addr, sizeof(a[i].addr)) ||
		    a[i].prefix_len != b[i].prefix_len || a[i].port != b[i].port)
			return false;
	}
	return true;
}

bool map_same_key(const struct map_record *a, const struct map_record *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->internal_port == b->internal_port &&
	       !memcmp(a->internal, b->internal, sizeof(a->internal));
}
