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

static uint32_t mask_of(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

bool pcpd_prefix_has(const struct pcpd_prefix *p, uint32_t addr)
{
	return (addr & mask_of(p->len)) == p->addr;
}

int pcpd_parse_prefix(const char *s, struct pcpd_prefix *p)
{
	unsigned long len = 32;
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return -1;
	if (slash && parse_decimal(slash + 1, 32, &len))
		return -1;
	p->len = (uint8_t)len;
	p->addr = ntohl(a.s_addr);
	return p->addr & ~mask_of(p->len) ? -1 : 0;
}

/* The longest of N prefixes that holds ADDR, or NULL. */
static const struct pcpd_prefix *longest(const struct pcpd_prefix *v,
					 unsigned int n, uint32_t addr)
{
	const struct pcpd_prefix *best = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (pcpd_prefix_has(&v[i], addr) && (!best || v[i].len > best->len))
			best = &v[i];
	}
	return best;
}

uint32_t pcpd_policy_subscriber(const struct pcpd_policy *p, uint32_t addr)
{
	const struct pcpd_prefix *s = longest(p->subscribers, p->n_subscribers,
					      addr);

	return s ? s->addr : addr & mask_of((uint8_t)p->subscriber_len);
}

const struct pcpd_class *pcpd_policy_class(const struct pcpd_policy *p,
					   uint32_t id)
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

bool pcpd_policy_third_party(const struct pcpd_policy *p, uint32_t client)
{
	unsigned int i;

	for (i = 0; i < p->n_third_party; i++) {
		if (pcpd_prefix_has(&p->third_party[i].clients, client))
			return true;
	}
	return false;
}

bool pcpd_policy_third_party_host(const struct pcpd_policy *p, uint32_t client,
				  uint32_t host)
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
