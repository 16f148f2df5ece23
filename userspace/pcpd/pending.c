// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: answers held until the backup has the entry.  RFC 7767 section
 * 3.2 recommends check-pointing state on the backup before the response
 * is sent; with replication configured and sync-wait above 0, a success
 * that carries CHECKPOINT_REQUIRED for an entry the backup has not
 * confirmed waits here:
 *
 *   MAP   confirmed by ckpt-syncd's "synced" line, once the peer has
 *         acknowledged the mapping's record (replica.c);
 *   PEER  confirmed by nf_ckpt's sync notification for the connection,
 *         which ckpt-syncd sets once the peer has acknowledged it.
 *
 * A confirmation sends the answer as it was decided; when sync-wait runs
 * out first, the check-point is taken back and the answer goes without
 * the option, so that a client is never told its entry is protected when
 * the backup does not hold it.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pcpd.h"

/* Bounds what retransmissions can pile up; past it, answered at once. */
#define PENDING_MAX	4096

struct pcpd_pending {
	struct pcpd_pending *next;
	uint64_t deadline_ms;
	uint64_t since_ms;
	struct pcp_request req;
	struct pcp_response resp;
	struct in6_addr internal;	/* whom the entry is for */
	int fd;
	struct sockaddr_storage to;
	socklen_t to_len;
};

static void send_answer(struct pcpd *d, struct pcpd_pending *p)
{
	uint8_t out[PCP_MAX_LEN + 4];
	size_t n;

	p->resp.epoch = epoch(d);
	n = pcp_build_response(&p->req, &p->resp, out);
	if (sendto(p->fd, out, n, 0, (struct sockaddr *)&p->to, p->to_len) < 0)
		log_event("send-failed reason=%s", strerror(errno));
}

static struct pcpd_flow flow_of(const struct pcpd_pending *p)
{
	struct pcpd_flow f = {
		.protocol = p->req.protocol,
		.internal_port = p->req.internal_port,
		.remote_port = p->req.peer_port,
		.internal = p->internal,
		.remote = p->req.peer_addr,
	};

	return f;
}

/* The unconfirmed entry P waits for: its check-point, or NULL. */
static bool *unsynced_of(struct pcpd *d, const struct pcpd_pending *p)
{
	struct pcpd_flow f;
	struct pcpd_mapping *m;
	struct pcpd_peer *peer;

	if (p->req.opcode == PCP_OP_MAP) {
		m = pcpd_map_lookup(&d->table, &p->internal, p->req.protocol,
				    p->req.internal_port);
		return m && m->checkpoint ? &m->unsynced : NULL;
	}
	f = flow_of(p);
	peer = pcpd_peer_find(&d->peers, &f);
	return peer && peer->checkpoint ? &peer->unsynced : NULL;
}

bool pending_wanted(struct pcpd *d, const struct pcp_request *req,
		    const struct in6_addr *internal,
		    const struct pcp_response *resp)
{
	struct pcpd_pending p = { .req = *req, .internal = *internal };
	bool *unsynced;

	if (!resp->checkpoint || !d->cfg.sync_wait_ms || !d->replica.path)
		return false;
	unsynced = unsynced_of(d, &p);
	return unsynced && *unsynced;
}

/* The backup did not confirm: the check-point goes, the answer says so. */
static void give_up(struct pcpd *d, struct pcpd_pending *p, const char *why)
{
	struct pcpd_flow f = flow_of(p);
	char ibuf[INET6_ADDRSTRLEN];
	bool *unsynced = unsynced_of(d, p);
	struct pcpd_mapping *m;
	struct pcpd_peer *peer;

	if (unsynced && *unsynced) {
		log_event("checkpoint-unconfirmed internal=%s proto=%u port=%u waited_ms=%llu reason=\"%s\"",
			  addr_str(&p->internal, ibuf), p->req.protocol,
			  p->req.internal_port,
			  (unsigned long long)(now_ms() - p->since_ms), why);
		d->sync_timeouts++;
		if (p->req.opcode == PCP_OP_MAP) {
			m = pcpd_map_lookup(&d->table, &p->internal,
					    p->req.protocol, p->req.internal_port);
			map_unprotect(d, m, "the backup did not confirm it");
		} else {
			peer = pcpd_peer_find(&d->peers, &f);
			peer_unprotect(d, peer, "the backup did not confirm it");
		}
	}
	p->resp.checkpoint = false;
	send_answer(d, p);
}

/* A PEER answer waits for nf_ckpt's sync notification: listen for it. */
static void watch_sync(struct pcpd *d, const struct pcpd_pending *p)
{
	struct pcpd_flow f;
	struct pcpd_peer *peer;

	if (p->req.opcode != PCP_OP_PEER)
		return;
	f = flow_of(p);
	peer = pcpd_peer_find(&d->peers, &f);
	if (peer)
		peer_watch_sync(d, peer);
}

void pending_add(struct pcpd *d, const struct pcp_request *req,
		 const struct in6_addr *internal, const struct pcp_response *resp,
		 int fd, const struct sockaddr_storage *to, socklen_t to_len)
{
	struct pcpd_pending *p = calloc(1, sizeof(*p)), **tail;

	if (!p)
		return;
	p->since_ms = now_ms();
	p->deadline_ms = p->since_ms + d->cfg.sync_wait_ms;
	p->req = *req;
	p->resp = *resp;
	p->internal = *internal;
	p->fd = fd;
	p->to = *to;
	p->to_len = to_len;
	if (d->replica.fd < 0 || d->n_pending >= PENDING_MAX) {
		give_up(d, p, d->replica.fd < 0 ? "ckpt-syncd is not connected" :
			"too many answers waiting");
		free(p);
		return;
	}
	for (tail = &d->pending; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	d->n_pending++;
	watch_sync(d, p);
}

/*
 * Answer and drop the waiting answers that are settled at NOW: those
 * whose entry is confirmed, is gone, or whose time is up.
 */
static void settle(struct pcpd *d, uint64_t now)
{
	struct pcpd_pending **pp = &d->pending, *p;
	bool *unsynced, peers = false;

	while ((p = *pp)) {
		unsynced = unsynced_of(d, p);
		if (unsynced && !*unsynced) {
			d->sync_confirmed++;
			send_answer(d, p);
		} else if (!unsynced || now >= p->deadline_ms) {
			give_up(d, p, unsynced ? "sync-wait ran out" :
				"the entry is gone");
		} else {
			peers |= p->req.opcode == PCP_OP_PEER;
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		d->n_pending--;
		free(p);
	}
	/* No answer waits for a notification: none need be built. */
	if (!peers)
		pcpd_ckpt_sync_listen(&d->ckpt, false);
}

void pending_confirmed(struct pcpd *d)
{
	settle(d, now_ms());
}

void pending_recheck_peers(struct pcpd *d)
{
	struct pcpd_pending *p;

	for (p = d->pending; p; p = p->next)
		watch_sync(d, p);
	settle(d, now_ms());
}

int pending_poll(struct pcpd *d, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	struct pcpd_pending *p;

	settle(d, now);
	for (p = d->pending; p; p = p->next) {
		if (p->deadline_ms < next)
			next = p->deadline_ms;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

void pending_flush(struct pcpd *d)
{
	settle(d, UINT64_MAX);
}
