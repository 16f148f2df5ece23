// SPDX-License-Identifier: GPL-2.0
/*
 * PCP messages (RFC 6887, with RFC 7767's CHECKPOINT_REQUIRED): the checks
 * of section 8.2 in their order, options by section 7.3, and responses
 * that carry only what the server processed.
 */

#include <string.h>

#include "pcp.h"
#include "util.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ::ffff:0:0/96, checked on all 96 bits. */
bool pcp_addr_is_v4mapped(const struct in6_addr *addr)
{
	static const uint8_t prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return !memcmp(addr->s6_addr, prefix, sizeof(prefix));
}

/* The length of an opcode's specific data, or -1 for an unknown opcode. */
static int opcode_data_len(uint8_t opcode)
{
	switch (opcode) {
	case PCP_OP_ANNOUNCE:
		return 0;
	case PCP_OP_MAP:
		return PCP_MAP_LEN;
	case PCP_OP_PEER:
		return PCP_PEER_LEN;
	}
	return -1;
}

static void read_mapping(const uint8_t *p, struct pcp_request *req)
{
	memcpy(req->nonce, p, PCP_NONCE_LEN);
	req->protocol = p[12];
	req->internal_port = get16(p + 16);
	req->external_port = get16(p + 18);
	memcpy(&req->external_addr, p + 20, 16);

	if (req->opcode == PCP_OP_PEER) {
		req->peer_port = get16(p + 36);
		memcpy(&req->peer_addr, p + 40, 16);
	}
}

/*
 * The opcode's fields that are wrong whatever the server's policy: a MAP
 * for all protocols on one port (RFC 6887 sections 11.3, 15.1), a PEER
 * with protocol, internal port or remote port zero (section 12.1).
 */
static int check_mapping(const struct pcp_request *req)
{
	if (req->opcode == PCP_OP_MAP)
		return !req->protocol && req->internal_port ?
		       PCP_MALFORMED_REQUEST : PCP_SUCCESS;
	if (!req->protocol || !req->internal_port || !req->peer_port)
		return PCP_MALFORMED_REQUEST;
	return PCP_SUCCESS;
}

static int parse_filter(const uint8_t *data, struct pcp_request *req)
{
	struct pcp_filter *f;

	if (req->lifetime == 0)
		return PCP_MALFORMED_OPTION;	/* no filter on a delete */

	f = &req->filters[req->n_filters];
	f->prefix_len = data[1];
	f->port = get16(data + 2);
	memcpy(&f->addr, data + 4, 16);

	/* IPv4 prefixes count the 96 bits of the mapped prefix; 0 clears. */
	if (f->prefix_len > 128 ||
	    (f->prefix_len && f->prefix_len < 96 &&
	     pcp_addr_is_v4mapped(&f->addr)))
		return PCP_MALFORMED_OPTION;

	req->n_filters++;
	return PCP_SUCCESS;
}

/* One option; CODE, DATA of LEN octets.  A result code, 0 if accepted. */
static int parse_option(uint8_t code, const uint8_t *data, uint16_t len,
			const struct in6_addr *source, struct pcp_request *req)
{
	bool mapping = req->opcode == PCP_OP_MAP || req->opcode == PCP_OP_PEER;

	switch (code) {
	case PCP_OPT_THIRD_PARTY:
		if (!mapping)
			return PCP_UNSUPP_OPTION;
		if (len != 16 || req->third_party)
			return PCP_MALFORMED_OPTION;
		memcpy(&req->third_party_addr, data, 16);
		/* Naming oneself is an error (RFC 6887 section 13.1). */
		if (!memcmp(&req->third_party_addr, source, 16))
			return PCP_MALFORMED_REQUEST;
		req->third_party = true;
		return PCP_SUCCESS;

	case PCP_OPT_PREFER_FAILURE:
		/* Not allowed in PEER (RFC 6887 section 12.1). */
		if (req->opcode == PCP_OP_PEER)
			return PCP_MALFORMED_REQUEST;
		if (req->opcode != PCP_OP_MAP)
			return PCP_UNSUPP_OPTION;
		/*
		 * Preferring failure to no suggestion (13.2), or on a delete
		 * (11.3), makes no sense.
		 */
		if (len != 0 || req->prefer_failure || !req->external_port ||
		    !req->lifetime)
			return PCP_MALFORMED_OPTION;
		req->prefer_failure = true;
		return PCP_SUCCESS;

	case PCP_OPT_FILTER:
		if (req->opcode != PCP_OP_MAP)
			return PCP_UNSUPP_OPTION;
		if (len != PCP_FILTER_LEN)
			return PCP_MALFORMED_OPTION;
		return parse_filter(data, req);

	case PCP_OPT_CHECKPOINT_REQUIRED:
		/* Length 0, once, MAP and PEER only (RFC 7767 section 3.1). */
		if (!mapping || len != 0 || req->checkpoint)
			return PCP_MALFORMED_OPTION;
		req->checkpoint = true;
		return PCP_SUCCESS;
	}

	/* Unknown: mandatory ones are refused, optional ones ignored. */
	return code < 128 ? PCP_UNSUPP_OPTION : PCP_SUCCESS;
}

/* The octets option P takes, padding included, or 0 if it overruns LEN. */
static size_t option_size(const uint8_t *p, size_t len)
{
	size_t padded;

	if (len < PCP_OPTION_HEADER_LEN)
		return 0;
	/* Length excludes the header and the padding to 4 octets. */
	padded = ((size_t)get16(p + 2) + 3) & ~(size_t)3;
	if (padded > len - PCP_OPTION_HEADER_LEN)
		return 0;
	return PCP_OPTION_HEADER_LEN + padded;
}

/*
 * The whole option structure is checked first, so that a request whose
 * options cannot be parsed is MALFORMED_OPTION whatever comes before the
 * fault (RFC 6887 section 7.3); then the options are read in order.
 */
static int parse_options(const uint8_t *p, size_t len,
			 const struct in6_addr *source, struct pcp_request *req)
{
	const uint8_t *q = p;
	size_t n, left = len;
	int result;

	while (left) {
		n = option_size(q, left);
		if (!n)
			return PCP_MALFORMED_OPTION;
		q += n;
		left -= n;
	}

	while (len) {
		n = option_size(p, len);
		result = parse_option(p[0], p + PCP_OPTION_HEADER_LEN,
				      get16(p + 2), source, req);
		if (result)
			return result;
		p += n;
		len -= n;
	}
	return PCP_SUCCESS;
}

/*
 * Check and read a request that arrived from SOURCE, in the order of RFC
 * 6887 section 8.2.  Returns PCP_DROP for a message not to be answered,
 * PCP_SUCCESS with *REQ filled, or the result code of the error response.
 */
int pcp_parse_request(const uint8_t *msg, size_t len,
		      const struct in6_addr *source, struct pcp_request *req)
{
	int data_len, result;

	memset(req, 0, sizeof(*req));
	if (len < 2 || msg[1] & 0x80)
		return PCP_DROP;
	if (msg[0] != PCP_VERSION)
		return PCP_UNSUPP_VERSION;
	if (len < PCP_HEADER_LEN)
		return PCP_DROP;
	if (len > PCP_MAX_LEN || len % 4)
		return PCP_MALFORMED_REQUEST;

	req->opcode = msg[1] & 0x7f;
	req->lifetime = get32(msg + 4);
	memcpy(&req->client, msg + 8, 16);

	data_len = opcode_data_len(req->opcode);
	if (data_len > 0 && len < (size_t)(PCP_HEADER_LEN + data_len))
		return PCP_MALFORMED_REQUEST;
	if (memcmp(&req->client, source, 16))
		return PCP_ADDRESS_MISMATCH;
	if (data_len < 0)
		return PCP_UNSUPP_OPCODE;

	if (data_len) {
		read_mapping(msg + PCP_HEADER_LEN, req);
		result = check_mapping(req);
		if (result)
			return result;
	}
	return parse_options(msg + PCP_HEADER_LEN + data_len,
			     len - PCP_HEADER_LEN - (size_t)data_len, source, req);
}

uint32_t pcp_error_lifetime(uint8_t result)
{
	switch (result) {
	case PCP_NETWORK_FAILURE:
	case PCP_NO_RESOURCES:
	case PCP_USER_EX_QUOTA:
	case PCP_CANNOT_PROVIDE_EXTERNAL:
		return PCP_SHORT_ERROR_LIFETIME;
	}
	return PCP_LONG_ERROR_LIFETIME;
}

/*
 * An error response: the request copied whole (up to 1100 octets, padded
 * with zeros to 4), R bit, result, lifetime and epoch set.  The 96 bits
 * after the epoch keep the end of the client's address for a request that
 * could not be parsed, and are zero for one that was (PARSED).  A version
 * other than ours is answered with ours, for version negotiation.
 */
size_t pcp_build_error(const uint8_t *msg, size_t len, uint8_t result,
		       uint32_t lifetime, uint32_t epoch, bool parsed,
		       uint8_t *out)
{
	size_t n = len > PCP_MAX_LEN ? PCP_MAX_LEN : len;
	size_t padded = (n + 3) & ~(size_t)3;

	if (padded < PCP_HEADER_LEN)
		padded = PCP_HEADER_LEN;
	memset(out, 0, padded);
	memcpy(out, msg, n);

	out[0] = PCP_VERSION;
	out[1] |= 0x80;
	out[2] = 0;
	out[3] = result;
	put32(out + 4, lifetime);
	put32(out + 8, epoch);
	if (parsed)
		memset(out + 12, 0, 12);
	return padded;
}

static uint8_t *put_option(uint8_t *p, uint8_t code, const void *data,
			   uint16_t len)
{
	p[0] = code;
	p[1] = 0;
	put16(p + 2, len);
	if (len)
		memcpy(p + PCP_OPTION_HEADER_LEN, data, len);
	memset(p + PCP_OPTION_HEADER_LEN + len, 0,
	       (((size_t)len + 3) & ~(size_t)3) - len);
	return p + PCP_OPTION_HEADER_LEN + (((size_t)len + 3) & ~(size_t)3);
}

static uint8_t *put_filters(uint8_t *p, const struct pcp_request *req)
{
	uint8_t data[PCP_FILTER_LEN];
	unsigned int i;

	for (i = 0; i < req->n_filters; i++) {
		memset(data, 0, sizeof(data));
		data[1] = req->filters[i].prefix_len;
		put16(data + 2, req->filters[i].port);
		memcpy(data + 4, &req->filters[i].addr, 16);
		p = put_option(p, PCP_OPT_FILTER, data, sizeof(data));
	}
	return p;
}

/* The opcode-specific data of a MAP or PEER message. */
static uint8_t *put_mapping(uint8_t *p, const struct pcp_request *req,
			    uint16_t external_port,
			    const struct in6_addr *external_addr)
{
	memset(p, 0, req->opcode == PCP_OP_PEER ? PCP_PEER_LEN : PCP_MAP_LEN);
	memcpy(p, req->nonce, PCP_NONCE_LEN);
	p[12] = req->protocol;
	put16(p + 16, req->internal_port);
	put16(p + 18, external_port);
	memcpy(p + 20, external_addr, 16);
	if (req->opcode != PCP_OP_PEER)
		return p + PCP_MAP_LEN;

	put16(p + 36, req->peer_port);
	memcpy(p + 40, &req->peer_addr, 16);
	return p + PCP_PEER_LEN;
}

/*
 * A response to the well-formed REQ.  A success carries only the options
 * RESP says were processed; in particular CHECKPOINT_REQUIRED only when
 * the entry was check-pointed.  OUT holds PCP_MAX_LEN octets.
 */
size_t pcp_build_response(const struct pcp_request *req,
			  const struct pcp_response *resp, uint8_t *out)
{
	uint8_t *p = out;

	memset(out, 0, PCP_HEADER_LEN);
	out[0] = PCP_VERSION;
	out[1] = 0x80 | req->opcode;
	out[3] = resp->result;
	put32(out + 4, resp->lifetime);
	put32(out + 8, resp->epoch);
	p += PCP_HEADER_LEN;

	if (req->opcode == PCP_OP_MAP || req->opcode == PCP_OP_PEER)
		p = put_mapping(p, req, resp->external_port,
				&resp->external_addr);

	if (resp->third_party && req->third_party)
		p = put_option(p, PCP_OPT_THIRD_PARTY, &req->third_party_addr, 16);
	if (resp->prefer_failure && req->prefer_failure)
		p = put_option(p, PCP_OPT_PREFER_FAILURE, NULL, 0);
	if (resp->filters)
		p = put_filters(p, req);
	if (resp->checkpoint && req->checkpoint)
		p = put_option(p, PCP_OPT_CHECKPOINT_REQUIRED, NULL, 0);

	return (size_t)(p - out);
}

/* The octets pcp_build_request() will write for REQ. */
static size_t request_size(const struct pcp_request *req)
{
	size_t n = PCP_HEADER_LEN;

	if (req->opcode == PCP_OP_MAP)
		n += PCP_MAP_LEN;
	else if (req->opcode == PCP_OP_PEER)
		n += PCP_PEER_LEN;
	n += req->third_party ? PCP_OPTION_HEADER_LEN + 16 : 0;
	n += req->prefer_failure ? PCP_OPTION_HEADER_LEN : 0;
	n += req->checkpoint ? PCP_OPTION_HEADER_LEN : 0;
	return n + (size_t)req->n_filters * (PCP_OPTION_HEADER_LEN + PCP_FILTER_LEN);
}

/*
 * A client's request; the same layout as a response but for the header.
 * Fields the RFC wants zero on transmission are zeroed: ANNOUNCE's
 * lifetime, a delete's suggested address and port, the port of a MAP for
 * all protocols.  0 if it would not fit in PCP_MAX_LEN octets.
 */
size_t pcp_build_request(const struct pcp_request *req, uint8_t *out)
{
	struct pcp_request r = *req;
	uint8_t *p = out;

	if (r.n_filters > PCP_MAX_FILTERS || request_size(&r) > PCP_MAX_LEN)
		return 0;
	if (r.opcode == PCP_OP_ANNOUNCE)
		r.lifetime = 0;
	if (r.opcode == PCP_OP_MAP && !r.lifetime) {
		r.external_port = 0;
		memset(&r.external_addr, 0, sizeof(r.external_addr));
	}
	if (r.opcode == PCP_OP_MAP && !r.protocol)
		r.internal_port = 0;

	memset(out, 0, PCP_HEADER_LEN);
	out[0] = PCP_VERSION;
	out[1] = r.opcode & 0x7f;
	put32(out + 4, r.lifetime);
	memcpy(out + 8, &r.client, 16);
	p += PCP_HEADER_LEN;
	req = &r;

	if (req->opcode == PCP_OP_MAP || req->opcode == PCP_OP_PEER)
		p = put_mapping(p, req, req->external_port, &req->external_addr);

	if (req->third_party)
		p = put_option(p, PCP_OPT_THIRD_PARTY, &req->third_party_addr, 16);
	if (req->prefer_failure)
		p = put_option(p, PCP_OPT_PREFER_FAILURE, NULL, 0);
	p = put_filters(p, req);
	if (req->checkpoint)
		p = put_option(p, PCP_OPT_CHECKPOINT_REQUIRED, NULL, 0);

	return (size_t)(p - out);
}

/*
 * A client reading a response: the header and mapping into RESP and REQ
 * (nonce, protocol, ports and addresses as the server sent them), and
 * which options came back.  Options a client does not know are ignored,
 * whatever their range (RFC 6887 section 7.3).  0, or -1 if malformed.
 */
int pcp_parse_response(const uint8_t *msg, size_t len,
		       struct pcp_request *req, struct pcp_response *resp)
{
	const uint8_t *p;
	int data_len;
	uint16_t olen;
	size_t padded;

	memset(req, 0, sizeof(*req));
	memset(resp, 0, sizeof(*resp));

	/*
	 * Version negotiation comes first (RFC 6887 sections 8.3, 9): an
	 * UNSUPP_VERSION answer names the server's version, 0 for a NAT-PMP
	 * server, whose answer is shorter than a PCP header.
	 */
	if (len >= 4 && msg[1] & 0x80 && msg[0] != PCP_VERSION) {
		resp->version = msg[0];
		resp->result = PCP_UNSUPP_VERSION;
		return 0;
	}
	if (len < PCP_HEADER_LEN || len > PCP_MAX_LEN || len % 4 ||
	    msg[0] != PCP_VERSION || !(msg[1] & 0x80))
		return -1;

	resp->version = PCP_VERSION;
	req->opcode = msg[1] & 0x7f;
	resp->result = msg[3];
	resp->lifetime = get32(msg + 4);
	resp->epoch = get32(msg + 8);

	data_len = opcode_data_len(req->opcode);
	if (data_len < 0 || len < (size_t)(PCP_HEADER_LEN + data_len))
		return resp->result ? 0 : -1;
	if (data_len) {
		read_mapping(msg + PCP_HEADER_LEN, req);
		resp->external_port = req->external_port;
		resp->external_addr = req->external_addr;
	}

	p = msg + PCP_HEADER_LEN + data_len;
	len -= PCP_HEADER_LEN + (size_t)data_len;
	while (len >= PCP_OPTION_HEADER_LEN) {
		olen = get16(p + 2);
		padded = ((size_t)olen + 3) & ~(size_t)3;
		if (padded > len - PCP_OPTION_HEADER_LEN)
			return -1;
		if (p[0] == PCP_OPT_CHECKPOINT_REQUIRED)
			resp->checkpoint = true;
		else if (p[0] == PCP_OPT_THIRD_PARTY)
			resp->third_party = true;
		else if (p[0] == PCP_OPT_PREFER_FAILURE)
			resp->prefer_failure = true;
		else if (p[0] == PCP_OPT_FILTER)
			resp->filters = true;
		p += PCP_OPTION_HEADER_LEN + padded;
		len -= PCP_OPTION_HEADER_LEN + padded;
	}
	return len ? -1 : 0;
}

const char *pcp_result_name(int result)
{
	static const char * const names[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED",
		"MALFORMED_REQUEST", "UNSUPP_OPCODE", "UNSUPP_OPTION",
		"MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES",
		"UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	if (result == PCP_DROP)
		return "DROP";
	if (result < 0 || result >= (int)ARRAY_SIZE(names))
		return "UNKNOWN";
	return names[result];
}
