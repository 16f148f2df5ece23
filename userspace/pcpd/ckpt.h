/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's use of nf_ckpt: a check-pointed MAP mapping is an endpoint rule
 * on its internal endpoint, charged to the subscriber, so that every
 * connection through the mapping (inbound through the DNAT element,
 * outbound from the internal port) is flagged before it is confirmed.
 */
#ifndef PCPD_CKPT_H
#define PCPD_CKPT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct pcpd_ckpt {
	struct mnl_socket *nl;
	struct mnl_socket *sync;	/* notifications; see below */
	uint16_t family;	/* 0: nf_ckpt is not there */
	uint32_t sync_group;
	bool sync_listening;	/* in the sync group */
	uint32_t seq;
};

/* Addresses here are IPv4-mapped for IPv4. */
struct pcpd_ckpt_rule {
	uint8_t protocol;
	struct in6_addr internal_addr;
	uint16_t internal_port;		/* host order */
	uint32_t owner;
};

/* 0, or -1 when nf_ckpt is not loaded (check-pointing then refused). */
int pcpd_ckpt_open(struct pcpd_ckpt *c);
void pcpd_ckpt_close(struct pcpd_ckpt *c);
bool pcpd_ckpt_available(const struct pcpd_ckpt *c);

/* 0 or a negative errno; *msg is the kernel's extack message, if any. */
int pcpd_ckpt_rule_add(struct pcpd_ckpt *c, const struct pcpd_ckpt_rule *r,
		       const char **msg);
int pcpd_ckpt_rule_del(struct pcpd_ckpt *c, const struct pcpd_ckpt_rule *r,
		       const char **msg);

/* One connection, by its original direction (a PEER mapping's flow). */
struct pcpd_ckpt_flow {
	uint8_t protocol;
	struct in6_addr src, dst;
	uint16_t sport, dport;		/* host order */
	uint32_t owner;
};

/*
 * Is the connection flagged already (0; -ENOENT if not), and does the
 * backup hold it (*SYNCED)?
 */
int pcpd_ckpt_flag_get(struct pcpd_ckpt *c, const struct pcpd_ckpt_flow *f,
		       bool *synced);

/* Flag the connection (SET) or clear its flag; as above. */
int pcpd_ckpt_flag(struct pcpd_ckpt *c, const struct pcpd_ckpt_flow *f,
		   bool set, const char **msg);

/*
 * Clear the flags of OWNER's connections through endpoint R: from it
 * (original source), or to it after DNAT (reply source); but not those
 * KEEP (if given) says to keep.  The number cleared, or a negative errno.
 */
typedef bool (*pcpd_ckpt_keep_fn)(void *arg, const struct pcpd_ckpt_flow *f);
int pcpd_ckpt_clear_endpoint(struct pcpd_ckpt *c, const struct pcpd_ckpt_rule *r,
			     uint32_t owner, pcpd_ckpt_keep_fn keep, void *arg);

/*
 * nf_ckpt's sync notifications: which flagged connections the backup now
 * holds.  Open returns the socket to poll, or a negative errno; listen
 * joins the sync group (ON) or leaves it, 0 or a negative errno: the
 * kernel builds a notification for every connection the backup confirms
 * while anyone is in the group, so pcpd is in it only while an answer
 * waits for one.  Read hands each connection reported held to DONE, until
 * none is left (0) or the socket fails (a negative errno; -ENOBUFS: some
 * were lost).
 */
int pcpd_ckpt_sync_open(struct pcpd_ckpt *c);
int pcpd_ckpt_sync_listen(struct pcpd_ckpt *c, bool on);
typedef void (*pcpd_ckpt_done_fn)(void *arg, const struct pcpd_ckpt_flow *f);
int pcpd_ckpt_sync_read(struct pcpd_ckpt *c, pcpd_ckpt_done_fn done,
			void *arg);

#endif /* PCPD_CKPT_H */
