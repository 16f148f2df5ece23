/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt-syncd's caches: the flagged connections this node has sent (the
 * internal cache) and those its peer has sent (the external cache, which
 * is committed to the kernel on takeover).  Keyed by zone, family,
 * protocol and original tuple.
 */
#ifndef CKPT_SYNCD_CACHE_H
#define CKPT_SYNCD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct cache_entry {
	struct cache_entry *next;	/* in its bucket */
	struct sync_entry e;
	uint64_t stamp_ms;	/* monotonic time e.timeout was read */
	uint32_t gen;		/* resync generation it was last seen in */
	uint32_t seq;		/* internal: message that last carried it */
	bool acked;		/* internal: the peer holds its last update */
	bool reported;		/* internal: nf_ckpt was told the peer has it */
};

struct cache {
	struct cache_entry **buckets;
	size_t mask;		/* buckets - 1, a power of two less one */
	size_t count;
	uint64_t seed;
};

int cache_init(struct cache *c);
void cache_destroy(struct cache *c);
struct cache_entry *cache_find(const struct cache *c,
			       const struct sync_entry *key);
struct cache_entry *cache_update(struct cache *c, const struct sync_entry *e,
				 uint64_t now_ms);
bool cache_delete(struct cache *c, const struct sync_entry *key);
void cache_clear(struct cache *c);

/* Drop every entry not seen in generation GEN; returns how many. */
size_t cache_purge(struct cache *c, uint32_t gen);

/* Seconds left of E's timeout at NOW_MS, 0 when run out. */
uint32_t cache_timeout_left(const struct cache_entry *ce, uint64_t now_ms);

struct cache_iter {
	size_t bucket;
	struct cache_entry *next;
};

struct cache_entry *cache_iter_next(const struct cache *c,
				    struct cache_iter *it);

/* Every entry of C; the loop body must not add or delete entries. */
#define cache_for_each(c, it, ce)					\
	for ((it).bucket = 0, (it).next = (c)->buckets[0];		\
	     ((ce) = cache_iter_next((c), &(it)));)

#endif /* CKPT_SYNCD_CACHE_H */
