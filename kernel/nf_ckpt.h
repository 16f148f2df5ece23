/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nf_ckpt internals shared between the module's files.
 */
#ifndef _NF_CKPT_H
#define _NF_CKPT_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack.h>
#include <linux/nf_ckpt.h>

/* Flags that may be outstanding at once in a namespace unless set. */
#define CKPT_DEFAULT_BUDGET	65536
/* The bit of ct->mark that carries the flag unless set. */
#define CKPT_DEFAULT_MARK_BIT	31
/* How often the index is checked against conntrack. */
#define CKPT_GC_INTERVAL	(5 * HZ)
/* Every how many checks a flagged entry is announced again. */
#define CKPT_ANNOUNCE_PASSES	6

/**
 * struct ckpt_key - what identifies a connection: zone and original tuple
 *
 * Hashed as raw bytes: there is no padding, and keys are built zeroed.
 */
struct ckpt_key {
	union nf_inet_addr src;
	union nf_inet_addr dst;
	__be16 sport;
	__be16 dport;
	u16 zone;
	u8 family;
	u8 proto;
};

/**
 * struct ckpt_entry - a flagged connection in the index
 * @node: in &ckpt_net.index
 * @key: zone and original tuple
 * @owner: the subscriber the flag is charged to
 * @sync: &enum nf_ckpt_sync_state
 *
 * No conntrack reference is held: the connection is found again by lookup.
 * 56 bytes, a kmalloc-64 object.  It has no rcu_head, which would make it
 * 72: it is freed with kvfree_rcu_mightsleep(), from process context.
 */
struct ckpt_entry {
	struct rhash_head node;
	struct ckpt_key key;
	u32 owner;
	u8 sync;
};

/**
 * struct ckpt_net - per network namespace state
 * @lock: serializes every change of the index, of the flags and of the
 *	configuration (set, clear, garbage collection, config); lookups and
 *	dumps read the index under RCU only
 * @index: flagged connections, by &struct ckpt_key
 * @gc_work: checks the index against conntrack and re-announces entries
 * @net: the namespace
 * @gc_passes: checks done, for re-announcing every CKPT_ANNOUNCE_PASSES
 * @budget: most entries that may be flagged at once
 * @mark_bit: the bit of ct->mark carrying the flag
 *
 * The counters are atomics: any CPU updates them and a statistics request
 * reads them without a lock.
 *
 * @entries: entries flagged now
 * @set: flags set since the namespace was created
 * @cleared: flags cleared on request
 * @expired: flagged entries that died
 * @refused_budget: flags refused for lack of budget
 * @rule_hits: new connections flagged by an endpoint rule
 */
struct ckpt_net {
	struct mutex lock;	/* serializes changes: see @lock above */
	struct rhashtable index;
	struct delayed_work gc_work;
	struct net *net;
	unsigned int gc_passes;
	u32 budget;
	u8 mark_bit;

	atomic_t entries;
	atomic64_t set;
	atomic64_t cleared;
	atomic64_t expired;
	atomic64_t refused_budget;
	atomic64_t rule_hits;
};

struct ckpt_net *ckpt_pernet(const struct net *net);

static inline u32 ckpt_mark_mask(const struct ckpt_net *cn)
{
	return 1U << READ_ONCE(cn->mark_bit);
}

/* table.c: the index of flagged connections */
extern const struct rhashtable_params ckpt_index_params;
int ckpt_table_init(struct ckpt_net *cn);
void ckpt_table_destroy(struct ckpt_net *cn);
void ckpt_key_from_ct(struct ckpt_key *key, const struct nf_conn *ct);
struct ckpt_entry *ckpt_entry_lookup(struct ckpt_net *cn,
				     const struct ckpt_key *key);
int ckpt_entry_add(struct ckpt_net *cn, const struct ckpt_key *key, u32 owner,
		   struct netlink_ext_ack *extack);
bool ckpt_entry_unlink(struct ckpt_net *cn, struct ckpt_entry *e);
void ckpt_entry_free_rcu(struct ckpt_entry *e);
void ckpt_walk_resume(struct rhashtable_iter *iter) __acquires(RCU);

/* conntrack.c: the flag on conntrack entries */
struct nf_conn *ckpt_ct_find(struct net *net, const struct ckpt_key *key);
bool ckpt_ct_flagged(const struct ckpt_net *cn, const struct nf_conn *ct);
bool ckpt_ct_mark(struct ckpt_net *cn, struct nf_conn *ct, bool flag);
void ckpt_ct_announce(struct nf_conn *ct, u32 portid);

/* flag.c: setting and clearing flags */
int ckpt_flag_set(struct ckpt_net *cn, const struct ckpt_key *key, u32 owner,
		  u32 portid, struct netlink_ext_ack *extack);
int ckpt_flag_clear(struct ckpt_net *cn, const struct ckpt_key *key,
		    u32 portid, struct netlink_ext_ack *extack);

/* gc.c: the index checked against conntrack */
void ckpt_gc_start(struct ckpt_net *cn);
void ckpt_gc_stop(struct ckpt_net *cn);

int ckpt_netlink_init(void);
void ckpt_netlink_exit(void);

#endif /* _NF_CKPT_H */
