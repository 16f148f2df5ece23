/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the userspace programs.
 */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A number up to MAX: decimal, 0x hex or 0 octal; -1 for anything else. */
int parse_number(const char *s, unsigned long max, unsigned long *out);
/* The same, decimal only (017 is seventeen): what configuration files use. */
int parse_decimal(const char *s, unsigned long max, unsigned long *out);

/* An IPv4 address, IPv4-mapped, or an IPv6 one, into A; -1 if neither. */
struct in6_addr;
int parse_addr46(const char *s, struct in6_addr *a);
/* Exactly 2 * LEN hex digits into LEN octets; -1 for anything else. */
int parse_hex(const char *s, uint8_t *out, size_t len);

/*
 * Each whole line of BUF (LEN octets read so far) to FN, its newline
 * replaced by NUL; FN returns false to stop.  A NUL inside a line becomes
 * DEL (0x7f), so that a parser refuses the line rather than read only the
 * part before it.  What follows the last newline moves to the start of
 * BUF; its length is returned.
 */
typedef bool (*line_fn)(void *arg, char *line);
size_t split_lines(char *buf, size_t len, line_fn fn, void *arg);

#endif /* CKPT_UTIL_H */
