// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: the flag itself, a bit of ct->mark.
 *
 * A module cannot add a conntrack extension, and labels exist only on
 * entries created after they were requested.  A mark bit works on confirmed
 * entries, travels in every ctnetlink event (DESTROY included), can be set
 * on entries a replication daemon injects, and can be filtered in the kernel
 * on a ctnetlink event socket.  Its cost: the bit is taken from the
 * operator's connmark space, so it is configurable per namespace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_ecache.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "nf_ckpt.h"

/* The conntrack entry KEY names, in either direction, with a reference. */
struct nf_conn *ckpt_ct_find(struct net *net, const struct ckpt_key *key)
{
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple tuple;
	struct nf_conntrack_zone zone;

	memset(&tuple, 0, sizeof(tuple));
	tuple.src.u3 = key->src;
	tuple.dst.u3 = key->dst;
	tuple.src.u.all = key->sport;
	tuple.dst.u.all = key->dport;
	tuple.src.l3num = key->family;
	tuple.dst.protonum = key->proto;

	nf_ct_zone_init(&zone, key->zone, NF_CT_DEFAULT_ZONE_DIR, 0);
	h = nf_conntrack_find_get(net, &zone, &tuple);
	return h ? nf_ct_tuplehash_to_ctrack(h) : NULL;
}

bool ckpt_ct_flagged(const struct ckpt_net *cn, const struct nf_conn *ct)
{
	return READ_ONCE(ct->mark) & ckpt_mark_mask(cn);
}

/*
 * Set or clear the flag bit of CT, leaving the other bits of the mark as
 * they are even if a rule changes them at the same time.  Returns whether
 * the bit changed.
 */
bool ckpt_ct_mark(struct ckpt_net *cn, struct nf_conn *ct, bool flag)
{
	u32 mask = ckpt_mark_mask(cn);
	u32 old, new;

	old = READ_ONCE(ct->mark);
	do {
		new = flag ? old | mask : old & ~mask;
		if (new == old)
			return false;
	} while (!try_cmpxchg(&ct->mark, &old, new));

	return true;
}

/*
 * Tell ctnetlink listeners about CT now, not at its next packet: a
 * replication daemon learns of a flag at once, and of a long-lived flagged
 * connection again from time to time.  ctnetlink puts the protocol state
 * (TCP state, window scaling) only in events that name IPCT_PROTOINFO, so
 * the announcement names it: the daemon needs it to recreate a flow.
 */
void ckpt_ct_announce(struct nf_conn *ct, u32 portid)
{
	nf_conntrack_eventmask_report(1 << IPCT_MARK | 1 << IPCT_PROTOINFO, ct,
				      portid, 0);
}
