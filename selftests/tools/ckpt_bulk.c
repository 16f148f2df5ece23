// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_bulk: many conntrack entries, flags and rules at once, for the
 * selftests and benchmarks that need 100 000 of them.  Requests are sent
 * in batches (many netlink messages per sendmsg) and every one is
 * acknowledged; the rate is printed.
 *
 *   ckpt_bulk inject N        N UDP conntrack entries 198.18.a.b:p -> 198.19.0.1:9
 *   ckpt_bulk inject-flagged N
 *                             the same with mark bit 31 set, as nf_ckpt's
 *                             flag (for ckpt-syncd-nockpt)
 *   ckpt_bulk set N [K]       flag those N entries (owner 1), K tuples a message
 *   ckpt_bulk clear N [K]     clear their flags, K tuples a message
 *   ckpt_bulk report N [K]    report them held by the peer (SYNC_SET
 *                             done), K tuples a message
 *   ckpt_bulk get N           look each of them up through ctnetlink
 *                             (IPCTNL_MSG_CT_GET, one a message, answered
 *                             with the whole entry, not acknowledged):
 *                             what ckpt-syncd-nockpt sends in place of
 *                             sync reports
 *   ckpt_bulk rules N         N endpoint rules, UDP 198.18.a.b:p
 *   ckpt_bulk latency N       flag those N entries one at a time, 10 ms
 *                             apart, each time waiting for nf_ckpt to say
 *                             the peer holds it (sync done); the p50 and
 *                             p99 of that wait
 *   ckpt_bulk events S        count the conntrack events an unfiltered
 *                             listener is sent in S seconds (what
 *                             conntrackd reads), and the overruns
 *
 * Entry i has source 198.18.0.0 + i / 60000 as address and 1024 + i % 60000
 * as port, so N may reach millions.  Exit 0 if every request succeeded.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/nf_ckpt.h>

#include "nlfamily.h"

#define BATCH_BYTES	(64 * 1024)
#define MSG_ROOM	4096	/* the most one request takes */
#define MAX_PER_MSG	64	/* tuples of 44 octets a request */
#define PORTS		60000

struct bulk {
	struct mnl_socket *nl;
	unsigned int portid;
	uint32_t seq;
	uint16_t family;	/* nf_ckpt's id, for genl requests */
	uint32_t sync_group;	/* its multicast group of sync changes */
	unsigned long base;	/* run(): the first item's index */
	char *buf;
	size_t used;
	unsigned int pending;
	unsigned long failed;
};

/* Build the request for items FIRST to FIRST + COUNT - 1. */
typedef void (*build_fn)(struct bulk *b, struct nlmsghdr *nlh,
			 unsigned long first, unsigned long count);

static void entry_tuple(unsigned long i, uint32_t *src, uint16_t *sport)
{
	*src = htonl((198u << 24 | 18u << 16) + (uint32_t)(i / PORTS));
	*sport = htons((uint16_t)(1024 + i % PORTS));
}

static int on_ack(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct bulk *b = data;

	b->pending--;
	if (err->error) {
		if (b->failed++ < 3)
			fprintf(stderr, "ckpt_bulk: request %u: %s\n",
				err->msg.nlmsg_seq, strerror(-err->error));
	}
	return MNL_CB_OK;
}

/* An answer that is not an acknowledgement: a lookup's entry. */
static int on_answer(const struct nlmsghdr *nlh, void *data)
{
	struct bulk *b = data;

	(void)nlh;
	b->pending--;
	return MNL_CB_OK;
}

/*
 * Send the batch and read one answer per request in it: an
 * acknowledgement, or (get) the entry.
 */
static int flush(struct bulk *b)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_ack };
	char rx[MNL_SOCKET_BUFFER_SIZE * 4];
	ssize_t n;

	if (!b->used)
		return 0;
	if (mnl_socket_sendto(b->nl, b->buf, b->used) < 0) {
		perror("ckpt_bulk: send");
		return -1;
	}
	b->used = 0;

	while (b->pending) {
		n = mnl_socket_recvfrom(b->nl, rx, sizeof(rx));
		if (n < 0) {
			perror("ckpt_bulk: receive");
			return -1;
		}
		/* Errors are counted by on_ack; keep reading past them. */
		mnl_cb_run2(rx, (size_t)n, 0, b->portid, on_answer, b, ctl,
			    NLMSG_MIN_TYPE);
	}
	return 0;
}

static struct nlmsghdr *next_msg(struct bulk *b)
{
	struct nlmsghdr *nlh;

	if (b->used + MSG_ROOM > BATCH_BYTES && flush(b))
		return NULL;
	nlh = mnl_nlmsg_put_header(b->buf + b->used);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++b->seq;
	return nlh;
}

static void commit_msg(struct bulk *b, struct nlmsghdr *nlh)
{
	b->used += nlh->nlmsg_len;
	b->pending++;
}

static uint32_t inject_mark;	/* inject-flagged: the flag's bit */

/*
 * A ctnetlink request of type MSG about entry I: its header and tuple, in
 * a conntrack object the caller may add to, then builds into NLH.
 */
static struct nf_conntrack *entry_request(struct nlmsghdr *nlh,
					  unsigned long i, uint8_t msg)
{
	struct nf_conntrack *ct = nfct_new();
	struct nfgenmsg *nfg;
	uint16_t sport;
	uint32_t src;

	entry_tuple(i, &src, &sport);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;

	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(198u << 24 | 19u << 16 | 1));
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, sport);
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(9));
	return ct;
}

static void build_inject(struct bulk *b, struct nlmsghdr *nlh,
			 unsigned long i, unsigned long count)
{
	struct nf_conntrack *ct = entry_request(nlh, i, IPCTNL_MSG_CT_NEW);

	(void)b;
	(void)count;	/* ctnetlink creates one entry a message */
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 3600);
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_CONFIRMED | IPS_ASSURED);
	if (inject_mark)
		nfct_set_attr_u32(ct, ATTR_MARK, inject_mark);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
}

static void build_get(struct bulk *b, struct nlmsghdr *nlh,
		      unsigned long i, unsigned long count)
{
	struct nf_conntrack *ct = entry_request(nlh, i, IPCTNL_MSG_CT_GET);

	(void)b;
	(void)count;	/* ctnetlink looks up one entry a message */
	nlh->nlmsg_flags &= ~NLM_F_ACK;	/* the entry, or an error, answers */
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
}

static void put_genl(struct bulk *b, struct nlmsghdr *nlh, uint8_t cmd)
{
	struct genlmsghdr *g;

	nlh->nlmsg_type = b->family;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = NF_CKPT_FAMILY_VERSION;
}

static void put_tuple(struct nlmsghdr *nlh, unsigned long i)
{
	struct nlattr *nest;
	uint16_t sport;
	uint32_t src;

	entry_tuple(i, &src, &sport);
	nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
	mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, IPPROTO_UDP);
	mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_SRC_V4, src);
	mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_DST_V4,
			 htonl(198u << 24 | 19u << 16 | 1));
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_PORT, sport);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_DST_PORT, htons(9));
	mnl_attr_nest_end(nlh, nest);
}

/* A request of command CMD for tuples FIRST to FIRST + COUNT - 1. */
static void put_tuples(struct bulk *b, struct nlmsghdr *nlh, uint8_t cmd,
		       unsigned long first, unsigned long count)
{
	unsigned long i;

	put_genl(b, nlh, cmd);
	for (i = first; i < first + count; i++)
		put_tuple(nlh, i);
}

static void build_set(struct bulk *b, struct nlmsghdr *nlh,
		      unsigned long first, unsigned long count)
{
	put_tuples(b, nlh, NF_CKPT_CMD_FLAG_SET, first, count);
	mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, 1);
}

static void build_clear(struct bulk *b, struct nlmsghdr *nlh,
			unsigned long first, unsigned long count)
{
	put_tuples(b, nlh, NF_CKPT_CMD_FLAG_CLEAR, first, count);
}

static void build_report(struct bulk *b, struct nlmsghdr *nlh,
			 unsigned long first, unsigned long count)
{
	put_tuples(b, nlh, NF_CKPT_CMD_SYNC_SET, first, count);
	mnl_attr_put_u8(nlh, NF_CKPT_A_SYNC, NF_CKPT_SYNC_DONE);
}

static void build_rule(struct bulk *b, struct nlmsghdr *nlh,
		       unsigned long i, unsigned long count)
{
	struct nlattr *nest;
	uint16_t sport;
	uint32_t src;

	(void)count;	/* one rule a message */
	entry_tuple(i, &src, &sport);
	put_genl(b, nlh, NF_CKPT_CMD_RULE_ADD);
	nest = mnl_attr_nest_start(nlh, NF_CKPT_A_RULE);
	mnl_attr_put_u8(nlh, NF_CKPT_RULE_A_PROTO, IPPROTO_UDP);
	mnl_attr_put_u32(nlh, NF_CKPT_RULE_A_ADDR_V4, src);
	mnl_attr_put_u16(nlh, NF_CKPT_RULE_A_PORT, sport);
	mnl_attr_nest_end(nlh, nest);
}

static int resolve_family(struct bulk *b)
{
	struct nl_family f = { .group = NF_CKPT_MCGRP_SYNC };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	ssize_t n;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++b->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NF_CKPT_FAMILY_NAME);

	if (mnl_socket_sendto(b->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(b->nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, b->seq, b->portid,
				nl_family_parse, &f) < 0 || !f.id) {
		fprintf(stderr, "ckpt_bulk: no nf_ckpt family: is the module loaded?\n");
		return -1;
	}
	b->family = f.id;
	b->sync_group = f.group_id;
	return 0;
}

static bool run_quiet;	/* latency: no line for each flag */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(struct bulk *b, const char *what, build_fn build,
	       unsigned long count, unsigned long per_msg)
{
	struct nlmsghdr *nlh;
	unsigned long i, n;
	double t0, t;

	t0 = now();
	for (i = 0; i < count; i += n) {
		n = count - i < per_msg ? count - i : per_msg;
		nlh = next_msg(b);
		if (!nlh)
			return -1;
		build(b, nlh, b->base + i, n);
		commit_msg(b, nlh);
	}
	if (flush(b))
		return -1;
	t = now() - t0;

	if (!run_quiet)
		printf("%s: %lu items in %lu a message, %lu messages failed, %.3f s, %.0f/s\n",
		       what, count, per_msg, b->failed, t,
		       t > 0 ? (double)count / t : 0.0);
	return b->failed ? -1 : 0;
}

static int open_socket(struct bulk *b, int bus)
{
	int one = 1, size = 8 << 20;

	b->nl = mnl_socket_open(bus);
	if (!b->nl || mnl_socket_bind(b->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ckpt_bulk: netlink");
		return -1;
	}
	b->portid = mnl_socket_get_portid(b->nl);
	mnl_socket_setsockopt(b->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(b->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		   &size, sizeof(size));
	return 0;
}

/* A SYNC_NTF's tuple source port, if its sync state is DONE; 0 if not. */
static int on_sync_attr(const struct nlattr *attr, void *data)
{
	uint16_t *port = data;
	struct nlattr *a;

	if (mnl_attr_get_type(attr) == NF_CKPT_A_SYNC &&
	    mnl_attr_get_u8(attr) != NF_CKPT_SYNC_DONE)
		port[1] = 1;	/* not done */
	if (mnl_attr_get_type(attr) != NF_CKPT_A_TUPLE)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, attr)
		if (mnl_attr_get_type(a) == NF_CKPT_TUPLE_A_SRC_PORT)
			port[0] = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Flag entries one by one and time each until nf_ckpt reports it synced:
 * the time from a flag to the peer holding the connection, as the
 * replication daemon reports it.
 */
static int sync_latency(struct bulk *b, unsigned long count)
{
	static char buf[64 * 1024];
	struct mnl_socket *ntf = mnl_socket_open(NETLINK_GENERIC);
	double *lat = calloc(count, sizeof(*lat)), t0;
	unsigned long i, got = 0, lost = 0;
	const struct nlmsghdr *nlh;
	struct timeval tv = { .tv_sec = 2 };
	uint16_t want, port[2];
	uint32_t src;
	ssize_t n;
	int len;

	if (!ntf || !lat || mnl_socket_bind(ntf, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    !b->sync_group ||
	    mnl_socket_setsockopt(ntf, NETLINK_ADD_MEMBERSHIP, &b->sync_group,
				  sizeof(b->sync_group)) < 0) {
		perror("ckpt_bulk: sync group");
		return -1;
	}
	setsockopt(mnl_socket_get_fd(ntf), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < count; i++) {
		entry_tuple(i, &src, &want);
		t0 = now();
		b->base = i;
		run_quiet = true;
		if (run(b, "latency", build_set, 1, 1))
			return -1;
		for (;;) {
			n = mnl_socket_recvfrom(ntf, buf, sizeof(buf));
			if (n <= 0) {
				lost++;
				break;
			}
			nlh = (const struct nlmsghdr *)buf;
			len = (int)n;
			for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
				port[0] = port[1] = 0;
				mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
					       on_sync_attr, port);
				if (port[0] == want && !port[1])
					break;
			}
			if (mnl_nlmsg_ok(nlh, len))
				break;
		}
		if (n > 0)
			lat[got++] = now() - t0;
		usleep(10000);	/* an idle pair, between flags */
	}
	qsort(lat, got, sizeof(*lat), cmp_double);
	printf("sync latency: %lu flags, %lu not reported synced within 2 s, p50 %.1f ms, p99 %.1f ms\n",
	       count, lost, got ? lat[got / 2] * 1e3 : 0.0,
	       got ? lat[got * 99 / 100] * 1e3 : 0.0);
	mnl_socket_close(ntf);
	free(lat);
	return lost ? -1 : 0;
}

/*
 * Every conntrack event of this namespace for SECONDS, counted, not
 * parsed: the listener keeps up as well as one can, and what it still
 * loses is counted as overruns (each one loses an unknown number).
 */
static int count_events(unsigned long seconds)
{
	static char buf[256 * 1024];
	int size = 256 << 20, fd, n, len;
	unsigned long events = 0, overruns = 0;
	const struct nlmsghdr *nlh;
	struct mnl_socket *nl;
	struct timespec t;
	time_t end;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, NF_NETLINK_CONNTRACK_NEW |
				   NF_NETLINK_CONNTRACK_UPDATE |
				   NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID)) {
		perror("ckpt_bulk: conntrack event socket");
		return -1;
	}
	fd = mnl_socket_get_fd(nl);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	clock_gettime(CLOCK_MONOTONIC, &t);
	end = t.tv_sec + (time_t)seconds;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec >= end)
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = (int)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS)
				overruns++;
			continue;
		}
		len = n;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len))
			events++;
	}
	printf("events: %lu received, %lu overruns\n", events, overruns);
	mnl_socket_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[BATCH_BYTES];
	struct bulk b = { .buf = buf };
	unsigned long count, per_msg;
	build_fn build;
	int err;

	count = argc >= 3 ? strtoul(argv[2], NULL, 0) : 0;
	per_msg = argc >= 4 ? strtoul(argv[3], NULL, 0) : 1;
	if (!count || argc > 4 || !per_msg || per_msg > MAX_PER_MSG) {
		fprintf(stderr, "usage: ckpt_bulk COMMAND N [1..64]\n"
			"       COMMAND: inject inject-flagged get set clear report rules latency\n"
			"       ckpt_bulk events SECONDS\n");
		return 2;
	}

	if (!strcmp(argv[1], "events")) {
		err = count_events(count);
	} else if (!strcmp(argv[1], "get")) {
		if (open_socket(&b, NETLINK_NETFILTER))
			return 1;
		err = run(&b, argv[1], build_get, count, 1);
	} else if (!strcmp(argv[1], "inject") || !strcmp(argv[1], "inject-flagged")) {
		if (open_socket(&b, NETLINK_NETFILTER))
			return 1;
		if (!strcmp(argv[1], "inject-flagged"))
			inject_mark = 1u << 31;
		err = run(&b, argv[1], build_inject, count, 1);
	} else {
		if (!strcmp(argv[1], "set"))
			build = build_set;
		else if (!strcmp(argv[1], "clear"))
			build = build_clear;
		else if (!strcmp(argv[1], "report"))
			build = build_report;
		else if (!strcmp(argv[1], "rules"))
			build = build_rule;
		else if (!strcmp(argv[1], "latency"))
			build = NULL;
		else {
			fprintf(stderr, "ckpt_bulk: unknown command '%s'\n", argv[1]);
			return 2;
		}
		if (open_socket(&b, NETLINK_GENERIC) || resolve_family(&b))
			return 1;
		err = build ? run(&b, argv[1], build, count,
				  build == build_rule ? 1 : per_msg) :
			      sync_latency(&b, count);
	}

	if (b.nl)
		mnl_socket_close(b.nl);
	return err ? 1 : 0;
}
