// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: the index checked against conntrack.
 *
 * The conntrack event notifier has one slot per namespace and ctnetlink
 * owns it, so nf_ckpt is not told when a flagged connection dies.  Instead,
 * every CKPT_GC_INTERVAL, each entry is looked up again: if its connection
 * is gone, or is another connection on the same tuple (its mark lacks the
 * flag), the entry leaves the index and counts as expired.  The same pass
 * re-announces live entries every CKPT_ANNOUNCE_PASSES passes, so that a
 * replica's timeouts stay fresh.  The cost is one hash lookup per flagged
 * entry per pass; unflagged connections cost nothing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rhashtable.h>
#include <linux/sched.h>

#include "nf_ckpt.h"

/* Entries looked at between two points where the pass may sleep. */
#define CKPT_GC_BATCH	64

/* Entries unlinked during the walk, to free once out of its RCU section. */
struct ckpt_gc_batch {
	struct ckpt_entry *dead[CKPT_GC_BATCH];
	unsigned int n_dead;
	unsigned int seen;
};

/* Is E still a flagged connection?  Announce it if ANNOUNCE. */
static bool ckpt_gc_alive(struct ckpt_net *cn, struct ckpt_entry *e,
			  bool announce)
{
	struct ckpt_key key;
	struct nf_conn *ct;
	bool alive;

	ckpt_entry_key(&key, e);
	ct = ckpt_ct_find(cn->net, &key);
	if (!ct)
		return false;

	alive = ckpt_ct_flagged(cn, ct);
	if (alive && announce)
		ckpt_ct_announce(ct, 0);
	nf_ct_put(ct);
	return alive;
}

/* Outside the walk's RCU section: free what the batch unlinked. */
static void ckpt_gc_flush(struct ckpt_gc_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->n_dead; i++)
		ckpt_entry_free_rcu(b->dead[i]);
	b->n_dead = 0;
	b->seen = 0;
	cond_resched();
}

static void ckpt_gc_pass(struct ckpt_net *cn, bool announce)
{
	struct rhashtable_iter iter;
	struct ckpt_gc_batch b = { };
	struct ckpt_entry *e;

	lockdep_assert_held(&cn->lock);

	rhashtable_walk_enter(&cn->index, &iter);
	ckpt_walk_resume(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (IS_ERR(e)) {
			if (PTR_ERR(e) == -EAGAIN)
				continue;
			break;
		}
		/*
		 * Unlinked at once, so that a walk restarted by a resize
		 * cannot meet a dead entry twice.
		 */
		if (!ckpt_gc_alive(cn, e, announce) && ckpt_entry_unlink(cn, e)) {
			b.dead[b.n_dead++] = e;
			atomic64_inc(&cn->expired);
		}

		if (++b.seen == CKPT_GC_BATCH || b.n_dead == CKPT_GC_BATCH) {
			rhashtable_walk_stop(&iter);
			ckpt_gc_flush(&b);
			ckpt_walk_resume(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	ckpt_gc_flush(&b);
}

static void ckpt_gc_work(struct work_struct *work)
{
	struct ckpt_net *cn = container_of(to_delayed_work(work),
					   struct ckpt_net, gc_work);
	bool announce;

	announce = ++cn->gc_passes % CKPT_ANNOUNCE_PASSES == 0;

	mutex_lock(&cn->lock);
	ckpt_gc_pass(cn, announce);
	mutex_unlock(&cn->lock);

	queue_delayed_work(system_power_efficient_wq, &cn->gc_work,
			   CKPT_GC_INTERVAL);
}

void ckpt_gc_start(struct ckpt_net *cn)
{
	INIT_DELAYED_WORK(&cn->gc_work, ckpt_gc_work);
	queue_delayed_work(system_power_efficient_wq, &cn->gc_work,
			   CKPT_GC_INTERVAL);
}

void ckpt_gc_stop(struct ckpt_net *cn)
{
	cancel_delayed_work_sync(&cn->gc_work);
}
