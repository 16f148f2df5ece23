// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: the index of flagged connections, keyed by zone and original
 * tuple, so that counting, dumping and budgeting never walk conntrack.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "nf_ckpt.h"

/* Lookups hash a whole struct ckpt_key; entries are hashed as one. */
static u32 ckpt_key_hash(const void *data, u32 len, u32 seed)
{
	return jhash2(data, sizeof(struct ckpt_key) / sizeof(u32), seed);
}

static u32 ckpt_entry_hash(const void *data, u32 len, u32 seed)
{
	struct ckpt_key key;

	ckpt_entry_key(&key, data);
	return ckpt_key_hash(&key, len, seed);
}

static int ckpt_entry_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct ckpt_key *key = arg->key;
	struct ckpt_key k;

	ckpt_entry_key(&k, obj);
	return memcmp(key, &k, sizeof(k));
}

const struct rhashtable_params ckpt_index_params = {
	.key_len = sizeof(struct ckpt_key),
	.head_offset = offsetof(struct ckpt_entry, node),
	.hashfn = ckpt_key_hash,
	.obj_hashfn = ckpt_entry_hash,
	.obj_cmpfn = ckpt_entry_cmp,
	.automatic_shrinking = true,
};

/* An entry's key; zeroed first, since keys are hashed as raw bytes. */
void ckpt_entry_key(struct ckpt_key *key, const struct ckpt_entry *e)
{
	memset(key, 0, sizeof(*key));
	if (e->family == NFPROTO_IPV4) {
		key->src.ip = e->v4.src;
		key->dst.ip = e->v4.dst;
	} else {
		key->src.in6 = e->v6.src;
		key->dst.in6 = e->v6.dst;
	}
	key->sport = e->sport;
	key->dport = e->dport;
	key->zone = e->zone;
	key->family = e->family;
	key->proto = e->proto;
}

static struct ckpt_entry *ckpt_entry_alloc(const struct ckpt_key *key,
					   gfp_t gfp)
{
	size_t size = sizeof(struct ckpt_entry);
	struct ckpt_entry *e;

	/* IPv4 entries leave out the room of IPv6 addresses. */
	if (key->family == NFPROTO_IPV4)
		size = offsetofend(struct ckpt_entry, v4);

	e = kzalloc(size, gfp);
	if (!e)
		return NULL;

	if (key->family == NFPROTO_IPV4) {
		e->v4.src = key->src.ip;
		e->v4.dst = key->dst.ip;
	} else {
		e->v6.src = key->src.in6;
		e->v6.dst = key->dst.in6;
	}
	e->sport = key->sport;
	e->dport = key->dport;
	e->zone = key->zone;
	e->family = key->family;
	e->proto = key->proto;
	e->announced = ckpt_now16();
	return e;
}

void ckpt_key_from_ct(struct ckpt_key *key, const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	memset(key, 0, sizeof(*key));
	key->src = t->src.u3;
	key->dst = t->dst.u3;
	key->sport = t->src.u.all;
	key->dport = t->dst.u.all;
	key->zone = nf_ct_zone_id(nf_ct_zone(ct), IP_CT_DIR_ORIGINAL);
	key->family = t->src.l3num;
	key->proto = t->dst.protonum;
}

struct ckpt_entry *ckpt_entry_lookup(struct ckpt_net *cn,
				     const struct ckpt_key *key)
{
	return rhashtable_lookup_fast(&cn->index, key, ckpt_index_params);
}

/*
 * Charge one entry to the budget, or refuse.  The count may pass the
 * budget for an instant while another CPU is refused; it never stays there.
 */
static bool ckpt_budget_charge(struct ckpt_net *cn)
{
	if (atomic_inc_return(&cn->entries) <= READ_ONCE(cn->budget))
		return true;

	atomic_dec(&cn->entries);
	atomic64_inc(&cn->refused_budget);
	return false;
}

/*
 * Add KEY to the index, charged to OWNER.  -EEXIST if it is there already
 * (the caller updates it), -ENOSPC when the budget is exhausted.
 */
int ckpt_entry_add(struct ckpt_net *cn, const struct ckpt_key *key, u32 owner,
		   gfp_t gfp, struct netlink_ext_ack *extack)
{
	struct ckpt_entry *e;
	int err;

	if (!ckpt_budget_charge(cn)) {
		NL_SET_ERR_MSG(extack,
			       "budget of check-pointed entries exhausted");
		return -ENOSPC;
	}

	e = ckpt_entry_alloc(key, gfp);
	if (!e) {
		err = -ENOMEM;
		goto uncharge;
	}
	e->owner = owner;
	e->sync = NF_CKPT_SYNC_PENDING;

	err = rhashtable_lookup_insert_key(&cn->index, key, &e->node,
					   ckpt_index_params);
	if (err)
		goto free_entry;

	atomic64_inc(&cn->set);
	return 0;

free_entry:
	kfree(e);
uncharge:
	atomic_dec(&cn->entries);
	if (err != -EEXIST)
		NL_SET_ERR_MSG(extack, "cannot add the entry to the index");
	return err;
}

/*
 * Take E out of the index; the caller frees it with ckpt_entry_free_rcu()
 * once out of any RCU read section.  False if E was not in the index.
 */
bool ckpt_entry_unlink(struct ckpt_net *cn, struct ckpt_entry *e)
{
	lockdep_assert_held(&cn->lock);

	if (rhashtable_remove_fast(&cn->index, &e->node, ckpt_index_params))
		return false;

	atomic_dec(&cn->entries);
	return true;
}

/* Free an unlinked entry once RCU readers are done with it; may sleep. */
void ckpt_entry_free_rcu(struct ckpt_entry *e)
{
	kvfree_rcu_mightsleep(e);
}

/*
 * Resume an index walk stopped with rhashtable_walk_stop().  If the table
 * was resized meanwhile, the 6.1 walker restarts at the first bucket of the
 * new table but keeps its last entry, which may since have been freed:
 * forget it, and accept that entries already seen are seen again.
 */
void ckpt_walk_resume(struct rhashtable_iter *iter) __acquires(RCU)
{
	if (rhashtable_walk_start_check(iter) == -EAGAIN)
		iter->p = NULL;
}

int ckpt_table_init(struct ckpt_net *cn)
{
	/* Keys hash as raw 32-bit words; entries fit kmalloc-32 and -64. */
	BUILD_BUG_ON(sizeof(struct ckpt_key) != 40);
	BUILD_BUG_ON(offsetofend(struct ckpt_entry, v4) > 32);
	BUILD_BUG_ON(sizeof(struct ckpt_entry) > 64);

	return rhashtable_init(&cn->index, &ckpt_index_params);
}

static void ckpt_entry_free(void *ptr, void *arg)
{
	struct ckpt_entry *e = ptr;
	struct ckpt_net *cn = arg;
	struct ckpt_key key;
	struct nf_conn *ct;

	/* The module is going away: leave no flag behind it. */
	ckpt_entry_key(&key, e);
	ct = ckpt_ct_find(cn->net, &key);
	if (ct) {
		ckpt_ct_mark(cn, ct, false);
		nf_ct_put(ct);
	}
	atomic_dec(&cn->entries);
	kfree(e);
}

/*
 * No reader is left: the netlink family is gone or the namespace is dying,
 * and garbage collection has stopped.
 */
void ckpt_table_destroy(struct ckpt_net *cn)
{
	rhashtable_free_and_destroy(&cn->index, ckpt_entry_free, cn);
}
