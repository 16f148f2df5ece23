/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nf_ckpt internals shared between the module's files.
 */
#ifndef _NF_CKPT_H
#define _NF_CKPT_H

#include <linux/atomic.h>
#include <linux/in6.h>
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
/* Pause between two passes of the index check. */
#define CKPT_GC_INTERVAL	(5 * HZ)
/* Within a pass: entries looked at per slice, and the pause between slices. */
#define CKPT_GC_SLICE		1024
#define CKPT_GC_TICK		(HZ / 4)
/* Seconds after which a live flagged entry is announced again. */
#define CKPT_ANNOUNCE_SECS	30

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
 * @owner: the subscriber the flag is charged to
 * @zone: conntrack zone
 * @family: NFPROTO_IPV4 or NFPROTO_IPV6
 * @proto: layer 4 protocol
 * @sport: original source port
 * @dport: original destination port
 * @sync: &enum nf_ckpt_sync_state
 * @announced: when the connection was last announced, in seconds of
 *	ckpt_now16() (it wraps; only differences are used)
 * @v4: original addresses of an IPv4 connection
 * @v6: original addresses of an IPv6 connection
 *
 * No conntrack reference is held: the connection is found again by lookup.
 * An IPv4 entry is allocated without the room of IPv6 addresses: 32 bytes,
 * a kmalloc-32 object; an IPv6 entry is 56 bytes, a kmalloc-64 object.
 * There is no rcu_head, which would cost 16 bytes more: entries are freed
 * with kvfree_rcu_mightsleep(), from process context.
 */
struct ckpt_entry {
	struct rhash_head node;
	u32 owner;
	u16 zone;
	u8 family;
	u8 proto;
	__be16 sport;
	__be16 dport;
	u8 sync;
	u16 announced;
	union {
		struct {
			__be32 src;
			__be32 dst;
		} v4;
		struct {
			struct in6_addr src;
			struct in6_addr dst;
		} v6;
	};
};

/**
 * struct ckpt_rule_key - a rule's internal endpoint; hashed as raw bytes
 */
struct ckpt_rule_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 family;
	u8 proto;
};

/**
 * struct ckpt_rule - an endpoint rule, for a PCP MAP mapping
 * @node: in &ckpt_net.rules, among rules of the same endpoint
 * @list: in &ckpt_net.rule_list, for dumps
 * @key: internal endpoint; port 0 is every port, proto 0 every protocol
 * @remote: remote prefix of a FILTER
 * @remote_len: its length; 0: any remote
 * @remote_port: remote port of a FILTER; 0: any
 * @owner: the subscriber flags from this rule are charged to
 * @rcu: for freeing after packet paths are done with it
 */
struct ckpt_rule {
	struct rhlist_head node;
	struct list_head list;
	struct ckpt_rule_key key;
	union nf_inet_addr remote;
	u8 remote_len;
	__be16 remote_port;
	u32 owner;
	struct rcu_head rcu;
};

/**
 * struct ckpt_net - per network namespace state
 * @lock: serializes every change of the index, of the flags and of the
 *	configuration (set, clear, garbage collection, config); lookups and
 *	dumps read the index under RCU only
 * @index: flagged connections, by &struct ckpt_key
 * @gc_work: checks the index against conntrack and re-announces entries
 * @gc_iter: where the check stands in the index between two slices
 * @rules: endpoint rules by internal endpoint; read by packet paths under
 *	RCU, changed under @lock
 * @rule_list: the same rules, in the order they were added, under @lock
 * @n_rules: rules in @rules; the packet hook is registered while it is
 *	not 0, so a namespace without rules pays nothing per packet
 * @net: the namespace
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
	struct rhashtable_iter gc_iter;
	struct rhltable rules;
	struct list_head rule_list;
	unsigned int n_rules;
	struct net *net;
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

/* A coarse clock for re-announcing: seconds, modulo 2^16. */
static inline u16 ckpt_now16(void)
{
	return (u16)(jiffies / HZ);
}

static inline u32 ckpt_mark_mask(const struct ckpt_net *cn)
{
	return 1U << READ_ONCE(cn->mark_bit);
}

/* table.c: the index of flagged connections */
extern const struct rhashtable_params ckpt_index_params;
int ckpt_table_init(struct ckpt_net *cn);
void ckpt_table_destroy(struct ckpt_net *cn);
void ckpt_key_from_ct(struct ckpt_key *key, const struct nf_conn *ct);
void ckpt_entry_key(struct ckpt_key *key, const struct ckpt_entry *e);
struct ckpt_entry *ckpt_entry_lookup(struct ckpt_net *cn,
				     const struct ckpt_key *key);
int ckpt_entry_add(struct ckpt_net *cn, const struct ckpt_key *key, u32 owner,
		   gfp_t gfp, struct netlink_ext_ack *extack);
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
void ckpt_flag_new(struct ckpt_net *cn, struct nf_conn *ct, u32 owner);

/* rules.c: endpoint rules and the hook that applies them */
int ckpt_rules_init(struct ckpt_net *cn);
void ckpt_rules_destroy(struct ckpt_net *cn);
int ckpt_rule_add(struct ckpt_net *cn, const struct ckpt_rule *tmpl,
		  struct netlink_ext_ack *extack);
int ckpt_rule_del(struct ckpt_net *cn, const struct ckpt_rule *tmpl,
		  struct netlink_ext_ack *extack);

/* gc.c: the index checked against conntrack */
void ckpt_gc_start(struct ckpt_net *cn);
void ckpt_gc_stop(struct ckpt_net *cn);

void ckpt_nl_notify_clear(struct ckpt_net *cn, const struct nf_conn *ct);
int ckpt_netlink_init(void);
void ckpt_netlink_exit(void);

#endif /* _NF_CKPT_H */
