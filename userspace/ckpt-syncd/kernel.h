/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt-syncd's side of the kernel: conntrack over ctnetlink (events of
 * flagged connections, dumps, the commit) and nf_ckpt over generic netlink
 * (the flag bit, sync state reports, adoption, clear notifications).
 */
#ifndef CKPT_SYNCD_KERNEL_H
#define CKPT_SYNCD_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

#include "cache.h"
#include "wire.h"

struct kernel {
	struct mnl_socket *events;	/* ctnetlink events, flagged only */
	struct mnl_socket *ct;		/* ctnetlink requests */
	struct mnl_socket *genl;	/* nf_ckpt requests */
	struct mnl_socket *ntf;		/* nf_ckpt's clear group */
	uint16_t family;		/* nf_ckpt's generic netlink id */
	uint32_t mark_bit;		/* the flag, as a mask of ct->mark */
	uint32_t seq;
	uint64_t report_errors;		/* report requests (64 each) refused */
	uint64_t events_received;	/* conntrack events read */
};

struct commit_result {
	uint64_t created;
	uint64_t failed;	/* refused by conntrack */
	uint64_t expired;	/* timed out in the cache, not committed */
	uint64_t adopted;	/* flagged in nf_ckpt */
	uint64_t adopt_failed;
	uint64_t ms;
	uint64_t adopt_ms;	/* of ms, the part nf_ckpt's adoption took */
};

typedef void (*kernel_entry_fn)(void *arg, const struct sync_entry *e,
				bool gone);

int kernel_open(struct kernel *k, unsigned int rcvbuf);
void kernel_close(struct kernel *k);

/* Read pending events (or notifications); -ENOBUFS when some were lost. */
int kernel_read_events(struct kernel *k, kernel_entry_fn fn, void *arg);
int kernel_read_notifications(struct kernel *k, kernel_entry_fn fn, void *arg);
void kernel_drain_reports(struct kernel *k);

/*
 * FN for every flagged connection; BETWEEN (if not NULL) after each read
 * of the dump, some hundred connections, so the caller's other work goes
 * on meanwhile.
 */
int kernel_dump_flagged(struct kernel *k, kernel_entry_fn fn,
			void (*between)(void *arg), void *arg);

/*
 * Leave (or join again) conntrack's event groups.  While this node has
 * left them the kernel builds no event for it; what it missed must be
 * read back by a dump.
 */
int kernel_events_listen(struct kernel *k, bool on);

/* Report the sync state of up to N entries, without waiting. */
void kernel_report_sync(struct kernel *k, const struct sync_entry **v,
			unsigned int n, uint8_t state);

/*
 * Commit C into conntrack and adopt it in nf_ckpt, out of the event groups
 * (see commit.c): the caller dumps the flagged connections after it.
 */
int kernel_commit(struct kernel *k, struct cache *c, uint64_t now_ms,
		  struct commit_result *r);

/*
 * R as "created=N failed=N expired=N adopted=N adopt_failed=N ms=N
 * adopt_ms=N".
 */
void commit_result_str(const struct commit_result *r, char *buf, size_t len);

/* Between the files of this layer: nf_ckpt's side (ckpt.c). */
int ckpt_open(struct kernel *k);
int ckpt_adopt(struct kernel *k, struct cache *c, struct commit_result *r);

#endif /* CKPT_SYNCD_KERNEL_H */
