/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the userspace programs.
 */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int parse_number(const char *s, unsigned long max, unsigned long *out);

#endif /* CKPT_UTIL_H */
