// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of ckpt-syncd's wire format: any datagram is parsed
 * without misbehaving (ASan, UBSan), and a message that is accepted says
 * the same when its records are written again and parsed again.
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void require(int cond)
{
	if (!cond)
		abort();
}

static void take(void *arg, const struct sync_record *r)
{
	*(struct sync_record *)arg = *r;
}

/* The key of E, as a delete record carries it. */
static struct sync_entry key_of(const struct sync_entry *e)
{
	struct sync_entry k;

	memset(&k, 0, sizeof(k));
	k.family = e->family;
	k.proto = e->proto;
	k.zone = e->zone;
	k.orig = e->orig;
	return k;
}

/* The key of M, as a delete record carries it. */
static struct map_record map_key_of(const struct map_record *m)
{
	struct map_record k;

	memset(&k, 0, sizeof(k));
	k.family = m->family;
	k.proto = m->proto;
	k.internal_port = m->internal_port;
	memcpy(k.internal, m->internal, sizeof(k.internal));
	return k;
}

/* Each accepted record, written alone and parsed again, is the same. */
static void rewrite(void *arg, const struct sync_record *r)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	bool del = r->type == SYNC_REC_CT_DELETE || r->type == SYNC_REC_MAP_DELETE;
	struct sync_record back;
	uint8_t out[SYNC_MTU];
	struct sync_writer w;
	const char *why;
	size_t len;

	(*(unsigned int *)arg)++;
	sync_msg_start(&w, out, &h);
	if (r->type == SYNC_REC_CT_UPDATE || r->type == SYNC_REC_CT_DELETE)
		require(!sync_put_ct(&w, r->type, &r->ct));
	else if (r->type == SYNC_REC_MAP_UPDATE || r->type == SYNC_REC_MAP_DELETE)
		require(!sync_put_map(&w, r->type, &r->map));
	else
		return;
	len = sync_msg_finish(&w);
	memset(&back, 0, sizeof(back));
	require(!sync_parse_hdr(out, len, &h, &why));
	require(!sync_parse_records(out, len, take, &back, &why));
	require(back.type == r->type);
	if (r->type == SYNC_REC_CT_UPDATE || r->type == SYNC_REC_CT_DELETE) {
		struct sync_entry want = del ? key_of(&r->ct) : r->ct;

		if (del)
			back.ct = key_of(&back.ct);
		require(!memcmp(&back.ct, &want, sizeof(want)));
	} else {
		struct map_record want = del ? map_key_of(&r->map) : r->map;

		if (del)
			back.map = map_key_of(&back.map);
		require(!memcmp(&back.map, &want, sizeof(want)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int n = 0;
	struct sync_hdr h;
	const char *why;

	if (sync_parse_hdr(data, size, &h, &why)) {
		require(why && *why);
		return 0;
	}
	require(h.len == size && size <= SYNC_MTU);
	require(h.type >= 1 && h.type <= SYNC_MSG_MAX);
	if (h.type == SYNC_MSG_DATA &&
	    sync_parse_records(data, size, rewrite, &n, &why))
		require(why && *why && n == 0);
	return 0;
}
