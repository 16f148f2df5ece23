/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PCP wire format (RFC 6887) with the CHECKPOINT_REQUIRED option
 * (RFC 7767): parsing and building requests and responses.  No policy:
 * the codec says whether a message is well formed and what it asks; the
 * server decides what to grant.
 */
#ifndef PCP_H
#define PCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCP_VERSION		2
#define PCP_SERVER_PORT		5351
#define PCP_CLIENT_PORT		5350
#define PCP_MAX_LEN		1100
#define PCP_HEADER_LEN		24
#define PCP_MAP_LEN		36	/* opcode-specific data of MAP */
#define PCP_PEER_LEN		56	/* of PEER */
#define PCP_OPTION_HEADER_LEN	4
#define PCP_FILTER_LEN		20
#define PCP_NONCE_LEN		12
#define PCP_MAX_FILTERS		\
	((PCP_MAX_LEN - PCP_HEADER_LEN - PCP_MAP_LEN) / \
	 (PCP_OPTION_HEADER_LEN + PCP_FILTER_LEN))

/* Lifetimes of error responses, as RFC 6887 section 7.4 recommends. */
#define PCP_SHORT_ERROR_LIFETIME	30
#define PCP_LONG_ERROR_LIFETIME		1800

enum pcp_opcode {
	PCP_OP_ANNOUNCE = 0,
	PCP_OP_MAP = 1,
	PCP_OP_PEER = 2,
};

/* A request the server must not answer at all (RFC 6887 section 8.2). */
#define PCP_DROP	(-1)

enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

enum pcp_option_code {
	PCP_OPT_THIRD_PARTY = 1,
	PCP_OPT_PREFER_FAILURE = 2,
	PCP_OPT_FILTER = 3,
	PCP_OPT_CHECKPOINT_REQUIRED = 192,	/* RFC 7767 */
};

struct pcp_filter {
	uint8_t prefix_len;
	uint16_t port;			/* host order; 0: all ports */
	struct in6_addr addr;
};

/**
 * struct pcp_request - what a well-formed request asks
 *
 * Addresses are IPv6, IPv4 ones IPv4-mapped, as on the wire; ports and the
 * lifetime are in host order.  The option flags say which options the
 * request carried; the server reports which it processed in its
 * &struct pcp_response.
 */
struct pcp_request {
	uint8_t opcode;
	uint32_t lifetime;
	struct in6_addr client;

	/* MAP and PEER */
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;
	uint16_t internal_port;
	uint16_t external_port;		/* suggested */
	struct in6_addr external_addr;	/* suggested */

	/* PEER */
	uint16_t peer_port;
	struct in6_addr peer_addr;

	/* options */
	bool third_party;
	struct in6_addr third_party_addr;
	bool prefer_failure;
	bool checkpoint;
	unsigned int n_filters;
	struct pcp_filter filters[PCP_MAX_FILTERS];
};

/**
 * struct pcp_response - what a server grants, for pcp_build_response()
 * @version: the version of a response read by pcp_parse_response()
 * @result: the result code
 * @lifetime: granted lifetime, or how long an error holds
 * @epoch: the server's epoch time
 * @external_port: assigned (MAP, PEER)
 * @external_addr: assigned (MAP, PEER)
 * @third_party: echo the THIRD_PARTY option (processed)
 * @prefer_failure: echo PREFER_FAILURE (processed)
 * @filters: echo the FILTER options (processed)
 * @checkpoint: echo CHECKPOINT_REQUIRED: only when the mapping really is
 *	check-pointed (RFC 7767 section 3.2)
 */
struct pcp_response {
	uint8_t version;
	uint8_t result;
	uint32_t lifetime;
	uint32_t epoch;
	uint16_t external_port;
	struct in6_addr external_addr;
	bool third_party;
	bool prefer_failure;
	bool filters;
	bool checkpoint;
};

int pcp_parse_request(const uint8_t *msg, size_t len,
		      const struct in6_addr *source, struct pcp_request *req);
size_t pcp_build_response(const struct pcp_request *req,
			  const struct pcp_response *resp, uint8_t *out);
size_t pcp_build_error(const uint8_t *msg, size_t len, uint8_t result,
		       uint32_t lifetime, uint32_t epoch, bool parsed,
		       uint8_t *out);
uint32_t pcp_error_lifetime(uint8_t result);

size_t pcp_build_request(const struct pcp_request *req, uint8_t *out);
int pcp_parse_response(const uint8_t *msg, size_t len,
		       struct pcp_request *req, struct pcp_response *resp);

bool pcp_addr_is_v4mapped(const struct in6_addr *addr);
const char *pcp_result_name(int result);

#endif /* PCP_H */
