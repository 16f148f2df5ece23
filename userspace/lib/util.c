// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by the userspace programs.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * A whole non-negative number of at most MAX, decimal or 0x-hex, into
 * *OUT; -1 for anything else (empty, a sign, trailing text, too large).
 */
static int parse_base(const char *s, int base, unsigned long max,
		      unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	return parse_base(s, 0, max, out);
}

int parse_decimal(const char *s, unsigned long max, unsigned long *out)
{
	return parse_base(s, 10, max, out);
}

int parse_hex(const char *s, uint8_t *out, size_t len)
{
	unsigned int byte;
	size_t i;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = (uint8_t)byte;
	}
	return 0;
}

size_t split_lines(char *buf, size_t len, line_fn fn, void *arg)
{
	char *line = buf, *nl, *nul;

	while ((nl = memchr(line, '\n', len - (size_t)(line - buf)))) {
		*nl = '\0';
		/* A NUL would hide the rest of the line from its parser. */
		while ((nul = memchr(line, '\0', (size_t)(nl - line))))
			*nul = 0x7f;
		if (!fn(arg, line))
			return 0;
		line = nl + 1;
	}
	len -= (size_t)(line - buf);
	memmove(buf, line, len);
	return len;
}

int parse_addr46(const char *s, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	if (inet_pton(AF_INET, s, a->s6_addr + 12) == 1)
		return 0;
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -1;
}
