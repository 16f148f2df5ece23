// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: the stores of replicated PCP mappings (see maps.h).
 */

#include <stdlib.h>
#include <string.h>

#include "maps.h"

static size_t bucket_of(const struct map_record *k)
{
	uint32_t h = 2166136261u;	/* FNV-1a over the key */
	size_t i;

	for (i = 0; i < sizeof(k->internal); i++)
		h = (h ^ k->internal[i]) * 16777619u;
	h = (h ^ k->family) * 16777619u;
	h = (h ^ k->proto) * 16777619u;
	h = (h ^ (k->internal_port >> 8)) * 16777619u;
	h = (h ^ (k->internal_port & 0xff)) * 16777619u;
	return h % MAPS_BUCKETS;
}

static struct map_entry **slot(struct map_store *s,
			       const struct map_record *key)
{
	struct map_entry **pp = &s->buckets[bucket_of(key)];

	while (*pp && !map_same_key(&(*pp)->r, key))
		pp = &(*pp)->next;
	return pp;
}

struct map_entry *maps_find(const struct map_store *s,
			    const struct map_record *key)
{
	return *slot((struct map_store *)s, key);
}

struct map_entry *maps_update(struct map_store *s, const struct map_record *r,
			      uint64_t now_ms)
{
	struct map_entry **pp = slot(s, r), *e = *pp;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		*pp = e;
		s->count++;
	}
	e->r = *r;
	e->stamp_ms = now_ms;
	return e;
}

bool maps_delete(struct map_store *s, const struct map_record *key)
{
	struct map_entry **pp = slot(s, key), *e = *pp;

	if (!e)
		return false;
	*pp = e->next;
	free(e);
	s->count--;
	return true;
}

struct map_record maps_now(const struct map_entry *e, uint64_t now_ms)
{
	struct map_record r = e->r;
	uint64_t gone = (now_ms - e->stamp_ms) / 1000;

	r.lifetime = gone >= r.lifetime ? 0 : r.lifetime - (uint32_t)gone;
	return r;
}

size_t maps_walk(struct map_store *s, maps_fn fn, void *arg)
{
	struct map_entry **pp, *e;
	size_t i, n = 0;

	for (i = 0; i < MAPS_BUCKETS; i++) {
		pp = &s->buckets[i];
		while ((e = *pp)) {
			if (fn(arg, e)) {
				*pp = e->next;
				free(e);
				s->count--;
				n++;
			} else {
				pp = &e->next;
			}
		}
	}
	return n;
}

static bool drop_all(void *arg, struct map_entry *e)
{
	(void)arg;
	(void)e;
	return true;
}

void maps_clear(struct map_store *s)
{
	maps_walk(s, drop_all, NULL);
}
