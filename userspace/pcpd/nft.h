/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's mappings in nftables: a table "ip pcpd" that pcpd owns, with one
 * DNAT map per protocol whose elements carry timeouts, so that the kernel
 * expires a mapping itself and one mapping costs one element, not a rule.
 * A mapping with FILTERs also has an element in the protocol's "filtered"
 * set and one per FILTER in its "allowed" set: a new connection to it
 * from any other remote peer is dropped before DNAT.  IPv6 is not
 * translated: a table "ip6 pcpd" drops new connections from the outside
 * to endpoints no mapping opened (an element in the "open" set).
 */
#ifndef PCPD_NFT_H
#define PCPD_NFT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "mapline.h"

struct mnl_socket;
struct nft_ctx;

struct pcpd_nft {
	struct mnl_socket *nl;
	struct nft_ctx *ctx;
	uint32_t portid;
	uint32_t seq;
};

/*
 * One mapping: external address and port to internal ones, for TCP/UDP.
 * IPv4 addresses are IPv4-mapped; an IPv6 mapping has the same address
 * and port on both sides, and opens the endpoint rather than DNAT.
 */
struct pcpd_nft_mapping {
	uint8_t protocol;
	struct in6_addr external_addr;
	uint16_t external_port;		/* host order */
	struct in6_addr internal_addr;
	uint16_t internal_port;		/* host order */
	uint32_t timeout;		/* seconds */
	uint8_t n_filters;		/* 0: every remote peer may come in */
	const struct map_filter *filters;
};

int pcpd_nft_open(struct pcpd_nft *n);
void pcpd_nft_close(struct pcpd_nft *n);
/*
 * The tables, anew; "ip6 pcpd" only with OUTSIDE, the interfaces that
 * face the outside as an nft list ("\"eth0\", \"eth1\"").
 */
int pcpd_nft_setup(struct pcpd_nft *n, const char *outside);
/*
 * At stop: "ip pcpd" goes; with OUTSIDE, "ip6 pcpd" stays, empty, so
 * that IPv6 stays closed while pcpd is away.
 */
int pcpd_nft_teardown(struct pcpd_nft *n, const char *outside);
/*
 * Install M, or with OLD replace that one (its element and filters) by M,
 * atomically.  0 or a negative errno.
 */
int pcpd_nft_add(struct pcpd_nft *n, const struct pcpd_nft_mapping *m,
		 const struct pcpd_nft_mapping *old);
int pcpd_nft_del(struct pcpd_nft *n, const struct pcpd_nft_mapping *m);

#endif /* PCPD_NFT_H */
