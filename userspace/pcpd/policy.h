/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's check-point policy: who is a subscriber, which class each
 * subscriber belongs to, and what a class lets it protect (RFC 7767
 * sections 3.2 and 4: limits per network attachment point, and the
 * network overriding the client either way).  Pure decisions, no I/O:
 * config.c fills these in, pcpd.c and subscriber.c ask them.
 */
#ifndef PCPD_POLICY_H
#define PCPD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define PCPD_CLASS_NAME_MAX	32

/*
 * Subscribers, classes and third-party clients are matched on a 64-bit
 * key: an IPv6 address's first 64 bits (a subscriber is a /64 at most),
 * or an IPv4 address, host order, in ffff:ffff::/32, multicast space,
 * where no client's address is.
 */
#define PCPD_KEY_V4		0xffffffff00000000ull

static inline uint64_t pcpd_key_v4(uint32_t addr)
{
	return PCPD_KEY_V4 | addr;
}

static inline bool pcpd_key_is_v4(uint64_t key)
{
	return (key & PCPD_KEY_V4) == PCPD_KEY_V4;
}

/* The key of A: IPv4-mapped, or IPv6. */
uint64_t pcpd_key_of(const struct in6_addr *a);

/*
 * A prefix of keys, its host bits zero: LEN counts key bits, so an IPv4
 * /24 has 56.
 */
struct pcpd_prefix {
	uint64_t key;
	uint8_t len;
};

/* What a class's subscribers may check-point, and how fast. */
struct pcpd_ckpt_policy {
	unsigned int max_entries;	/* check-points held at once */
	unsigned int cost_ms;		/* one new check-point a cost_ms */
	unsigned int burst;		/* ...and this many at once */
};

enum pcpd_ckpt_mode {
	PCPD_CKPT_ON_REQUEST,	/* what the client asks for (silver) */
	PCPD_CKPT_ALL,		/* every mapping, asked or not (gold) */
	PCPD_CKPT_NEVER,	/* nothing (bronze) */
};

/* "protect udp 5060" or "never-protect tcp 1-1023": one port range. */
struct pcpd_port_rule {
	uint8_t protocol;	/* 0: TCP and UDP */
	uint16_t lo, hi;
	bool protect;		/* forced on; otherwise forced off */
};

struct pcpd_class {
	char name[PCPD_CLASS_NAME_MAX];
	enum pcpd_ckpt_mode mode;
	struct pcpd_ckpt_policy limits;
	struct pcpd_port_rule *ports;
	unsigned int n_ports;
	struct pcpd_prefix *members;	/* whose subscribers are in it */
	unsigned int n_members;
};

/* "third-party CLIENTS HOSTS": who may speak for whom. */
struct pcpd_third_party {
	struct pcpd_prefix clients, hosts;
};

/* Prefixes a configuration may hold, all lists together. */
#define PCPD_PREFIXES_MAX	4096

struct pcpd_policy {
	struct pcpd_class *classes;	/* [0] is "default" */
	unsigned int n_classes;
	unsigned int subscriber_len;	/* an IPv4 subscriber's prefix length */
	unsigned int subscriber_len6;	/* an IPv6 subscriber's, at most 64 */
	struct pcpd_prefix *subscribers; /* prefixes that are one subscriber */
	unsigned int n_subscribers;
	struct pcpd_third_party *third_party;
	unsigned int n_third_party;
	unsigned int n_prefixes;	/* of every list, for the limit */
};

/* What a class says about one check-point. */
enum pcpd_class_verdict {
	PCPD_CLASS_UNWANTED,	/* not asked for, not forced */
	PCPD_CLASS_REFUSED,	/* asked for, but the class forbids it */
	PCPD_CLASS_ASKED,	/* asked for, and allowed within the limits */
	PCPD_CLASS_FORCED,	/* the network protects it anyway */
};

bool pcpd_prefix_has(const struct pcpd_prefix *p, uint64_t key);
/*
 * "10.0.0.0/24", "10.0.0.1" or "2001:db8:0:100::/56" (IPv6 needs a
 * length, 64 at most); -1 if not one, or host bits are set.
 */
int pcpd_parse_prefix(const char *s, struct pcpd_prefix *p);
/* "10.0.0.1" or "2001:db8:0:100::": KEY's address, into BUF. */
const char *pcpd_key_str(uint64_t key, char *buf, size_t size);

/* The subscriber KEY belongs to: a configured prefix, else its /len. */
uint64_t pcpd_policy_subscriber(const struct pcpd_policy *p, uint64_t key);
/* The class of subscriber ID: the longest member prefix holding it. */
const struct pcpd_class *pcpd_policy_class(const struct pcpd_policy *p,
					   uint64_t id);
/* May CLIENT use THIRD_PARTY at all; and for HOST? */
bool pcpd_policy_third_party(const struct pcpd_policy *p, uint64_t client);
bool pcpd_policy_third_party_host(const struct pcpd_policy *p, uint64_t client,
				  uint64_t host);

/*
 * A check-point of PROTOCOL between internal PORT and REMOTE_PORT (0 for
 * a MAP), which the client did or did not ASK for.  A never-protect rule
 * wins over a protect rule, and both over the class's mode.
 */
enum pcpd_class_verdict pcpd_class_decide(const struct pcpd_class *c,
					  uint8_t protocol, uint16_t port,
					  uint16_t remote_port, bool asked);

void pcpd_policy_free(struct pcpd_policy *p);

#endif /* PCPD_POLICY_H */
