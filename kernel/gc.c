// SPDX-License-Identifier: GPL-2.0
/*
 * nf_ckpt: the index checked against conntrack.
 *
 * The conntrack event notifier has one slot per namespace and ctnetlink
 * owns it, so nf_ckpt is not told when a flagged connection dies.  Instead,
 * each entry is looked up again in passes over the index: if its connection
 * is gone, or is another connection on the same tuple (its mark lacks the
 * flag), the entry leaves the index and counts as expired.  The same pass
 * announces again a live entry last announced CKPT_ANNOUNCE_SECS ago, so
 * that a replica's timeouts stay fresh.
 *
 * A pass goes in slices of CKPT_GC_SLICE entries, CKPT_GC_TICK apart, and
 * passes are CKPT_GC_INTERVAL apart: at most about 4000 lookups a second
 * whatever the size of the index, and the namespace's lock is never held
 * for more than one slice, so requests are not kept waiting.  A small index
 * is checked every 5 s; 100 000 entries every 30 s or so.  Unflagged
 * connections cost nothing.
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

/* Is E still a flagged connection?  Announce it again if it is time. */
static bool ckpt_gc_alive(struct ckpt_net *cn, struct ckpt_entry *e, u16 now)
{
	struct ckpt_key key;
	struct nf_conn *ct;
	bool alive;

	ckpt_entry_key(&key, e);
	ct = ckpt_ct_find(cn->net, &key);
	if (!ct)
		return false;

	alive = ckpt_ct_flagged(cn, ct);
	if (alive && (u16)(now - e->announced) >= CKPT_ANNOUNCE_SECS) {
		ckpt_ct_announce(ct, 0);
		WRITE_ONCE(e->announced, now);
	}
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

/*
 * Check the next slice of the index.  True when the pass reached the end
 * of the index; the walk then starts again from the beginning.
 */
static bool ckpt_gc_slice(struct ckpt_net *cn)
{
	struct rhashtable_iter *iter = &cn->gc_iter;
	struct ckpt_gc_batch b = { };
	unsigned int checked = 0;
	u16 now = ckpt_now16();
	struct ckpt_entry *e;
	bool end = false;

	lockdep_assert_held(&cn->lock);

	ckpt_walk_resume(iter);
	while (checked < CKPT_GC_SLICE) {
		e = rhashtable_walk_next(iter);
		if (IS_ERR(e) && PTR_ERR(e) == -EAGAIN)
			continue;
		if (IS_ERR_OR_NULL(e)) {
			end = true;
			break;
		}
		checked++;

		/*
		 * Unlinked at once, so that a walk restarted by a resize
		 * cannot meet a dead entry twice.
		 */
		if (!ckpt_gc_alive(cn, e, now) && ckpt_entry_unlink(cn, e)) {
			b.dead[b.n_dead++] = e;
			atomic64_inc(&cn->expired);
		}

		if (++b.seen == CKPT_GC_BATCH || b.n_dead == CKPT_GC_BATCH) {
			rhashtable_walk_stop(iter);
			ckpt_gc_flush(&b);
			ckpt_walk_resume(iter);
		}
	}
	rhashtable_walk_stop(iter);
	ckpt_gc_flush(&b);

	if (end) {
		rhashtable_walk_exit(iter);
		rhashtable_walk_enter(&cn->index, iter);
	}
	return end;
}

static void ckpt_gc_work(struct work_struct *work)
{
	struct ckpt_net *cn = container_of(to_delayed_work(work),
					   struct ckpt_net, gc_work);
	bool end;

	mutex_lock(&cn->lock);
	end = ckpt_gc_slice(cn);
	mutex_unlock(&cn->lock);

	queue_delayed_work(system_power_efficient_wq, &cn->gc_work,
			   end ? CKPT_GC_INTERVAL : CKPT_GC_TICK);
}

void ckpt_gc_start(struct ckpt_net *cn)
{
	rhashtable_walk_enter(&cn->index, &cn->gc_iter);
	INIT_DELAYED_WORK(&cn->gc_work, ckpt_gc_work);
	queue_delayed_work(system_power_efficient_wq, &cn->gc_work,
			   CKPT_GC_INTERVAL);
}

void ckpt_gc_stop(struct ckpt_net *cn)
{
	cancel_delayed_work_sync(&cn->gc_work);
	rhashtable_walk_exit(&cn->gc_iter);
}
