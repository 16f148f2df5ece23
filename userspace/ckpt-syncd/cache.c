// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: a chained hash of replicated connections (see cache.h).  The
 * hash is seeded at random, so tuples chosen by outsiders cannot pile up
 * in one bucket.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cache.h"

#define INITIAL_BUCKETS	1024

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static uint64_t hash_key(const struct cache *c, const struct sync_entry *e)
{
	const struct sync_tuple *t = &e->orig;
	uint64_t w[4];
	uint64_t h;

	memcpy(w, t->src, 16);
	memcpy(w + 2, t->dst, 16);
	h = mix(c->seed, (uint64_t)e->zone << 16 | e->family << 8 | e->proto);
	h = mix(h, w[0]);
	h = mix(h, w[1]);
	h = mix(h, w[2]);
	h = mix(h, w[3]);
	return mix(h, (uint64_t)t->sport << 16 | t->dport);
}

static bool same_key(const struct sync_entry *a, const struct sync_entry *b)
{
	return a->zone == b->zone && a->family == b->family &&
	       a->proto == b->proto && a->orig.sport == b->orig.sport &&
	       a->orig.dport == b->orig.dport &&
	       !memcmp(a->orig.src, b->orig.src, 16) &&
	       !memcmp(a->orig.dst, b->orig.dst, 16);
}

int cache_init(struct cache *c)
{
	c->buckets = calloc(INITIAL_BUCKETS, sizeof(*c->buckets));
	if (!c->buckets)
		return -1;
	c->mask = INITIAL_BUCKETS - 1;
	c->count = 0;
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		c->seed = (uint64_t)(uintptr_t)c;
	return 0;
}

void cache_clear(struct cache *c)
{
	struct cache_entry *ce, *next;
	size_t i;

	for (i = 0; i <= c->mask; i++) {
		for (ce = c->buckets[i]; ce; ce = next) {
			next = ce->next;
			free(ce);
		}
		c->buckets[i] = NULL;
	}
	c->count = 0;
}

void cache_destroy(struct cache *c)
{
	cache_clear(c);
	free(c->buckets);
	c->buckets = NULL;
}

struct cache_entry *cache_find(const struct cache *c,
			       const struct sync_entry *key)
{
	struct cache_entry *ce;

	for (ce = c->buckets[hash_key(c, key) & c->mask]; ce; ce = ce->next)
		if (same_key(&ce->e, key))
			return ce;
	return NULL;
}

/* Double the buckets when the chains grow past one entry on average. */
static void grow(struct cache *c)
{
	size_t n = (c->mask + 1) * 2, i;
	struct cache_entry **b, *ce, *next;

	b = calloc(n, sizeof(*b));
	if (!b)
		return;	/* longer chains, still correct */
	for (i = 0; i <= c->mask; i++) {
		for (ce = c->buckets[i]; ce; ce = next) {
			size_t j = hash_key(c, &ce->e) & (n - 1);

			next = ce->next;
			ce->next = b[j];
			b[j] = ce;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->mask = n - 1;
}

struct cache_entry *cache_update(struct cache *c, const struct sync_entry *e,
				 uint64_t now_ms)
{
	struct cache_entry *ce = cache_find(c, e);
	size_t i;

	if (!ce) {
		ce = calloc(1, sizeof(*ce));
		if (!ce)
			return NULL;
		ce->e = *e;	/* the key, before it is hashed */
		i = hash_key(c, e) & c->mask;
		ce->next = c->buckets[i];
		c->buckets[i] = ce;
		if (++c->count > c->mask + 1)
			grow(c);
	}
	ce->e = *e;
	ce->stamp_ms = now_ms;
	return ce;
}

bool cache_delete(struct cache *c, const struct sync_entry *key)
{
	struct cache_entry **pp, *ce;

	pp = &c->buckets[hash_key(c, key) & c->mask];
	for (; (ce = *pp); pp = &ce->next) {
		if (same_key(&ce->e, key)) {
			*pp = ce->next;
			free(ce);
			c->count--;
			return true;
		}
	}
	return false;
}

size_t cache_purge(struct cache *c, uint32_t gen)
{
	struct cache_entry **pp, *ce;
	size_t i, n = 0;

	for (i = 0; i <= c->mask; i++) {
		pp = &c->buckets[i];
		while ((ce = *pp)) {
			if (ce->gen != gen) {
				*pp = ce->next;
				free(ce);
				n++;
			} else {
				pp = &ce->next;
			}
		}
	}
	c->count -= n;
	return n;
}

uint32_t cache_timeout_left(const struct cache_entry *ce, uint64_t now_ms)
{
	uint64_t gone = (now_ms - ce->stamp_ms) / 1000;

	return gone >= ce->e.timeout ? 0 : ce->e.timeout - (uint32_t)gone;
}

struct cache_entry *cache_iter_next(const struct cache *c,
				    struct cache_iter *it)
{
	struct cache_entry *ce;

	while (!it->next) {
		if (++it->bucket > c->mask)
			return NULL;
		it->next = c->buckets[it->bucket];
	}
	ce = it->next;
	it->next = ce->next;
	return ce;
}
