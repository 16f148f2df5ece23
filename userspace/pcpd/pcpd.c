// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: a PCP server (RFC 6887) for Linux NAT, honouring RFC 7767's
 * CHECKPOINT_REQUIRED: ANNOUNCE, MAP and PEER on the addresses it listens
 * on, mappings in nftables, PEER on conntrack, check-points in nf_ckpt by
 * each subscriber's class.  See pcpd(8), pcpd.conf(5) and
 * Documentation/design.md.
 *
 *   pcpd [--config FILE] --listen ADDR [--listen ADDR...] --external ADDR
 *        [--ports MIN-MAX] [--lifetime MIN-MAX] [--quota N]
 *        [--checkpoint-max N] [--checkpoint-rate N[/s|/min]]
 *        [--checkpoint-burst N] [--syslog]
 *        [--syncd CONTROL-SOCKET] [--sync-wait MS] [--control PATH]
 *        [--state FILE] [--port-hold S] [--outside-interface IFNAME...]
 *   pcpd --status [--json] [--config FILE] [--control PATH]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "pcpd.h"
#include "util.h"

uint64_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool use_syslog;

/*
 * The syslog priority of a log line, by its event: "...-failed" and
 * "...-unavailable" are errors, refusals are notices, the rest is
 * information.
 */
static int event_priority(const char *line)
{
	size_t n = strcspn(line, " ");

	if ((n > 7 && !strncmp(line + n - 7, "-failed", 7)) ||
	    (n > 12 && !strncmp(line + n - 12, "-unavailable", 12)))
		return LOG_ERR;
	if (n >= 7 && !strncmp(line + n - 7, "refused", 7))
		return LOG_NOTICE;
	return LOG_INFO;
}

/* One log line, "pcpd: event key=value ...", to stderr or to syslog. */
void log_event(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog)
		syslog(event_priority(line), "%s", line);
	else
		fprintf(stderr, "pcpd: %s\n", line);
}

const char *addr_str(const struct in6_addr *a, char *buf)
{
	if (pcp_addr_is_v4mapped(a))
		return inet_ntop(AF_INET, a->s6_addr + 12, buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Epoch time: seconds since state began (RFC 6887 section 8.5). */
uint32_t epoch(const struct pcpd *d)
{
	return d->epoch_base + (uint32_t)(now_seconds() - d->start);
}

/* The subscriber of INTERNAL: its prefix, or a configured one holding it. */
uint64_t subscriber_id(const struct pcpd *d, const struct in6_addr *internal)
{
	return pcpd_policy_subscriber(&d->cfg.policy, pcpd_key_of(internal));
}

/*
 * nf_ckpt's owner of a subscriber, 32 bits: an IPv4 subscriber's address,
 * an IPv6 subscriber's prefix hashed into 0.0.0.0/8, where no IPv4
 * subscriber is.  The owner only tags flags (which pcpd clears by
 * endpoint and owner together); pcpd counts quotas by the whole prefix.
 */
uint32_t owner_of(uint64_t subscriber)
{
	uint64_t h = subscriber * 0x9e3779b97f4a7c15ull;

	if (pcpd_key_is_v4(subscriber))
		return (uint32_t)subscriber;
	return (uint32_t)(h >> 40) | 1;
}

/* Not unspecified, loopback, multicast or broadcast. */
bool pcpd_host_addr(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h && h >> 24 != 127 && h >> 28 != 0xe && h != 0xffffffff;
}

/* The same of an IPv4-mapped or IPv6 address. */
bool host_addr(const struct in6_addr *a)
{
	struct in_addr v4;

	if (pcp_addr_is_v4mapped(a)) {
		memcpy(&v4, a->s6_addr + 12, 4);
		return pcpd_host_addr(v4);
	}
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_MULTICAST(a);
}

struct pcpd_ckpt_rule ckpt_rule(const struct pcpd_mapping *m)
{
	struct pcpd_ckpt_rule r = {
		.protocol = m->protocol,
		.internal_port = m->internal_port,
		.internal_addr = m->internal_addr,
		.owner = owner_of(m->subscriber),
	};

	return r;
}

/*
 * A connection a mapping's rule flagged that a check-pointed PEER of it
 * borrowed: the PEER keeps the flag, and owns it from now on.
 */
static bool keep_peer_flag(void *arg, const struct pcpd_ckpt_flow *cf)
{
	struct pcpd_peer *peer = peer_of_flow(arg, cf);

	if (!peer || !peer->checkpoint)
		return false;
	peer->borrowed = false;
	return true;
}

/*
 * The rule of a check-pointed mapping going away, or no longer wanted; the
 * connections it flagged are not wanted either (RFC 7767 section 3.2), so
 * their flags go too, unless pcpd is stopping: a restart with a state file
 * brings the mapping back, and its connections must stay protected.
 */
void ckpt_release(struct pcpd *d, const struct pcpd_mapping *m,
		  const char *why)
{
	struct pcpd_ckpt_rule r = ckpt_rule(m);
	struct pcpd_subscriber *sub;
	char ibuf[INET6_ADDRSTRLEN];
	const char *msg = NULL;
	int err, cleared = 0;

	err = pcpd_ckpt_rule_del(&d->ckpt, &r, &msg);
	if (err)
		log_event("checkpoint-release-failed internal=%s port=%u reason=\"%s\"",
			  addr_str(&m->internal_addr, ibuf), m->internal_port,
			  msg ? msg : strerror(-err));
	if (!d->stopping && pcpd_ckpt_available(&d->ckpt))
		cleared = pcpd_ckpt_clear_endpoint(&d->ckpt, &r, r.owner,
						   keep_peer_flag, d);
	if (cleared < 0)
		log_event("checkpoint-release-failed internal=%s port=%u reason=\"clearing its connections: %s\"",
			  addr_str(&m->internal_addr, ibuf), m->internal_port,
			  strerror(-cleared));
	sub = pcpd_subscriber_get(&d->subs, m->subscriber, now_ms());
	if (sub && sub->checkpointed)
		sub->checkpointed--;
	log_event("checkpoint-released internal=%s proto=%u port=%u why=%s connections_cleared=%d",
		  addr_str(&m->internal_addr, ibuf), m->protocol,
		  m->internal_port, why, cleared > 0 ? cleared : 0);
}

/* A subscriber's MAP mappings, counted against --quota. */
void count_mapping(struct pcpd *d, uint64_t subscriber, int delta)
{
	struct pcpd_subscriber *sub = pcpd_subscriber_get(&d->subs, subscriber,
							  now_ms());

	if (sub && (delta > 0 || sub->mappings))
		sub->mappings += (unsigned int)delta;
}

/* What --quota counts: MAP mappings and PEER connections. */
unsigned int mappings_of(struct pcpd *d, uint64_t subscriber)
{
	struct pcpd_subscriber *sub = pcpd_subscriber_get(&d->subs, subscriber,
							  now_ms());

	return sub ? sub->mappings + sub->peers : 0;
}

static void on_expired(void *arg, const struct pcpd_mapping *m)
{
	nft_forget(arg, m);
	count_mapping(arg, m->subscriber, -1);
	if (m->checkpoint) {
		ckpt_release(arg, m, "expired");
		replica_unmap(arg, m);
	}
}

/*
 * Whether the limits let a new check-point start: nf_ckpt is there, and
 * the subscriber's quota and rate allow one.
 */
static bool ckpt_limits(struct pcpd *d, struct pcpd_subscriber *sub,
			const struct ckpt_ask *ask)
{
	enum pcpd_ckpt_verdict v;
	char ibuf[INET6_ADDRSTRLEN];

	if (!pcpd_ckpt_available(&d->ckpt)) {
		log_event("checkpoint-refused internal=%s port=%u reason=\"nf_ckpt is not loaded\"",
			  addr_str(ask->internal, ibuf), ask->port);
		return false;
	}
	v = pcpd_subscriber_ckpt(sub, now_ms());
	if (v != PCPD_CKPT_GRANT) {
		log_event("checkpoint-refused internal=%s port=%u reason=%s class=%s",
			  addr_str(ask->internal, ibuf), ask->port,
			  pcpd_ckpt_verdict_name(v), sub->class->name);
		return false;
	}
	return true;
}

/*
 * Whether a mapping or connection is to be check-pointed: what the client
 * asked for, overridden by its subscriber's class either way (RFC 7767
 * section 5), then, unless it is held already, the class's limits.  A
 * refusal is logged with its reason, and so is a check-point the network
 * makes without being asked.
 */
bool ckpt_wanted(struct pcpd *d, const struct ckpt_ask *ask)
{
	struct pcpd_subscriber *sub;
	enum pcpd_class_verdict v;
	char ibuf[INET6_ADDRSTRLEN];

	sub = pcpd_subscriber_get(&d->subs, subscriber_id(d, ask->internal), now_ms());
	if (!sub)
		return false;
	v = pcpd_class_decide(sub->class, ask->protocol, ask->port,
			      ask->remote_port, ask->asked);
	if (v == PCPD_CLASS_UNWANTED)
		return false;
	if (v == PCPD_CLASS_REFUSED) {
		sub->refused_policy++;
		log_event("checkpoint-refused internal=%s port=%u reason=policy class=%s",
			  addr_str(ask->internal, ibuf), ask->port, sub->class->name);
		return false;
	}
	if (ask->held)
		return true;
	if (!ckpt_limits(d, sub, ask))
		return false;
	if (v == PCPD_CLASS_FORCED && !ask->asked) {
		sub->forced++;
		log_event("checkpoint-forced internal=%s proto=%u port=%u class=%s",
			  addr_str(ask->internal, ibuf), ask->protocol, ask->port,
			  sub->class->name);
	}
	return true;
}

/*
 * Whether the mapping REQ creates or refreshes is to be check-pointed (a
 * mapping already check-pointed keeps its place within the limits).
 */
static bool ckpt_decide(struct pcpd *d, const struct pcp_request *req,
			const struct in6_addr *internal,
			const struct pcpd_map_decision *dec)
{
	struct ckpt_ask ask = {
		.internal = internal,
		.protocol = req->protocol,
		.port = req->internal_port,
		.asked = req->checkpoint,
		.held = dec->action == PCPD_MAP_REFRESH && dec->existing->checkpoint,
	};

	if (dec->action == PCPD_MAP_DELETE || dec->action == PCPD_MAP_NONE)
		return false;
	return ckpt_wanted(d, &ask);
}

/* Put the rule in nf_ckpt for a newly check-pointed mapping. */
static bool ckpt_install(struct pcpd *d, const struct pcp_request *req,
			 const struct in6_addr *internal)
{
	struct pcpd_mapping m = {
		.internal_addr = *internal,
		.protocol = req->protocol,
		.internal_port = req->internal_port,
		.subscriber = subscriber_id(d, internal),
	};
	struct pcpd_ckpt_rule r = ckpt_rule(&m);
	struct pcpd_subscriber *sub;
	char ibuf[INET6_ADDRSTRLEN];
	const char *msg = NULL;
	int err;

	err = pcpd_ckpt_rule_add(&d->ckpt, &r, &msg);
	if (err) {
		log_event("checkpoint-refused internal=%s port=%u reason=\"nf_ckpt: %s\"",
			  addr_str(internal, ibuf), req->internal_port,
			  msg ? msg : strerror(-err));
		return false;
	}
	sub = pcpd_subscriber_get(&d->subs, m.subscriber, now_ms());
	if (sub)
		sub->checkpointed++;
	return true;
}

/* Mapping M as nftables holds it, its elements timing out after TIMEOUT. */
struct pcpd_nft_mapping nft_of(const struct pcpd_mapping *m, uint32_t timeout)
{
	struct pcpd_nft_mapping e = {
		.protocol = m->protocol,
		.external_port = m->external_port,
		.internal_port = m->internal_port,
		.timeout = timeout,
		.n_filters = m->n_filters,
		.filters = m->filters,
	};

	e.external_addr = m->external_addr;
	e.internal_addr = m->internal_addr;
	return e;
}

/* The mapping DEC makes of REQ, before it is committed. */
static struct pcpd_mapping planned(const struct pcp_request *req,
				   const struct in6_addr *internal,
				   const struct pcpd_map_decision *dec)
{
	struct pcpd_mapping m = {
		.internal_addr = *internal,
		.protocol = req->protocol,
		.internal_port = req->internal_port,
		.external_addr = dec->external_addr,
		.external_port = dec->external_port,
		.n_filters = dec->n_filters,
	};

	memcpy(m.filters, dec->filters, sizeof(m.filters));
	return m;
}

/* The element of a mapping that expired; at stop, the table goes whole. */
void nft_forget(struct pcpd *d, const struct pcpd_mapping *m)
{
	struct pcpd_nft_mapping e = nft_of(m, 0);
	char ibuf[INET6_ADDRSTRLEN];
	int err;

	if (d->stopping)
		return;
	err = pcpd_nft_del(&d->nft, &e);
	if (err && err != -ENOENT)
		log_event("map-expire-failed internal=%s port=%u reason=nftables:%s",
			  addr_str(&m->internal_addr, ibuf), m->internal_port,
			  strerror(-err));
}

/* Install what DEC decided, then commit it; a result code. */
static uint8_t apply_map(struct pcpd *d, const struct pcp_request *req,
			 const struct in6_addr *internal,
			 struct pcpd_map_decision *dec, bool checkpoint)
{
	struct pcpd_mapping *mapping, next = planned(req, internal, dec);
	struct pcpd_nft_mapping m = nft_of(&next, elem_timeout(dec->lifetime));
	const struct pcpd_mapping *ex = dec->existing;
	struct pcpd_nft_mapping old = ex ? nft_of(ex, 0) : m;
	uint64_t now = now_seconds();
	char ibuf[INET6_ADDRSTRLEN];
	bool written = false;
	uint64_t owner;
	int err = 0;

	/* The subscriber charged: a deleted mapping's, which may be the peer's. */
	owner = ex ? ex->subscriber : subscriber_id(d, internal);
	switch (dec->action) {
	case PCPD_MAP_CREATE:
		err = pcpd_nft_add(&d->nft, &m, NULL);
		written = true;
		break;
	case PCPD_MAP_REFRESH:
		/* Most renewals fall within the element's longer timeout. */
		if (now + dec->lifetime <= ex->elem_expires &&
		    map_filters_equal(ex->filters, ex->n_filters, dec->filters,
				      dec->n_filters))
			break;
		err = pcpd_nft_add(&d->nft, &m, &old);
		written = true;
		break;
	case PCPD_MAP_DELETE:
		err = pcpd_nft_del(&d->nft, &old);
		break;
	case PCPD_MAP_NONE:
		break;
	}
	if (err) {
		log_event("map-failed internal=%s port=%u reason=nftables:%s",
			  addr_str(internal, ibuf), req->internal_port,
			  strerror(-err));
		return PCP_NO_RESOURCES;
	}

	mapping = pcpd_map_commit(&d->table, req, internal, subscriber_id(d, internal),
				  now, dec);
	if (mapping)
		mapping->checkpoint = checkpoint;
	if (mapping && written)
		mapping->elem_expires = now + m.timeout;
	if (mapping && dec->action == PCPD_MAP_CREATE)
		count_mapping(d, subscriber_id(d, internal), 1);
	else if (dec->action == PCPD_MAP_DELETE)
		count_mapping(d, owner, -1);
	log_event("map action=%d internal=%s proto=%u port=%u external_port=%u lifetime=%u checkpoint=%s filters=%u",
		  dec->action, addr_str(internal, ibuf), req->protocol,
		  req->internal_port, dec->external_port, dec->lifetime,
		  checkpoint ? "yes" : "no", dec->n_filters);
	return PCP_SUCCESS;
}

/* Whether a new check-point waits for the backup before it is answered. */
bool sync_wait_wanted(const struct pcpd *d)
{
	return d->cfg.sync_wait_ms && d->replica.path;
}

/*
 * After a MAP succeeded: a check-pointed mapping goes to the replica, and
 * a NEW check-point is unconfirmed until the backup has it.  A client
 * refreshing one of the peer's mappings makes it this node's.
 */
static void replicate(struct pcpd *d, const struct pcp_request *req,
		      const struct in6_addr *source, bool new)
{
	struct pcpd_mapping *m = pcpd_map_lookup(&d->table, source, req->protocol,
						 req->internal_port);

	if (!m)
		return;
	m->standby = false;
	if (new)
		m->unsynced = sync_wait_wanted(d);
	replica_map(d, m);
}

void map_unprotect(struct pcpd *d, struct pcpd_mapping *m, const char *why)
{
	if (!m || !m->checkpoint)
		return;
	ckpt_release(d, m, why);
	replica_unmap(d, m);
	m->checkpoint = false;
	m->unsynced = false;
}

static uint8_t handle_map(struct pcpd *d, const struct pcp_request *req,
			  const struct in6_addr *internal,
			  struct pcp_response *resp)
{
	struct pcpd_mapping old = { 0 }, new = {
		.internal_addr = *internal,
		.protocol = req->protocol,
		.internal_port = req->internal_port,
		.subscriber = subscriber_id(d, internal),
	};
	struct pcpd_map_decision dec;
	bool was, checkpoint;

	pcpd_map_decide(&d->table, req, internal, subscriber_id(d, internal),
			mappings_of(d, subscriber_id(d, internal)), now_seconds(), &dec);
	resp->lifetime = dec.lifetime;
	if (dec.result)
		return dec.result;

	/* The rule goes in before the mapping, so no flow escapes it. */
	was = dec.existing && dec.existing->checkpoint;
	if (dec.existing)
		old = *dec.existing;	/* a delete frees it */
	checkpoint = ckpt_decide(d, req, internal, &dec);
	if (checkpoint && !was)
		checkpoint = ckpt_install(d, req, internal);

	dec.result = apply_map(d, req, internal, &dec, checkpoint);
	if (dec.result) {
		if (checkpoint && !was)	/* nothing changes on an error */
			ckpt_release(d, &new, "mapping failed");
		return dec.result;
	}
	if (was && !checkpoint) {
		ckpt_release(d, &old, dec.action == PCPD_MAP_DELETE ? "deleted" :
			     req->checkpoint ? "policy" : "renewed without the option");
		replica_unmap(d, &old);
	}
	replicate(d, req, internal, checkpoint && !was);
	resp->lifetime = dec.lifetime;
	resp->external_addr = dec.external_addr;
	resp->external_port = dec.external_port;
	resp->prefer_failure = req->prefer_failure;
	resp->filters = req->n_filters > 0;	/* processed, so echoed */
	/* RFC 7767: the option is in the answer only when asked and honoured. */
	resp->checkpoint = checkpoint && req->checkpoint;
	return PCP_SUCCESS;
}

static void answer(int fd, const void *buf, size_t len,
		   const struct sockaddr_storage *peer, socklen_t peer_len)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)peer, peer_len) < 0)
		log_event("send-failed reason=%s", strerror(errno));
}

/* A NAT-PMP (version 0) request: its own UNSUPP_VERSION answer. */
static void answer_natpmp(struct pcpd *d, int fd, const uint8_t *msg,
			  const struct sockaddr_storage *peer, socklen_t plen)
{
	uint8_t out[8] = { 0, (uint8_t)(128 + msg[1]), 0, 1 };
	uint32_t e = htonl(epoch(d));

	memcpy(out + 4, &e, 4);
	answer(fd, out, sizeof(out), peer, plen);
}

/* Is A one of the addresses pcpd listens on or hands out? */
bool nat_own_addr(const struct pcpd *d, const struct in6_addr *a)
{
	struct in6_addr l;
	unsigned int i;

	if (!memcmp(a, &d->cfg.map.external_addr, sizeof(*a)))
		return true;
	for (i = 0; i < d->cfg.n_listen; i++) {
		if (!parse_addr46(d->cfg.listen[i], &l) && !memcmp(a, &l, sizeof(l)))
			return true;
	}
	return false;
}

/*
 * The host a request is for: its sender, or the THIRD_PARTY option's
 * address when the sender is allowed to speak for others (RFC 6887
 * section 13.1; the codec already refused the sender's own address).
 */
static uint8_t third_party(struct pcpd *d, const struct pcp_request *req,
			   const struct in6_addr *source, struct in6_addr *internal)
{
	char sbuf[INET6_ADDRSTRLEN], ibuf[INET6_ADDRSTRLEN];
	const char *why;
	struct in_addr a;

	*internal = *source;
	if (!req->third_party)
		return PCP_SUCCESS;
	if (!pcpd_policy_third_party(&d->cfg.policy, pcpd_key_of(source))) {
		log_event("third-party-refused client=%s reason=\"not a third-party client in the configuration\"",
			  addr_str(source, sbuf));
		return PCP_UNSUPP_OPTION;
	}
	if (!pcp_addr_is_v4mapped(&req->third_party_addr))
		return PCP_UNSUPP_PROTOCOL;	/* only IPv4 NAT so far */
	memcpy(&a, req->third_party_addr.s6_addr + 12, 4);
	if (!pcpd_host_addr(a)) {
		log_event("third-party-refused client=%s internal=%s reason=\"not a host address\"",
			  addr_str(source, sbuf), addr_str(&req->third_party_addr, ibuf));
		return PCP_MALFORMED_REQUEST;
	}
	why = nat_own_addr(d, &req->third_party_addr) ? "one of this NAT's own addresses" :
	      !pcpd_policy_third_party_host(&d->cfg.policy, pcpd_key_of(source),
					    pcpd_key_of(&req->third_party_addr)) ?
	      "not a host this client may map (third-party in the configuration)" : NULL;
	if (why) {
		log_event("third-party-refused client=%s internal=%s reason=\"%s\"",
			  addr_str(source, sbuf), addr_str(&req->third_party_addr, ibuf),
			  why);
		return PCP_NOT_AUTHORIZED;
	}
	*internal = req->third_party_addr;
	log_event("third-party client=%s internal=%s", addr_str(source, sbuf),
		  addr_str(internal, ibuf));
	return PCP_SUCCESS;
}

static void handle_packet(struct pcpd *d, int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	uint8_t msg[PCP_MAX_LEN + 4], out[PCP_MAX_LEN + 4];
	struct pcp_response resp = { 0 };
	struct in6_addr source = { 0 }, internal;
	struct pcp_request req;
	char sbuf[INET6_ADDRSTRLEN];
	ssize_t len;
	int result;
	size_t n;

	len = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&peer, &plen);
	if (len < 0)
		return;
	if (peer.ss_family == AF_INET6) {
		source = ((struct sockaddr_in6 *)&peer)->sin6_addr;
		/* An IPv6 socket serves IPv6: an IPv4-mapped source is forged. */
		if (IN6_IS_ADDR_V4MAPPED(&source))
			return;
	} else if (peer.ss_family == AF_INET) {
		source.s6_addr[10] = source.s6_addr[11] = 0xff;
		memcpy(source.s6_addr + 12, &((struct sockaddr_in *)&peer)->sin_addr, 4);
	} else {
		return;
	}

	if (len >= 2 && msg[0] == 0 && !(msg[1] & 0x80)) {
		answer_natpmp(d, fd, msg, &peer, plen);
		return;
	}

	result = pcp_parse_request(msg, (size_t)len, &source, &req);
	if (result == PCP_DROP)
		return;
	if (result) {
		log_event("refused client=%s result=%s", addr_str(&source, sbuf),
			  pcp_result_name(result));
		n = pcp_build_error(msg, (size_t)len, (uint8_t)result,
				    pcp_error_lifetime((uint8_t)result), epoch(d),
				    false, out);
		answer(fd, out, n, &peer, plen);
		return;
	}

	resp.epoch = epoch(d);
	result = third_party(d, &req, &source, &internal);
	if (!result && req.opcode == PCP_OP_MAP)
		result = handle_map(d, &req, &internal, &resp);
	else if (!result && req.opcode == PCP_OP_PEER)
		result = handle_peer(d, &req, &internal, &resp);
	resp.third_party = req.third_party;

	if (result) {
		log_event("refused client=%s opcode=%u result=%s",
			  addr_str(&source, sbuf), req.opcode, pcp_result_name(result));
		n = pcp_build_error(msg, (size_t)len, (uint8_t)result,
				    result == PCP_NOT_AUTHORIZED ? resp.lifetime :
				    pcp_error_lifetime((uint8_t)result), resp.epoch,
				    true, out);
	} else {
		resp.result = PCP_SUCCESS;
		/* RFC 7767 section 3.2: the backup first, then the answer. */
		if (pending_wanted(d, &req, &internal, &resp)) {
			pending_add(d, &req, &internal, &resp, fd, &peer, plen);
			return;
		}
		n = pcp_build_response(&req, &resp, out);
	}
	answer(fd, out, n, &peer, plen);
}

static int listen_on(struct pcpd *d, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PCP_SERVER_PORT) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(PCP_SERVER_PORT) };
	bool v6 = inet_pton(AF_INET, addr, &sin.sin_addr) != 1;	/* config.c checked */
	int fd, one = 1;

	if (v6)
		inet_pton(AF_INET6, addr, &sin6.sin6_addr);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/*
	 * No SO_REUSEADDR: for UDP it would let a second pcpd bind the same
	 * address and take over this one's table.
	 */
	/*
	 * A pair's virtual address is there only while this node is master;
	 * IP_FREEBIND serves IPv6 sockets too.
	 */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, v6 ? (struct sockaddr *)&sin6 : (struct sockaddr *)&sin,
		 v6 ? sizeof(sin6) : sizeof(sin)) < 0) {
		log_event("start-failed listen=%s port=%u reason=\"%s\"", addr,
			  PCP_SERVER_PORT, strerror(errno));
		close(fd);
		return -1;
	}
	d->fds[d->n_fds].fd = fd;
	d->fds[d->n_fds].events = POLLIN;
	d->n_fds++;
	log_event("listening addr=%s port=%u", addr, PCP_SERVER_PORT);
	return 0;
}

static const struct option options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "status", no_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "syslog", no_argument, NULL, 'S' },
	/* The rest are keys of the configuration file, too. */
	{ "listen", required_argument, NULL, 'k' },
	{ "external", required_argument, NULL, 'k' },
	{ "ports", required_argument, NULL, 'k' },
	{ "lifetime", required_argument, NULL, 'k' },
	{ "quota", required_argument, NULL, 'k' },
	{ "checkpoint-max", required_argument, NULL, 'k' },
	{ "checkpoint-rate", required_argument, NULL, 'k' },
	{ "checkpoint-burst", required_argument, NULL, 'k' },
	{ "syncd", required_argument, NULL, 'k' },
	{ "control", required_argument, NULL, 'k' },
	{ "state", required_argument, NULL, 'k' },
	{ "sync-wait", required_argument, NULL, 'k' },
	{ "port-hold", required_argument, NULL, 'k' },
	{ "outside-interface", required_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 },
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: pcpd [--config FILE] --listen ADDR [--listen ADDR...] --external ADDR\n"
		"            [--ports MIN-MAX] [--lifetime MIN-MAX] [--quota N]\n"
		"            [--checkpoint-max N] [--checkpoint-rate N[/s|/min]]\n"
		"            [--checkpoint-burst N] [--syslog]\n"
		"            [--syncd PATH] [--sync-wait MS] [--control PATH]\n"
		"            [--state FILE] [--port-hold S] [--outside-interface IFNAME...]\n"
		"       pcpd --status [--json] [--config FILE] [--control PATH]\n");
}

/* The options that are not configuration keys; -1 on an unknown one. */
static int parse_modes(struct pcpd *d)
{
	int opt;

	optind = 0;
	while ((opt = getopt_long(d->argc, d->argv, "", options, NULL)) != -1) {
		if (opt == 'c')
			d->config_path = optarg;
		else if (opt == 's')
			d->status = true;
		else if (opt == 'j')
			d->json = true;
		else if (opt == 'S')
			use_syslog = true;
		else if (opt != 'k')
			return -1;
	}
	return optind == d->argc ? 0 : -1;
}

/*
 * A configuration built whole: defaults, then the file, then the command
 * line over it (its --listen and --outside-interface replace the file's).  Used at start and on
 * SIGHUP; -1 with ERR filled in on a mistake.
 */
static int build_config(struct pcpd *d, struct pcpd_config *c, char *err,
			size_t len)
{
	bool listen_seen = false, outside_seen = false;
	int opt, index;

	if (pcpd_config_init(c)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	if (d->config_path && pcpd_config_read(c, d->config_path, err, len))
		return -1;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(d->argc, d->argv, "", options, &index)) != -1) {
		if (opt != 'k')
			continue;
		if (!strcmp(options[index].name, "listen") && !listen_seen) {
			c->n_listen = 0;
			c->listen6 = false;
			listen_seen = true;
		}
		if (!strcmp(options[index].name, "outside-interface") && !outside_seen) {
			c->n_outside = 0;
			outside_seen = true;
		}
		if (pcpd_config_set(c, options[index].name, optarg, err, len))
			return -1;
	}
	return 0;
}

/* SIGHUP: the file and the command line again, applied whole or not at all. */
static void config_reload(struct pcpd *d)
{
	struct pcpd_config new;
	const char *fixed;
	char err[600];

	if (build_config(d, &new, err, sizeof(err))) {
		log_event("reload-failed reason=\"%s\" changed=nothing", err);
		pcpd_config_free(&new);
		return;
	}
	fixed = pcpd_config_fixed_change(&d->cfg, &new);
	if (fixed) {
		log_event("reload-failed key=%s reason=\"%s changes only at a restart\" changed=nothing",
			  fixed, fixed);
		pcpd_config_free(&new);
		return;
	}
	/* The policy moves in whole; d->subs points at d->cfg.policy. */
	pcpd_config_free(&d->cfg);
	d->cfg = new;
	d->table.cfg.lifetime_min = new.map.lifetime_min;
	d->table.cfg.lifetime_max = new.map.lifetime_max;
	d->table.cfg.quota = new.map.quota;
	d->table.cfg.port_hold = new.map.port_hold;
	pcpd_subscribers_reclass(&d->subs);
	log_event("reloaded config=%s classes=%u lifetime=%u-%u quota=%u",
		  d->config_path ? d->config_path : "none", new.policy.n_classes,
		  new.map.lifetime_min, new.map.lifetime_max, new.map.quota);
}

/* SIGINT, SIGTERM and SIGHUP arrive on a signalfd polled with the sockets. */
static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* A signal arrived: whether it says stop. */
static bool handle_signal(struct pcpd *d, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return false;
	if (si.ssi_signo != SIGHUP)
		return true;
	config_reload(d);
	return false;
}

static const char *mode_name(enum pcpd_ckpt_mode mode)
{
	return mode == PCPD_CKPT_ALL ? "all" :
	       mode == PCPD_CKPT_NEVER ? "never" : "on-request";
}

static void log_started(const struct pcpd *d)
{
	const struct pcpd_class *c;
	unsigned int i;

	log_event("started epoch=%u mappings=%u checkpoint=%s config=%s classes=%u",
		  epoch(d), d->table.count, pcpd_ckpt_available(&d->ckpt) ? "yes" : "no",
		  d->config_path ? d->config_path : "none", d->cfg.policy.n_classes);
	for (i = 0; i < d->cfg.policy.n_classes; i++) {
		c = &d->cfg.policy.classes[i];
		log_event("class name=%s checkpoint=%s max=%u interval_ms=%u burst=%u ports=%u members=%u",
			  c->name, mode_name(c->mode), c->limits.max_entries,
			  c->limits.cost_ms, c->limits.burst, c->n_ports, c->n_members);
	}
}

/* Settings from the configuration, then the sockets; -1 if one fails. */
static int open_listeners(struct pcpd *d)
{
	unsigned int i;
	char err[256];

	if (pcpd_config_check(&d->cfg, err, sizeof(err))) {
		log_event("start-failed reason=\"%s\"", err);
		return -1;
	}
	/* By name: one that comes later is guarded from then on. */
	for (i = 0; d->cfg.listen6 && i < d->cfg.n_outside; i++) {
		if (!if_nametoindex(d->cfg.outside[i]))
			log_event("outside-interface-missing name=%s reason=\"no such interface yet: nothing coming in on it is dropped until it exists\"",
				  d->cfg.outside[i]);
	}
	replica_init(d, d->cfg.syncd[0] ? d->cfg.syncd : NULL);
	d->subs.policy = &d->cfg.policy;
	for (i = 0; i < d->cfg.n_listen; i++) {
		if (listen_on(d, d->cfg.listen[i]))
			return -1;
	}
	return 0;
}

/* The poll timeout: the nearer of two (-1: none), at most a second. */
static int min_wait(int a, int b)
{
	if (a < 0 || (b >= 0 && b < a))
		a = b;
	return a < 0 || a > 1000 ? 1000 : a;
}

static void on_flow_synced(void *arg, const struct pcpd_ckpt_flow *cf)
{
	struct pcpd_peer *peer = peer_of_flow(arg, cf);

	if (peer && peer->unsynced)
		peer->unsynced = false;
}

/* nf_ckpt says the backup holds connections: their answers may go. */
static void read_sync(struct pcpd *d)
{
	int err = pcpd_ckpt_sync_read(&d->ckpt, on_flow_synced, d);

	if (err)
		log_event("sync-notifications-failed reason=\"%s\"", strerror(-err));
	/* Some were lost: what the waiting answers wait for is read instead. */
	if (err == -ENOBUFS)
		pending_recheck_peers(d);
	else
		pending_confirmed(d);
}

/* Sync notifications, when PEER answers wait for the backup. */
static void open_sync(struct pcpd *d)
{
	d->sync_fd = -1;
	if (!d->replica.path || !pcpd_ckpt_available(&d->ckpt))
		return;
	d->sync_fd = pcpd_ckpt_sync_open(&d->ckpt);
	if (d->sync_fd < 0)
		log_event("sync-notifications-unavailable reason=\"%s\"",
			  strerror(-d->sync_fd));
}

/* The daemon's loop, until SIGINT or SIGTERM. */
static void serve(struct pcpd *d, int sfd)
{
	uint64_t last_expiry = 0;
	bool stopping = false;
	unsigned int i;
	int wait;

	d->fds[d->n_fds].fd = sfd;
	d->fds[d->n_fds].events = POLLIN;
	d->fds[d->n_fds + 3].fd = d->sync_fd;
	d->fds[d->n_fds + 3].events = POLLIN;
	while (!stopping) {
		replica_poll(d, now_ms());
		wait = min_wait(announce_poll(d, now_ms()), pending_poll(d, now_ms()));
		d->fds[d->n_fds + 1].fd = d->replica.fd;
		d->fds[d->n_fds + 1].events = POLLIN;
		d->fds[d->n_fds + 1].revents = 0;
		d->fds[d->n_fds + 2].fd = d->control_fd;
		d->fds[d->n_fds + 2].events = POLLIN;
		if (poll(d->fds, d->n_fds + 4, wait) < 0 && errno != EINTR)
			break;
		if (d->sync_fd >= 0 && d->fds[d->n_fds + 3].revents)
			read_sync(d);
		for (i = 0; i < d->n_fds; i++) {
			if (d->fds[i].revents & POLLIN)
				handle_packet(d, d->fds[i].fd);
		}
		if (d->replica.fd >= 0 && d->fds[d->n_fds + 1].revents)
			replica_input(d);
		if (d->fds[d->n_fds + 2].revents & POLLIN)
			control_serve(d, d->control_fd);
		if (d->fds[d->n_fds].revents & POLLIN)
			stopping = handle_signal(d, sfd);
		/* Once a second: a walk of every mapping costs. */
		if (now_seconds() != last_expiry) {
			last_expiry = now_seconds();
			pcpd_map_expire(&d->table, last_expiry, on_expired, d);
			peers_expire(d, last_expiry);
			pcpd_subscribers_gc(&d->subs, now_ms());
		}
	}
}

/*
 * Stopping ends every mapping: their rules go with them.  With a state
 * file they are saved first, and the peer keeps its standby copies: the
 * feed closes before the mappings end, so no "unmap" reaches it.
 */
static void stop(struct pcpd *d)
{
	log_event("stopping mappings=%u", d->table.count);
	if (d->cfg.state[0] && !state_save(d))
		replica_close(d);
	d->stopping = true;
	pcpd_map_expire(&d->table, UINT64_MAX, on_expired, d);
	peers_expire(d, UINT64_MAX);
	replica_close(d);
}

int main(int argc, char **argv)
{
	static struct pcpd d = { .control_fd = -1, .state_lock_fd = -1 };
	char err[600], outside[PCPD_MAX_OUTSIDE * (IFNAMSIZ + 4)];
	const char *outside6 = NULL;
	unsigned int i;
	int sfd, ret = 1;

	d.start = now_seconds();
	d.argc = argc;
	d.argv = argv;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_usage(stdout);
		return 0;
	}
	if (parse_modes(&d)) {
		print_usage(stderr);
		return 2;
	}
	if (use_syslog)
		openlog("pcpd", LOG_PID, LOG_DAEMON);
	if (build_config(&d, &d.cfg, err, sizeof(err))) {
		fprintf(stderr, "pcpd: %s\n", err);
		pcpd_config_free(&d.cfg);
		return 2;
	}
	if (d.status) {
		ret = ctl_request("pcpd", d.cfg.control,
				  d.json ? "status-json" : "status", 10, NULL, 0);
		pcpd_config_free(&d.cfg);
		return ret;
	}
	signal(SIGPIPE, SIG_IGN);	/* a control client that went away */
	sfd = signals_open();
	if (sfd < 0) {
		perror("pcpd: signals");
		goto free_config;
	}
	/* Before the table: a second pcpd must not replace the first's. */
	d.control_fd = ctl_listen(d.cfg.control);
	if (d.control_fd < 0) {
		log_event("start-failed control=%s reason=\"%s\"", d.cfg.control,
			  d.control_fd == -EADDRINUSE ? "another pcpd answers there" :
			  strerror(-d.control_fd));
		goto close_signals;
	}
	if (open_listeners(&d) || (d.cfg.state[0] && state_lock(&d)) ||
	    pcpd_map_table_init(&d.table, &d.cfg.map))
		goto close_sockets;
	if (pcpd_nft_open(&d.nft))
		goto free_table;
	outside6 = d.cfg.listen6 ?
		   pcpd_config_outside_list(&d.cfg, outside, sizeof(outside)) : NULL;
	if (pcpd_nft_setup(&d.nft, outside6)) {
		log_event("start-failed reason=\"nftables: cannot set up pcpd's tables (the error is on standard error)\"");
		goto close_nft;
	}
	if (pcpd_peers_open(&d.peers)) {
		log_event("start-failed reason=\"conntrack: %s\"", strerror(errno));
		goto teardown_nft;
	}
	if (pcpd_ckpt_open(&d.ckpt))
		log_event("checkpoint-unavailable reason=\"no nf_ckpt family in this namespace\"");
	open_sync(&d);
	/* A restart that lost mappings says so (RFC 6887 section 14.1.3). */
	if (!d.cfg.state[0] || !state_restore(&d))
		announce_start(&d);
	log_started(&d);
	serve(&d, sfd);
	pending_flush(&d);
	stop(&d);
	ret = 0;
	pcpd_ckpt_close(&d.ckpt);
	pcpd_peers_close(&d.peers);
teardown_nft:
	pcpd_nft_teardown(&d.nft, outside6);
close_nft:
	pcpd_nft_close(&d.nft);
free_table:
	pcpd_map_table_free(&d.table);
close_sockets:
	pcpd_subscribers_free(&d.subs);
	for (i = 0; i < d.n_fds; i++)
		close(d.fds[i].fd);
	if (d.control_fd >= 0) {
		close(d.control_fd);
		unlink(d.cfg.control);
	}
	if (d.state_lock_fd >= 0)
		close(d.state_lock_fd);
close_signals:
	close(sfd);
free_config:
	pcpd_config_free(&d.cfg);
	return ret;
}
