/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpd's state and the helpers its parts share.
 */
#ifndef PCPD_H
#define PCPD_H

#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdint.h>

#include "ckpt.h"
#include "config.h"
#include "mapline.h"
#include "mapping.h"
#include "nft.h"
#include "pcp.h"
#include "peer.h"
#include "subscriber.h"

/* The connection to the local ckpt-syncd (replica.c). */
struct pcpd_replica {
	const char *path;	/* its control socket; NULL: none */
	int fd;
	char in[4096];
	size_t in_len;
	uint64_t retry_ms;	/* next connection attempt */
	bool said_absent;
};

/* Unsolicited ANNOUNCEs (RFC 6887 section 14.1.3) still to send. */
struct pcpd_announce {
	unsigned int left;
	uint64_t next_ms;
	uint64_t interval_ms;
};

struct pcpd {
	struct pcpd_config cfg;
	const char *config_path;	/* --config, read again on SIGHUP */
	int argc;			/* the command line, applied again */
	char **argv;
	struct pcpd_map_table table;
	struct pcpd_nft nft;
	struct pcpd_ckpt ckpt;
	struct pcpd_subscribers subs;
	struct pcpd_peers peers;
	struct pcpd_replica replica;
	struct pcpd_announce announce;
	struct pcpd_pending *pending;	/* answers waiting for the backup */
	unsigned int n_pending;
	uint64_t sync_confirmed, sync_timeouts;
	int sync_fd;			/* nf_ckpt's sync notifications */
	/* the sockets, then signals, the replica, control, notifications */
	struct pollfd fds[PCPD_MAX_LISTEN + 4];
	int control_fd;
	bool status, json;	/* the client: ask the daemon for its state */
	unsigned int n_fds;
	uint64_t start;		/* the epoch counts from here... */
	uint32_t epoch_base;	/* ...on from this (a restart's state) */
	int state_lock_fd;
	bool stopping;
};

/*
 * An nftables element outlives its mapping's lifetime, so that most
 * renewals need not touch the kernel; pcpd deletes the element when the
 * mapping expires, and the kernel's timeout is only for a pcpd that died.
 */
static inline uint32_t elem_timeout(uint32_t lifetime)
{
	return lifetime > UINT32_MAX / 2 ? UINT32_MAX : 2 * lifetime;
}

struct pcpd_nft_mapping nft_of(const struct pcpd_mapping *m, uint32_t timeout);
void nft_forget(struct pcpd *d, const struct pcpd_mapping *m);

uint64_t now_seconds(void);
uint64_t now_ms(void);
void log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *addr_str(const struct in6_addr *a, char *buf);
uint32_t epoch(const struct pcpd *d);
uint64_t subscriber_id(const struct pcpd *d, const struct in6_addr *internal);
uint32_t owner_of(uint64_t subscriber);
bool pcpd_host_addr(struct in_addr a);
bool host_addr(const struct in6_addr *a);
/* Is A one of the addresses pcpd listens on or hands out? */
bool nat_own_addr(const struct pcpd *d, const struct in6_addr *a);
struct pcpd_ckpt_rule ckpt_rule(const struct pcpd_mapping *m);
void ckpt_release(struct pcpd *d, const struct pcpd_mapping *m,
		  const char *why);
/* A check-point to decide on: see ckpt_wanted(). */
struct ckpt_ask {
	const struct in6_addr *internal;
	uint8_t protocol;
	uint16_t port;
	uint16_t remote_port;	/* PEER's; 0 for a MAP */
	bool asked;		/* the request carries CHECKPOINT_REQUIRED */
	bool held;		/* the mapping is check-pointed already */
};

bool ckpt_wanted(struct pcpd *d, const struct ckpt_ask *ask);
void count_mapping(struct pcpd *d, uint64_t subscriber, int delta);
unsigned int mappings_of(struct pcpd *d, uint64_t subscriber);

/* peer_request.c */
uint8_t handle_peer(struct pcpd *d, const struct pcp_request *req,
		    const struct in6_addr *internal, struct pcp_response *resp);
void peers_expire(struct pcpd *d, uint64_t now);
/* The PEER record of the connection nf_ckpt names CF, if any. */
struct pcpd_peer *peer_of_flow(struct pcpd *d, const struct pcpd_ckpt_flow *cf);

/* control.c */
void control_serve(struct pcpd *d, int lfd);

/* pending.c */
struct pcpd_pending;
bool pending_wanted(struct pcpd *d, const struct pcp_request *req,
		    const struct in6_addr *internal,
		    const struct pcp_response *resp);
void pending_add(struct pcpd *d, const struct pcp_request *req,
		 const struct in6_addr *internal, const struct pcp_response *resp,
		 int fd, const struct sockaddr_storage *to, socklen_t to_len);
void pending_confirmed(struct pcpd *d);
/* Sync notifications were lost: each waiting PEER's state read again. */
void pending_recheck_peers(struct pcpd *d);
int pending_poll(struct pcpd *d, uint64_t now);
/* At stop: every waiting answer goes now, as if its wait ran out. */
void pending_flush(struct pcpd *d);

/* Take back a check-point the backup did not confirm. */
void map_unprotect(struct pcpd *d, struct pcpd_mapping *m, const char *why);
void peer_unprotect(struct pcpd *d, struct pcpd_peer *peer, const char *why);
void peer_watch_sync(struct pcpd *d, struct pcpd_peer *peer);
bool sync_wait_wanted(const struct pcpd *d);

/* state.c */
int state_lock(struct pcpd *d);
int state_save(struct pcpd *d);
bool state_restore(struct pcpd *d);

/* replica.c */
void replica_init(struct pcpd *d, const char *path);
void replica_poll(struct pcpd *d, uint64_t now);
void replica_input(struct pcpd *d);
void replica_map(struct pcpd *d, const struct pcpd_mapping *m);
void replica_unmap(struct pcpd *d, const struct pcpd_mapping *m);
void replica_close(struct pcpd *d);
struct map_record map_record_of(const struct pcpd_mapping *m);
struct in6_addr map_record_addr(const struct map_record *r, const uint8_t *a);
const char *map_record_invalid(const struct pcpd *d, struct map_record *r);
bool map_record_install(struct pcpd *d, const struct map_record *r,
			bool standby, bool checkpoint, const char *event);
void announce_start(struct pcpd *d);
int announce_poll(struct pcpd *d, uint64_t now);

#endif /* PCPD_H */
