// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd_nft_tool: drive pcpd's nftables mapping code by hand, for tests.
 *
 *   pcpd_nft_tool setup|teardown ['"OUTSIDE-IFNAME"']
 *   pcpd_nft_tool add|replace tcp|udp EXT_ADDR EXT_PORT INT_ADDR INT_PORT SECONDS
 *   pcpd_nft_tool del tcp|udp EXT_ADDR EXT_PORT
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"
#include "util.h"

static int parse_mapping(int argc, char **argv, struct pcpd_nft_mapping *m,
			 bool full)
{
	if (argc < (full ? 8 : 5))
		return -1;
	m->protocol = !strcmp(argv[2], "tcp") ? IPPROTO_TCP :
		      !strcmp(argv[2], "udp") ? IPPROTO_UDP : 0;
	if (!m->protocol || parse_addr46(argv[3], &m->external_addr))
		return -1;
	m->external_port = (uint16_t)strtoul(argv[4], NULL, 10);
	if (!full)
		return 0;
	if (parse_addr46(argv[5], &m->internal_addr))
		return -1;
	m->internal_port = (uint16_t)strtoul(argv[6], NULL, 10);
	m->timeout = (uint32_t)strtoul(argv[7], NULL, 10);
	return 0;
}

int main(int argc, char **argv)
{
	struct pcpd_nft_mapping m = { 0 };
	struct pcpd_nft n;
	int err = -1;

	if (argc < 2 || pcpd_nft_open(&n))
		return 2;

	if (!strcmp(argv[1], "setup")) {
		err = pcpd_nft_setup(&n, argc > 2 ? argv[2] : NULL);
	} else if (!strcmp(argv[1], "teardown")) {
		err = pcpd_nft_teardown(&n, argc > 2 ? argv[2] : NULL);
	} else if (!strcmp(argv[1], "add") || !strcmp(argv[1], "replace")) {
		if (!parse_mapping(argc, argv, &m, true))
			err = pcpd_nft_add(&n, &m, argv[1][0] == 'r' ? &m : NULL);
	} else if (!strcmp(argv[1], "del")) {
		if (!parse_mapping(argc, argv, &m, false))
			err = pcpd_nft_del(&n, &m);
	}
	if (err < -1)
		fprintf(stderr, "pcpd_nft_tool: %s\n", strerror(-err));
	pcpd_nft_close(&n);
	return err ? 1 : 0;
}
