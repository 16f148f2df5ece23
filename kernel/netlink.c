// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: the generic netlink family.  Its ABI is specified in
 * Documentation/netlink/specs/nf_ckpt.yaml.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rhashtable.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <linux/nf_ckpt.h>

#include "nf_ckpt.h"

static struct genl_family ckpt_genl_family;

enum ckpt_nl_mcgrp {
	CKPT_NL_MCGRP_SYNC,
	CKPT_NL_MCGRP_CLEAR,
};

static const struct genl_multicast_group ckpt_nl_mcgrps[] = {
	[CKPT_NL_MCGRP_SYNC] = {
		.name = NF_CKPT_MCGRP_SYNC,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	[CKPT_NL_MCGRP_CLEAR] = {
		.name = NF_CKPT_MCGRP_CLEAR,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct nla_policy ckpt_tuple_policy[NF_CKPT_TUPLE_A_MAX + 1] = {
	[NF_CKPT_TUPLE_A_PROTO] = { .type = NLA_U8 },
	[NF_CKPT_TUPLE_A_SRC_V4] = { .type = NLA_BE32 },
	[NF_CKPT_TUPLE_A_DST_V4] = { .type = NLA_BE32 },
	[NF_CKPT_TUPLE_A_SRC_V6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NF_CKPT_TUPLE_A_DST_V6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NF_CKPT_TUPLE_A_SRC_PORT] = { .type = NLA_BE16 },
	[NF_CKPT_TUPLE_A_DST_PORT] = { .type = NLA_BE16 },
};

static const struct nla_policy ckpt_rule_policy[NF_CKPT_RULE_A_MAX + 1] = {
	[NF_CKPT_RULE_A_PROTO] = { .type = NLA_U8 },
	[NF_CKPT_RULE_A_ADDR_V4] = { .type = NLA_BE32 },
	[NF_CKPT_RULE_A_ADDR_V6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NF_CKPT_RULE_A_PORT] = { .type = NLA_BE16 },
	[NF_CKPT_RULE_A_REMOTE_V4] = { .type = NLA_BE32 },
	[NF_CKPT_RULE_A_REMOTE_V6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NF_CKPT_RULE_A_REMOTE_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[NF_CKPT_RULE_A_REMOTE_PORT] = { .type = NLA_BE16 },
};

static bool ckpt_proto_has_ports(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	}
	return false;
}

static int ckpt_nl_parse_addrs(struct nlattr **tb, struct ckpt_key *key,
			       struct nlattr *nest,
			       struct netlink_ext_ack *extack)
{
	if (tb[NF_CKPT_TUPLE_A_SRC_V4] && tb[NF_CKPT_TUPLE_A_DST_V4]) {
		key->family = NFPROTO_IPV4;
		key->src.ip = nla_get_in_addr(tb[NF_CKPT_TUPLE_A_SRC_V4]);
		key->dst.ip = nla_get_in_addr(tb[NF_CKPT_TUPLE_A_DST_V4]);
	} else if (tb[NF_CKPT_TUPLE_A_SRC_V6] && tb[NF_CKPT_TUPLE_A_DST_V6]) {
		key->family = NFPROTO_IPV6;
		key->src.in6 = nla_get_in6_addr(tb[NF_CKPT_TUPLE_A_SRC_V6]);
		key->dst.in6 = nla_get_in6_addr(tb[NF_CKPT_TUPLE_A_DST_V6]);
	} else {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "tuple needs a source and a destination address of one family");
		return -EINVAL;
	}

	if ((tb[NF_CKPT_TUPLE_A_SRC_V4] || tb[NF_CKPT_TUPLE_A_DST_V4]) &&
	    (tb[NF_CKPT_TUPLE_A_SRC_V6] || tb[NF_CKPT_TUPLE_A_DST_V6])) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "tuple mixes IPv4 and IPv6 addresses");
		return -EINVAL;
	}
	return 0;
}

/* The connection the tuple NEST names, in the request's zone. */
static int ckpt_nl_parse_tuple(struct genl_info *info, struct nlattr *nest,
			       struct ckpt_key *key)
{
	struct nlattr *tb[NF_CKPT_TUPLE_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	int err;

	err = nla_parse_nested(tb, NF_CKPT_TUPLE_A_MAX, nest, ckpt_tuple_policy,
			       extack);
	if (err)
		return err;

	memset(key, 0, sizeof(*key));
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, NF_CKPT_TUPLE_A_PROTO) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, NF_CKPT_TUPLE_A_SRC_PORT) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, NF_CKPT_TUPLE_A_DST_PORT)) {
		NL_SET_ERR_MSG(extack, "tuple needs a protocol and both ports");
		return -EINVAL;
	}

	key->proto = nla_get_u8(tb[NF_CKPT_TUPLE_A_PROTO]);
	if (!ckpt_proto_has_ports(key->proto)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NF_CKPT_TUPLE_A_PROTO],
				    "protocol must be TCP, UDP, UDP-Lite, SCTP or DCCP");
		return -EINVAL;
	}

	key->sport = nla_get_be16(tb[NF_CKPT_TUPLE_A_SRC_PORT]);
	key->dport = nla_get_be16(tb[NF_CKPT_TUPLE_A_DST_PORT]);
	if (!key->sport || !key->dport) {
		NL_SET_ERR_MSG_ATTR(extack, key->sport ?
				    tb[NF_CKPT_TUPLE_A_DST_PORT] :
				    tb[NF_CKPT_TUPLE_A_SRC_PORT],
				    "port 0 does not name a connection");
		return -EINVAL;
	}

	if (info->attrs[NF_CKPT_A_ZONE])
		key->zone = nla_get_u16(info->attrs[NF_CKPT_A_ZONE]);

	return ckpt_nl_parse_addrs(tb, key, nest, extack);
}

/* The connection a request names: NF_CKPT_A_TUPLE and NF_CKPT_A_ZONE. */
static int ckpt_nl_parse_key(struct genl_info *info, struct ckpt_key *key)
{
	if (GENL_REQ_ATTR_CHECK(info, NF_CKPT_A_TUPLE)) {
		NL_SET_ERR_MSG(info->extack, "request needs the connection's tuple");
		return -EINVAL;
	}
	return ckpt_nl_parse_tuple(info, info->attrs[NF_CKPT_A_TUPLE], key);
}

typedef int (*ckpt_nl_tuple_fn)(struct ckpt_net *cn, const struct ckpt_key *key,
				struct genl_info *info);

/*
 * Apply FN to every NF_CKPT_A_TUPLE of the request, in order, so that one
 * message can act on many connections.  At the first failure the extack
 * points at its tuple and the tuples before it stay done; with ALL, the
 * tuples after it are done too, and the answer is still the first
 * failure's.
 */
static int ckpt_nl_apply_tuples(struct genl_info *info, ckpt_nl_tuple_fn fn,
				bool all)
{
	struct ckpt_net *cn = ckpt_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *attr;
	struct ckpt_key key;
	int rem, err, ret = 0;

	if (GENL_REQ_ATTR_CHECK(info, NF_CKPT_A_TUPLE)) {
		NL_SET_ERR_MSG(extack, "request needs the connection's tuple");
		return -EINVAL;
	}

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != NF_CKPT_A_TUPLE)
			continue;

		err = ckpt_nl_parse_tuple(info, attr, &key);
		if (!err)
			err = fn(cn, &key, info);
		if (!err || ret)
			continue;
		ret = err;
		if (extack && !extack->bad_attr)
			NL_SET_BAD_ATTR(extack, attr);
		if (!all)
			break;
		info->extack = NULL;	/* later failures keep the first's */
	}
	info->extack = extack;
	return ret;
}

/* One address of a rule, IPv4 or IPv6 by the attribute present. */
static int ckpt_nl_parse_rule_addr(struct nlattr *v4, struct nlattr *v6,
				   u8 *family, union nf_inet_addr *addr)
{
	if (v4 && v6)
		return -EINVAL;
	if (v4) {
		*family = NFPROTO_IPV4;
		addr->ip = nla_get_in_addr(v4);
	} else if (v6) {
		*family = NFPROTO_IPV6;
		addr->in6 = nla_get_in6_addr(v6);
	}
	return 0;
}

static int ckpt_nl_parse_remote(struct nlattr **tb, struct ckpt_rule *r,
				struct nlattr *nest,
				struct netlink_ext_ack *extack)
{
	u8 family = 0, max_len;

	if (ckpt_nl_parse_rule_addr(tb[NF_CKPT_RULE_A_REMOTE_V4],
				    tb[NF_CKPT_RULE_A_REMOTE_V6], &family,
				    &r->remote)) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "rule has two remote addresses");
		return -EINVAL;
	}
	if (tb[NF_CKPT_RULE_A_REMOTE_PORT])
		r->remote_port = nla_get_be16(tb[NF_CKPT_RULE_A_REMOTE_PORT]);
	if (tb[NF_CKPT_RULE_A_REMOTE_LEN])
		r->remote_len = nla_get_u8(tb[NF_CKPT_RULE_A_REMOTE_LEN]);

	if (!family) {
		if (r->remote_len) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "remote prefix length without a remote address");
			return -EINVAL;
		}
		return 0;
	}
	if (family != r->key.family) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "remote and internal addresses are of different families");
		return -EINVAL;
	}

	max_len = family == NFPROTO_IPV4 ? 32 : 128;
	if (!tb[NF_CKPT_RULE_A_REMOTE_LEN])
		r->remote_len = max_len;
	if (r->remote_len > max_len || !r->remote_len) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NF_CKPT_RULE_A_REMOTE_LEN],
				    "remote prefix length out of range for the family");
		return -EINVAL;
	}
	return 0;
}

/* A rule request's NF_CKPT_A_RULE and NF_CKPT_A_OWNER, checked. */
static int ckpt_nl_parse_rule(struct genl_info *info, struct ckpt_rule *r)
{
	struct nlattr *tb[NF_CKPT_RULE_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[NF_CKPT_A_RULE];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NF_CKPT_A_RULE)) {
		NL_SET_ERR_MSG(extack, "request needs a rule");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, NF_CKPT_RULE_A_MAX, nest, ckpt_rule_policy,
			       extack);
	if (err)
		return err;

	memset(r, 0, sizeof(*r));
	if (ckpt_nl_parse_rule_addr(tb[NF_CKPT_RULE_A_ADDR_V4],
				    tb[NF_CKPT_RULE_A_ADDR_V6], &r->key.family,
				    &r->key.addr) || !r->key.family) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "rule needs one internal address, IPv4 or IPv6");
		return -EINVAL;
	}

	if (tb[NF_CKPT_RULE_A_PROTO])
		r->key.proto = nla_get_u8(tb[NF_CKPT_RULE_A_PROTO]);
	if (tb[NF_CKPT_RULE_A_PORT])
		r->key.port = nla_get_be16(tb[NF_CKPT_RULE_A_PORT]);
	if (r->key.proto && !ckpt_proto_has_ports(r->key.proto)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NF_CKPT_RULE_A_PROTO],
				    "protocol must be 0, TCP, UDP, UDP-Lite, SCTP or DCCP");
		return -EINVAL;
	}
	if (!r->key.proto && r->key.port) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NF_CKPT_RULE_A_PORT],
				    "a rule for all protocols must be for all ports");
		return -EINVAL;
	}

	if (info->attrs[NF_CKPT_A_OWNER])
		r->owner = nla_get_u32(info->attrs[NF_CKPT_A_OWNER]);

	return ckpt_nl_parse_remote(tb, r, nest, extack);
}

static int ckpt_nl_put_rule_addr(struct sk_buff *skb, u8 family, int v4,
				 int v6, const union nf_inet_addr *addr)
{
	if (family == NFPROTO_IPV4)
		return nla_put_in_addr(skb, v4, addr->ip);
	return nla_put_in6_addr(skb, v6, &addr->in6);
}

static int ckpt_nl_fill_rule(struct sk_buff *skb, u32 portid, u32 seq,
			     const struct ckpt_rule *r)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ckpt_genl_family, NLM_F_MULTI,
			  NF_CKPT_CMD_RULE_GET);
	if (!hdr)
		return -EMSGSIZE;

	nest = nla_nest_start(skb, NF_CKPT_A_RULE);
	if (!nest ||
	    nla_put_u8(skb, NF_CKPT_RULE_A_PROTO, r->key.proto) ||
	    ckpt_nl_put_rule_addr(skb, r->key.family, NF_CKPT_RULE_A_ADDR_V4,
				  NF_CKPT_RULE_A_ADDR_V6, &r->key.addr) ||
	    nla_put_be16(skb, NF_CKPT_RULE_A_PORT, r->key.port) ||
	    nla_put_be16(skb, NF_CKPT_RULE_A_REMOTE_PORT, r->remote_port) ||
	    nla_put_u8(skb, NF_CKPT_RULE_A_REMOTE_LEN, r->remote_len))
		goto cancel;
	if (r->remote_len &&
	    ckpt_nl_put_rule_addr(skb, r->key.family, NF_CKPT_RULE_A_REMOTE_V4,
				  NF_CKPT_RULE_A_REMOTE_V6, &r->remote))
		goto cancel;
	nla_nest_end(skb, nest);

	if (nla_put_u32(skb, NF_CKPT_A_OWNER, r->owner))
		goto cancel;

	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int ckpt_nl_put_tuple(struct sk_buff *skb, int type,
			     const struct nf_conntrack_tuple *t)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u8(skb, NF_CKPT_TUPLE_A_PROTO, t->dst.protonum))
		goto cancel;
	if (t->src.l3num == NFPROTO_IPV4) {
		if (nla_put_in_addr(skb, NF_CKPT_TUPLE_A_SRC_V4, t->src.u3.ip) ||
		    nla_put_in_addr(skb, NF_CKPT_TUPLE_A_DST_V4, t->dst.u3.ip))
			goto cancel;
	} else {
		if (nla_put_in6_addr(skb, NF_CKPT_TUPLE_A_SRC_V6, &t->src.u3.in6) ||
		    nla_put_in6_addr(skb, NF_CKPT_TUPLE_A_DST_V6, &t->dst.u3.in6))
			goto cancel;
	}
	if (nla_put_be16(skb, NF_CKPT_TUPLE_A_SRC_PORT, t->src.u.all) ||
	    nla_put_be16(skb, NF_CKPT_TUPLE_A_DST_PORT, t->dst.u.all))
		goto cancel;

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* One entry's message: its connection as conntrack has it now. */
static int ckpt_nl_fill_entry(struct sk_buff *skb, u32 portid, u32 seq,
			      int flags, u8 cmd, const struct ckpt_entry *e,
			      const struct nf_conn *ct)
{
	s32 timeout = nf_ct_expires(ct) / HZ;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ckpt_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	if (ckpt_nl_put_tuple(skb, NF_CKPT_A_TUPLE,
			      &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple) ||
	    ckpt_nl_put_tuple(skb, NF_CKPT_A_REPLY,
			      &ct->tuplehash[IP_CT_DIR_REPLY].tuple) ||
	    nla_put_u16(skb, NF_CKPT_A_ZONE, e->zone) ||
	    nla_put_u32(skb, NF_CKPT_A_OWNER, READ_ONCE(e->owner)) ||
	    nla_put_u32(skb, NF_CKPT_A_TIMEOUT, max(timeout, 0)) ||
	    nla_put_u32(skb, NF_CKPT_A_STATUS, READ_ONCE(ct->status)) ||
	    nla_put_u8(skb, NF_CKPT_A_SYNC, READ_ONCE(e->sync)))
		goto cancel;

	if (nf_ct_protonum(ct) == IPPROTO_TCP &&
	    nla_put_u8(skb, NF_CKPT_A_TCP_STATE, READ_ONCE(ct->proto.tcp.state)))
		goto cancel;

	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int ckpt_nl_put_stats(struct sk_buff *skb, const struct ckpt_net *cn)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, NF_CKPT_A_STATS);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u32(skb, NF_CKPT_STATS_A_ENTRIES,
			atomic_read(&cn->entries)) ||
	    nla_put_u32(skb, NF_CKPT_STATS_A_BUDGET, READ_ONCE(cn->budget)) ||
	    nla_put_u8(skb, NF_CKPT_STATS_A_MARK_BIT, READ_ONCE(cn->mark_bit)) ||
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

static int ckpt_nl_flag_set_one(struct ckpt_net *cn, const struct ckpt_key *key,
				struct genl_info *info)
{
	u32 owner = 0;

	if (info->attrs[NF_CKPT_A_OWNER])
		owner = nla_get_u32(info->attrs[NF_CKPT_A_OWNER]);

	return ckpt_flag_set(cn, key, owner, info->snd_portid, info->extack);
}

static int ckpt_nl_flag_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return ckpt_nl_apply_tuples(info, ckpt_nl_flag_set_one, false);
}

static int ckpt_nl_flag_clear_one(struct ckpt_net *cn,
				  const struct ckpt_key *key,
				  struct genl_info *info)
{
	return ckpt_flag_clear(cn, key, info->snd_portid, info->extack);
}

static int ckpt_nl_flag_clear_doit(struct sk_buff *skb, struct genl_info *info)
{
	return ckpt_nl_apply_tuples(info, ckpt_nl_flag_clear_one, false);
}

static int ckpt_nl_entry_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_net *cn = ckpt_pernet(genl_info_net(info));
	struct ckpt_entry *e;
	struct ckpt_key key;
	struct sk_buff *msg;
	struct nf_conn *ct;
	int err;

	err = ckpt_nl_parse_key(info, &key);
	if (err)
		return err;

	ct = ckpt_ct_find(cn->net, &key);
	if (!ct) {
		NL_SET_ERR_MSG(info->extack, "no such connection in conntrack");
		return -ENOENT;
	}
	ckpt_key_from_ct(&key, ct);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto put_ct;
	}

	mutex_lock(&cn->lock);
	e = ckpt_entry_lookup(cn, &key);
	if (e)
		err = ckpt_nl_fill_entry(msg, info->snd_portid, info->snd_seq,
					 0, NF_CKPT_CMD_ENTRY_GET, e, ct);
	mutex_unlock(&cn->lock);

	if (!e) {
		NL_SET_ERR_MSG(info->extack, "connection is not check-pointed");
		err = -ENOENT;
	}
	if (err)
		goto free_msg;

	nf_ct_put(ct);
	return genlmsg_reply(msg, info);

free_msg:
	nlmsg_free(msg);
put_ct:
	nf_ct_put(ct);
	return err;
}

/**
 * struct ckpt_dump - where a dump of the index stands between messages
 * @iter: the walk of the index
 * @owner: only entries of this owner, if @by_owner
 * @by_owner: whether the dump is filtered
 */
struct ckpt_dump {
	struct rhashtable_iter iter;
	u32 owner;
	bool by_owner;
};

static int ckpt_nl_entry_get_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct ckpt_net *cn = ckpt_pernet(sock_net(cb->skb->sk));
	struct nlattr *owner = info->attrs[NF_CKPT_A_OWNER];
	struct ckpt_dump *d;

	if (info->attrs[NF_CKPT_A_TUPLE] || info->attrs[NF_CKPT_A_ZONE]) {
		NL_SET_ERR_MSG(cb->extack,
			       "a dump is filtered by owner only; get one entry without NLM_F_DUMP");
		return -EINVAL;
	}

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;

	if (owner) {
		d->owner = nla_get_u32(owner);
		d->by_owner = true;
	}
	rhashtable_walk_enter(&cn->index, &d->iter);
	cb->args[0] = (long)d;
	return 0;
}

static int ckpt_nl_entry_get_done(struct netlink_callback *cb)
{
	struct ckpt_dump *d = (struct ckpt_dump *)cb->args[0];

	rhashtable_walk_exit(&d->iter);
	kfree(d);
	return 0;
}

/*
 * Put E in the dump unless filtered out or its connection is gone (the
 * garbage collection will remove it).  -EMSGSIZE when the message is full.
 */
static int ckpt_nl_dump_entry(struct sk_buff *skb, struct netlink_callback *cb,
			      struct ckpt_dump *d, const struct ckpt_entry *e)
{
	struct ckpt_net *cn = ckpt_pernet(sock_net(cb->skb->sk));
	struct ckpt_key key;
	struct nf_conn *ct;
	int err;

	if (d->by_owner && READ_ONCE(e->owner) != d->owner)
		return 0;

	ckpt_entry_key(&key, e);
	ct = ckpt_ct_find(cn->net, &key);
	if (!ct)
		return 0;

	err = ckpt_nl_fill_entry(skb, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI,
				 NF_CKPT_CMD_ENTRY_GET, e, ct);
	nf_ct_put(ct);
	return err;
}

static int ckpt_nl_entry_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct ckpt_dump *d = (struct ckpt_dump *)cb->args[0];
	struct ckpt_entry *e;
	int err = 0;

	ckpt_walk_resume(&d->iter);
	while ((e = rhashtable_walk_peek(&d->iter))) {
		if (IS_ERR(e)) {
			if (PTR_ERR(e) == -EAGAIN)
				continue;
			err = PTR_ERR(e);
			break;
		}

		err = ckpt_nl_dump_entry(skb, cb, d, e);
		if (err)
			break;
		rhashtable_walk_next(&d->iter);
	}
	rhashtable_walk_stop(&d->iter);

	if (err == -EMSGSIZE)
		return skb->len;
	return err ?: 0;
}

static int ckpt_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_net *cn = ckpt_pernet(genl_info_net(info));
	struct nlattr *mark_bit = info->attrs[NF_CKPT_A_MARK_BIT];
	struct nlattr *budget = info->attrs[NF_CKPT_A_BUDGET];
	int err = 0;

	if (!mark_bit && !budget) {
		NL_SET_ERR_MSG(info->extack, "nothing to set: give a budget or a mark bit");
		return -EINVAL;
	}

	mutex_lock(&cn->lock);
	if (mark_bit && nla_get_u8(mark_bit) != cn->mark_bit &&
	    atomic_read(&cn->entries)) {
		NL_SET_ERR_MSG_ATTR(info->extack, mark_bit,
				    "cannot move the flag to another mark bit while entries are flagged");
		err = -EBUSY;
		goto unlock;
	}

	/* A lower budget refuses new flags; flagged entries stay. */
	if (budget)
		WRITE_ONCE(cn->budget, nla_get_u32(budget));
	if (mark_bit)
		WRITE_ONCE(cn->mark_bit, nla_get_u8(mark_bit));

unlock:
	mutex_unlock(&cn->lock);
	return err;
}

/* Tell the sync group that E, the entry of CT, changed its sync state. */
static void ckpt_nl_notify_sync(struct ckpt_net *cn, const struct ckpt_entry *e,
				const struct nf_conn *ct)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&ckpt_genl_family, cn->net, CKPT_NL_MCGRP_SYNC))
		return;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;

	if (ckpt_nl_fill_entry(msg, 0, 0, 0, NF_CKPT_CMD_SYNC_NTF, e, ct)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&ckpt_genl_family, cn->net, msg, 0,
				CKPT_NL_MCGRP_SYNC, GFP_KERNEL);
}

/*
 * Tell the clear group that the flag of CT was cleared on request: its
 * later events no longer pass a replication daemon's mark filter.
 */
void ckpt_nl_notify_clear(struct ckpt_net *cn, const struct nf_conn *ct)
{
	const struct nf_conntrack_zone *zone = nf_ct_zone(ct);
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&ckpt_genl_family, cn->net, CKPT_NL_MCGRP_CLEAR))
		return;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &ckpt_genl_family, 0, NF_CKPT_CMD_CLEAR_NTF);
	if (!hdr ||
	    ckpt_nl_put_tuple(msg, NF_CKPT_A_TUPLE,
			      &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple) ||
	    ckpt_nl_put_tuple(msg, NF_CKPT_A_REPLY,
			      &ct->tuplehash[IP_CT_DIR_REPLY].tuple) ||
	    nla_put_u16(msg, NF_CKPT_A_ZONE,
			nf_ct_zone_id(zone, IP_CT_DIR_ORIGINAL))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&ckpt_genl_family, cn->net, msg, 0,
				CKPT_NL_MCGRP_CLEAR, GFP_KERNEL);
}

static int ckpt_nl_sync_set_one(struct ckpt_net *cn, const struct ckpt_key *req,
				struct genl_info *info)
{
	u8 state = nla_get_u8(info->attrs[NF_CKPT_A_SYNC]);
	struct ckpt_entry *e;
	struct ckpt_key key;
	struct nf_conn *ct;
	int err = 0;

	ct = ckpt_ct_find(cn->net, req);
	if (!ct) {
		NL_SET_ERR_MSG(info->extack, "no such connection in conntrack");
		return -ENOENT;
	}
	ckpt_key_from_ct(&key, ct);

	mutex_lock(&cn->lock);
	e = ckpt_entry_lookup(cn, &key);
	if (!e) {
		NL_SET_ERR_MSG(info->extack, "connection is not check-pointed");
		err = -ENOENT;
	} else if (READ_ONCE(e->sync) != state) {
		WRITE_ONCE(e->sync, state);
		ckpt_nl_notify_sync(cn, e, ct);
	}
	mutex_unlock(&cn->lock);

	nf_ct_put(ct);
	return err;
}

/*
 * A replication daemon reports the connections the peer holds, many in
 * one request: one that died meanwhile does not keep the rest unreported.
 */
static int ckpt_nl_sync_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, NF_CKPT_A_SYNC)) {
		NL_SET_ERR_MSG(info->extack, "request needs the sync state");
		return -EINVAL;
	}
	return ckpt_nl_apply_tuples(info, ckpt_nl_sync_set_one, true);
}

static int ckpt_nl_rule_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_net *cn = ckpt_pernet(genl_info_net(info));
	struct ckpt_rule r;
	int err;

	err = ckpt_nl_parse_rule(info, &r);
	if (err)
		return err;
	return ckpt_rule_add(cn, &r, info->extack);
}

static int ckpt_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ckpt_net *cn = ckpt_pernet(genl_info_net(info));
	struct ckpt_rule r;
	int err;

	err = ckpt_nl_parse_rule(info, &r);
	if (err)
		return err;
	return ckpt_rule_del(cn, &r, info->extack);
}

/* Rules in the order added; cb->args[0] counts those already sent. */
static int ckpt_nl_rule_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct ckpt_net *cn = ckpt_pernet(sock_net(cb->skb->sk));
	const struct ckpt_rule *r;
	long skip = cb->args[0];
	long n = 0;

	mutex_lock(&cn->lock);
	list_for_each_entry(r, &cn->rule_list, list) {
		if (n++ < skip)
			continue;
		if (ckpt_nl_fill_rule(skb, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, r)) {
			n--;
			break;
		}
	}
	mutex_unlock(&cn->lock);

	cb->args[0] = n;
	return skb->len;
}

static const struct nla_policy ckpt_nl_stats_get_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_STATS] = { .type = NLA_REJECT },
};

static const struct nla_policy ckpt_nl_flag_set_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_TUPLE] = NLA_POLICY_NESTED(ckpt_tuple_policy),
	[NF_CKPT_A_ZONE] = { .type = NLA_U16 },
	[NF_CKPT_A_OWNER] = { .type = NLA_U32 },
};

static const struct nla_policy ckpt_nl_flag_clear_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_TUPLE] = NLA_POLICY_NESTED(ckpt_tuple_policy),
	[NF_CKPT_A_ZONE] = { .type = NLA_U16 },
};

/* Do: TUPLE and ZONE; dump: OWNER only (checked in the start callback). */
static const struct nla_policy ckpt_nl_entry_get_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_TUPLE] = NLA_POLICY_NESTED(ckpt_tuple_policy),
	[NF_CKPT_A_ZONE] = { .type = NLA_U16 },
	[NF_CKPT_A_OWNER] = { .type = NLA_U32 },
};

static const struct nla_policy ckpt_nl_config_set_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_BUDGET] = { .type = NLA_U32 },
	[NF_CKPT_A_MARK_BIT] = NLA_POLICY_MAX(NLA_U8, 31),
};

static const struct nla_policy ckpt_nl_sync_set_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_TUPLE] = NLA_POLICY_NESTED(ckpt_tuple_policy),
	[NF_CKPT_A_ZONE] = { .type = NLA_U16 },
	[NF_CKPT_A_SYNC] = NLA_POLICY_MAX(NLA_U8, NF_CKPT_SYNC_DONE),
};

static const struct nla_policy ckpt_nl_rule_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_RULE] = NLA_POLICY_NESTED(ckpt_rule_policy),
	[NF_CKPT_A_OWNER] = { .type = NLA_U32 },
};

static const struct nla_policy ckpt_nl_rule_get_policy[NF_CKPT_A_MAX + 1] = {
	[NF_CKPT_A_RULE] = { .type = NLA_REJECT },
};

static const struct genl_ops ckpt_nl_ops[] = {
	{
		.cmd = NF_CKPT_CMD_STATS_GET,
		.doit = ckpt_nl_stats_get_doit,
		.policy = ckpt_nl_stats_get_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_FLAG_SET,
		.doit = ckpt_nl_flag_set_doit,
		.policy = ckpt_nl_flag_set_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_FLAG_CLEAR,
		.doit = ckpt_nl_flag_clear_doit,
		.policy = ckpt_nl_flag_clear_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_ENTRY_GET,
		.doit = ckpt_nl_entry_get_doit,
		.start = ckpt_nl_entry_get_start,
		.dumpit = ckpt_nl_entry_get_dumpit,
		.done = ckpt_nl_entry_get_done,
		.policy = ckpt_nl_entry_get_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_CONFIG_SET,
		.doit = ckpt_nl_config_set_doit,
		.policy = ckpt_nl_config_set_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_SYNC_SET,
		.doit = ckpt_nl_sync_set_doit,
		.policy = ckpt_nl_sync_set_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_RULE_ADD,
		.doit = ckpt_nl_rule_add_doit,
		.policy = ckpt_nl_rule_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_RULE_DEL,
		.doit = ckpt_nl_rule_del_doit,
		.policy = ckpt_nl_rule_policy,
		.maxattr = NF_CKPT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NF_CKPT_CMD_RULE_GET,
		.dumpit = ckpt_nl_rule_get_dumpit,
		.policy = ckpt_nl_rule_get_policy,
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
	.mcgrps = ckpt_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ckpt_nl_mcgrps),
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
