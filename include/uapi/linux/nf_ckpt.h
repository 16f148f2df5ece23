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

/*
 * Multicast groups: sync state changes (%NF_CKPT_CMD_SYNC_NTF), for
 * whoever waits for the backup to hold a connection; and flags cleared on
 * request (%NF_CKPT_CMD_CLEAR_NTF), for the replication daemon.  Apart, so
 * that the daemon's own reports do not come back to it, and a
 * notification is built only while someone listens for its kind.
 */
#define NF_CKPT_MCGRP_SYNC	"sync"
#define NF_CKPT_MCGRP_CLEAR	"clear"

/**
 * enum nf_ckpt_cmd - operations of the nf_ckpt family
 * @NF_CKPT_CMD_STATS_GET: read the namespace's budget and counters; the
 *	reply carries %NF_CKPT_A_STATS.
 * @NF_CKPT_CMD_FLAG_SET: flag the connection %NF_CKPT_A_TUPLE (in zone
 *	%NF_CKPT_A_ZONE, default 0) for check-pointing, charged to
 *	%NF_CKPT_A_OWNER; on a flagged connection, updates the owner.  The
 *	tuple may repeat, to flag many connections in one request: they are
 *	done in order, and at the first failure the extack points at its
 *	tuple while those before it stay flagged.
 * @NF_CKPT_CMD_FLAG_CLEAR: clear the flag of a connection (or of each of
 *	several, as for %NF_CKPT_CMD_FLAG_SET); clearing an unflagged
 *	connection is not an error.
 * @NF_CKPT_CMD_ENTRY_GET: one flagged connection (do), or all of them (dump,
 *	filtered by %NF_CKPT_A_OWNER if given); see &enum nf_ckpt_attr.
 * @NF_CKPT_CMD_CONFIG_SET: set %NF_CKPT_A_BUDGET and/or %NF_CKPT_A_MARK_BIT.
 * @NF_CKPT_CMD_SYNC_SET: a replication daemon reports %NF_CKPT_A_SYNC for
 *	a flagged connection; the change is sent to %NF_CKPT_MCGRP_SYNC.  The
 *	tuple may repeat: every one is done, a failure (the connection gone
 *	or not flagged) not stopping those after it, and the answer is the
 *	first failure's, its extack at its tuple.
 * @NF_CKPT_CMD_SYNC_NTF: notification of a sync state change: the entry's
 *	%NF_CKPT_A_TUPLE, %NF_CKPT_A_ZONE, %NF_CKPT_A_OWNER, %NF_CKPT_A_SYNC.
 * @NF_CKPT_CMD_RULE_ADD: add the endpoint rule %NF_CKPT_A_RULE, charged to
 *	%NF_CKPT_A_OWNER: every new connection from or to its internal
 *	endpoint (and its remote, if the rule has a filter) is flagged before
 *	it is confirmed.
 * @NF_CKPT_CMD_RULE_DEL: delete the rule equal to %NF_CKPT_A_RULE;
 *	connections it flagged stay flagged.
 * @NF_CKPT_CMD_RULE_GET: dump the rules: %NF_CKPT_A_RULE, %NF_CKPT_A_OWNER.
 * @NF_CKPT_CMD_CLEAR_NTF: sent to %NF_CKPT_MCGRP_CLEAR when a flag is cleared
 *	on request: %NF_CKPT_A_TUPLE, %NF_CKPT_A_REPLY, %NF_CKPT_A_ZONE.  The
 *	connection lives on unflagged, so a replication daemon, whose event
 *	filter passes flagged connections only, learns of it here.
 */
enum nf_ckpt_cmd {
	NF_CKPT_CMD_UNSPEC,
	NF_CKPT_CMD_STATS_GET,
	NF_CKPT_CMD_FLAG_SET,
	NF_CKPT_CMD_FLAG_CLEAR,
	NF_CKPT_CMD_ENTRY_GET,
	NF_CKPT_CMD_CONFIG_SET,
	NF_CKPT_CMD_SYNC_SET,
	NF_CKPT_CMD_SYNC_NTF,
	NF_CKPT_CMD_RULE_ADD,
	NF_CKPT_CMD_RULE_DEL,
	NF_CKPT_CMD_RULE_GET,
	NF_CKPT_CMD_CLEAR_NTF,

	/* private */
	__NF_CKPT_CMD_MAX,
	NF_CKPT_CMD_MAX = __NF_CKPT_CMD_MAX - 1
};

/**
 * enum nf_ckpt_attr - top-level attributes
 * @NF_CKPT_A_STATS: nest of &enum nf_ckpt_stats_attr
 * @NF_CKPT_A_TUPLE: nest of &enum nf_ckpt_tuple_attr, a connection's
 *	original direction (either direction is accepted in requests)
 * @NF_CKPT_A_REPLY: nest of &enum nf_ckpt_tuple_attr, the reply direction:
 *	it shows the NAT binding (replies only)
 * @NF_CKPT_A_ZONE: u16, conntrack zone (default 0)
 * @NF_CKPT_A_OWNER: u32, the subscriber a flag is charged to
 * @NF_CKPT_A_TIMEOUT: u32, seconds left before the connection expires
 * @NF_CKPT_A_TCP_STATE: u8, conntrack TCP state (TCP_CONNTRACK_*)
 * @NF_CKPT_A_STATUS: u32, conntrack status bits (IPS_*)
 * @NF_CKPT_A_SYNC: u8, &enum nf_ckpt_sync_state of the entry
 * @NF_CKPT_A_BUDGET: u32, most entries that may be flagged at once
 * @NF_CKPT_A_MARK_BIT: u8, the bit of the conntrack mark that carries the
 *	flag (0 to 31)
 * @NF_CKPT_A_RULE: nest of &enum nf_ckpt_rule_attr
 */
enum nf_ckpt_attr {
	NF_CKPT_A_UNSPEC,
	NF_CKPT_A_STATS,
	NF_CKPT_A_TUPLE,
	NF_CKPT_A_REPLY,
	NF_CKPT_A_ZONE,
	NF_CKPT_A_OWNER,
	NF_CKPT_A_TIMEOUT,
	NF_CKPT_A_TCP_STATE,
	NF_CKPT_A_STATUS,
	NF_CKPT_A_SYNC,
	NF_CKPT_A_BUDGET,
	NF_CKPT_A_MARK_BIT,
	NF_CKPT_A_RULE,

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
 * @NF_CKPT_STATS_A_MARK_BIT: u8, the bit of the conntrack mark in use
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
	NF_CKPT_STATS_A_MARK_BIT,

	/* private */
	__NF_CKPT_STATS_A_MAX,
	NF_CKPT_STATS_A_MAX = __NF_CKPT_STATS_A_MAX - 1
};

/**
 * enum nf_ckpt_tuple_attr - one direction of a connection, as conntrack(8)
 *	shows it
 * @NF_CKPT_TUPLE_A_PROTO: u8, IPPROTO_TCP, _UDP, _UDPLITE, _SCTP or _DCCP
 * @NF_CKPT_TUPLE_A_SRC_V4: be32, source address (or %NF_CKPT_TUPLE_A_SRC_V6)
 * @NF_CKPT_TUPLE_A_DST_V4: be32, destination address
 * @NF_CKPT_TUPLE_A_SRC_V6: 16 bytes, IPv6 source address
 * @NF_CKPT_TUPLE_A_DST_V6: 16 bytes, IPv6 destination address
 * @NF_CKPT_TUPLE_A_SRC_PORT: be16, source port, not 0
 * @NF_CKPT_TUPLE_A_DST_PORT: be16, destination port, not 0
 *
 * Both addresses are of one family.
 */
enum nf_ckpt_tuple_attr {
	NF_CKPT_TUPLE_A_UNSPEC,
	NF_CKPT_TUPLE_A_PROTO,
	NF_CKPT_TUPLE_A_SRC_V4,
	NF_CKPT_TUPLE_A_DST_V4,
	NF_CKPT_TUPLE_A_SRC_V6,
	NF_CKPT_TUPLE_A_DST_V6,
	NF_CKPT_TUPLE_A_SRC_PORT,
	NF_CKPT_TUPLE_A_DST_PORT,

	/* private */
	__NF_CKPT_TUPLE_A_MAX,
	NF_CKPT_TUPLE_A_MAX = __NF_CKPT_TUPLE_A_MAX - 1
};

/**
 * enum nf_ckpt_rule_attr - an endpoint rule: a PCP MAP mapping's internal
 *	endpoint, and optionally the remote peers its FILTER allows
 * @NF_CKPT_RULE_A_PROTO: u8, a protocol with ports, or 0 for all of them
 * @NF_CKPT_RULE_A_ADDR_V4: be32, internal address (or
 *	%NF_CKPT_RULE_A_ADDR_V6)
 * @NF_CKPT_RULE_A_ADDR_V6: 16 bytes, internal IPv6 address
 * @NF_CKPT_RULE_A_PORT: be16, internal port, 0 for all ports (with a
 *	protocol of 0, the port must be 0)
 * @NF_CKPT_RULE_A_REMOTE_V4: be32, remote prefix (optional)
 * @NF_CKPT_RULE_A_REMOTE_V6: 16 bytes, remote IPv6 prefix (optional)
 * @NF_CKPT_RULE_A_REMOTE_LEN: u8, remote prefix length, 0 when absent
 * @NF_CKPT_RULE_A_REMOTE_PORT: be16, remote port, 0 for any
 */
enum nf_ckpt_rule_attr {
	NF_CKPT_RULE_A_UNSPEC,
	NF_CKPT_RULE_A_PROTO,
	NF_CKPT_RULE_A_ADDR_V4,
	NF_CKPT_RULE_A_ADDR_V6,
	NF_CKPT_RULE_A_PORT,
	NF_CKPT_RULE_A_REMOTE_V4,
	NF_CKPT_RULE_A_REMOTE_V6,
	NF_CKPT_RULE_A_REMOTE_LEN,
	NF_CKPT_RULE_A_REMOTE_PORT,

	/* private */
	__NF_CKPT_RULE_A_MAX,
	NF_CKPT_RULE_A_MAX = __NF_CKPT_RULE_A_MAX - 1
};

/**
 * enum nf_ckpt_sync_state - where a flagged entry's state has reached
 * @NF_CKPT_SYNC_PENDING: flagged; the peer has not confirmed holding it
 * @NF_CKPT_SYNC_DONE: a replication daemon reported that the peer holds it
 */
enum nf_ckpt_sync_state {
	NF_CKPT_SYNC_PENDING,
	NF_CKPT_SYNC_DONE,
};

#endif /* _UAPI_LINUX_NF_CKPT_H */
