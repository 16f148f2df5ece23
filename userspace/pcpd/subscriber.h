/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's subscribers: the network attachment point a client belongs to
 * (its address's prefix, or a configured prefix holding it; see policy.h), with what
 * its class lets it check-point.  Every subscriber has
 * its own count and its own token bucket, so one subscriber can neither
 * use another's quota nor, by flooding requests, starve another of
 * check-points.
 */
#ifndef PCPD_SUBSCRIBER_H
#define PCPD_SUBSCRIBER_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct pcpd_subscriber {
	struct pcpd_subscriber *next;
	uint64_t id;			/* its key (policy.h) */
	const struct pcpd_class *class;
	unsigned int checkpointed;
	unsigned int mappings;		/* MAP mappings held, for --quota */
	unsigned int peers;		/* PEER connections remembered, too */
	uint64_t tokens_ms;		/* bucket level, in ms of rate */
	uint64_t last_ms;
	uint64_t granted, forced, refused_quota, refused_rate, refused_policy;
};

#define PCPD_SUBSCRIBER_BUCKETS	1024

struct pcpd_subscribers {
	const struct pcpd_policy *policy;
	struct pcpd_subscriber *buckets[PCPD_SUBSCRIBER_BUCKETS];
	unsigned int count;
};

enum pcpd_ckpt_verdict {
	PCPD_CKPT_GRANT,
	PCPD_CKPT_QUOTA,	/* max_entries reached */
	PCPD_CKPT_RATE,		/* bucket empty */
	PCPD_CKPT_POLICY,	/* the policy allows none */
};

struct pcpd_subscriber *pcpd_subscriber_get(struct pcpd_subscribers *s,
					    uint64_t id, uint64_t now_ms);
void pcpd_subscribers_free(struct pcpd_subscribers *s);
unsigned int pcpd_subscribers_gc(struct pcpd_subscribers *s, uint64_t now_ms);
/* After the policy changed: each subscriber's class again. */
void pcpd_subscribers_reclass(struct pcpd_subscribers *s);

/* A rate "N" (a second) or "N/min" into cost_ms; -1 if not one. */
int pcpd_parse_rate(const char *s, unsigned int *cost_ms);

/*
 * May SUB check-point one more mapping at NOW_MS, by its class's limits?
 * Takes a token if so.
 */
enum pcpd_ckpt_verdict pcpd_subscriber_ckpt(struct pcpd_subscriber *sub,
					    uint64_t now_ms);
const char *pcpd_ckpt_verdict_name(enum pcpd_ckpt_verdict v);

#endif /* PCPD_SUBSCRIBER_H */
