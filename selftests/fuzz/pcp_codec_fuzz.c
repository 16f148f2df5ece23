// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the PCP codec.  The first input octet steers: bit 0
 * takes the message's own client address as source (so that parsing gets
 * past ADDRESS_MISMATCH to the options), bit 1 also reads the message as a
 * client reads a response, bit 2 builds errors as for a parsed request;
 * the rest is the message.
 * Whatever the input, the codec must not misbehave (ASan, UBSan) and its
 * answers must keep the protocol's invariants, checked here.
 */

#include <stdlib.h>
#include <string.h>

#include "pcp.h"

static void require(int cond)
{
	if (!cond)
		abort();
}

static void check_success(const struct pcp_request *req)
{
	struct pcp_response resp = { 0 }, got;
	struct pcp_request again, back;
	uint8_t out[PCP_MAX_LEN];
	size_t n;

	/* Echo everything processed: the response never outgrows 1100. */
	resp.third_party = resp.prefer_failure = true;
	resp.filters = resp.checkpoint = true;
	n = pcp_build_response(req, &resp, out);
	require(n <= PCP_MAX_LEN && n % 4 == 0 && n >= PCP_HEADER_LEN);
	require(out[0] == PCP_VERSION && out[1] == (0x80 | req->opcode));
	require(pcp_parse_response(out, n, &back, &got) == 0);
	require(got.checkpoint == req->checkpoint);

	/*
	 * What a request says, a request built from it says again (but for
	 * ANNOUNCE's lifetime, which a client sends as zero).
	 */
	n = pcp_build_request(req, out);
	require(n > 0 && n <= PCP_MAX_LEN);
	require(pcp_parse_request(out, n, &req->client, &again) == PCP_SUCCESS);
	require(again.checkpoint == req->checkpoint &&
		again.n_filters == req->n_filters &&
		again.lifetime == (req->opcode == PCP_OP_ANNOUNCE ? 0 : req->lifetime));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in6_addr source = { .s6_addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 2 } };
	static struct pcp_request req;
	uint8_t out[PCP_MAX_LEN + 4];
	const uint8_t *msg;
	size_t len, n;
	int result;

	if (size < 1)
		return 0;
	msg = data + 1;
	len = size - 1;
	if (data[0] & 1 && len >= PCP_HEADER_LEN)
		memcpy(&source, msg + 8, 16);

	if (data[0] & 2) {
		struct pcp_response resp;
		struct pcp_request back;

		pcp_parse_response(msg, len, &back, &resp);
	}

	result = pcp_parse_request(msg, len, &source, &req);
	require(result == PCP_DROP ||
		(result >= PCP_SUCCESS && result <= PCP_EXCESSIVE_REMOTE_PEERS));

	if (result == PCP_SUCCESS) {
		check_success(&req);
	} else if (result > 0) {
		n = pcp_build_error(msg, len, (uint8_t)result, 1800, 1,
				    data[0] & 4, out);
		require(n <= PCP_MAX_LEN && n % 4 == 0 && n >= PCP_HEADER_LEN);
		require(out[0] == PCP_VERSION && out[1] & 0x80 && out[3] == result);
	}
	return 0;
}
