// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd's nf_ckpt side left out, for a benchmark on a kernel that
 * cannot load nf_ckpt (the build host).  Linked in place of ckpt.c, it
 * makes ckpt-syncd-nockpt: the flag is mark bit 31, set on connections
 * by whoever makes them (ckpt_bulk inject-flagged); sync reports are
 * not sent; no clear notification ever comes; nothing is adopted.
 * Everything else (conntrack events and dumps, the caches, the link, the
 * peer's cache) is ckpt-syncd's own code.  Not installed.
 */

#include "kernel.h"

#define NOCKPT_MARK_BIT	31

int ckpt_open(struct kernel *k)
{
	k->family = 0;
	k->mark_bit = 1u << NOCKPT_MARK_BIT;
	return 0;
}

void kernel_report_sync(struct kernel *k, const struct sync_entry **v,
			unsigned int n, uint8_t state)
{
	(void)k;
	(void)v;
	(void)n;
	(void)state;
}

void kernel_drain_reports(struct kernel *k)
{
	(void)k;
}

int kernel_read_notifications(struct kernel *k, kernel_entry_fn fn, void *arg)
{
	(void)k;
	(void)fn;
	(void)arg;
	return 0;
}

int ckpt_adopt(struct kernel *k, struct cache *c, struct commit_result *r)
{
	(void)k;
	(void)c;
	r->adopted = 0;
	r->adopt_failed = 0;
	return 0;
}
