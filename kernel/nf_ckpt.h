/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nf_ckpt internals shared between the module's files.
 */
#ifndef _NF_CKPT_H
#define _NF_CKPT_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <net/net_namespace.h>

/* Flags that may be outstanding at once in a namespace unless set. */
#define CKPT_DEFAULT_BUDGET	65536

/**
 * struct ckpt_net - per network namespace state
 *
 * The counters are atomics: packet paths of any CPU update them and a
 * statistics request reads them without a lock.
 *
 * @budget: most entries that may be flagged at once
 * @entries: entries flagged now
 * @set: flags set since the namespace was created
 * @cleared: flags cleared on request
 * @expired: flagged entries that died
 * @refused_budget: flags refused for lack of budget
 * @rule_hits: new connections flagged by an endpoint rule
 */
struct ckpt_net {
	u32 budget;
	atomic_t entries;
	atomic64_t set;
	atomic64_t cleared;
	atomic64_t expired;
	atomic64_t refused_budget;
	atomic64_t rule_hits;
};

struct ckpt_net *ckpt_pernet(const struct net *net);

int ckpt_netlink_init(void);
void ckpt_netlink_exit(void);

#endif /* _NF_CKPT_H */
