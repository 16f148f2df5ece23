// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: subscribers and their check-point quota and rate (subscriber.h).
 * The token bucket is kept in milliseconds of refill: one check-point
 * costs cost_ms (1000 ms / rate), and the bucket holds at most burst.
 */

#include <stdlib.h>
#include <string.h>

#include "subscriber.h"
#include "util.h"

static unsigned int bucket_of(uint64_t id)
{
	return (unsigned int)((id * 0x9e3779b97f4a7c15ull) >> 54);	/* 10 bits */
}

static uint64_t cost_ms(const struct pcpd_ckpt_policy *p)
{
	return p->cost_ms;
}

/* A bucket's level when full. */
static uint64_t full_ms(const struct pcpd_subscriber *sub)
{
	return cost_ms(&sub->class->limits) * sub->class->limits.burst;
}

int pcpd_parse_rate(const char *s, unsigned int *cost)
{
	unsigned long n, per = 1000;
	char num[16];
	size_t len = strcspn(s, "/");

	if (len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (s[len] && strcmp(s + len, "/min") && strcmp(s + len, "/s"))
		return -1;
	if (!strcmp(s + len, "/min"))
		per = 60000;
	if (parse_decimal(num, per, &n) || !n)
		return -1;
	*cost = (unsigned int)(per / n);
	return 0;
}

struct pcpd_subscriber *pcpd_subscriber_get(struct pcpd_subscribers *s,
					    uint64_t id, uint64_t now_ms)
{
	struct pcpd_subscriber **head = &s->buckets[bucket_of(id)];
	struct pcpd_subscriber *sub;

	for (sub = *head; sub; sub = sub->next)
		if (sub->id == id)
			return sub;
	sub = calloc(1, sizeof(*sub));
	if (!sub)
		return NULL;
	sub->id = id;
	sub->class = pcpd_policy_class(s->policy, id);
	sub->tokens_ms = full_ms(sub);
	sub->last_ms = now_ms;
	sub->next = *head;
	*head = sub;
	s->count++;
	return sub;
}

void pcpd_subscribers_free(struct pcpd_subscribers *s)
{
	struct pcpd_subscriber *sub, *next;
	unsigned int i;

	for (i = 0; i < PCPD_SUBSCRIBER_BUCKETS; i++) {
		for (sub = s->buckets[i]; sub; sub = next) {
			next = sub->next;
			free(sub);
		}
		s->buckets[i] = NULL;
	}
	s->count = 0;
}

/*
 * Drop the records that hold nothing: no mapping, no PEER connection, no
 * check-point, and a full bucket (so that dropping one forgives nothing).
 * Any source on an inside network makes a record; this bounds them.
 */
unsigned int pcpd_subscribers_gc(struct pcpd_subscribers *s, uint64_t now_ms)
{
	struct pcpd_subscriber **pp, *sub;
	unsigned int i, n = 0;

	for (i = 0; i < PCPD_SUBSCRIBER_BUCKETS; i++) {
		pp = &s->buckets[i];
		while ((sub = *pp)) {
			if (sub->mappings || sub->peers || sub->checkpointed ||
			    sub->tokens_ms + (now_ms - sub->last_ms) < full_ms(sub)) {
				pp = &sub->next;
				continue;
			}
			*pp = sub->next;
			free(sub);
			s->count--;
			n++;
		}
	}
	return n;
}

void pcpd_subscribers_reclass(struct pcpd_subscribers *s)
{
	struct pcpd_subscriber *sub;
	unsigned int i;

	for (i = 0; i < PCPD_SUBSCRIBER_BUCKETS; i++) {
		for (sub = s->buckets[i]; sub; sub = sub->next)
			sub->class = pcpd_policy_class(s->policy, sub->id);
	}
}

enum pcpd_ckpt_verdict pcpd_subscriber_ckpt(struct pcpd_subscriber *sub,
					    uint64_t now_ms)
{
	const struct pcpd_ckpt_policy *p = &sub->class->limits;
	uint64_t cost = cost_ms(p), full = full_ms(sub);

	if (!p->max_entries || !p->cost_ms || !p->burst) {
		sub->refused_policy++;
		return PCPD_CKPT_POLICY;
	}
	if (sub->checkpointed >= p->max_entries) {
		sub->refused_quota++;
		return PCPD_CKPT_QUOTA;
	}
	sub->tokens_ms += now_ms - sub->last_ms;
	if (sub->tokens_ms > full)
		sub->tokens_ms = full;
	sub->last_ms = now_ms;
	if (sub->tokens_ms < cost) {
		sub->refused_rate++;
		return PCPD_CKPT_RATE;
	}
	sub->tokens_ms -= cost;
	sub->granted++;
	return PCPD_CKPT_GRANT;
}

const char *pcpd_ckpt_verdict_name(enum pcpd_ckpt_verdict v)
{
	static const char *const names[] = {
		[PCPD_CKPT_GRANT] = "granted",
		[PCPD_CKPT_QUOTA] = "quota",
		[PCPD_CKPT_RATE] = "rate",
		[PCPD_CKPT_POLICY] = "policy",
	};

	return names[v];
}
