// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: a PCP server (RFC 6887) for Linux NAT, honouring RFC 7767's
 * CHECKPOINT_REQUIRED.  This first version serves ANNOUNCE and MAP on
 * the addresses it is told to listen on, installs mappings in nftables,
 * and expires them.  See pcpd(8) and Documentation/design.md.
 *
 *   pcpd --listen ADDR [--listen ADDR...] --external ADDR
 *        [--ports MIN-MAX] [--lifetime MIN-MAX] [--quota N]
 *        [--checkpoint-max N] [--checkpoint-rate N[/min]] [--checkpoint-burst N]
 *        [--syncd CONTROL-SOCKET] [--control PATH]
 *   pcpd --status [--json] [--control PATH]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "pcpd.h"
#include "util.h"

/* SIGINT and SIGTERM arrive on a signalfd polled with the sockets. */
static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

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

/* One log line, "pcpd: event key=value ...", to stderr. */
void log_event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pcpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
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
	return (uint32_t)(now_seconds() - d->start);
}

/* A subscriber is its IPv4 address (an IPv4-mapped INTERNAL). */
uint32_t subscriber_id(const struct in6_addr *internal)
{
	uint32_t a;

	memcpy(&a, internal->s6_addr + 12, 4);
	return ntohl(a);
}

struct pcpd_ckpt_rule ckpt_rule(const struct pcpd_mapping *m)
{
	struct pcpd_ckpt_rule r = {
		.protocol = m->protocol,
		.internal_port = m->internal_port,
		.owner = m->subscriber,
	};

	memcpy(&r.internal_addr, m->internal_addr.s6_addr + 12, 4);
	return r;
}

/* The rule of a check-pointed mapping going away, or no longer wanted. */
void ckpt_release(struct pcpd *d, const struct pcpd_mapping *m,
		  const char *why)
{
	struct pcpd_ckpt_rule r = ckpt_rule(m);
	struct pcpd_subscriber *sub;
	char ibuf[INET6_ADDRSTRLEN];
	const char *msg = NULL;
	int err;

	err = pcpd_ckpt_rule_del(&d->ckpt, &r, &msg);
	if (err)
		log_event("checkpoint-release-failed internal=%s port=%u reason=\"%s\"",
			  addr_str(&m->internal_addr, ibuf), m->internal_port,
			  msg ? msg : strerror(-err));
	sub = pcpd_subscriber_get(&d->subs, m->subscriber, now_ms());
	if (sub && sub->checkpointed)
		sub->checkpointed--;
	log_event("checkpoint-released internal=%s proto=%u port=%u why=%s",
		  addr_str(&m->internal_addr, ibuf), m->protocol,
		  m->internal_port, why);
}

/* A subscriber's MAP mappings, counted against --quota. */
void count_mapping(struct pcpd *d, uint32_t subscriber, int delta)
{
	struct pcpd_subscriber *sub = pcpd_subscriber_get(&d->subs, subscriber,
							  now_ms());

	if (sub && (delta > 0 || sub->mappings))
		sub->mappings += (unsigned int)delta;
}

/* What --quota counts: MAP mappings and PEER connections. */
unsigned int mappings_of(struct pcpd *d, uint32_t subscriber)
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
 * Whether a new check-point for INTERNAL's PORT may start: nf_ckpt is
 * there, and the subscriber's quota and rate allow one.  A refusal is
 * logged with its reason.
 */
bool ckpt_policy(struct pcpd *d, const struct in6_addr *internal,
		 uint16_t port)
{
	struct pcpd_subscriber *sub;
	enum pcpd_ckpt_verdict v;
	char ibuf[INET6_ADDRSTRLEN];

	if (!pcpd_ckpt_available(&d->ckpt)) {
		log_event("checkpoint-refused internal=%s port=%u reason=\"nf_ckpt is not loaded\"",
			  addr_str(internal, ibuf), port);
		return false;
	}
	sub = pcpd_subscriber_get(&d->subs, subscriber_id(internal), now_ms());
	v = sub ? pcpd_subscriber_ckpt(&d->subs.policy, sub, now_ms()) :
		  PCPD_CKPT_POLICY;
	if (v != PCPD_CKPT_GRANT) {
		log_event("checkpoint-refused internal=%s port=%u reason=%s",
			  addr_str(internal, ibuf), port, pcpd_ckpt_verdict_name(v));
		return false;
	}
	return true;
}

/*
 * Whether the mapping REQ creates or refreshes may be check-pointed: the
 * client asked, and the policy allows a new one (a mapping already
 * check-pointed keeps its place).
 */
static bool ckpt_decide(struct pcpd *d, const struct pcp_request *req,
			const struct in6_addr *internal,
			const struct pcpd_map_decision *dec)
{
	if (!req->checkpoint || dec->action == PCPD_MAP_DELETE ||
	    dec->action == PCPD_MAP_NONE)
		return false;
	if (dec->action == PCPD_MAP_REFRESH && dec->existing->checkpoint)
		return true;
	return ckpt_policy(d, internal, req->internal_port);
}

/* Put the rule in nf_ckpt for a newly check-pointed mapping. */
static bool ckpt_install(struct pcpd *d, const struct pcp_request *req,
			 const struct in6_addr *internal)
{
	struct pcpd_mapping m = {
		.internal_addr = *internal,
		.protocol = req->protocol,
		.internal_port = req->internal_port,
		.subscriber = subscriber_id(internal),
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

static struct pcpd_nft_mapping nft_mapping(const struct pcp_request *req,
					   const struct in6_addr *internal,
					   const struct pcpd_map_decision *dec)
{
	struct pcpd_nft_mapping m = { 0 };

	m.protocol = req->protocol;
	memcpy(&m.external_addr, dec->external_addr.s6_addr + 12, 4);
	m.external_port = dec->external_port;
	memcpy(&m.internal_addr, internal->s6_addr + 12, 4);
	m.internal_port = req->internal_port;
	m.timeout = elem_timeout(dec->lifetime);
	return m;
}

/* The element of a mapping that expired; at stop, the table goes whole. */
void nft_forget(struct pcpd *d, const struct pcpd_mapping *m)
{
	struct pcpd_nft_mapping e = {
		.protocol = m->protocol,
		.external_port = m->external_port,
		.internal_port = m->internal_port,
	};
	char ibuf[INET6_ADDRSTRLEN];
	int err;

	if (d->stopping)
		return;
	memcpy(&e.external_addr, m->external_addr.s6_addr + 12, 4);
	memcpy(&e.internal_addr, m->internal_addr.s6_addr + 12, 4);
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
	struct pcpd_mapping *mapping;
	struct pcpd_nft_mapping m = nft_mapping(req, internal, dec);
	uint64_t now = now_seconds();
	char ibuf[INET6_ADDRSTRLEN];
	bool written = false;
	uint32_t owner;
	int err = 0;

	/* The subscriber charged: a deleted mapping's, which may be the peer's. */
	owner = dec->existing ? dec->existing->subscriber : subscriber_id(internal);
	switch (dec->action) {
	case PCPD_MAP_CREATE:
		err = pcpd_nft_add(&d->nft, &m, false);
		written = true;
		break;
	case PCPD_MAP_REFRESH:
		/* Most renewals fall within the element's longer timeout. */
		if (now + dec->lifetime <= dec->existing->elem_expires)
			break;
		err = pcpd_nft_add(&d->nft, &m, true);
		written = true;
		break;
	case PCPD_MAP_DELETE:
		/* The element is keyed by the mapping's external side. */
		memcpy(&m.external_addr, dec->existing->external_addr.s6_addr + 12, 4);
		m.external_port = dec->existing->external_port;
		err = pcpd_nft_del(&d->nft, &m);
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

	mapping = pcpd_map_commit(&d->table, req, internal, subscriber_id(internal),
				  now, dec);
	if (mapping)
		mapping->checkpoint = checkpoint;
	if (mapping && written)
		mapping->elem_expires = now + m.timeout;
	if (mapping && dec->action == PCPD_MAP_CREATE)
		count_mapping(d, subscriber_id(internal), 1);
	else if (dec->action == PCPD_MAP_DELETE)
		count_mapping(d, owner, -1);
	log_event("map action=%d internal=%s proto=%u port=%u external_port=%u lifetime=%u checkpoint=%s",
		  dec->action, addr_str(internal, ibuf), req->protocol,
		  req->internal_port, dec->external_port, dec->lifetime,
		  checkpoint ? "yes" : "no");
	return PCP_SUCCESS;
}

/*
 * After a MAP succeeded: a check-pointed mapping goes to the replica.  A
 * client refreshing one of the peer's mappings makes it this node's.
 */
static void replicate(struct pcpd *d, const struct pcp_request *req,
		      const struct in6_addr *source)
{
	struct pcpd_mapping *m = pcpd_map_lookup(&d->table, source, req->protocol,
						 req->internal_port);

	if (!m)
		return;
	m->standby = false;
	replica_map(d, m);
}

static uint8_t handle_map(struct pcpd *d, const struct pcp_request *req,
			  const struct in6_addr *source,
			  struct pcp_response *resp)
{
	struct pcpd_mapping old = { 0 }, new = {
		.internal_addr = *source,
		.protocol = req->protocol,
		.internal_port = req->internal_port,
		.subscriber = subscriber_id(source),
	};
	struct pcpd_map_decision dec;
	bool was, checkpoint;

	/* Not enforced yet, so refused: never accepted and ignored. */
	if (req->third_party || req->n_filters)
		return PCP_UNSUPP_OPTION;
	/* Only IPv4 NAT so far. */
	if (!pcp_addr_is_v4mapped(source))
		return PCP_UNSUPP_PROTOCOL;

	pcpd_map_decide(&d->table, req, source, subscriber_id(source),
			mappings_of(d, subscriber_id(source)), now_seconds(), &dec);
	resp->lifetime = dec.lifetime;
	if (dec.result)
		return dec.result;

	/* The rule goes in before the mapping, so no flow escapes it. */
	was = dec.existing && dec.existing->checkpoint;
	if (dec.existing)
		old = *dec.existing;	/* a delete frees it */
	checkpoint = ckpt_decide(d, req, source, &dec);
	if (checkpoint && !was)
		checkpoint = ckpt_install(d, req, source);

	dec.result = apply_map(d, req, source, &dec, checkpoint);
	if (dec.result) {
		if (checkpoint && !was)	/* nothing changes on an error */
			ckpt_release(d, &new, "mapping failed");
		return dec.result;
	}
	if (was && !checkpoint) {
		ckpt_release(d, &old, dec.action == PCPD_MAP_DELETE ?
			     "deleted" : "renewed without the option");
		replica_unmap(d, &old);
	}
	replicate(d, req, source);
	resp->lifetime = dec.lifetime;
	resp->external_addr = dec.external_addr;
	resp->external_port = dec.external_port;
	resp->prefer_failure = req->prefer_failure;
	/* RFC 7767: the option is in the answer only when honoured. */
	resp->checkpoint = checkpoint;
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

static void handle_packet(struct pcpd *d, int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	uint8_t msg[PCP_MAX_LEN + 4], out[PCP_MAX_LEN + 4];
	struct pcp_response resp = { 0 };
	struct in6_addr source = { 0 };
	struct pcp_request req;
	char sbuf[INET6_ADDRSTRLEN];
	ssize_t len;
	int result;
	size_t n;

	len = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&peer, &plen);
	if (len < 0 || peer.ss_family != AF_INET)
		return;
	source.s6_addr[10] = source.s6_addr[11] = 0xff;
	memcpy(source.s6_addr + 12, &((struct sockaddr_in *)&peer)->sin_addr, 4);

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
	if (req.opcode == PCP_OP_MAP)
		result = handle_map(d, &req, &source, &resp);
	else if (req.opcode == PCP_OP_PEER)
		result = handle_peer(d, &req, &source, &resp);

	if (result) {
		log_event("refused client=%s opcode=%u result=%s",
			  addr_str(&source, sbuf), req.opcode, pcp_result_name(result));
		n = pcp_build_error(msg, (size_t)len, (uint8_t)result,
				    result == PCP_NOT_AUTHORIZED ? resp.lifetime :
				    pcp_error_lifetime((uint8_t)result), resp.epoch,
				    true, out);
	} else {
		resp.result = PCP_SUCCESS;
		n = pcp_build_response(&req, &resp, out);
	}
	answer(fd, out, n, &peer, plen);
}

static int listen_on(struct pcpd *d, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PCP_SERVER_PORT) };
	int fd, one = 1;

	if (d->n_fds == MAX_LISTEN || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "pcpd: cannot listen on '%s': not an IPv4 address, or too many\n",
			addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/*
	 * No SO_REUSEADDR: for UDP it would let a second pcpd bind the same
	 * address and take over this one's table.
	 */
	/* A pair's virtual address is there only while this node is master. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "pcpd: cannot listen on %s:%u: %s\n", addr,
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

static int parse_range(const char *s, unsigned long *lo, unsigned long *hi)
{
	char *end;

	*lo = strtoul(s, &end, 10);
	if (*end != '-')
		return -1;
	*hi = strtoul(end + 1, &end, 10);
	return *end || *lo > *hi ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct pcpd *d,
		      struct pcpd_map_config *cfg)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "external", required_argument, NULL, 'e' },
		{ "ports", required_argument, NULL, 'p' },
		{ "lifetime", required_argument, NULL, 't' },
		{ "quota", required_argument, NULL, 'q' },
		{ "checkpoint-max", required_argument, NULL, 'M' },
		{ "checkpoint-rate", required_argument, NULL, 'R' },
		{ "checkpoint-burst", required_argument, NULL, 'B' },
		{ "syncd", required_argument, NULL, 'S' },
		{ "control", required_argument, NULL, 'C' },
		{ "status", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long lo, hi;
	bool external = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (listen_on(d, optarg))
				return -1;
			break;
		case 'e':
			cfg->external_addr.s6_addr[10] = 0xff;
			cfg->external_addr.s6_addr[11] = 0xff;
			if (inet_pton(AF_INET, optarg, cfg->external_addr.s6_addr + 12) != 1)
				goto usage;
			external = true;
			break;
		case 'p':
			if (parse_range(optarg, &lo, &hi) || !lo || hi > 65535)
				goto usage;
			cfg->port_min = (uint16_t)lo;
			cfg->port_max = (uint16_t)hi;
			break;
		case 't':
			if (parse_range(optarg, &lo, &hi) || !lo || hi > UINT32_MAX)
				goto usage;
			cfg->lifetime_min = (uint32_t)lo;
			cfg->lifetime_max = (uint32_t)hi;
			break;
		case 'q':
			if (parse_number(optarg, UINT32_MAX, &lo))
				goto usage;
			cfg->quota = (unsigned int)lo;
			break;
		case 'M':
			if (parse_number(optarg, 1u << 20, &lo))
				goto usage;
			d->subs.policy.max_entries = (unsigned int)lo;
			break;
		case 'R':
			if (pcpd_parse_rate(optarg, &d->subs.policy.cost_ms))
				goto usage;
			break;
		case 'B':
			if (parse_number(optarg, 1u << 20, &lo))
				goto usage;
			d->subs.policy.burst = (unsigned int)lo;
			break;
		case 'S':
			replica_init(d, optarg);
			break;
		case 'C':
			d->control_path = optarg;
			break;
		case 's':
			d->status = true;
			break;
		case 'j':
			d->json = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc && d->status && !d->n_fds && !external)
		return 0;
	if (optind == argc && d->n_fds && external && !d->status && !d->json)
		return 0;
usage:
	fprintf(stderr, "usage: pcpd --listen ADDR [--listen ADDR...] --external ADDR\n"
		"            [--ports MIN-MAX] [--lifetime MIN-MAX] [--quota N]\n"
		"            [--checkpoint-max N] [--checkpoint-rate N[/min]] [--checkpoint-burst N]\n"
		"            [--syncd CONTROL-SOCKET] [--control PATH]\n"
		"       pcpd --status [--json] [--control PATH]\n");
	return -1;
}

int main(int argc, char **argv)
{
	struct pcpd_map_config cfg = {
		.port_min = 1024, .port_max = 65535,
		.lifetime_min = 120, .lifetime_max = 86400, .quota = 64,
	};
	static struct pcpd d;
	bool stopping = false;
	unsigned int i;
	uint64_t last_expiry = 0;
	int sfd, wait, ret = 1;

	d.start = now_seconds();
	d.control_path = "/run/pcpd.sock";
	replica_init(&d, NULL);
	d.subs.policy = (struct pcpd_ckpt_policy){
		.max_entries = 16, .cost_ms = 100, .burst = 20,
	};
	if (parse_args(argc, argv, &d, &cfg))
		return 2;
	if (d.status)
		return ctl_request("pcpd", d.control_path,
				   d.json ? "status-json" : "status");
	signal(SIGPIPE, SIG_IGN);	/* a control client that went away */
	sfd = signals_open();
	if (sfd < 0) {
		perror("pcpd: signals");
		return 1;
	}
	d.fds[d.n_fds].fd = sfd;
	d.fds[d.n_fds].events = POLLIN;
	/* Before the table: a second pcpd must not replace the first's. */
	d.control_fd = ctl_listen(d.control_path);
	if (d.control_fd < 0) {
		log_event("start-failed control=%s reason=\"%s\"", d.control_path,
			  d.control_fd == -EADDRINUSE ? "another pcpd answers there" :
			  strerror(-d.control_fd));
		return 1;
	}
	if (pcpd_map_table_init(&d.table, &cfg) || pcpd_nft_open(&d.nft))
		return 1;
	if (pcpd_nft_setup(&d.nft))
		goto close;
	if (pcpd_peers_open(&d.peers)) {
		log_event("start-failed reason=\"conntrack: %s\"", strerror(errno));
		goto close;
	}
	if (pcpd_ckpt_open(&d.ckpt))
		log_event("checkpoint-unavailable reason=\"no nf_ckpt family in this namespace\"");
	log_event("started epoch=0 mappings=0 checkpoint=%s max=%u interval_ms=%u burst=%u",
		  pcpd_ckpt_available(&d.ckpt) ? "yes" : "no",
		  d.subs.policy.max_entries, d.subs.policy.cost_ms,
		  d.subs.policy.burst);

	/* A restart may have lost mappings: say so (RFC 6887 section 14.1.3). */
	announce_start(&d);
	while (!stopping) {
		replica_poll(&d, now_ms());
		wait = announce_poll(&d, now_ms());
		if (wait < 0 || wait > 1000)
			wait = 1000;
		d.fds[d.n_fds + 1].fd = d.replica.fd;
		d.fds[d.n_fds + 1].events = POLLIN;
		d.fds[d.n_fds + 1].revents = 0;
		d.fds[d.n_fds + 2].fd = d.control_fd;
		d.fds[d.n_fds + 2].events = POLLIN;
		if (poll(d.fds, d.n_fds + 3, wait) < 0 && errno != EINTR)
			break;
		for (i = 0; i < d.n_fds; i++) {
			if (d.fds[i].revents & POLLIN)
				handle_packet(&d, d.fds[i].fd);
		}
		if (d.replica.fd >= 0 && d.fds[d.n_fds + 1].revents)
			replica_input(&d);
		if (d.fds[d.n_fds + 2].revents & POLLIN)
			control_serve(&d, d.control_fd);
		stopping = d.fds[d.n_fds].revents & POLLIN;
		/* Once a second: a walk of every mapping costs. */
		if (now_seconds() != last_expiry) {
			last_expiry = now_seconds();
			pcpd_map_expire(&d.table, last_expiry, on_expired, &d);
			peers_expire(&d, last_expiry);
			pcpd_subscribers_gc(&d.subs, now_ms());
		}
	}
	ret = 0;
	log_event("stopping mappings=%u", d.table.count);
	d.stopping = true;
	/* Stopping ends every mapping: their rules go with them. */
	pcpd_map_expire(&d.table, UINT64_MAX, on_expired, &d);
	peers_expire(&d, UINT64_MAX);
	replica_close(&d);
	pcpd_nft_teardown(&d.nft);
close:
	pcpd_ckpt_close(&d.ckpt);
	pcpd_peers_close(&d.peers);
	pcpd_subscribers_free(&d.subs);
	pcpd_nft_close(&d.nft);
	pcpd_map_table_free(&d.table);
	for (i = 0; i <= d.n_fds; i++)
		close(d.fds[i].fd);
	if (d.control_fd > 0) {
		close(d.control_fd);
		unlink(d.control_path);
	}
	return ret;
}
