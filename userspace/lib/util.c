// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by the userspace programs.
 */

#include <errno.h>
#include <stdlib.h>

#include "util.h"

/*
 * A whole non-negative number of at most MAX, decimal or 0x-hex, into
 * *OUT; -1 for anything else (empty, a sign, trailing text, too large).
 */
int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}
