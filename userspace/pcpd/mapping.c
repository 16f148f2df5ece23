// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: MAP mappings (RFC 6887 sections 11.3 and 15).
 */

#include <stdlib.h>
#include <string.h>

#include "mapping.h"

static unsigned int proto_index(uint8_t protocol)
{
	return protocol == IPPROTO_UDP;
}

static unsigned int bucket_of(const struct in6_addr *addr, uint8_t protocol,
			      uint16_t port)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	unsigned int i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr->s6_addr[i]) * 16777619u;
	h = (h ^ protocol) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	return h % PCPD_MAP_BUCKETS;
}

/* Who a freed port is kept for: its last internal endpoint. */
static uint32_t holder_of(const struct in6_addr *internal, uint8_t protocol,
			  uint16_t port)
{
	uint32_t h = 2166136261u;
	unsigned int i;

	for (i = 0; i < 16; i++)
		h = (h ^ internal->s6_addr[i]) * 16777619u;
	h = (h ^ protocol) * 16777619u;
	return (h ^ port) * 16777619u;
}

/* Is PORT kept back at NOW for some host other than HOLDER? */
static bool port_held(const struct pcpd_map_table *t, uint8_t protocol,
		      uint16_t port, uint32_t holder, uint64_t now)
{
	const struct pcpd_port_hold *h = &t->held[proto_index(protocol)][port];

	return now < h->until && h->holder != holder;
}

/*
 * A mapping's external port, freed at NOW, is not handed to another host
 * for port_hold seconds (RFC 6887 section 15): traffic meant for the last
 * holder must not reach a new one.  Its own endpoint may have it back.
 */
static void hold_port(struct pcpd_map_table *t, const struct pcpd_mapping *m,
		      uint64_t now)
{
	struct pcpd_port_hold *h = &t->held[proto_index(m->protocol)][m->external_port];

	if (!pcpd_map_translated(m) || !t->cfg.port_hold ||
	    now > UINT32_MAX - t->cfg.port_hold)
		return;
	h->until = (uint32_t)now + t->cfg.port_hold;
	h->holder = holder_of(&m->internal_addr, m->protocol, m->internal_port);
}

static bool port_used(const struct pcpd_map_table *t, uint8_t protocol,
		      uint16_t port)
{
	const uint8_t *map = t->ports_used[proto_index(protocol)];

	return map[port / 8] & (1u << (port % 8));
}

/* The external ports of IPv4's mappings; an IPv6 mapping has its own. */
static void mark_port(struct pcpd_map_table *t, const struct pcpd_mapping *m,
		      bool used)
{
	uint8_t *map = t->ports_used[proto_index(m->protocol)];
	uint16_t port = m->external_port;

	if (!pcpd_map_translated(m))
		return;
	if (used)
		map[port / 8] |= (uint8_t)(1u << (port % 8));
	else
		map[port / 8] &= (uint8_t)~(1u << (port % 8));
}

int pcpd_map_table_init(struct pcpd_map_table *t,
			const struct pcpd_map_config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->ports_used[0] = calloc(1, 65536 / 8);
	t->ports_used[1] = calloc(1, 65536 / 8);
	t->held[0] = calloc(65536, sizeof(*t->held[0]));
	t->held[1] = calloc(65536, sizeof(*t->held[1]));
	if (!t->ports_used[0] || !t->ports_used[1] || !t->held[0] || !t->held[1]) {
		pcpd_map_table_free(t);
		return -1;
	}
	return 0;
}

void pcpd_map_table_free(struct pcpd_map_table *t)
{
	struct pcpd_mapping *m, *next;
	unsigned int i;

	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = t->buckets[i]; m; m = next) {
			next = m->next;
			free(m);
		}
		t->buckets[i] = NULL;
	}
	free(t->ports_used[0]);
	free(t->ports_used[1]);
	free(t->held[0]);
	free(t->held[1]);
	t->ports_used[0] = t->ports_used[1] = NULL;
	t->held[0] = t->held[1] = NULL;
	t->count = 0;
}

struct pcpd_mapping *pcpd_map_lookup(struct pcpd_map_table *t,
				     const struct in6_addr *internal,
				     uint8_t protocol, uint16_t port)
{
	struct pcpd_mapping *m;

	for (m = t->buckets[bucket_of(internal, protocol, port)]; m; m = m->next) {
		if (m->protocol == protocol && m->internal_port == port &&
		    !memcmp(&m->internal_addr, internal, sizeof(*internal)))
			return m;
	}
	return NULL;
}

static uint32_t clamp_lifetime(const struct pcpd_map_config *cfg, uint32_t l)
{
	if (l < cfg->lifetime_min)
		return cfg->lifetime_min;
	if (l > cfg->lifetime_max)
		return cfg->lifetime_max;
	return l;
}

/*
 * Ports PCP itself uses are never handed out (RFC 6887 section 11.3), nor
 * one in use or kept back for a host other than HOLDER.
 */
static bool port_allowed(const struct pcpd_map_table *t, uint8_t protocol,
			 uint16_t port, uint32_t holder, uint64_t now)
{
	if (port < t->cfg.port_min || port > t->cfg.port_max)
		return false;
	if (protocol == IPPROTO_UDP &&
	    (port == PCP_CLIENT_PORT || port == PCP_SERVER_PORT))
		return false;
	return !port_used(t, protocol, port) &&
	       !port_held(t, protocol, port, holder, now);
}

/* All zeros, IPv6 or IPv4-mapped: the client has no preference. */
static bool addr_unspecified(const struct in6_addr *a)
{
	static const struct in6_addr any;

	return !memcmp(a, &any, sizeof(any)) ||
	       (pcp_addr_is_v4mapped(a) && !memcmp(a->s6_addr + 12, "\0\0\0\0", 4));
}

/*
 * An external port for a new mapping: the suggested one if it can be had,
 * else, unless the client prefers failure, the first free one from the
 * internal port on.  0 if none.
 */
static uint16_t choose_port(const struct pcpd_map_table *t,
			    const struct pcp_request *req,
			    const struct in6_addr *internal, uint64_t now)
{
	uint32_t span = (uint32_t)t->cfg.port_max - t->cfg.port_min + 1;
	uint32_t holder = holder_of(internal, req->protocol, req->internal_port);
	uint32_t i, start;
	uint16_t port;
	bool addr_ok;

	addr_ok = addr_unspecified(&req->external_addr) ||
		  !memcmp(&req->external_addr, &t->cfg.external_addr,
			  sizeof(req->external_addr));
	if (addr_ok && req->external_port &&
	    port_allowed(t, req->protocol, req->external_port, holder, now))
		return req->external_port;
	if (req->prefer_failure)
		return 0;

	start = req->internal_port >= t->cfg.port_min &&
		req->internal_port <= t->cfg.port_max ?
		req->internal_port - t->cfg.port_min : 0;
	for (i = 0; i < span; i++) {
		port = (uint16_t)(t->cfg.port_min + (start + i) % span);
		if (port_allowed(t, req->protocol, port, holder, now))
			return port;
	}
	return 0;
}

bool pcpd_map_port_allowed(const struct pcpd_map_table *t, uint8_t protocol,
			   uint16_t port, const struct in6_addr *internal,
			   uint16_t internal_port, uint64_t now)
{
	return port_allowed(t, protocol, port,
			    holder_of(internal, protocol, internal_port), now);
}

uint16_t pcpd_map_choose_port(const struct pcpd_map_table *t,
			      const struct pcp_request *req,
			      const struct in6_addr *internal, uint64_t now)
{
	return choose_port(t, req, internal, now);
}

static void decide_error(struct pcpd_map_decision *d, uint8_t result,
			 uint32_t lifetime)
{
	d->result = result;
	d->action = PCPD_MAP_NONE;
	d->lifetime = lifetime;
}

static uint32_t remaining(const struct pcpd_mapping *m, uint64_t now)
{
	return m->expires > now ? (uint32_t)(m->expires - now) : 0;
}

static void decide_delete(const struct pcp_request *req,
			  struct pcpd_mapping *m, uint64_t now,
			  struct pcpd_map_decision *d)
{
	/* A delete's suggested address and port are copied, not used. */
	d->external_addr = req->external_addr;
	d->external_port = req->external_port;
	d->lifetime = 0;
	d->result = PCP_SUCCESS;

	if (req->prefer_failure) {
		decide_error(d, PCP_MALFORMED_OPTION, PCP_LONG_ERROR_LIFETIME);
		return;
	}
	if (!m) {
		d->action = PCPD_MAP_NONE;	/* deleting nothing succeeds */
		return;
	}
	if (memcmp(m->nonce, req->nonce, PCP_NONCE_LEN)) {
		decide_error(d, PCP_NOT_AUTHORIZED, remaining(m, now));
		return;
	}
	d->action = PCPD_MAP_DELETE;
	d->existing = m;
}

/*
 * The FILTERs the mapping will have (section 13.3): those it has, then the
 * request's in order, a prefix length of 0 removing all before it.  More
 * than MAP_FILTERS_MAX is EXCESSIVE_REMOTE_PEERS; a remote peer of the
 * other family than the internal host's is MALFORMED_OPTION (section
 * 11.3: the two are always of one family).
 */
static uint8_t decide_filters(const struct pcp_request *req,
			      const struct in6_addr *internal,
			      const struct pcpd_mapping *m,
			      struct pcpd_map_decision *d)
{
	bool v4 = pcp_addr_is_v4mapped(internal);
	unsigned int i, j, bits, width = v4 ? 32 : 128;
	const struct pcp_filter *f;
	struct map_filter add;

	d->n_filters = m ? m->n_filters : 0;
	if (m)
		memcpy(d->filters, m->filters, sizeof(d->filters));
	for (i = 0; i < req->n_filters; i++) {
		f = &req->filters[i];
		if (!f->prefix_len) {
			d->n_filters = 0;
			continue;
		}
		if (pcp_addr_is_v4mapped(&f->addr) != v4)
			return PCP_MALFORMED_OPTION;
		memset(&add, 0, sizeof(add));
		add.prefix_len = (uint8_t)(v4 ? f->prefix_len - 96 : f->prefix_len);
		add.port = f->port;
		memcpy(add.addr, f->addr.s6_addr + (v4 ? 12 : 0), width / 8);
		for (bits = add.prefix_len; bits < width; bits++)	/* host bits go */
			add.addr[bits / 8] &= (uint8_t)~(0x80 >> (bits % 8));
		for (j = 0; j < d->n_filters; j++) {
			if (map_filters_equal(&d->filters[j], 1, &add, 1))
				break;
		}
		if (j < d->n_filters)
			continue;
		if (d->n_filters == MAP_FILTERS_MAX)
			return PCP_EXCESSIVE_REMOTE_PEERS;
		d->filters[d->n_filters++] = add;
	}
	return PCP_SUCCESS;
}

/*
 * IPv6 is not translated: pcpd is its firewall (RFC 6887 section 1,
 * Figure 5), and a mapping opens the internal endpoint itself, whatever
 * the client suggested; one that prefers failure gets it.  UDP 5350 and
 * 5351 are PCP's, and can have no mapping.
 */
static void decide_identity(const struct pcp_request *req,
			    const struct in6_addr *internal,
			    struct pcpd_map_decision *d)
{
	/* Section 11.3: never PCP's own ports, and there is no other. */
	if (req->protocol == IPPROTO_UDP &&
	    (req->internal_port == PCP_CLIENT_PORT ||
	     req->internal_port == PCP_SERVER_PORT)) {
		decide_error(d, req->prefer_failure ? PCP_CANNOT_PROVIDE_EXTERNAL :
			     PCP_NO_RESOURCES, PCP_SHORT_ERROR_LIFETIME);
		return;
	}
	if (req->prefer_failure &&
	    ((req->external_port && req->external_port != req->internal_port) ||
	     (!addr_unspecified(&req->external_addr) &&
	      memcmp(&req->external_addr, internal, sizeof(*internal))))) {
		decide_error(d, PCP_CANNOT_PROVIDE_EXTERNAL, PCP_SHORT_ERROR_LIFETIME);
		return;
	}
	d->external_addr = *internal;
	d->external_port = req->internal_port;
	d->action = PCPD_MAP_CREATE;
}

void pcpd_map_decide(struct pcpd_map_table *t, const struct pcp_request *req,
		     const struct in6_addr *internal, uint64_t subscriber,
		     unsigned int subscriber_count, uint64_t now,
		     struct pcpd_map_decision *d)
{
	struct pcpd_mapping *m;

	(void)subscriber;
	memset(d, 0, sizeof(*d));
	if (!req->protocol && req->internal_port) {
		decide_error(d, PCP_MALFORMED_REQUEST, PCP_LONG_ERROR_LIFETIME);
		return;
	}
	/* Only single-port TCP and UDP mappings can be installed. */
	if ((req->protocol != IPPROTO_TCP && req->protocol != IPPROTO_UDP) ||
	    !req->internal_port) {
		if (req->lifetime)
			decide_error(d, PCP_UNSUPP_PROTOCOL, PCP_LONG_ERROR_LIFETIME);
		else
			decide_delete(req, NULL, now, d);
		return;
	}

	m = pcpd_map_lookup(t, internal, req->protocol, req->internal_port);
	if (!req->lifetime) {
		decide_delete(req, m, now, d);
		return;
	}

	if (m && memcmp(m->nonce, req->nonce, PCP_NONCE_LEN)) {
		decide_error(d, PCP_NOT_AUTHORIZED, remaining(m, now));
		return;
	}
	d->lifetime = clamp_lifetime(&t->cfg, req->lifetime);
	d->result = decide_filters(req, internal, m, d);
	if (d->result) {
		decide_error(d, d->result, PCP_LONG_ERROR_LIFETIME);	/* section 7.4 */
		return;
	}

	if (m) {
		if (req->prefer_failure &&
		    (req->external_port != m->external_port ||
		     (!addr_unspecified(&req->external_addr) &&
		      memcmp(&req->external_addr, &m->external_addr,
			     sizeof(m->external_addr))))) {
			decide_error(d, PCP_CANNOT_PROVIDE_EXTERNAL,
				     PCP_SHORT_ERROR_LIFETIME);
			return;
		}
		d->action = PCPD_MAP_REFRESH;
		d->existing = m;
		d->external_addr = m->external_addr;
		d->external_port = m->external_port;
		return;
	}

	if (subscriber_count >= t->cfg.quota) {
		decide_error(d, PCP_USER_EX_QUOTA, PCP_SHORT_ERROR_LIFETIME);
		return;
	}
	if (!pcp_addr_is_v4mapped(internal)) {
		decide_identity(req, internal, d);
		return;
	}
	d->external_port = choose_port(t, req, internal, now);
	if (!d->external_port) {
		decide_error(d, req->prefer_failure ? PCP_CANNOT_PROVIDE_EXTERNAL :
			     PCP_NO_RESOURCES, PCP_SHORT_ERROR_LIFETIME);
		return;
	}
	d->external_addr = t->cfg.external_addr;
	d->action = PCPD_MAP_CREATE;
}

static void unlink_mapping(struct pcpd_map_table *t, struct pcpd_mapping *m)
{
	struct pcpd_mapping **pp;

	pp = &t->buckets[bucket_of(&m->internal_addr, m->protocol,
				   m->internal_port)];
	while (*pp != m)
		pp = &(*pp)->next;
	*pp = m->next;
	mark_port(t, m, false);
	t->count--;
	free(m);
}

/*
 * Apply decision D, taken for REQ at NOW.  A refresh moves the expiry to
 * now + granted lifetime, never keeping the first expiry (a server that
 * kept it dropped mappings whose clients refreshed them on time).
 * Returns the mapping created or refreshed, NULL otherwise (also when
 * memory runs out for a create: the caller answers NO_RESOURCES).
 */
struct pcpd_mapping *pcpd_map_commit(struct pcpd_map_table *t,
				     const struct pcp_request *req,
				     const struct in6_addr *internal,
				     uint64_t subscriber, uint64_t now,
				     const struct pcpd_map_decision *d)
{
	struct pcpd_mapping *m;
	unsigned int b;

	switch (d->action) {
	case PCPD_MAP_NONE:
		return NULL;
	case PCPD_MAP_DELETE:
		hold_port(t, d->existing, now);
		unlink_mapping(t, d->existing);
		return NULL;
	case PCPD_MAP_REFRESH:
		d->existing->expires = now + d->lifetime;
		d->existing->checkpoint = req->checkpoint;
		d->existing->n_filters = d->n_filters;
		memcpy(d->existing->filters, d->filters, sizeof(d->filters));
		return d->existing;
	case PCPD_MAP_CREATE:
		break;
	}

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->internal_addr = *internal;
	m->protocol = req->protocol;
	m->internal_port = req->internal_port;
	memcpy(m->nonce, req->nonce, PCP_NONCE_LEN);
	m->external_addr = d->external_addr;
	m->external_port = d->external_port;
	m->expires = now + d->lifetime;
	m->subscriber = subscriber;
	m->checkpoint = req->checkpoint;
	m->n_filters = d->n_filters;
	memcpy(m->filters, d->filters, sizeof(d->filters));

	b = bucket_of(internal, m->protocol, m->internal_port);
	m->next = t->buckets[b];
	t->buckets[b] = m;
	mark_port(t, m, true);
	t->count++;
	return m;
}

struct pcpd_mapping *pcpd_map_insert(struct pcpd_map_table *t,
				     const struct pcpd_mapping *src)
{
	struct pcpd_mapping *m;
	unsigned int b;

	if (pcpd_map_lookup(t, &src->internal_addr, src->protocol,
			    src->internal_port) ||
	    (pcpd_map_translated(src) &&
	     port_used(t, src->protocol, src->external_port)))
		return NULL;
	m = malloc(sizeof(*m));
	if (!m)
		return NULL;
	*m = *src;
	b = bucket_of(&m->internal_addr, m->protocol, m->internal_port);
	m->next = t->buckets[b];
	t->buckets[b] = m;
	mark_port(t, m, true);
	t->count++;
	return m;
}

void pcpd_map_remove(struct pcpd_map_table *t, struct pcpd_mapping *m,
		     uint64_t now)
{
	hold_port(t, m, now);
	unlink_mapping(t, m);
}

struct pcpd_mapping *pcpd_map_by_external(struct pcpd_map_table *t,
					  uint8_t protocol, uint16_t port)
{
	struct pcpd_mapping *m;
	unsigned int i;

	if (!port_used(t, protocol, port))
		return NULL;
	for (i = 0; i < PCPD_MAP_BUCKETS; i++)
		for (m = t->buckets[i]; m; m = m->next)
			if (m->protocol == protocol && m->external_port == port &&
			    pcpd_map_translated(m))
				return m;
	return NULL;
}

/* Drop the mappings whose lifetime has run out; how many went. */
unsigned int pcpd_map_expire(struct pcpd_map_table *t, uint64_t now,
			     pcpd_map_gone_fn gone, void *arg)
{
	struct pcpd_mapping *m, *next;
	unsigned int i, n = 0;

	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = t->buckets[i]; m; m = next) {
			next = m->next;
			if (m->expires <= now) {
				if (gone)
					gone(arg, m);
				hold_port(t, m, m->expires);
				unlink_mapping(t, m);
				n++;
			}
		}
	}
	return n;
}
