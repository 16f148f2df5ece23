/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt-syncd: replication of check-pointed connections between the two
 * members of a NAT pair.  See ckpt-syncd(8) and Documentation/design.md.
 */
#ifndef CKPT_SYNCD_H
#define CKPT_SYNCD_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "kernel.h"
#include "link.h"
#include "maps.h"

struct report {
	uint32_t seq;		/* acknowledged with this message */
	struct sync_entry key;
};

/* The connection of the local pcpd (feed.c); fd -1 when none. */
struct feed {
	int fd;
	char in[2 * MAP_LINE_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	uint64_t malformed;
};

struct syncd {
	int ep;
	struct kernel kernel;
	struct link link;
	struct cache internal;	/* flagged here, sent to the peer */
	struct cache external;	/* flagged on the peer, received */
	uint32_t ext_gen;	/* resync generation of the external cache */

	struct feed feed;
	struct map_store maps_local;	/* check-pointed by pcpd here, sent */
	struct map_store maps_peer;	/* check-pointed on the peer, received */
	uint32_t local_gen;	/* of maps_local, moved by each "begin" */
	bool maps_waiting;	/* some of maps_local are not confirmed yet */
	bool takeover_pending;	/* committed; pcpd must take maps_peer */

	/* entries waiting for the ack that lets nf_ckpt mark them synced */
	struct report *reports;
	uint32_t n_reports, cap_reports, first_report;

	bool resync_due;	/* start a new session at the next turn */
	const char *resync_reason;
	uint64_t event_overruns;
	uint64_t resyncs_requested;
	uint64_t purged;
	uint64_t commits;
	struct commit_result last_commit;
	int last_commit_err;
	bool committed;
};

uint64_t syncd_now_ms(void);

/* sync.c */
extern const struct link_ops syncd_link_ops;
void syncd_on_event(void *arg, const struct sync_entry *e, bool gone);
void syncd_resync(struct syncd *d);
void syncd_commit(struct syncd *d);

/* feed.c */
void feed_attach(struct syncd *d, int fd);
void feed_io(struct syncd *d, uint32_t events);
void feed_close(struct syncd *d, const char *why);
void feed_send(struct syncd *d, const char *verb, const struct map_record *r);
void feed_takeover(struct syncd *d);
void feed_confirm(struct syncd *d, uint32_t upto);
void maps_expire(struct syncd *d);

/* control.c */
int control_listen(const char *path);
void control_serve(struct syncd *d, int lfd);
int control_request(const char *path, const char *cmd);

#endif /* CKPT_SYNCD_H */
