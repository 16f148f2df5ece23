/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's table of MAP mappings and the decisions of RFC 6887 sections 11.3
 * and 15: create, refresh, delete, nonce checks, lifetimes, external port
 * choice.  A decision changes nothing; it is committed only once the
 * kernel side is done, so that an error leaves no state behind (section
 * 7.3).  Times are seconds of a monotonic clock, given by the caller.
 */
#ifndef PCPD_MAPPING_H
#define PCPD_MAPPING_H

#include <stdint.h>

#include "mapline.h"
#include "pcp.h"

struct pcpd_mapping {
	struct pcpd_mapping *next;	/* in its hash bucket */
	struct in6_addr internal_addr;
	uint8_t protocol;
	uint16_t internal_port;
	uint8_t nonce[PCP_NONCE_LEN];
	struct in6_addr external_addr;
	uint16_t external_port;
	uint64_t expires;
	uint64_t subscriber;
	bool checkpoint;
	bool standby;		/* the peer's, replicated; ours at takeover */
	bool unsynced;		/* check-pointed; the backup has not said so */
	uint64_t elem_expires;	/* when its nftables element times out */
	uint8_t n_filters;	/* remote peers allowed in (FILTER); 0: all */
	struct map_filter filters[MAP_FILTERS_MAX];
};

/* Whether M is IPv4's, translated; an IPv6 mapping opens the host itself. */
static inline bool pcpd_map_translated(const struct pcpd_mapping *m)
{
	return pcp_addr_is_v4mapped(&m->internal_addr);
}

struct pcpd_map_config {
	struct in6_addr external_addr;	/* IPv4-mapped */
	uint16_t port_min, port_max;	/* external ports handed out */
	uint32_t lifetime_min, lifetime_max;
	unsigned int quota;		/* mappings a subscriber may hold */
	uint32_t port_hold;		/* seconds a freed port is kept back */
};

/* A freed external port, kept back from other hosts (section 15). */
struct pcpd_port_hold {
	uint32_t until;			/* monotonic seconds */
	uint32_t holder;		/* hash of its last internal endpoint */
};

#define PCPD_MAP_BUCKETS	4096

struct pcpd_map_table {
	struct pcpd_map_config cfg;
	struct pcpd_mapping *buckets[PCPD_MAP_BUCKETS];
	uint8_t *ports_used[2];		/* bitmaps, TCP and UDP */
	struct pcpd_port_hold *held[2];	/* 65536 each, TCP and UDP */
	unsigned int count;
};

enum pcpd_map_action {
	PCPD_MAP_NONE,		/* answer only: a delete of nothing */
	PCPD_MAP_CREATE,
	PCPD_MAP_REFRESH,
	PCPD_MAP_DELETE,
};

/**
 * struct pcpd_map_decision - what a MAP request will do, once committed
 * @result: the PCP result code
 * @action: the change to make on success
 * @lifetime: granted lifetime, or how long an error holds
 * @external_addr: assigned (or copied from a delete request)
 * @external_port: assigned (or copied)
 * @existing: the mapping refreshed or deleted
 * @n_filters: the FILTERs the mapping will have (RFC 6887 section 13.3)
 * @filters: the existing ones, then the request's, in order
 */
struct pcpd_map_decision {
	uint8_t result;
	enum pcpd_map_action action;
	uint32_t lifetime;
	struct in6_addr external_addr;
	uint16_t external_port;
	struct pcpd_mapping *existing;
	uint8_t n_filters;
	struct map_filter filters[MAP_FILTERS_MAX];
};

int pcpd_map_table_init(struct pcpd_map_table *t,
			const struct pcpd_map_config *cfg);
void pcpd_map_table_free(struct pcpd_map_table *t);

void pcpd_map_decide(struct pcpd_map_table *t, const struct pcp_request *req,
		     const struct in6_addr *internal, uint64_t subscriber,
		     unsigned int subscriber_count, uint64_t now,
		     struct pcpd_map_decision *d);
struct pcpd_mapping *pcpd_map_commit(struct pcpd_map_table *t,
				     const struct pcp_request *req,
				     const struct in6_addr *internal,
				     uint64_t subscriber, uint64_t now,
				     const struct pcpd_map_decision *d);
struct pcpd_mapping *pcpd_map_lookup(struct pcpd_map_table *t,
				     const struct in6_addr *internal,
				     uint8_t protocol, uint16_t port);
/*
 * A mapping made elsewhere (the peer's, replicated): a copy of M goes in
 * as it is.  NULL when its key or external port is taken, or memory runs
 * out.
 */
struct pcpd_mapping *pcpd_map_insert(struct pcpd_map_table *t,
				     const struct pcpd_mapping *m);
void pcpd_map_remove(struct pcpd_map_table *t, struct pcpd_mapping *m,
		     uint64_t now);
/*
 * For PEER: may external PORT be handed out to INTERNAL's INTERNAL_PORT
 * at NOW (in range, not PCP's, no mapping on it, not kept back for
 * another host)?  And the port a new binding should get, as for MAP.
 */
bool pcpd_map_port_allowed(const struct pcpd_map_table *t, uint8_t protocol,
			   uint16_t port, const struct in6_addr *internal,
			   uint16_t internal_port, uint64_t now);
uint16_t pcpd_map_choose_port(const struct pcpd_map_table *t,
			      const struct pcp_request *req,
			      const struct in6_addr *internal, uint64_t now);

/* The mapping holding external PORT of PROTOCOL, if any. */
struct pcpd_mapping *pcpd_map_by_external(struct pcpd_map_table *t,
					  uint8_t protocol, uint16_t port);

/* Drop the mappings expired at NOW, each handed to GONE first. */
typedef void (*pcpd_map_gone_fn)(void *arg, const struct pcpd_mapping *m);
unsigned int pcpd_map_expire(struct pcpd_map_table *t, uint64_t now,
			     pcpd_map_gone_fn gone, void *arg);

#endif /* PCPD_MAPPING_H */
