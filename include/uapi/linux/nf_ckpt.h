/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nf_ckpt: application-initiated check-pointing of conntrack entries
 * (RFC 7767) on Linux NAT pairs.
 *
 * The generic netlink family "nf_ckpt" is described, attribute by attribute,
 * in Documentation/netlink/specs/nf_ckpt.yaml; this header matches it.  The
 * family is per network namespace and every operation needs CAP_NET_ADMIN
 * in the user namespace that owns the network namespace.
 */
#ifndef _UAPI_LINUX_NF_CKPT_H
#define _UAPI_LINUX_NF_CKPT_H

#define NF_CKPT_FAMILY_NAME	"nf_ckpt"
#define NF_CKPT_FAMILY_VERSION	1

/**
 * enum nf_ckpt_cmd - operations of the nf_ckpt family
 * @NF_CKPT_CMD_STATS_GET: read the namespace's budget and counters; the
 *	reply carries %NF_CKPT_A_STATS.
 */
enum nf_ckpt_cmd {
	NF_CKPT_CMD_UNSPEC,
	NF_CKPT_CMD_STATS_GET,

	/* private */
	__NF_CKPT_CMD_MAX,
	NF_CKPT_CMD_MAX = __NF_CKPT_CMD_MAX - 1
};

/**
 * enum nf_ckpt_attr - top-level attributes
 * @NF_CKPT_A_STATS: nest of &enum nf_ckpt_stats_attr
 */
enum nf_ckpt_attr {
	NF_CKPT_A_UNSPEC,
	NF_CKPT_A_STATS,

	/* private */
	__NF_CKPT_A_MAX,
	NF_CKPT_A_MAX = __NF_CKPT_A_MAX - 1
};

/**
 * enum nf_ckpt_stats_attr - budget and counters of one network namespace
 * @NF_CKPT_STATS_A_ENTRIES: u32, entries flagged now
 * @NF_CKPT_STATS_A_BUDGET: u32, most entries that may be flagged at once
 * @NF_CKPT_STATS_A_SET: u64, flags set since the namespace was created
 * @NF_CKPT_STATS_A_CLEARED: u64, flags cleared on request
 * @NF_CKPT_STATS_A_EXPIRED: u64, flagged entries that died
 * @NF_CKPT_STATS_A_REFUSED_BUDGET: u64, flags refused for lack of budget
 * @NF_CKPT_STATS_A_RULE_HITS: u64, new connections flagged by a rule
 * @NF_CKPT_STATS_A_PAD: padding for 64-bit attributes
 */
enum nf_ckpt_stats_attr {
	NF_CKPT_STATS_A_UNSPEC,
	NF_CKPT_STATS_A_ENTRIES,
	NF_CKPT_STATS_A_BUDGET,
	NF_CKPT_STATS_A_SET,
	NF_CKPT_STATS_A_CLEARED,
	NF_CKPT_STATS_A_EXPIRED,
	NF_CKPT_STATS_A_REFUSED_BUDGET,
	NF_CKPT_STATS_A_RULE_HITS,
	NF_CKPT_STATS_A_PAD,

	/* private */
	__NF_CKPT_STATS_A_MAX,
	NF_CKPT_STATS_A_MAX = __NF_CKPT_STATS_A_MAX - 1
};

#endif /* _UAPI_LINUX_NF_CKPT_H */
