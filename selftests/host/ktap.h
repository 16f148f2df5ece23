/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP for the C host unit tests: ktap_check() prints one result line;
 * ktap_done() prints the totals and gives the exit status, failing a run
 * whose count differs from its plan.
 */
#ifndef SELFTESTS_HOST_KTAP_H
#define SELFTESTS_HOST_KTAP_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int ktap_n, ktap_failed;

static inline void ktap_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
}

static inline void ktap_check(int ok, const char *what)
{
	ktap_n++;
	if (!ok)
		ktap_failed++;
	printf("%s %d %s\n", ok ? "ok" : "not ok", ktap_n, what);
}

static inline int ktap_done(int plan)
{
	printf("# totals: pass:%d fail:%d skip:0\n", ktap_n - ktap_failed,
	       ktap_failed);
	if (ktap_n != plan) {
		printf("# planned %d, ran %d\n", plan, ktap_n);
		return 1;
	}
	return ktap_failed ? 1 : 0;
}

/* An IPv4 address as PCP carries it: IPv4-mapped IPv6. */
static inline struct in6_addr ktap_v4(const char *s)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	a.s6_addr[10] = 0xff;
	a.s6_addr[11] = 0xff;
	inet_pton(AF_INET, s, &a.s6_addr[12]);
	return a;
}

#endif /* SELFTESTS_HOST_KTAP_H */
