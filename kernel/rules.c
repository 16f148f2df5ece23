// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: endpoint rules for PCP MAP mappings, and the packet hook that
 * flags every new connection through a mapping.
 *
 * A rule names a mapping's internal endpoint (protocol, address, port) and
 * optionally, from a PCP FILTER, the remote peers allowed.  The hook sits in
 * POSTROUTING after source NAT and before confirmation, where both
 * directions of a new connection are known: an inbound connection through
 * the mapping has the internal endpoint as its reply source, an outbound
 * one from the mapped endpoint as its original source.  The hook is
 * registered in a namespace only while it has rules, so a namespace without
 * rules pays nothing per packet; with rules, packets of confirmed
 * connections return at once and a new connection costs up to six hash
 * lookups.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inetdevice.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "nf_ckpt.h"

static const struct rhashtable_params ckpt_rule_params = {
	.key_len = sizeof(struct ckpt_rule_key),
	.key_offset = offsetof(struct ckpt_rule, key),
	.head_offset = offsetof(struct ckpt_rule, node),
	.automatic_shrinking = true,
};

static bool ckpt_prefix_match(u8 family, const union nf_inet_addr *addr,
			      const union nf_inet_addr *prefix, u8 len)
{
	if (family == NFPROTO_IPV4)
		return !((addr->ip ^ prefix->ip) & inet_make_mask(len));
	return ipv6_prefix_equal(&addr->in6, &prefix->in6, len);
}

static bool ckpt_rule_allows(const struct ckpt_rule *r,
			     const union nf_inet_addr *remote,
			     __be16 remote_port)
{
	if (r->remote_port && r->remote_port != remote_port)
		return false;
	return !r->remote_len ||
	       ckpt_prefix_match(r->key.family, remote, &r->remote,
				 r->remote_len);
}

/* The first rule of endpoint (PROTO, ADDR, PORT) that allows REMOTE. */
static const struct ckpt_rule *
ckpt_rule_find(struct ckpt_net *cn, u8 family, u8 proto,
	       const union nf_inet_addr *addr, __be16 port,
	       const union nf_inet_addr *remote, __be16 remote_port)
{
	/* Exact endpoint, every port of the protocol, every protocol. */
	static const struct { bool proto, port; } tries[] = {
		{ true, true }, { true, false }, { false, false },
	};
	struct ckpt_rule_key key;
	struct rhlist_head *list, *pos;
	const struct ckpt_rule *r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tries); i++) {
		memset(&key, 0, sizeof(key));
		key.family = family;
		key.addr = *addr;
		key.proto = tries[i].proto ? proto : 0;
		key.port = tries[i].port ? port : 0;

		list = rhltable_lookup(&cn->rules, &key, ckpt_rule_params);
		rhl_for_each_entry_rcu(r, pos, list, node) {
			if (ckpt_rule_allows(r, remote, remote_port))
				return r;
		}
	}
	return NULL;
}

static const struct ckpt_rule *ckpt_rule_match(struct ckpt_net *cn,
					       const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	const struct ckpt_rule *r;
	u8 proto = orig->dst.protonum;
	u8 family = orig->src.l3num;

	/* Outbound from the mapped endpoint. */
	r = ckpt_rule_find(cn, family, proto, &orig->src.u3, orig->src.u.all,
			   &orig->dst.u3, orig->dst.u.all);
	if (r)
		return r;

	/* Inbound through the mapping: DNAT made the endpoint the reply's source. */
	return ckpt_rule_find(cn, family, proto, &reply->src.u3, reply->src.u.all,
			      &reply->dst.u3, reply->dst.u.all);
}

static unsigned int ckpt_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	enum ip_conntrack_info ctinfo;
	const struct ckpt_rule *r;
	struct ckpt_net *cn;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || nf_ct_is_confirmed(ct) ||
	    CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
		return NF_ACCEPT;

	cn = ckpt_pernet(state->net);
	r = ckpt_rule_match(cn, ct);
	if (r)
		ckpt_flag_new(cn, ct, r->owner);
	return NF_ACCEPT;
}

static const struct nf_hook_ops ckpt_hook_ops[] = {
	{
		.hook = ckpt_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC + 1,
	},
	{
		.hook = ckpt_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC + 1,
	},
};

/* The hook and conntrack in this namespace, while it has rules. */
static int ckpt_hook_register(struct ckpt_net *cn,
			      struct netlink_ext_ack *extack)
{
	int err;

	err = nf_ct_netns_get(cn->net, NFPROTO_INET);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot enable conntrack in this namespace");
		return err;
	}

	err = nf_register_net_hooks(cn->net, ckpt_hook_ops,
				    ARRAY_SIZE(ckpt_hook_ops));
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the packet hook");
		goto put_conntrack;
	}
	return 0;

put_conntrack:
	nf_ct_netns_put(cn->net, NFPROTO_INET);
	return err;
}

static void ckpt_hook_unregister(struct ckpt_net *cn)
{
	nf_unregister_net_hooks(cn->net, ckpt_hook_ops,
				ARRAY_SIZE(ckpt_hook_ops));
	nf_ct_netns_put(cn->net, NFPROTO_INET);
}

static bool ckpt_rule_equal(const struct ckpt_rule *a,
			    const struct ckpt_rule *b)
{
	return !memcmp(&a->key, &b->key, sizeof(a->key)) &&
	       a->remote_len == b->remote_len &&
	       a->remote_port == b->remote_port &&
	       !memcmp(&a->remote, &b->remote, sizeof(a->remote));
}

static struct ckpt_rule *ckpt_rule_lookup(struct ckpt_net *cn,
					  const struct ckpt_rule *tmpl)
{
	struct ckpt_rule *r;

	lockdep_assert_held(&cn->lock);

	list_for_each_entry(r, &cn->rule_list, list) {
		if (ckpt_rule_equal(r, tmpl))
			return r;
	}
	return NULL;
}

int ckpt_rule_add(struct ckpt_net *cn, const struct ckpt_rule *tmpl,
		  struct netlink_ext_ack *extack)
{
	struct ckpt_rule *r;
	int err;

	mutex_lock(&cn->lock);
	if (ckpt_rule_lookup(cn, tmpl)) {
		NL_SET_ERR_MSG(extack, "an equal rule exists");
		err = -EEXIST;
		goto unlock;
	}

	r = kmemdup(tmpl, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r) {
		err = -ENOMEM;
		goto unlock;
	}

	if (!cn->n_rules) {
		err = ckpt_hook_register(cn, extack);
		if (err)
			goto free_rule;
	}

	err = rhltable_insert(&cn->rules, &r->node, ckpt_rule_params);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot add the rule to the table");
		goto unregister_hook;
	}

	list_add_tail(&r->list, &cn->rule_list);
	cn->n_rules++;
	mutex_unlock(&cn->lock);
	return 0;

unregister_hook:
	if (!cn->n_rules)
		ckpt_hook_unregister(cn);
free_rule:
	kfree(r);
unlock:
	mutex_unlock(&cn->lock);
	return err;
}

int ckpt_rule_del(struct ckpt_net *cn, const struct ckpt_rule *tmpl,
		  struct netlink_ext_ack *extack)
{
	struct ckpt_rule *r;
	int err = 0;

	mutex_lock(&cn->lock);
	r = ckpt_rule_lookup(cn, tmpl);
	if (!r) {
		NL_SET_ERR_MSG(extack, "no such rule");
		err = -ENOENT;
		goto unlock;
	}

	rhltable_remove(&cn->rules, &r->node, ckpt_rule_params);
	list_del(&r->list);
	if (!--cn->n_rules)
		ckpt_hook_unregister(cn);
	kfree_rcu(r, rcu);

unlock:
	mutex_unlock(&cn->lock);
	return err;
}

int ckpt_rules_init(struct ckpt_net *cn)
{
	INIT_LIST_HEAD(&cn->rule_list);
	return rhltable_init(&cn->rules, &ckpt_rule_params);
}

/* The namespace or the module is going: no request and no packet is left. */
void ckpt_rules_destroy(struct ckpt_net *cn)
{
	struct ckpt_rule *r, *tmp;

	if (cn->n_rules)
		ckpt_hook_unregister(cn);

	list_for_each_entry_safe(r, tmp, &cn->rule_list, list)
		kfree_rcu(r, rcu);
	rhltable_destroy(&cn->rules);
}
