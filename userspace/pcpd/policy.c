// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: subscribers, classes and port rules (policy.h).  The lists are
 * short, written by an operator, and searched linearly.
 */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

static uint64_t mask_of(unsigned int len)
{
	return len ? ~0ull << (64 - len) : 0;
}

bool pcpd_prefix_has(const struct pcpd_prefix *p, uint64_t key)
{
	return (key & mask_of(p->len)) == p->key;
}

/* The first 64 bits of A, as a number. */
static uint64_t upper_half(const struct in6_addr *a)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8; i++)
		k = k << 8 | a->s6_addr[i];
	return k;
}

uint64_t pcpd_key_of(const struct in6_addr *a)
{
	uint32_t v4;

	if (!IN6_IS_ADDR_V4MAPPED(a))
		return upper_half(a);
	memcpy(&v4, a->s6_addr + 12, 4);
	return pcpd_key_v4(ntohl(v4));
}

int pcpd_parse_prefix(const char *s, struct pcpd_prefix *p)
{
	static const uint8_t zero[8];
	unsigned long len;
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) == 1) {
		len = 32;
		if (slash && parse_decimal(slash + 1, 32, &len))
			return -1;
		p->key = pcpd_key_v4(ntohl(a.s_addr));
		p->len = (uint8_t)(32 + len);
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		/* A subscriber is a /64 at most: the key holds no more. */
		if (!slash || parse_decimal(slash + 1, 64, &len) || !len ||
		    memcmp(a6.s6_addr + 8, zero, sizeof(zero)))
			return -1;
		p->key = upper_half(&a6);
		p->len = (uint8_t)len;
		/* ffff:ffff::/32 is where IPv4's keys are: no prefix reaches it */
		if (pcpd_key_is_v4(p->key | ~mask_of(p->len)))
			return -1;
	} else {
		return -1;
	}
	return p->key & ~mask_of(p->len) ? -1 : 0;
}

const char *pcpd_key_str(uint64_t key, char *buf, size_t size)
{
	struct in6_addr a6 = { 0 };
	struct in_addr a;
	int i;

	if (pcpd_key_is_v4(key)) {
		a.s_addr = htonl((uint32_t)key);
		return inet_ntop(AF_INET, &a, buf, (socklen_t)size);
	}
	for (i = 7; i >= 0; i--, key >>= 8)
		a6.s6_addr[i] = (uint8_t)key;
	return inet_ntop(AF_INET6, &a6, buf, (socklen_t)size);
}

/* The longest of N prefixes that holds ADDR, or NULL. */
static const struct pcpd_prefix *longest(const struct pcpd_prefix *v,
					 unsigned int n, uint64_t key)
{
	const struct pcpd_prefix *best = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (pcpd_prefix_has(&v[i], key) && (!best || v[i].len > best->len))
			best = &v[i];
	}
	return best;
}

uint64_t pcpd_policy_subscriber(const struct pcpd_policy *p, uint64_t key)
{
	const struct pcpd_prefix *s = longest(p->subscribers, p->n_subscribers,
					      key);

	if (s)
		return s->key;
	if (pcpd_key_is_v4(key))
		return key & mask_of(32 + p->subscriber_len);
	return key & mask_of(p->subscriber_len6);
}

const struct pcpd_class *pcpd_policy_class(const struct pcpd_policy *p,
					   uint64_t id)
{
	const struct pcpd_class *best = &p->classes[0];
	const struct pcpd_prefix *m;
	uint8_t best_len = 0;
	unsigned int i;

	for (i = 1; i < p->n_classes; i++) {
		m = longest(p->classes[i].members, p->classes[i].n_members, id);
		if (m && (best == &p->classes[0] || m->len > best_len)) {
			best = &p->classes[i];
			best_len = m->len;
		}
	}
	return best;
}

bool pcpd_policy_third_party(const struct pcpd_policy *p, uint64_t client)
{
	unsigned int i;

	for (i = 0; i < p->n_third_party; i++) {
		if (pcpd_prefix_has(&p->third_party[i].clients, client))
			return true;
	}
	return false;
}

bool pcpd_policy_third_party_host(const struct pcpd_policy *p, uint64_t client,
				  uint64_t host)
{
	unsigned int i;

	for (i = 0; i < p->n_third_party; i++) {
		if (pcpd_prefix_has(&p->third_party[i].clients, client) &&
		    pcpd_prefix_has(&p->third_party[i].hosts, host))
			return true;
	}
	return false;
}

static bool rule_matches(const struct pcpd_port_rule *r, uint8_t protocol,
			 uint16_t port, uint16_t remote_port)
{
	if (r->protocol && r->protocol != protocol)
		return false;
	if (port >= r->lo && port <= r->hi)
		return true;
	return remote_port && remote_port >= r->lo && remote_port <= r->hi;
}

enum pcpd_class_verdict pcpd_class_decide(const struct pcpd_class *c,
					  uint8_t protocol, uint16_t port,
					  uint16_t remote_port, bool asked)
{
	enum pcpd_class_verdict refuse = asked ? PCPD_CLASS_REFUSED :
						  PCPD_CLASS_UNWANTED;
	bool forced = false;
	unsigned int i;

	for (i = 0; i < c->n_ports; i++) {
		if (!rule_matches(&c->ports[i], protocol, port, remote_port))
			continue;
		if (!c->ports[i].protect)
			return refuse;
		forced = true;
	}
	if (forced)
		return PCPD_CLASS_FORCED;
	switch (c->mode) {
	case PCPD_CKPT_NEVER:
		return refuse;
	case PCPD_CKPT_ALL:
		return PCPD_CLASS_FORCED;
	case PCPD_CKPT_ON_REQUEST:
		break;
	}
	return asked ? PCPD_CLASS_ASKED : PCPD_CLASS_UNWANTED;
}

void pcpd_policy_free(struct pcpd_policy *p)
{
	unsigned int i;

	for (i = 0; i < p->n_classes; i++) {
		free(p->classes[i].ports);
		free(p->classes[i].members);
	}
	free(p->classes);
	free(p->subscribers);
	free(p->third_party);
	memset(p, 0, sizeof(*p));
}
