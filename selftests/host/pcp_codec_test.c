// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the PCP codec (userspace/pcp): each rule of RFC 6887
 * sections 7 and 8.2 and of RFC 7767 that the codec owns, and the field
 * notes in shared/spec/README.md, checked byte by byte.  KTAP output.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"

#define PLAN 59

#include "pcp.h"


static struct in6_addr v6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static struct in6_addr client;

/* A MAP request of client 192.0.2.2 for TCP port 6000, lifetime 3600. */
static struct pcp_request map_request(void)
{
	struct pcp_request r = { 0 };

	r.opcode = PCP_OP_MAP;
	r.lifetime = 3600;
	r.client = client;
	memcpy(r.nonce, "0123456789ab", PCP_NONCE_LEN);
	r.protocol = 6;
	r.internal_port = 6000;
	return r;
}

static size_t build(const struct pcp_request *r, uint8_t *buf)
{
	return pcp_build_request(r, buf);
}

static int parse(const uint8_t *buf, size_t len)
{
	struct pcp_request r;

	return pcp_parse_request(buf, len, &client, &r);
}

/* Append an option CODE with LEN octets of DATA, padded, to BUF of *N. */
static void add_option(uint8_t *buf, size_t *n, uint8_t code, uint16_t len,
		       const void *data)
{
	buf[*n] = code;
	buf[*n + 1] = 0;
	buf[*n + 2] = (uint8_t)(len >> 8);
	buf[*n + 3] = (uint8_t)len;
	memset(buf + *n + 4, 0, (len + 3u) & ~3u);
	if (len)
		memcpy(buf + *n + 4, data, len);
	*n += 4 + ((len + 3u) & ~3u);
}

static void test_header_rules(void)
{
	struct pcp_request r = map_request();
	uint8_t buf[1200] = { 0 };
	size_t n = build(&r, buf);

	ktap_check(n == 60, "a MAP request is 60 octets");
	ktap_check(parse(buf, n) == PCP_SUCCESS, "a well-formed MAP request parses");
	ktap_check(parse(buf, 0) == PCP_DROP && parse(buf, 1) == PCP_DROP,
	      "messages shorter than 2 octets are dropped");

	buf[1] |= 0x80;
	ktap_check(parse(buf, n) == PCP_DROP, "a message with the R bit is dropped");
	buf[1] &= 0x7f;

	buf[0] = 1;
	ktap_check(parse(buf, n) == PCP_UNSUPP_VERSION, "version 1 is UNSUPP_VERSION");
	buf[0] = 0;
	ktap_check(parse(buf, n) == PCP_UNSUPP_VERSION,
	      "version 0 (NAT-PMP) is UNSUPP_VERSION to the PCP codec");
	buf[0] = 2;

	ktap_check(parse(buf, 20) == PCP_DROP, "version 2 shorter than 24 octets is dropped");
	ktap_check(parse(buf, 1104) == PCP_MALFORMED_REQUEST, "over 1100 octets is MALFORMED_REQUEST");
	ktap_check(parse(buf, 62) == PCP_MALFORMED_REQUEST, "not a multiple of 4 is MALFORMED_REQUEST");
	ktap_check(parse(buf, 56) == PCP_MALFORMED_REQUEST, "too short for MAP is MALFORMED_REQUEST");

	buf[23] ^= 1;
	ktap_check(parse(buf, n) == PCP_ADDRESS_MISMATCH,
	      "a client address other than the source is ADDRESS_MISMATCH");
	buf[23] ^= 1;

	buf[8] = 1;	/* breaks the IPv4-mapped prefix in its first octet */
	ktap_check(parse(buf, n) == PCP_ADDRESS_MISMATCH,
	      "the IPv4-mapped prefix is compared on all 96 bits");
	buf[8] = 0;

	buf[1] = 5;
	ktap_check(parse(buf, 24) == PCP_UNSUPP_OPCODE, "opcode 5 is UNSUPP_OPCODE");
	buf[23] ^= 1;
	ktap_check(parse(buf, 24) == PCP_ADDRESS_MISMATCH,
	      "ADDRESS_MISMATCH is checked before UNSUPP_OPCODE");
}

static void test_options(void)
{
	struct pcp_request r = map_request(), out;
	uint8_t buf[1200], data[20] = { 0 };
	struct in6_addr a;
	size_t n, base;

	base = build(&r, buf);

	n = base;
	add_option(buf, &n, 200, 1, "x");
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 0, NULL);
	ktap_check(pcp_parse_request(buf, n, &client, &out) == PCP_SUCCESS && out.checkpoint,
	      "an option after a padded one is found (length excludes padding)");

	n = base;
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 0, NULL);
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 0, NULL);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION, "CHECKPOINT_REQUIRED twice is MALFORMED_OPTION");

	n = base;
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 4, "abcd");
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "CHECKPOINT_REQUIRED with data is MALFORMED_OPTION");

	n = base;
	add_option(buf, &n, 200, 0, NULL);
	buf[n - 1] = 8;		/* an optional option whose length runs past */
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "an option length past the packet is MALFORMED_OPTION");

	n = base;
	add_option(buf, &n, 99, 0, NULL);
	add_option(buf, &n, 200, 0, NULL);
	buf[n - 1] = 8;
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "a broken option structure is MALFORMED_OPTION before an unknown option");

	r.prefer_failure = false;
	n = base;
	add_option(buf, &n, PCP_OPT_PREFER_FAILURE, 0, NULL);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "PREFER_FAILURE without a suggested port is MALFORMED_OPTION");

	n = base;
	buf[n] = PCP_OPT_CHECKPOINT_REQUIRED;
	buf[n + 1] = buf[n + 2] = buf[n + 3] = 0;
	ktap_check(parse(buf, n + 2) == PCP_MALFORMED_REQUEST,
	      "a truncated option header leaves the length not a multiple of 4");

	n = base;
	add_option(buf, &n, 99, 0, NULL);
	ktap_check(parse(buf, n) == PCP_UNSUPP_OPTION, "unknown mandatory option 99 is UNSUPP_OPTION");
	n = base;
	add_option(buf, &n, 0, 0, NULL);
	ktap_check(parse(buf, n) == PCP_UNSUPP_OPTION, "option code 0 is UNSUPP_OPTION");
	n = base;
	add_option(buf, &n, 129, 3, "abc");
	ktap_check(parse(buf, n) == PCP_SUCCESS, "unknown optional option 129 is ignored");

	n = base;
	add_option(buf, &n, PCP_OPT_THIRD_PARTY, 16, &client);
	ktap_check(parse(buf, n) == PCP_MALFORMED_REQUEST,
	      "THIRD_PARTY naming the sender is MALFORMED_REQUEST");
	a = ktap_v4("192.0.2.9");
	n = base;
	add_option(buf, &n, PCP_OPT_THIRD_PARTY, 16, &a);
	add_option(buf, &n, PCP_OPT_THIRD_PARTY, 16, &a);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION, "THIRD_PARTY twice is MALFORMED_OPTION");
	n = base;
	add_option(buf, &n, PCP_OPT_THIRD_PARTY, 4, &a);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION, "THIRD_PARTY of 4 octets is MALFORMED_OPTION");

	r.external_port = 7000;
	base = build(&r, buf);
	n = base;
	add_option(buf, &n, PCP_OPT_PREFER_FAILURE, 0, NULL);
	ktap_check(parse(buf, n) == PCP_SUCCESS, "PREFER_FAILURE with a suggested port parses");
	add_option(buf, &n, PCP_OPT_PREFER_FAILURE, 0, NULL);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION, "PREFER_FAILURE twice is MALFORMED_OPTION");

	a = ktap_v4("198.51.100.0");
	memcpy(data + 4, &a, 16);
	data[1] = 95;
	n = base;
	add_option(buf, &n, PCP_OPT_FILTER, 20, data);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "an IPv4 FILTER prefix of 95 is MALFORMED_OPTION");
	data[1] = 120;
	n = base;
	add_option(buf, &n, PCP_OPT_FILTER, 20, data);
	add_option(buf, &n, PCP_OPT_FILTER, 20, data);
	ktap_check(pcp_parse_request(buf, n, &client, &out) == PCP_SUCCESS && out.n_filters == 2 &&
	      out.filters[1].prefix_len == 120,
	      "two FILTERs of IPv4 prefix 120 (a /24) parse");
	data[1] = 129;
	n = base;
	add_option(buf, &n, PCP_OPT_FILTER, 20, data);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION, "a FILTER prefix of 129 is MALFORMED_OPTION");

	r.lifetime = 0;
	n = build(&r, buf);
	data[1] = 120;
	add_option(buf, &n, PCP_OPT_FILTER, 20, data);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION, "a FILTER on a delete is MALFORMED_OPTION");
	n = build(&r, buf);
	buf[24 + 19] = 1;	/* a suggested port, so that only the delete is wrong */
	add_option(buf, &n, PCP_OPT_PREFER_FAILURE, 0, NULL);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "PREFER_FAILURE on a delete is MALFORMED_OPTION");
}

static void test_opcode_validity(void)
{
	struct pcp_request r = map_request();
	uint8_t buf[1200];
	size_t n;

	r.opcode = PCP_OP_PEER;
	r.peer_port = 5060;
	r.peer_addr = ktap_v4("198.51.100.2");
	n = build(&r, buf);
	ktap_check(n == 80, "a PEER request is 80 octets");
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 0, NULL);
	ktap_check(parse(buf, n) == PCP_SUCCESS, "CHECKPOINT_REQUIRED is valid for PEER");
	n = build(&r, buf);
	add_option(buf, &n, PCP_OPT_PREFER_FAILURE, 0, NULL);
	ktap_check(parse(buf, n) == PCP_MALFORMED_REQUEST,
	      "PREFER_FAILURE in PEER is MALFORMED_REQUEST (section 12.1)");
	r.protocol = 0;
	n = build(&r, buf);
	ktap_check(parse(buf, n) == PCP_MALFORMED_REQUEST, "a PEER for protocol 0 is MALFORMED_REQUEST");
	r.protocol = 6;
	r.peer_port = 0;
	n = build(&r, buf);
	ktap_check(parse(buf, n) == PCP_MALFORMED_REQUEST,
	      "a PEER for remote port 0 is MALFORMED_REQUEST");

	r.opcode = PCP_OP_ANNOUNCE;
	r.lifetime = 0;
	n = build(&r, buf);
	ktap_check(n == 24 && parse(buf, n) == PCP_SUCCESS, "an ANNOUNCE of 24 octets parses");
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 0, NULL);
	ktap_check(parse(buf, n) == PCP_MALFORMED_OPTION,
	      "CHECKPOINT_REQUIRED in ANNOUNCE is MALFORMED_OPTION");
}

static void test_responses(void)
{
	struct pcp_request r = map_request(), req, back;
	struct pcp_response resp = { 0 }, got;
	uint8_t buf[1200], out[1200], expect[1200];
	size_t n, m;

	n = build(&r, buf);
	add_option(buf, &n, 129, 0, NULL);	/* optional, unknown */
	add_option(buf, &n, PCP_OPT_CHECKPOINT_REQUIRED, 0, NULL);
	pcp_parse_request(buf, n, &client, &req);

	resp.result = PCP_SUCCESS;
	resp.lifetime = 1800;
	resp.epoch = 77;
	resp.external_port = 40000;
	resp.external_addr = ktap_v4("198.51.100.1");
	m = pcp_build_response(&req, &resp, out);
	ktap_check(m == 60, "a success that did not check-point has no option");
	ktap_check(memmem(out + 24, m - 24, "\xc0\x00\x00\x00", 4) == NULL,
	      "CHECKPOINT_REQUIRED is not echoed when not honoured");

	resp.checkpoint = true;
	m = pcp_build_response(&req, &resp, out);
	memset(expect, 0, sizeof(expect));
	memcpy(expect, "\x02\x81\x00\x00\x00\x00\x07\x08\x00\x00\x00\x4d", 12);
	memcpy(expect + 24, "0123456789ab\x06\x00\x00\x00\x17\x70\x9c\x40", 20);
	memcpy(expect + 44, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc6\x33\x64\x01", 16);
	memcpy(expect + 60, "\xc0\x00\x00\x00", 4);
	ktap_check(m == 64 && !memcmp(out, expect, 64),
	      "a check-pointed MAP success, byte for byte, echoes only option 192");

	ktap_check(pcp_parse_response(out, m, &back, &got) == 0 && got.checkpoint &&
	      got.external_port == 40000 && got.lifetime == 1800,
	      "a client reads the check-pointed response back");

	m = pcp_build_error(buf, n, PCP_NOT_AUTHORIZED, 1800, 77, true, out);
	ktap_check(m == n && out[1] == 0x81 && out[3] == PCP_NOT_AUTHORIZED &&
	      !memcmp(out + 24, buf + 24, n - 24) &&
	      !memcmp(out + 12, "\0\0\0\0\0\0\0\0\0\0\0\0", 12),
	      "an error copies the request whole, options included, reserved zero");

	buf[2] = 0x55;	/* a reserved octet the client set */
	m = pcp_build_error(buf, n, PCP_NOT_AUTHORIZED, 1800, 77, true, out);
	ktap_check(out[2] == 0, "an error response's reserved octet is zero");

	r.opcode = PCP_OP_PEER;
	r.peer_port = 5060;
	r.peer_addr = ktap_v4("198.51.100.2");
	m = pcp_build_request(&r, buf);
	pcp_parse_request(buf, m, &client, &req);
	resp.checkpoint = false;
	m = pcp_build_response(&req, &resp, out);
	ktap_check(m == 80 && out[1] == 0x82 && out[60] == 0x13 && out[61] == 0xc4 &&
	      !memcmp(out + 64, &r.peer_addr, 16) && out[62] == 0 && out[63] == 0,
	      "a PEER success has the remote port at 60 and address at 64");

	buf[0] = 1;
	m = pcp_build_error(buf, 26, PCP_UNSUPP_VERSION, 1800, 77, false, out);
	ktap_check(m == 28 && out[0] == 2 && out[26] == 0 && out[27] == 0 &&
	      !memcmp(out + 12, buf + 12, 12),
	      "UNSUPP_VERSION names version 2, pads to 4, keeps the client address's end");
	ktap_check(pcp_error_lifetime(PCP_USER_EX_QUOTA) == 30 &&
	      pcp_error_lifetime(PCP_MALFORMED_OPTION) == 1800,
	      "short and long error lifetimes");
}

static void test_round_trip(void)
{
	struct pcp_request r = map_request(), back;
	uint8_t buf[1200];
	size_t n;

	r.checkpoint = true;
	r.prefer_failure = true;
	r.external_port = 6000;
	r.third_party = true;
	r.third_party_addr = v6("2001:db8::9");
	r.n_filters = 1;
	r.filters[0].prefix_len = 128;
	r.filters[0].port = 9999;
	r.filters[0].addr = v6("2001:db8:1::2");
	n = build(&r, buf);
	ktap_check(pcp_parse_request(buf, n, &client, &back) == PCP_SUCCESS &&
	      back.checkpoint && back.prefer_failure && back.third_party &&
	      back.n_filters == 1 && back.filters[0].port == 9999 &&
	      back.internal_port == 6000 && back.lifetime == 3600 &&
	      !memcmp(back.nonce, r.nonce, PCP_NONCE_LEN),
	      "a request with every option survives build and parse");

	r = map_request();
	r.protocol = 0;
	n = build(&r, buf);
	ktap_check(pcp_parse_request(buf, n, &client, &back) == PCP_SUCCESS &&
	      back.internal_port == 0,
	      "a MAP for all protocols is sent with internal port 0");
	buf[24 + 17] = 80;	/* port 80 with protocol 0 */
	ktap_check(parse(buf, n) == PCP_MALFORMED_REQUEST,
	      "a MAP for all protocols on port 80 is MALFORMED_REQUEST");

	r = map_request();
	r.n_filters = PCP_MAX_FILTERS;
	for (unsigned int i = 0; i < PCP_MAX_FILTERS; i++) {
		r.filters[i].prefix_len = 128;
		r.filters[i].addr = v6("2001:db8::7");
	}
	n = build(&r, buf);
	ktap_check(n == 1092 && pcp_parse_request(buf, n, &client, &back) == PCP_SUCCESS &&
	      back.n_filters == PCP_MAX_FILTERS,
	      "43 FILTERs fit in 1092 octets and parse");
	r.third_party = r.checkpoint = true;
	r.third_party_addr = v6("2001:db8::9");
	ktap_check(build(&r, buf) == 0, "a request over 1100 octets is not built");
}

static void test_helpers_and_client(void)
{
	struct pcp_request back;
	struct pcp_response got;
	struct in6_addr a = ktap_v4("192.0.2.2");
	static const uint8_t natpmp[8] = { 0, 0x81, 0, 1, 0, 0, 0, 5 };

	ktap_check(pcp_addr_is_v4mapped(&a), "::ffff:192.0.2.2 is IPv4-mapped");
	a.s6_addr[0] = 0x20;
	ktap_check(!pcp_addr_is_v4mapped(&a), "a first octet set is not IPv4-mapped");
	a.s6_addr[0] = 0;
	a.s6_addr[5] = 1;
	ktap_check(!pcp_addr_is_v4mapped(&a), "an octet set in the middle is not IPv4-mapped");

	ktap_check(pcp_parse_response(natpmp, sizeof(natpmp), &back, &got) == 0 &&
	      got.result == PCP_UNSUPP_VERSION && got.version == 0,
	      "a client reads a NAT-PMP server's 8-octet UNSUPP_VERSION");
}

int main(void)
{
	client = ktap_v4("192.0.2.2");

	ktap_plan(PLAN);
	test_header_rules();
	test_options();
	test_opcode_validity();
	test_responses();
	test_round_trip();
	test_helpers_and_client();
	return ktap_done(PLAN);
}
