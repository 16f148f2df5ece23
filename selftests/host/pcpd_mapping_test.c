// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pcpd's MAP mapping table (userspace/pcpd/mapping.c): the
 * rules of RFC 6887 sections 11.2, 11.3 and 15 on nonces, deletes and
 * refreshes (a refresh moves the expiry; a server that kept the first one
 * dropped mappings refreshed on time).  KTAP.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ktap.h"

#include "mapping.h"

#define PLAN 43


static struct pcpd_map_table table;
static struct in6_addr host;

static struct pcp_request map(uint8_t proto, uint16_t port, uint32_t lifetime,
			      const char *nonce)
{
	struct pcp_request r = { 0 };

	r.opcode = PCP_OP_MAP;
	r.protocol = proto;
	r.internal_port = port;
	r.lifetime = lifetime;
	r.client = host;
	memcpy(r.nonce, nonce, PCP_NONCE_LEN);
	return r;
}

/* Decide and, on success, commit; the decision is returned. */
static struct pcpd_map_decision run(const struct pcp_request *r, uint64_t now)
{
	struct pcpd_map_decision d;

	pcpd_map_decide(&table, r, &host, 1, table.count, now, &d);
	if (d.result == PCP_SUCCESS)
		pcpd_map_commit(&table, r, &host, 1, now, &d);
	return d;
}

static void test_create_refresh(void)
{
	struct pcp_request r = map(IPPROTO_TCP, 6000, 3600, "nonce-A-1234");
	struct pcpd_map_decision d;
	struct pcpd_mapping *m;

	d = run(&r, 1000);
	m = pcpd_map_lookup(&table, &host, IPPROTO_TCP, 6000);
	ktap_check(d.result == PCP_SUCCESS && d.action == PCPD_MAP_CREATE && m,
	      "a MAP creates a mapping");
	ktap_check(d.external_port == 6000,
	      "the external port follows the internal one when it is free");
	ktap_check(d.lifetime == 3600 && m->expires == 4600, "expiry is now + lifetime");

	d = run(&r, 2000);
	ktap_check(d.action == PCPD_MAP_REFRESH && m->expires == 5600,
	      "a refresh moves the expiry to now + lifetime, not the first expiry");
	ktap_check(d.external_port == 6000 && table.count == 1,
	      "a refresh keeps the external port and adds no mapping");

	r.lifetime = 10;
	d = run(&r, 2000);
	ktap_check(d.lifetime == 120, "a lifetime under the minimum is raised to it");
	r.lifetime = 999999;
	d = run(&r, 2000);
	ktap_check(d.lifetime == 86400, "a lifetime over the maximum is cut to it");
}

static void test_nonces_and_deletes(void)
{
	struct pcp_request r = map(IPPROTO_TCP, 6000, 3600, "nonce-B-9999");
	struct pcpd_map_decision d;
	struct pcpd_mapping *m = pcpd_map_lookup(&table, &host, IPPROTO_TCP, 6000);
	uint64_t expires = m->expires;

	d = run(&r, 3000);
	ktap_check(d.result == PCP_NOT_AUTHORIZED && m->expires == expires,
	      "a refresh with another nonce is NOT_AUTHORIZED and changes nothing");
	ktap_check(d.lifetime == expires - 3000,
	      "its error lifetime is what the mapping has left");

	r.lifetime = 0;
	d = run(&r, 3000);
	ktap_check(d.result == PCP_NOT_AUTHORIZED && pcpd_map_lookup(&table, &host, IPPROTO_TCP, 6000),
	      "a delete with another nonce is NOT_AUTHORIZED and deletes nothing");

	r = map(IPPROTO_TCP, 6000, 0, "nonce-A-1234");
	r.external_port = 7777;
	r.external_addr = ktap_v4("203.0.113.9");
	d = run(&r, 3000);
	ktap_check(d.result == PCP_SUCCESS && d.lifetime == 0 &&
	      !pcpd_map_lookup(&table, &host, IPPROTO_TCP, 6000) && table.count == 0,
	      "a delete with the right nonce removes the mapping");
	ktap_check(d.external_port == 7777,
	      "a delete copies the suggested port and does not use it");

	d = run(&r, 3000);
	ktap_check(d.result == PCP_SUCCESS && d.action == PCPD_MAP_NONE && d.lifetime == 0,
	      "deleting a mapping that does not exist succeeds");

	r.prefer_failure = true;
	d = run(&r, 3000);
	ktap_check(d.result == PCP_MALFORMED_OPTION,
	      "PREFER_FAILURE on a delete is MALFORMED_OPTION");
}

static void test_ports(void)
{
	struct pcp_request r = map(IPPROTO_UDP, 5351, 600, "nonce-C-0000");
	struct pcpd_map_decision d, d2;

	d = run(&r, 100);
	ktap_check(d.result == PCP_SUCCESS && d.external_port != 5351 &&
	      d.external_port != 5350, "UDP 5350 and 5351 are never handed out");

	r = map(IPPROTO_UDP, 9000, 600, "nonce-D-0000");
	r.external_port = 20000;
	d = run(&r, 100);
	ktap_check(d.external_port == 20000, "a free suggested external port is used");

	r = map(IPPROTO_UDP, 9001, 600, "nonce-E-0000");
	r.external_port = 20000;
	d2 = run(&r, 100);
	ktap_check(d2.result == PCP_SUCCESS && d2.external_port != 20000,
	      "a taken suggested port is only a hint: another port is given");

	r = map(IPPROTO_UDP, 9002, 600, "nonce-F-0000");
	r.external_port = 20000;
	r.prefer_failure = true;
	d2 = run(&r, 100);
	ktap_check(d2.result == PCP_CANNOT_PROVIDE_EXTERNAL,
	      "with PREFER_FAILURE a taken suggested port is CANNOT_PROVIDE_EXTERNAL");

	r = map(IPPROTO_UDP, 9000, 600, "nonce-D-0000");
	r.external_port = 20001;
	r.prefer_failure = true;
	d2 = run(&r, 100);
	ktap_check(d2.result == PCP_CANNOT_PROVIDE_EXTERNAL,
	      "PREFER_FAILURE naming another port than the existing mapping's fails");

	r = map(IPPROTO_UDP, 9000, 600, "nonce-D-0000");
	r.external_port = 20000;
	r.prefer_failure = true;
	d2 = run(&r, 100);
	ktap_check(d2.result == PCP_SUCCESS && d2.action == PCPD_MAP_REFRESH,
	      "PREFER_FAILURE naming the existing mapping's port refreshes it");
}

static void test_protocols_and_quota(void)
{
	struct pcp_request r = map(0, 80, 600, "nonce-G-0000");
	struct pcpd_map_decision d;
	unsigned int before = table.count;

	d = run(&r, 100);
	ktap_check(d.result == PCP_MALFORMED_REQUEST,
	      "protocol 0 with a port is MALFORMED_REQUEST");
	r = map(IPPROTO_SCTP, 80, 600, "nonce-G-0000");
	d = run(&r, 100);
	ktap_check(d.result == PCP_UNSUPP_PROTOCOL, "SCTP is UNSUPP_PROTOCOL");
	r = map(IPPROTO_TCP, 0, 600, "nonce-G-0000");
	d = run(&r, 100);
	ktap_check(d.result == PCP_UNSUPP_PROTOCOL,
	      "an all-ports mapping is UNSUPP_PROTOCOL (not installable)");

	r = map(IPPROTO_TCP, 8080, 600, "nonce-H-0000");
	pcpd_map_decide(&table, &r, &host, 1, 8, 100, &d);
	ktap_check(d.result == PCP_USER_EX_QUOTA && table.count == before,
	      "a subscriber at its quota gets USER_EX_QUOTA and no mapping");

	before = table.count;
	ktap_check(pcpd_map_expire(&table, 699, NULL, NULL) == 0 && table.count == before,
	      "no mapping expires before its time");
	ktap_check(pcpd_map_expire(&table, 700, NULL, NULL) == before && table.count == 0 &&
	      !pcpd_map_lookup(&table, &host, IPPROTO_UDP, 9000),
	      "mappings whose lifetime ran out are gone");
	r = map(IPPROTO_UDP, 9100, 600, "nonce-I-0000");
	r.external_port = 20000;
	d = run(&r, 800);
	ktap_check(d.external_port == 20000, "an expired mapping's port is free again");
}

/* Add to R a FILTER for ADDR/LEN (IPv4 length) and PORT; LEN 0 clears. */
static void add_filter(struct pcp_request *r, const char *addr, unsigned int len,
		       uint16_t port)
{
	struct pcp_filter *f = &r->filters[r->n_filters++];

	f->addr = ktap_v4(addr);
	f->prefix_len = (uint8_t)(len ? 96 + len : 0);
	f->port = port;
}

/* RFC 6887 section 13.3: filters add up, length 0 clears, a limit. */
static void test_filters(void)
{
	struct pcp_request r = map(IPPROTO_UDP, 7000, 3600, "nonce-F-1234");
	struct pcpd_map_decision d;
	struct pcpd_mapping *m;
	char a[INET_ADDRSTRLEN];
	unsigned int i;

	add_filter(&r, "203.0.113.77", 24, 0);
	add_filter(&r, "198.51.100.9", 32, 5060);
	d = run(&r, 5000);
	m = pcpd_map_lookup(&table, &host, IPPROTO_UDP, 7000);
	inet_ntop(AF_INET, m ? m->filters[0].addr : (uint8_t *)"\0\0\0\0", a, sizeof(a));
	ktap_check(d.result == PCP_SUCCESS && m && m->n_filters == 2 &&
		   m->filters[0].prefix_len == 24 && !strcmp(a, "203.0.113.0") &&
		   m->filters[1].port == 5060,
		   "a MAP with two FILTERs keeps both, IPv4 lengths, host bits cleared");

	r.n_filters = 0;
	add_filter(&r, "192.0.2.0", 24, 0);
	run(&r, 5001);
	ktap_check(m->n_filters == 3, "a refresh with another FILTER adds it to those there");
	r.n_filters = 0;
	d = run(&r, 5002);
	ktap_check(d.result == PCP_SUCCESS && m->n_filters == 3,
		   "a refresh without FILTER keeps them");

	r.n_filters = 0;
	add_filter(&r, "0.0.0.0", 0, 0);
	add_filter(&r, "198.51.100.7", 32, 0);
	run(&r, 5003);
	ktap_check(m->n_filters == 1 && m->filters[0].addr[3] == 7,
		   "a FILTER of length 0 removes those before it; the next is added");

	r.n_filters = 0;
	for (i = 0; i < MAP_FILTERS_MAX; i++) {
		snprintf(a, sizeof(a), "203.0.113.%u", i + 1);
		add_filter(&r, a, 32, 0);
	}
	d = run(&r, 5004);
	ktap_check(d.result == PCP_EXCESSIVE_REMOTE_PEERS && m->n_filters == 1,
		   "more than 8 FILTERs in all is EXCESSIVE_REMOTE_PEERS, and changes nothing");

	r.n_filters = 1;
	inet_pton(AF_INET6, "2001:db8::1", &r.filters[0].addr);
	r.filters[0].prefix_len = 128;
	d = run(&r, 5005);
	ktap_check(d.result == PCP_MALFORMED_OPTION && m->n_filters == 1,
		   "an IPv6 FILTER on an IPv4 mapping is MALFORMED_OPTION");
}

/* Section 15: a freed port is not another host's for port_hold seconds. */
static void test_port_hold(void)
{
	struct pcp_request a = map(IPPROTO_TCP, 7100, 600, "nonce-H-1234");
	struct pcp_request b = map(IPPROTO_TCP, 7100, 600, "nonce-B-1234");
	struct in6_addr other = ktap_v4("192.0.2.3");
	struct pcpd_map_decision d;

	table.cfg.port_hold = 120;
	d = run(&a, 6000);
	a.lifetime = 0;
	run(&a, 6001);
	a.lifetime = 600;
	b.external_port = 7100;
	pcpd_map_decide(&table, &b, &other, 2, 0, 6010, &d);
	ktap_check(d.result == PCP_SUCCESS && d.external_port != 7100,
		   "a port freed 9 s ago is not handed to another host");
	d = run(&a, 6010);
	ktap_check(d.result == PCP_SUCCESS && d.external_port == 7100,
		   "...but its last holder gets it back");
	a.lifetime = 0;
	run(&a, 6011);
	pcpd_map_decide(&table, &b, &other, 2, 0, 6011 + 120, &d);
	ktap_check(d.result == PCP_SUCCESS && d.external_port == 7100,
		   "after port_hold (120 s) another host may have it");
	table.cfg.port_hold = 0;
}

/* IPv6 is not translated: a mapping is the host's own endpoint. */
static void test_ipv6(void)
{
	struct pcp_request r = map(IPPROTO_TCP, 7200, 600, "nonce-6-1234");
	struct in6_addr h6, h6b, sugg;
	struct pcpd_map_decision d;
	struct pcpd_mapping *m;
	uint8_t result;

	inet_pton(AF_INET6, "2001:db8:1::2", &h6);
	inet_pton(AF_INET6, "2001:db8:1::3", &h6b);
	inet_pton(AF_INET6, "2001:db8:9::9", &sugg);
	r.external_port = 9999;
	r.external_addr = sugg;
	pcpd_map_decide(&table, &r, &h6, 6, 0, 7000, &d);
	ktap_check(d.result == PCP_SUCCESS && d.action == PCPD_MAP_CREATE &&
		   d.external_port == 7200 && !memcmp(&d.external_addr, &h6, sizeof(h6)),
		   "an IPv6 MAP gets the host's own address and port, whatever was suggested");
	m = pcpd_map_commit(&table, &r, &h6, 6, 7000, &d);
	ktap_check(m && !pcpd_map_translated(m) &&
		   !pcpd_map_by_external(&table, IPPROTO_TCP, 7200),
		   "it takes no external port from IPv4's pool");
	pcpd_map_decide(&table, &r, &h6b, 6, 0, 7000, &d);
	ktap_check(d.result == PCP_SUCCESS && d.external_port == 7200,
		   "another IPv6 host may map the same port: its own address");
	r.prefer_failure = true;
	pcpd_map_decide(&table, &r, &h6b, 6, 0, 7000, &d);
	ktap_check(d.result == PCP_CANNOT_PROVIDE_EXTERNAL,
		   "with PREFER_FAILURE, a suggestion that is not the host's fails");
	r.prefer_failure = false;
	r.n_filters = 1;
	r.filters[0].addr = ktap_v4("198.51.100.2");
	r.filters[0].prefix_len = 128;
	pcpd_map_decide(&table, &r, &h6b, 6, 0, 7000, &d);
	ktap_check(d.result == PCP_MALFORMED_OPTION,
		   "an IPv4 FILTER on an IPv6 mapping is MALFORMED_OPTION");
	inet_pton(AF_INET6, "2001:db8:2::77", &r.filters[0].addr);
	r.filters[0].prefix_len = 64;
	pcpd_map_decide(&table, &r, &h6b, 6, 0, 7000, &d);
	ktap_check(d.result == PCP_SUCCESS && d.n_filters == 1 &&
		   d.filters[0].prefix_len == 64 && d.filters[0].addr[15] == 0 &&
		   d.filters[0].addr[1] == 0x01,
		   "an IPv6 FILTER keeps its 128-bit length, host bits cleared");

	r = map(IPPROTO_UDP, PCP_SERVER_PORT, 600, "nonce-6-5351");
	pcpd_map_decide(&table, &r, &h6, 6, 0, 7000, &d);
	result = d.result;
	r.prefer_failure = true;
	pcpd_map_decide(&table, &r, &h6, 6, 0, 7000, &d);
	ktap_check(result == PCP_NO_RESOURCES && d.result == PCP_CANNOT_PROVIDE_EXTERNAL,
		   "an IPv6 host's UDP 5351 cannot be mapped: NO_RESOURCES, or CANNOT_PROVIDE_EXTERNAL");
}

int main(void)
{
	struct pcpd_map_config cfg = {
		.port_min = 1024, .port_max = 65535,
		.lifetime_min = 120, .lifetime_max = 86400, .quota = 8,
	};

	cfg.external_addr = ktap_v4("198.51.100.1");
	host = ktap_v4("192.0.2.2");
	if (pcpd_map_table_init(&table, &cfg))
		return 1;

	ktap_plan(PLAN);
	test_create_refresh();
	test_nonces_and_deletes();
	test_ports();
	test_protocols_and_quota();
	test_filters();
	test_port_hold();
	test_ipv6();
	pcpd_map_table_free(&table);

	return ktap_done(PLAN);
}
