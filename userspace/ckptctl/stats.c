// SPDX-License-Identifier: GPL-2.0
/*
 * ckptctl stats: the namespace's budget and counters.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/nf_ckpt.h>

#include "ckptctl.h"

struct stats {
	uint32_t entries;
	uint32_t budget;
	uint8_t mark_bit;
	uint64_t set;
	uint64_t cleared;
	uint64_t expired;
	uint64_t refused_budget;
	uint64_t rule_hits;
};

static int read_stats(struct nlattr **attrs, void *arg)
{
	struct nlattr *tb[NF_CKPT_STATS_A_MAX + 1];
	struct stats *s = arg;

	if (!attrs[NF_CKPT_A_STATS] ||
	    nla_parse_nested(tb, NF_CKPT_STATS_A_MAX, attrs[NF_CKPT_A_STATS],
			     NULL) < 0) {
		fprintf(stderr, "ckptctl: reply without statistics\n");
		return -1;
	}

	if (tb[NF_CKPT_STATS_A_ENTRIES])
		s->entries = nla_get_u32(tb[NF_CKPT_STATS_A_ENTRIES]);
	if (tb[NF_CKPT_STATS_A_BUDGET])
		s->budget = nla_get_u32(tb[NF_CKPT_STATS_A_BUDGET]);
	if (tb[NF_CKPT_STATS_A_MARK_BIT])
		s->mark_bit = nla_get_u8(tb[NF_CKPT_STATS_A_MARK_BIT]);
	if (tb[NF_CKPT_STATS_A_SET])
		s->set = nla_get_u64(tb[NF_CKPT_STATS_A_SET]);
	if (tb[NF_CKPT_STATS_A_CLEARED])
		s->cleared = nla_get_u64(tb[NF_CKPT_STATS_A_CLEARED]);
	if (tb[NF_CKPT_STATS_A_EXPIRED])
		s->expired = nla_get_u64(tb[NF_CKPT_STATS_A_EXPIRED]);
	if (tb[NF_CKPT_STATS_A_REFUSED_BUDGET])
		s->refused_budget = nla_get_u64(tb[NF_CKPT_STATS_A_REFUSED_BUDGET]);
	if (tb[NF_CKPT_STATS_A_RULE_HITS])
		s->rule_hits = nla_get_u64(tb[NF_CKPT_STATS_A_RULE_HITS]);
	return 0;
}

static void print_stats(const struct stats *s, bool json)
{
	const char *fmt = json ?
		"{\"entries\":%" PRIu32 ",\"budget\":%" PRIu32
		",\"mark_bit\":%u,\"set\":%" PRIu64 ",\"cleared\":%" PRIu64
		",\"expired\":%" PRIu64 ",\"refused_budget\":%" PRIu64
		",\"rule_hits\":%" PRIu64 "}\n" :
		"entries: %" PRIu32 "\nbudget: %" PRIu32
		"\nmark_bit: %u\nset: %" PRIu64 "\ncleared: %" PRIu64
		"\nexpired: %" PRIu64 "\nrefused_budget: %" PRIu64
		"\nrule_hits: %" PRIu64 "\n";

	printf(fmt, s->entries, s->budget, s->mark_bit, s->set, s->cleared, s->expired,
	       s->refused_budget, s->rule_hits);
}

static int get_stats(struct ckptctl *ctl, struct stats *s)
{
	struct nl_msg *msg;

	msg = ckpt_nl_request(&ctl->nl, NF_CKPT_CMD_STATS_GET, 0);
	if (!msg)
		return -1;
	return ckpt_nl_transact(&ctl->nl, msg, read_stats, s);
}

int ckptctl_stats(struct ckptctl *ctl, int argc, char **argv)
{
	struct stats s = { 0 };

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "ckptctl: stats takes no arguments (put -j before the command)\n");
		return CKPTCTL_USAGE;
	}
	if (get_stats(ctl, &s))
		return -1;

	print_stats(&s, ctl->json);
	return 0;
}

static int set_config(struct ckptctl *ctl, int attr, const char *what,
		      const char *value, uint32_t max)
{
	struct nl_msg *msg;
	unsigned long v;

	if (ckptctl_number(value, what, max, &v))
		return CKPTCTL_USAGE;

	msg = ckpt_nl_request(&ctl->nl, NF_CKPT_CMD_CONFIG_SET, 0);
	if (!msg)
		return -1;
	if ((attr == NF_CKPT_A_BUDGET ?
	     nla_put_u32(msg, attr, (uint32_t)v) :
	     nla_put_u8(msg, attr, (uint8_t)v)) < 0) {
		nlmsg_free(msg);
		return -1;
	}
	return ckpt_nl_transact(&ctl->nl, msg, NULL, NULL);
}

int ckptctl_budget(struct ckptctl *ctl, int argc, char **argv)
{
	struct stats s = { 0 };

	if (argc == 1) {
		if (get_stats(ctl, &s))
			return -1;
		printf(ctl->json ? "{\"budget\":%" PRIu32 ",\"entries\":%" PRIu32 "}\n" :
		       "budget: %" PRIu32 "\nentries: %" PRIu32 "\n", s.budget, s.entries);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "ckptctl: usage: ckptctl budget [ENTRIES]\n");
		return CKPTCTL_USAGE;
	}
	return set_config(ctl, NF_CKPT_A_BUDGET, "budget", argv[1], UINT32_MAX);
}

int ckptctl_mark_bit(struct ckptctl *ctl, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "ckptctl: usage: ckptctl mark-bit BIT\n");
		return CKPTCTL_USAGE;
	}
	/* The kernel refuses a bit over 31 with its own message. */
	return set_config(ctl, NF_CKPT_A_MARK_BIT, "mark bit", argv[1], 255);
}
