// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: the generic netlink family.  Its ABI is specified in
 * Documentation/netlink/specs/nf_ckpt.yaml.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <linux/nf_ckpt.h>

#include "nf_ckpt.h"

static struct genl_family ckpt_genl_family;

static int ckpt_nl_put_stats(struct sk_buff *skb, const struct ckpt_net *cn)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, NF_CKPT_A_STATS);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u32(skb, NF_CKPT_STATS_A_ENTRIES,
			atomic_read(&cn->entries)) ||
	    nla_put_u32(skb, NF_CKPT_STATS_A_BUDGET, READ_ONCE(cn->budget)) ||
	    nla_put_u64_64bit(skb, NF_CKPT_STATS_A_SET,
			      atomic64_read(&cn->set), NF_CKPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NF_CKPT_STATS_A_CLEARED,
			      atomic64_read(&cn->cleared), NF_CKPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NF_CKPT_STATS_A_EXPIRED,
			      atomic64_read(&cn->expired), NF_CKPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NF_CKPT_STATS_A_REFUSED_BUDGET,
			      atomic64_read(&cn->refused_budget),
			      NF_CKPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, NF_CKPT_STATS_A_RULE_HITS,
			      atomic64_read(&cn->rule_hits),
			      NF_CKPT_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}

	nla_nest_end(skb, nest);
	return 0;
}

static int ckpt_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_net *cn = ckpt_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &ckpt_genl_family, 0,
				NF_CKPT_CMD_STATS_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto free_msg;
	}

	err = ckpt_nl_put_stats(msg, cn);
	if (err)
		goto free_msg;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

free_msg:
	nlmsg_free(msg);
	return err;
}

/*
 * A request of an operation without attributes gets an empty policy, so
 * that the core rejects any attribute it is sent.
 */
static const struct nla_policy ckpt_nl_stats_get_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_STATS] = { .type = NLA_REJECT },
};

static const struct genl_ops ckpt_nl_ops[] = {
	{
		.cmd = NF_CKPT_CMD_STATS_GET,
		.doit = ckpt_nl_stats_get_doit,
		.policy = ckpt_nl_stats_get_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family ckpt_genl_family __ro_after_init = {
	.name = NF_CKPT_FAMILY_NAME,
	.version = NF_CKPT_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = ckpt_nl_ops,
	.n_ops = ARRAY_SIZE(ckpt_nl_ops),
};

int __init ckpt_netlink_init(void)
{
	return genl_register_family(&ckpt_genl_family);
}

void ckpt_netlink_exit(void)
{
	genl_unregister_family(&ckpt_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(NF_CKPT_FAMILY_NAME);
