// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: the PEER opcode (RFC 6887 section 12), with CHECKPOINT_REQUIRED
 * (RFC 7767).  A PEER request names an outbound connection by its five-
 * tuple; pcpd finds it in conntrack, or creates it there with a binding
 * to the external address, extends its lifetime, and answers with the
 * binding.  The first PEER for a connection fixes its nonce; later ones
 * must give it.  With the option, and within the subscriber's quota and
 * rate, the connection is flagged in nf_ckpt, charged to the subscriber;
 * a renewal without the option, or the PEER lifetime running out, clears
 * the flag again.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcpd.h"

static void count_peer(struct pcpd *d, uint64_t subscriber, int delta)
{
	struct pcpd_subscriber *sub = pcpd_subscriber_get(&d->subs, subscriber,
							  now_ms());

	if (sub && (delta > 0 || sub->peers))
		sub->peers += (unsigned int)delta;
}

static uint32_t clamp(const struct pcpd *d, uint32_t lifetime)
{
	const struct pcpd_map_config *cfg = &d->table.cfg;

	if (lifetime < cfg->lifetime_min)
		return cfg->lifetime_min;
	return lifetime > cfg->lifetime_max ? cfg->lifetime_max : lifetime;
}

static struct pcpd_ckpt_flow ckpt_flow(const struct pcpd_flow *f,
				       uint32_t owner)
{
	return (struct pcpd_ckpt_flow){
		.protocol = f->protocol,
		.src = f->internal, .dst = f->remote,
		.sport = f->internal_port, .dport = f->remote_port,
		.owner = owner,
	};
}

static void log_flow(const char *event, const struct pcpd_flow *f,
		     const char *extra)
{
	char in[INET6_ADDRSTRLEN], rem[INET6_ADDRSTRLEN];

	addr_str(&f->internal, in);
	addr_str(&f->remote, rem);
	log_event("%s internal=%s proto=%u port=%u remote=%s remote_port=%u external_port=%u%s",
		  event, in, f->protocol, f->internal_port, rem, f->remote_port,
		  f->external_port, extra);
}

/*
 * The flag of a PEER mapping's connection goes; the subscriber's quota
 * gets its place back.  A flag that was there before the PEER (a MAP's
 * rule made it) is the rule's, and stays.
 */
static void peer_release(struct pcpd *d, const struct pcpd_peer *peer,
			 const char *why)
{
	struct pcpd_ckpt_flow cf = ckpt_flow(&peer->flow, owner_of(peer->subscriber));
	struct pcpd_subscriber *sub;
	const char *msg = NULL;
	char extra[96];
	int err;

	snprintf(extra, sizeof(extra), " why=%s", why);
	if (peer->borrowed) {
		log_flow("checkpoint-released-rule-keeps-it", &peer->flow, extra);
		return;
	}
	err = pcpd_ckpt_flag(&d->ckpt, &cf, false, &msg);
	if (err)
		log_event("checkpoint-release-failed port=%u reason=\"%s\"",
			  peer->flow.internal_port, msg ? msg : strerror(-err));
	sub = pcpd_subscriber_get(&d->subs, peer->subscriber, now_ms());
	if (sub && sub->checkpointed)
		sub->checkpointed--;
	log_flow("checkpoint-released", &peer->flow, extra);
}

void peer_unprotect(struct pcpd *d, struct pcpd_peer *peer, const char *why)
{
	if (!peer || !peer->checkpoint)
		return;
	peer_release(d, peer, why);
	peer->checkpoint = false;
	peer->unsynced = false;
	peer->borrowed = false;
}

/*
 * An answer is to wait for the backup to hold PEER's connection: listen
 * for nf_ckpt's sync notifications, then read the connection's state,
 * since its notification may have gone before pcpd listened.
 */
void peer_watch_sync(struct pcpd *d, struct pcpd_peer *peer)
{
	struct pcpd_ckpt_flow cf = ckpt_flow(&peer->flow, 0);
	bool synced;
	int err;

	if (!peer->unsynced)
		return;
	err = pcpd_ckpt_sync_listen(&d->ckpt, true);
	if (err)	/* unless held now, the wait runs out: check-point taken back */
		log_event("sync-notifications-failed reason=\"%s\"", strerror(-err));
	if (!pcpd_ckpt_flag_get(&d->ckpt, &cf, &synced) && synced)
		peer->unsynced = false;
}

/*
 * Flag the connection the policy let be; whether it is flagged.  One a
 * MAP's rule flagged already is borrowed, not flagged or charged again,
 * and may be held by the backup already.
 */
static bool peer_flag(struct pcpd *d, struct pcpd_peer *peer,
		      const struct in6_addr *internal)
{
	uint64_t id = subscriber_id(d, internal);
	struct pcpd_ckpt_flow cf = ckpt_flow(&peer->flow, owner_of(id));
	const struct pcpd_flow *f = &peer->flow;
	struct pcpd_subscriber *sub;
	char extra[160];
	const char *msg = NULL;
	bool synced;
	int err;

	if (!pcpd_ckpt_flag_get(&d->ckpt, &cf, &synced)) {
		peer->borrowed = true;
		peer->unsynced = !synced && sync_wait_wanted(d);
		return true;
	}
	peer->unsynced = sync_wait_wanted(d);
	err = pcpd_ckpt_flag(&d->ckpt, &cf, true, &msg);
	if (err) {
		snprintf(extra, sizeof(extra), " reason=\"nf_ckpt: %s\"",
			 msg ? msg : strerror(-err));
		log_flow("checkpoint-refused", f, extra);
		return false;
	}
	sub = pcpd_subscriber_get(&d->subs, id, now_ms());
	if (sub)
		sub->checkpointed++;
	return true;
}

/*
 * IPv6 is not translated: a new connection is made as it is, and its
 * "binding" is the internal endpoint itself (RFC 6887 Figure 5, IPv6
 * firewall); any suggested address or port is only a hint.
 */
static uint8_t create_identity(struct pcpd *d, struct pcpd_flow *f,
			       uint32_t lifetime, bool *created)
{
	f->external = f->internal;
	f->external_port = f->internal_port;
	if (pcpd_ct_create(&d->peers, f, lifetime)) {
		log_flow("peer-failed", f, " reason=\"conntrack create\"");
		return PCP_NO_RESOURCES;
	}
	*created = true;
	return PCP_SUCCESS;
}

/*
 * The connection's binding, found or made: a PCP result.  A suggested
 * external address or port is only for a new connection.
 */
static uint8_t find_or_create(struct pcpd *d, const struct pcp_request *req,
			      struct pcpd_flow *f, uint32_t lifetime,
			      bool *created)
{
	const struct in6_addr *in6 = &f->internal;
	const struct in6_addr *ext = &d->table.cfg.external_addr;
	uint32_t timeout;
	uint16_t want;
	int err;

	*created = false;
	err = pcpd_ct_find(&d->peers, f, &timeout);
	if (!err) {
		if (timeout < lifetime)
			pcpd_ct_set_timeout(&d->peers, f, lifetime);
		return PCP_SUCCESS;
	}
	if (err != -ENOENT) {
		log_flow("peer-failed", f, " reason=\"conntrack lookup\"");
		return PCP_NO_RESOURCES;
	}

	if (!pcp_addr_is_v4mapped(in6))
		return create_identity(d, f, lifetime, created);
	if (pcp_addr_is_v4mapped(&req->external_addr) &&
	    memcmp(req->external_addr.s6_addr + 12, "\0\0\0\0", 4) &&
	    memcmp(&req->external_addr, ext, sizeof(*ext)))
		return PCP_CANNOT_PROVIDE_EXTERNAL;
	/* A port pcpd hands out, and no MAP mapping's (section 12.3). */
	if (req->external_port &&
	    !pcpd_map_port_allowed(&d->table, f->protocol, req->external_port,
				   in6, f->internal_port, now_seconds()))
		return PCP_CANNOT_PROVIDE_EXTERNAL;
	f->external = *ext;
	f->external_port = pcpd_map_choose_port(&d->table, req, in6, now_seconds());
	if (!f->external_port)
		return PCP_NO_RESOURCES;
	want = f->external_port;
	err = pcpd_ct_create(&d->peers, f, lifetime);
	if (err) {
		log_flow("peer-failed", f, " reason=\"conntrack create\"");
		return req->external_port ? PCP_CANNOT_PROVIDE_EXTERNAL :
					    PCP_NO_RESOURCES;
	}
	/* The NAT gave another port: kept only if one pcpd may hand out. */
	if (f->external_port != want &&
	    (req->external_port ||
	     !pcpd_map_port_allowed(&d->table, f->protocol, f->external_port,
				    in6, f->internal_port, now_seconds()))) {
		pcpd_ct_delete(&d->peers, f);
		return req->external_port ? PCP_CANNOT_PROVIDE_EXTERNAL :
					    PCP_NO_RESOURCES;
	}
	*created = true;
	return PCP_SUCCESS;
}

uint8_t handle_peer(struct pcpd *d, const struct pcp_request *req,
		    const struct in6_addr *internal, struct pcp_response *resp)
{
	struct pcpd_flow f = {
		.protocol = req->protocol,
		.internal_port = req->internal_port,
		.remote_port = req->peer_port,
	};
	struct ckpt_ask ask = {
		.internal = internal,
		.protocol = req->protocol,
		.port = req->internal_port,
		.remote_port = req->peer_port,
		.asked = req->checkpoint,
	};
	uint32_t lifetime = clamp(d, req->lifetime);
	struct pcpd_peer *peer;
	bool created, checkpoint;
	uint8_t result;

	/* No NAT64 or NAT46: the remote peer is of the client's family. */
	if (pcp_addr_is_v4mapped(internal) != pcp_addr_is_v4mapped(&req->peer_addr))
		return PCP_UNSUPP_PROTOCOL;
	if (req->protocol != IPPROTO_TCP && req->protocol != IPPROTO_UDP)
		return PCP_UNSUPP_PROTOCOL;
	f.internal = *internal;
	f.remote = req->peer_addr;
	/*
	 * A remote peer no implicit mapping would be made for (section
	 * 12.3): not a host, link-local, the client itself, or this server.
	 */
	if (!host_addr(&f.remote) || IN6_IS_ADDR_LINKLOCAL(&f.remote) ||
	    !memcmp(&f.remote, internal, sizeof(*internal)) ||
	    nat_own_addr(d, &f.remote))
		return PCP_MALFORMED_REQUEST;

	/* Section 12.3: one nonce a mapping, that of its first PEER. */
	peer = pcpd_peer_find(&d->peers, &f);
	if (peer && memcmp(peer->nonce, req->nonce, PCP_NONCE_LEN)) {
		resp->lifetime = peer->expires > now_seconds() ?
				 (uint32_t)(peer->expires - now_seconds()) : 0;
		return PCP_NOT_AUTHORIZED;
	}
	/* A new record counts against the subscriber's --quota, as a MAP. */
	if (!peer && mappings_of(d, subscriber_id(d, internal)) >= d->table.cfg.quota) {
		resp->lifetime = PCP_SHORT_ERROR_LIFETIME;
		return PCP_USER_EX_QUOTA;
	}
	result = find_or_create(d, req, &f, lifetime, &created);
	if (result)
		return result;
	if (!peer) {
		peer = pcpd_peer_add(&d->peers, &f);
		if (!peer) {
			if (created)
				pcpd_ct_delete(&d->peers, &f);
			return PCP_NO_RESOURCES;
		}
		memcpy(peer->nonce, req->nonce, PCP_NONCE_LEN);
		peer->subscriber = subscriber_id(d, internal);
		count_peer(d, peer->subscriber, 1);
	}
	peer->flow = f;
	peer->expires = now_seconds() + lifetime;

	ask.held = peer->checkpoint;
	checkpoint = ckpt_wanted(d, &ask);
	if (checkpoint && !peer->checkpoint) {
		checkpoint = peer_flag(d, peer, internal);
	} else if (!checkpoint && peer->checkpoint) {
		peer_release(d, peer, req->checkpoint ? "policy" :
			     "renewed without the option");
		peer->borrowed = false;
	}
	peer->checkpoint = checkpoint;
	log_flow("peer", &f, checkpoint ? " checkpoint=yes" : " checkpoint=no");

	resp->lifetime = lifetime;
	resp->external_addr = f.external;
	resp->external_port = f.external_port;
	/* RFC 7767: the option is in the answer only when asked and honoured. */
	resp->checkpoint = checkpoint && req->checkpoint;
	return PCP_SUCCESS;
}

static void on_gone(void *arg, const struct pcpd_peer *peer)
{
	count_peer(arg, peer->subscriber, -1);
	if (peer->checkpoint)
		peer_release(arg, peer, "expired");
}

/* PEER lifetimes that ran out: their flags go, the connections stay. */
void peers_expire(struct pcpd *d, uint64_t now)
{
	pcpd_peers_expire(&d->peers, now, on_gone, d);
}

struct pcpd_peer *peer_of_flow(struct pcpd *d, const struct pcpd_ckpt_flow *cf)
{
	struct pcpd_flow f = {
		.protocol = cf->protocol,
		.internal = cf->src,
		.internal_port = cf->sport,
		.remote = cf->dst,
		.remote_port = cf->dport,
	};

	return pcpd_peer_find(&d->peers, &f);
}
