// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: application-initiated check-pointing of conntrack entries
 * (RFC 7767).  Module entry points and per network namespace state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/netns/generic.h>

#include "nf_ckpt.h"

static unsigned int ckpt_net_id __read_mostly;

struct ckpt_net *ckpt_pernet(const struct net *net)
{
	return net_generic(net, ckpt_net_id);
}

static int __net_init ckpt_net_init(struct net *net)
{
	struct ckpt_net *cn = ckpt_pernet(net);
	int err;

	mutex_init(&cn->lock);
	cn->net = net;
	cn->budget = CKPT_DEFAULT_BUDGET;
	cn->mark_bit = CKPT_DEFAULT_MARK_BIT;

	err = ckpt_table_init(cn);
	if (err)
		return err;

	err = ckpt_rules_init(cn);
	if (err)
		goto destroy_table;

	ckpt_gc_start(cn);
	pr_debug("netns %u: created\n", net->ns.inum);
	return 0;

destroy_table:
	ckpt_table_destroy(cn);
	return err;
}

/*
 * Runs before conntrack's own exit for the namespace (we registered after
 * it), so the flags can still be cleared from live entries.
 */
static void __net_exit ckpt_net_exit(struct net *net)
{
	struct ckpt_net *cn = ckpt_pernet(net);

	ckpt_rules_destroy(cn);
	ckpt_gc_stop(cn);
	ckpt_table_destroy(cn);
	pr_debug("netns %u: destroyed\n", net->ns.inum);
}

static struct pernet_operations ckpt_net_ops = {
	.init = ckpt_net_init,
	.exit = ckpt_net_exit,
	.id = &ckpt_net_id,
	.size = sizeof(struct ckpt_net),
};

static int __init ckpt_init(void)
{
	int err;

	err = register_pernet_subsys(&ckpt_net_ops);
	if (err)
		return err;

	err = ckpt_netlink_init();
	if (err)
		goto unregister_pernet;

	pr_debug("loaded\n");
	return 0;

unregister_pernet:
	unregister_pernet_subsys(&ckpt_net_ops);
	return err;
}

static void __exit ckpt_exit(void)
{
	ckpt_netlink_exit();
	unregister_pernet_subsys(&ckpt_net_ops);
	pr_debug("unloaded\n");
}

module_init(ckpt_init);
module_exit(ckpt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Application-initiated check-pointing of conntrack entries (RFC 7767)");
