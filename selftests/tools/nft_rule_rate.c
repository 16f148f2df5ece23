// SPDX-License-Identifier: GPL-2.0
/*
 * nft_rule_rate: the other way to install mappings, for comparison in the
 * benchmark of pcpd: one DNAT rule per mapping, each added in a
 * transaction of its own (libnftables), as a rule-per-mapping PCP or
 * UPnP daemon does.  Prints the rate:
 *
 *   nft_rule_rate N
 *   rules rate=...
 *
 * It works in a table "ip nft_rule_rate" of its own and deletes it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <nftables/libnftables.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	unsigned int n, i;
	char cmd[256];
	double t0, t;

	n = argc == 2 ? (unsigned int)strtoul(argv[1], NULL, 10) : 0;
	if (!ctx || !n || n > 50000) {
		fprintf(stderr, "usage: nft_rule_rate N (at most 50000)\n");
		return 2;
	}
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx,
			"add table ip nft_rule_rate\n"
			"add chain ip nft_rule_rate pre { type nat hook prerouting priority dstnat; }\n")) {
		fprintf(stderr, "nft_rule_rate: %s", nft_ctx_get_error_buffer(ctx));
		return 1;
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd),
			 "add rule ip nft_rule_rate pre ip daddr 198.51.100.1 tcp dport %u dnat to 192.0.2.2:%u\n",
			 10000 + i, 10000 + i);
		if (nft_run_cmd_from_buffer(ctx, cmd)) {
			fprintf(stderr, "nft_rule_rate: %s", nft_ctx_get_error_buffer(ctx));
			return 1;
		}
	}
	t = now() - t0;
	printf("rules rate=%u\n", (unsigned int)(n / (t > 0 ? t : 1e-9)));
	nft_run_cmd_from_buffer(ctx, "delete table ip nft_rule_rate\n");
	nft_ctx_free(ctx);
	return 0;
}
