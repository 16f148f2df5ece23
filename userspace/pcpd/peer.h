/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's PEER mappings (RFC 6887 section 12): the outbound connection's
 * NAT binding, found in conntrack or created there, and what pcpd must
 * remember of it: the nonce of the first PEER for it, how long the last
 * granted lifetime runs, and whether it is check-pointed.
 */
#ifndef PCPD_PEER_H
#define PCPD_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "pcp.h"

struct nfct_handle;

/*
 * One outbound connection (its original direction's five-tuple); IPv4
 * addresses IPv4-mapped.
 */
struct pcpd_flow {
	uint8_t protocol;
	struct in6_addr internal;
	uint16_t internal_port;		/* host order */
	struct in6_addr remote;
	uint16_t remote_port;
	struct in6_addr external;	/* its NAT binding; IPv6: internal */
	uint16_t external_port;
};

struct pcpd_peer {
	struct pcpd_peer *next;		/* in its bucket */
	struct pcpd_flow flow;
	uint8_t nonce[PCP_NONCE_LEN];
	uint64_t expires;		/* monotonic seconds */
	uint64_t subscriber;
	bool checkpoint;
	bool unsynced;		/* flagged; the backup has not confirmed it */
	bool borrowed;		/* flagged before, by a MAP's rule: not ours */
};

#define PCPD_PEER_BUCKETS	4096

struct pcpd_peers {
	struct nfct_handle *ct;
	struct pcpd_peer *buckets[PCPD_PEER_BUCKETS];
	unsigned int count;
};

int pcpd_peers_open(struct pcpd_peers *p);
void pcpd_peers_close(struct pcpd_peers *p);

struct pcpd_peer *pcpd_peer_find(struct pcpd_peers *p,
				 const struct pcpd_flow *key);
struct pcpd_peer *pcpd_peer_add(struct pcpd_peers *p,
				const struct pcpd_flow *flow);
void pcpd_peer_remove(struct pcpd_peers *p, struct pcpd_peer *peer);

/*
 * Conntrack: the connection of FLOW's five-tuple, its binding filled in;
 * 0, -ENOENT when there is none, or another negative errno.
 */
int pcpd_ct_find(struct pcpd_peers *p, struct pcpd_flow *flow,
		 uint32_t *timeout);
/*
 * A new connection for FLOW, translated to its external address and
 * port (a port of 0: the internal one; IPv6 is not translated), lasting
 * TIMEOUT seconds until traffic takes over; the binding conntrack gave
 * is filled in.
 */
int pcpd_ct_create(struct pcpd_peers *p, struct pcpd_flow *flow,
		   uint32_t timeout);
int pcpd_ct_set_timeout(struct pcpd_peers *p, const struct pcpd_flow *flow,
			uint32_t timeout);
int pcpd_ct_delete(struct pcpd_peers *p, const struct pcpd_flow *flow);

/* Every record whose lifetime ran out by NOW to GONE, then dropped. */
typedef void (*pcpd_peer_gone_fn)(void *arg, const struct pcpd_peer *peer);
void pcpd_peers_expire(struct pcpd_peers *p, uint64_t now,
		       pcpd_peer_gone_fn gone, void *arg);

#endif /* PCPD_PEER_H */
