// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of ckpt-syncd's wire format: any datagram is parsed
 * without misbehaving (ASan, UBSan), and a message that is accepted says
 * the same when its records are written again and parsed again.
 */

#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void require(int cond)
{
	if (!cond)
		abort();
}

static void take(void *arg, uint16_t type, const struct sync_entry *e)
{
	(void)type;
	*(struct sync_entry *)arg = *e;
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

/* Each accepted record, written alone and parsed again, is the same. */
static void rewrite(void *arg, uint16_t type, const struct sync_entry *e)
{
	struct sync_hdr h = { .type = SYNC_MSG_DATA, .seq = 1 };
	struct sync_entry back, want;
	uint8_t out[SYNC_MTU];
	struct sync_writer w;
	const char *why;
	size_t len;

	(*(unsigned int *)arg)++;
	if (type != SYNC_REC_CT_UPDATE && type != SYNC_REC_CT_DELETE)
		return;
	sync_msg_start(&w, out, &h);
	require(!sync_put_ct(&w, type, e));
	len = sync_msg_finish(&w);
	memset(&back, 0, sizeof(back));
	require(!sync_parse_hdr(out, len, &h, &why));
	require(!sync_parse_records(out, len, take, &back, &why));
	want = type == SYNC_REC_CT_DELETE ? key_of(e) : *e;
	if (type == SYNC_REC_CT_DELETE)
		back = key_of(&back);
	require(!memcmp(&back, &want, sizeof(want)));
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
