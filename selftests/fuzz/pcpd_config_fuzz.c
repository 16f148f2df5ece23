// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of pcpd's configuration parser: the input is a
 * pcpd.conf.  Whatever it holds, the parser must not misbehave (ASan,
 * UBSan, no leak) and must either refuse it with "FILE:LINE: reason" or
 * give a configuration that keeps the invariants checked here, which the
 * policy then answers from.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void require(int cond)
{
	if (!cond)
		abort();
}

static void check_class(const struct pcpd_class *c)
{
	unsigned int i;

	require(c->name[0] && strlen(c->name) < PCPD_CLASS_NAME_MAX);
	require(c->mode <= PCPD_CKPT_NEVER);
	for (i = 0; i < c->n_ports; i++)
		require(c->ports[i].lo >= 1 && c->ports[i].lo <= c->ports[i].hi);
	for (i = 0; i < c->n_members; i++)
		require(pcpd_prefix_has(&c->members[i], c->members[i].key));
	/* Every verdict is one of the four, asked or not. */
	require(pcpd_class_decide(c, 6, 5060, 0, true) <= PCPD_CLASS_FORCED);
	require(pcpd_class_decide(c, 17, 1, 5060, false) != PCPD_CLASS_REFUSED);
}

static void check_config(const struct pcpd_config *c)
{
	const struct pcpd_class *cls;
	unsigned int i;
	uint64_t sub;

	require(c->n_listen <= PCPD_MAX_LISTEN);
	require(c->map.port_min >= 1 && c->map.port_min < c->map.port_max);
	require(c->map.lifetime_min >= 1 &&
		c->map.lifetime_min <= c->map.lifetime_max);
	require(c->policy.subscriber_len >= 1 && c->policy.subscriber_len <= 32);
	require(c->policy.subscriber_len6 >= 1 && c->policy.subscriber_len6 <= 64);
	require(c->policy.n_classes >= 1 &&
		!strcmp(c->policy.classes[0].name, "default") &&
		!c->policy.classes[0].n_members);
	for (i = 0; i < c->policy.n_classes; i++)
		check_class(&c->policy.classes[i]);
	/* Any address has a subscriber, and the subscriber a class. */
	sub = pcpd_policy_subscriber(&c->policy, pcpd_key_v4(0x0a010203));
	cls = pcpd_policy_class(&c->policy, sub);
	require(cls >= c->policy.classes &&
		cls < c->policy.classes + c->policy.n_classes);
	sub = pcpd_policy_subscriber(&c->policy, 0x20010db800010203ull);
	cls = pcpd_policy_class(&c->policy, sub);
	require(!pcpd_key_is_v4(sub) && cls >= c->policy.classes &&
		cls < c->policy.classes + c->policy.n_classes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcpd_config c;
	char err[600] = "";
	FILE *f;

	if (!size || pcpd_config_init(&c))
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f) {
		pcpd_config_free(&c);
		return 0;
	}
	if (pcpd_config_parse(&c, f, "fuzz.conf", err, sizeof(err)))
		require(!strncmp(err, "fuzz.conf:", 10) && strlen(err) > 12);
	else
		check_config(&c);
	fclose(f);
	pcpd_config_free(&c);
	return 0;
}
