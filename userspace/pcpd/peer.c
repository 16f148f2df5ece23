// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: PEER mappings and the conntrack requests behind them (see
 * peer.h), through libnetfilter_conntrack's synchronous queries.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "peer.h"

int pcpd_peers_open(struct pcpd_peers *p)
{
	memset(p, 0, sizeof(*p));
	p->ct = nfct_open(CONNTRACK, 0);
	return p->ct ? 0 : -errno;
}

void pcpd_peers_close(struct pcpd_peers *p)
{
	struct pcpd_peer *peer, *next;
	unsigned int i;

	for (i = 0; i < PCPD_PEER_BUCKETS; i++) {
		for (peer = p->buckets[i]; peer; peer = next) {
			next = peer->next;
			free(peer);
		}
		p->buckets[i] = NULL;
	}
	if (p->ct)
		nfct_close(p->ct);
	p->ct = NULL;
	p->count = 0;
}

static bool same_key(const struct pcpd_flow *a, const struct pcpd_flow *b)
{
	return a->protocol == b->protocol &&
	       !memcmp(&a->internal, &b->internal, sizeof(a->internal)) &&
	       a->internal_port == b->internal_port &&
	       !memcmp(&a->remote, &b->remote, sizeof(a->remote)) &&
	       a->remote_port == b->remote_port;
}

static uint32_t fnv(uint32_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static unsigned int bucket_of(const struct pcpd_flow *f)
{
	uint32_t h = 2166136261u;	/* FNV-1a over the five-tuple */
	uint32_t ports = (uint32_t)f->internal_port << 16 | f->remote_port;

	h = fnv(h, &f->internal, sizeof(f->internal));
	h = fnv(h, &f->remote, sizeof(f->remote));
	h = fnv(h, &ports, sizeof(ports));
	h = fnv(h, &f->protocol, sizeof(f->protocol));
	return h % PCPD_PEER_BUCKETS;
}

static bool flow_v4(const struct pcpd_flow *f)
{
	return IN6_IS_ADDR_V4MAPPED(&f->internal);
}

struct pcpd_peer *pcpd_peer_find(struct pcpd_peers *p,
				 const struct pcpd_flow *key)
{
	struct pcpd_peer *peer;

	for (peer = p->buckets[bucket_of(key)]; peer; peer = peer->next)
		if (same_key(&peer->flow, key))
			return peer;
	return NULL;
}

struct pcpd_peer *pcpd_peer_add(struct pcpd_peers *p,
				const struct pcpd_flow *flow)
{
	struct pcpd_peer *peer = calloc(1, sizeof(*peer));
	unsigned int b = bucket_of(flow);

	if (!peer)
		return NULL;
	peer->flow = *flow;
	peer->next = p->buckets[b];
	p->buckets[b] = peer;
	p->count++;
	return peer;
}

void pcpd_peer_remove(struct pcpd_peers *p, struct pcpd_peer *peer)
{
	struct pcpd_peer **pp = &p->buckets[bucket_of(&peer->flow)];

	while (*pp != peer)
		pp = &(*pp)->next;
	*pp = peer->next;
	free(peer);
	p->count--;
}

void pcpd_peers_expire(struct pcpd_peers *p, uint64_t now,
		       pcpd_peer_gone_fn gone, void *arg)
{
	struct pcpd_peer **pp, *peer;
	unsigned int i;

	for (i = 0; i < PCPD_PEER_BUCKETS; i++) {
		pp = &p->buckets[i];
		while ((peer = *pp)) {
			if (peer->expires > now) {
				pp = &peer->next;
				continue;
			}
			gone(arg, peer);
			*pp = peer->next;
			free(peer);
			p->count--;
		}
	}
}

/* A conntrack object with FLOW's original tuple. */
static struct nf_conntrack *ct_of(const struct pcpd_flow *flow)
{
	struct nf_conntrack *ct = nfct_new();

	if (!ct)
		return NULL;
	if (flow_v4(flow)) {
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		nfct_set_attr(ct, ATTR_ORIG_IPV4_SRC, flow->internal.s6_addr + 12);
		nfct_set_attr(ct, ATTR_ORIG_IPV4_DST, flow->remote.s6_addr + 12);
	} else {
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, &flow->internal);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, &flow->remote);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, flow->protocol);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(flow->internal_port));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(flow->remote_port));
	return ct;
}

struct found {
	struct pcpd_flow *flow;
	uint32_t timeout;
	bool seen;
};

static int on_found(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct found *f = data;

	(void)type;
	/* The reply's destination is where the NAT translated the source. */
	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) == AF_INET) {
		memset(&f->flow->external, 0, sizeof(f->flow->external));
		f->flow->external.s6_addr[10] = f->flow->external.s6_addr[11] = 0xff;
		memcpy(f->flow->external.s6_addr + 12,
		       nfct_get_attr(ct, ATTR_REPL_IPV4_DST), 4);
	} else {
		memcpy(&f->flow->external, nfct_get_attr(ct, ATTR_REPL_IPV6_DST), 16);
	}
	f->flow->external_port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
	f->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	f->seen = true;
	/* Not STOP: that would leave the request's ack for the next query. */
	return NFCT_CB_CONTINUE;
}

int pcpd_ct_find(struct pcpd_peers *p, struct pcpd_flow *flow,
		 uint32_t *timeout)
{
	struct found f = { .flow = flow };
	struct nf_conntrack *ct = ct_of(flow);
	int ret;

	if (!ct)
		return -ENOMEM;
	nfct_callback_register(p->ct, NFCT_T_ALL, on_found, &f);
	ret = nfct_query(p->ct, NFCT_Q_GET, ct);
	nfct_callback_unregister(p->ct);
	nfct_destroy(ct);
	if (ret < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (!f.seen)
		return -ENOENT;
	if (timeout)
		*timeout = f.timeout;
	return 0;
}

int pcpd_ct_create(struct pcpd_peers *p, struct pcpd_flow *flow,
		   uint32_t timeout)
{
	struct nf_conntrack *ct = ct_of(flow);
	int ret;

	if (!ct)
		return -ENOMEM;
	/* The reply before NAT: conntrack applies the binding to it. */
	nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	if (flow_v4(flow)) {
		nfct_set_attr(ct, ATTR_SNAT_IPV4, flow->external.s6_addr + 12);
		nfct_set_attr_u16(ct, ATTR_SNAT_PORT,
				  htons(flow->external_port ? flow->external_port :
					flow->internal_port));
	}
	/* As if the client's SYN had passed: its SYN then finds the entry. */
	if (flow->protocol == IPPROTO_TCP)
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_SYN_SENT);
	ret = nfct_query(p->ct, NFCT_Q_CREATE, ct);
	nfct_destroy(ct);
	if (ret < 0)
		return -errno;
	return pcpd_ct_find(p, flow, NULL);
}

int pcpd_ct_set_timeout(struct pcpd_peers *p, const struct pcpd_flow *flow,
			uint32_t timeout)
{
	struct nf_conntrack *ct = ct_of(flow);
	int ret;

	if (!ct)
		return -ENOMEM;
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	ret = nfct_query(p->ct, NFCT_Q_UPDATE, ct);
	nfct_destroy(ct);
	return ret < 0 ? -errno : 0;
}

int pcpd_ct_delete(struct pcpd_peers *p, const struct pcpd_flow *flow)
{
	struct nf_conntrack *ct = ct_of(flow);
	int ret;

	if (!ct)
		return -ENOMEM;
	ret = nfct_query(p->ct, NFCT_Q_DESTROY, ct);
	nfct_destroy(ct);
	return ret < 0 ? -errno : 0;
}
