/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt-syncd's stores of check-pointed PCP mappings: those the local pcpd
 * gave (sent to the peer) and those the peer sent (handed to the local
 * pcpd, which keeps them on standby until a takeover).  Keyed by family,
 * protocol, internal address and port.
 */
#ifndef CKPT_SYNCD_MAPS_H
#define CKPT_SYNCD_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapline.h"

#define MAPS_BUCKETS	4096

struct map_entry {
	struct map_entry *next;		/* in its bucket */
	struct map_record r;
	uint64_t stamp_ms;	/* monotonic time r.lifetime was read */
	uint32_t gen;		/* generation it was last seen in */
	uint32_t seq;		/* link message of its last update (local) */
	bool confirmed;		/* pcpd was told the peer holds it */
};

struct map_store {
	struct map_entry *buckets[MAPS_BUCKETS];
	size_t count;
};

void maps_clear(struct map_store *s);
struct map_entry *maps_find(const struct map_store *s,
			    const struct map_record *key);
/* Insert or replace; NULL when memory runs out. */
struct map_entry *maps_update(struct map_store *s, const struct map_record *r,
			      uint64_t now_ms);
bool maps_delete(struct map_store *s, const struct map_record *key);

/* R with the lifetime left at NOW_MS. */
struct map_record maps_now(const struct map_entry *e, uint64_t now_ms);

/*
 * Every entry to FN; those for which FN returns true are dropped.
 */
typedef bool (*maps_fn)(void *arg, struct map_entry *e);
size_t maps_walk(struct map_store *s, maps_fn fn, void *arg);

#endif /* CKPT_SYNCD_MAPS_H */
