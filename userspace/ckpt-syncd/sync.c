// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: what moves between the kernel, the caches and the link.
 *
 *   flagged connection event -> internal cache -> record on the link
 *   ack from the peer        -> nf_ckpt told the peer holds the entry
 *   record from the peer     -> external cache
 *   takeover (commit)        -> external cache into conntrack, adopted
 *   pcpd's mappings (feed.c) -> the same, as map records; the peer's to pcpd
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nf_ckpt.h>

#include "log.h"
#include "syncd.h"

#define REPORTS_A_CALL	256

static void queue_report(struct syncd *d, uint32_t seq,
			 const struct sync_entry *e)
{
	struct report *r;

	if (d->n_reports == d->cap_reports) {
		uint32_t cap = d->cap_reports ? d->cap_reports * 2 : 1024;

		r = malloc(cap * sizeof(*r));
		if (!r)
			return;	/* the entry is reported after the next resync */
		/* Unroll the ring into the new array. */
		for (uint32_t i = 0; i < d->n_reports; i++)
			r[i] = d->reports[(d->first_report + i) % d->cap_reports];
		free(d->reports);
		d->reports = r;
		d->cap_reports = cap;
		d->first_report = 0;
	}
	r = &d->reports[(d->first_report + d->n_reports) % d->cap_reports];
	r->seq = seq;
	r->key = *e;
	d->n_reports++;
}

void syncd_on_event(void *arg, const struct sync_entry *e, bool gone)
{
	struct syncd *d = arg;
	uint64_t now = syncd_now_ms();
	struct sync_entry merged;
	struct cache_entry *ce;
	uint32_t seq;

	if (gone) {
		/* Said even when not cached: a resync may be under way. */
		cache_delete(&d->internal, e);
		link_put_ct(&d->link, SYNC_REC_CT_DELETE, e, now);
		return;
	}
	/* An event without the TCP state (a mark change) keeps the last. */
	ce = cache_find(&d->internal, e);
	if (ce && !e->has_tcp && ce->e.has_tcp) {
		merged = *e;
		merged.has_tcp = true;
		merged.tcp_state = ce->e.tcp_state;
		memcpy(merged.tcp_wscale, ce->e.tcp_wscale, 2);
		memcpy(merged.tcp_flags, ce->e.tcp_flags, 2);
		e = &merged;
	}
	seq = link_put_ct(&d->link, SYNC_REC_CT_UPDATE, e, now);
	if (!seq)
		return;	/* overflow: a resync follows */
	ce = cache_update(&d->internal, e, now);
	if (!ce)
		return;
	ce->seq = seq;
	ce->acked = false;
	if (!ce->reported)
		queue_report(d, seq, e);
}

/* The peer has every message up to UPTO: tell nf_ckpt of the entries. */
static void on_acked(void *arg, uint32_t upto)
{
	const struct sync_entry *batch[REPORTS_A_CALL];
	struct syncd *d = arg;
	struct cache_entry *ce;
	unsigned int n = 0;
	struct report *r;

	while (d->n_reports) {
		r = &d->reports[d->first_report];
		if (r->seq > upto)
			break;
		ce = cache_find(&d->internal, &r->key);
		if (ce && !ce->reported && ce->seq <= upto) {
			ce->reported = true;
			ce->acked = true;
			batch[n++] = &ce->e;
		}
		d->first_report = (d->first_report + 1) % d->cap_reports;
		d->n_reports--;
		if (n == REPORTS_A_CALL) {
			kernel_report_sync(&d->kernel, batch, n, NF_CKPT_SYNC_DONE);
			n = 0;
		}
	}
	if (n)
		kernel_report_sync(&d->kernel, batch, n, NF_CKPT_SYNC_DONE);
	feed_confirm(d, upto);
}

static bool purge_peer_map(void *arg, struct map_entry *e)
{
	struct syncd *d = arg;

	if (e->gen == d->ext_gen)
		return false;
	feed_send(d, "peer-unmap", &e->r);
	return true;
}

static void on_map_record(struct syncd *d, const struct sync_record *r)
{
	struct map_entry *e;

	if (r->type == SYNC_REC_MAP_DELETE) {
		if (maps_delete(&d->maps_peer, &r->map))
			feed_send(d, "peer-unmap", &r->map);
		return;
	}
	e = maps_update(&d->maps_peer, &r->map, syncd_now_ms());
	if (!e)
		return;
	e->gen = d->ext_gen;
	feed_send(d, "peer-map", &r->map);
}

static void on_record(void *arg, const struct sync_record *r)
{
	struct syncd *d = arg;
	struct cache_entry *ce;
	size_t n, maps;

	switch (r->type) {
	case SYNC_REC_CT_UPDATE:
		ce = cache_update(&d->external, &r->ct, syncd_now_ms());
		if (ce)
			ce->gen = d->ext_gen;
		break;
	case SYNC_REC_CT_DELETE:
		cache_delete(&d->external, &r->ct);
		break;
	case SYNC_REC_MAP_UPDATE:
	case SYNC_REC_MAP_DELETE:
		on_map_record(d, r);
		break;
	case SYNC_REC_RESYNC_BEGIN:
		d->ext_gen++;
		break;
	case SYNC_REC_RESYNC_END:
		n = cache_purge(&d->external, d->ext_gen);
		maps = maps_walk(&d->maps_peer, purge_peer_map, d);
		d->purged += n + maps;
		log_info("resync-received entries=%zu dropped=%zu maps=%zu maps_dropped=%zu",
			 d->external.count, n, d->maps_peer.count, maps);
		break;
	}
}

static void on_resync_requested(void *arg)
{
	struct syncd *d = arg;

	d->resyncs_requested++;
	d->resync_due = true;
	d->resync_reason = "the peer asked for it";
}

static void on_peer_state(void *arg, bool up)
{
	struct syncd *d = arg;

	if (up)
		log_info("peer state=up");
	else
		log_warning("peer state=down queued=%u", link_queued(&d->link));
}

const struct link_ops syncd_link_ops = {
	.record = on_record,
	.acked = on_acked,
	.resync_requested = on_resync_requested,
	.peer_state = on_peer_state,
};

static bool resend_map(void *arg, struct map_entry *e)
{
	struct syncd *d = arg;
	uint64_t now = syncd_now_ms();
	struct map_record r = maps_now(e, now);

	if (!r.lifetime)
		return true;
	/* The new session's acks confirm what the old one's did not. */
	e->seq = link_put_map(&d->link, SYNC_REC_MAP_UPDATE, &r, now);
	return false;
}

/*
 * Between the steps of a resync (its reports, the dump's reads): the peer
 * keeps hearing from this node, acknowledgements come in and more is
 * sent, so the peer applies the first entries while the rest are read.
 */
static void service_link(void *arg)
{
	struct syncd *d = arg;

	link_poll(&d->link, syncd_now_ms());
}

/*
 * A new session with this node's whole state: the flagged connections
 * as the kernel has them now, between RESYNC_BEGIN and RESYNC_END.  Every
 * entry is reported to nf_ckpt again once the peer acknowledges it; those
 * reported before are told pending first, since the peer that asked may
 * have lost them.
 */
void syncd_resync(struct syncd *d)
{
	const struct sync_entry *batch[REPORTS_A_CALL];
	struct cache_entry *ce;
	struct cache_iter it;
	unsigned int n = 0;
	uint64_t now;
	int err;

	log_info("resync reason=\"%s\" entries=%zu maps=%zu", d->resync_reason,
		 d->internal.count, d->maps_local.count);
	d->resync_due = false;
	d->n_reports = 0;
	d->first_report = 0;
	/*
	 * From here on the old session's acknowledgements count for nothing,
	 * and the link is kept going while the reports are sent.
	 */
	link_new_session(&d->link);
	cache_for_each(&d->internal, it, ce) {
		if (!ce->reported)
			continue;
		batch[n++] = &ce->e;
		if (n == REPORTS_A_CALL) {
			kernel_report_sync(&d->kernel, batch, n,
					   NF_CKPT_SYNC_PENDING);
			n = 0;
			service_link(d);
		}
	}
	if (n)
		kernel_report_sync(&d->kernel, batch, n, NF_CKPT_SYNC_PENDING);
	cache_clear(&d->internal);

	now = syncd_now_ms();
	link_put_marker(&d->link, SYNC_REC_RESYNC_BEGIN, now);
	/*
	 * The mappings first: the new session's acknowledgements, read
	 * during the dump, must not confirm one by its old session's number.
	 */
	maps_walk(&d->maps_local, resend_map, d);
	err = kernel_dump_flagged(&d->kernel, syncd_on_event, service_link, d);
	if (err)
		log_err("resync reason=\"conntrack dump failed: %s\"",
			strerror(-err));
	now = syncd_now_ms();
	link_put_marker(&d->link, SYNC_REC_RESYNC_END, now);
	link_flush(&d->link, now);
	if (d->link.overflowed) {
		log_err("resync reason=\"more flagged connections than the queue holds; raise queue\"");
		d->link.overflowed = false;
	}
}

/*
 * Takeover: the peer's connections into this kernel, then flagged here.
 * Committed entries leave the external cache: from now on they are this
 * node's, and come back through its own events.  The peer's mappings,
 * which pcpd already holds on standby, become pcpd's own.
 */
/* The peer's check-pointed mapping of internal endpoint ADDR and PORT. */
static const struct map_entry *mapping_of(const struct syncd *d,
					  const struct sync_entry *e,
					  const uint8_t *addr, uint16_t port)
{
	struct map_record key = {
		.family = e->family, .proto = e->proto,
		.internal_port = ntohs(port),
	};

	memcpy(key.internal, addr, sizeof(key.internal));
	return maps_find(&d->maps_peer, &key);
}

/*
 * Connections come from the peer without their owner (its events do not
 * carry nf_ckpt's); one through a check-pointed mapping, from its
 * internal endpoint or to it after DNAT, is charged to the mapping's
 * subscriber, as its rule would have, so that pcpd clearing the
 * mapping's connections by owner finds it after the takeover.  The rest
 * (PEER's) stay with owner 0 until a PEER charges them again.
 */
static unsigned int charge_to_mappings(struct syncd *d)
{
	const struct map_entry *m;
	struct cache_entry *ce;
	struct cache_iter it;
	unsigned int n = 0;

	cache_for_each(&d->external, it, ce) {
		if (ce->e.owner)
			continue;
		m = mapping_of(d, &ce->e, ce->e.orig.src, ce->e.orig.sport);
		if (!m)
			m = mapping_of(d, &ce->e, ce->e.reply.src, ce->e.reply.sport);
		if (m) {
			ce->e.owner = m->r.owner;
			n++;
		}
	}
	return n;
}

void syncd_commit(struct syncd *d)
{
	struct commit_result *r = &d->last_commit;
	unsigned int charged = charge_to_mappings(d);
	char result[256];

	if (charged)
		log_info("commit charged=%u reason=\"connections of the peer's check-pointed mappings, owned as their rules own them\"",
			 charged);
	d->last_commit_err = kernel_commit(&d->kernel, &d->external,
					   syncd_now_ms(), r);
	d->commits++;
	d->committed = true;
	if (d->last_commit_err)
		log_err("commit reason=\"%s\"", strerror(-d->last_commit_err));
	commit_result_str(r, result, sizeof(result));
	log_info("commit entries=%zu %s", d->external.count, result);
	if (!d->last_commit_err)
		cache_clear(&d->external);
	/* The commit's connections raised no events here: read them back. */
	d->resync_due = true;
	d->resync_reason = "a commit, whose connections raise no events";
	feed_takeover(d);
}
