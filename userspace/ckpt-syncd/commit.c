// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: committing the external cache to the kernel at takeover.
 * Every connection is created through ctnetlink with its NAT binding, TCP
 * state and window scaling, the flag in its mark and the time it had left
 * when its last update arrived, less the time since (measured on this
 * machine's monotonic clock, never compared with the peer's).  Requests go
 * in batches of many messages a send, each batch acknowledged once; a
 * connection this kernel already has (a node that kept its table) is
 * updated.  The commit returns when conntrack has answered them all, and
 * then nf_ckpt adopts the connections so that they stay protected on this
 * node.
 *
 * Meanwhile this daemon leaves conntrack's event groups: with no listener
 * the kernel builds no event for the commit's own connections, which took
 * over a quarter of the commit's time.  The caller reads them back with a
 * dump.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "kernel.h"
#include "log.h"
#include "util.h"

#define BATCH_BYTES	(128 * 1024)
#define MSG_ROOM	1024	/* the most one create request takes */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_orig(struct nf_conntrack *ct, const struct sync_tuple *t,
		     bool v6)
{
	if (v6) {
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, t->src);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, t->dst);
	} else {
		uint32_t src, dst;

		memcpy(&src, t->src, 4);
		memcpy(&dst, t->dst, 4);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, src);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, dst);
	}
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, t->sport);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, t->dport);
}

/*
 * The NAT binding: a source NAT maps the original source to the reply's
 * destination, a destination NAT the original destination to the reply's
 * source.  conntrack computes the reply tuple again from these.
 */
static void set_nat(struct nf_conntrack *ct, const struct sync_entry *e,
		    bool v6)
{
	uint32_t a;

	if (e->status & IPS_SRC_NAT) {
		if (v6) {
			nfct_set_attr(ct, ATTR_SNAT_IPV6, e->reply.dst);
		} else {
			memcpy(&a, e->reply.dst, 4);
			nfct_set_attr_u32(ct, ATTR_SNAT_IPV4, a);
		}
		nfct_set_attr_u16(ct, ATTR_SNAT_PORT, e->reply.dport);
	}
	if (e->status & IPS_DST_NAT) {
		if (v6) {
			nfct_set_attr(ct, ATTR_DNAT_IPV6, e->reply.src);
		} else {
			memcpy(&a, e->reply.src, 4);
			nfct_set_attr_u32(ct, ATTR_DNAT_IPV4, a);
		}
		nfct_set_attr_u16(ct, ATTR_DNAT_PORT, e->reply.sport);
	}
}

static void set_tcp(struct nf_conntrack *ct, const struct sync_entry *e)
{
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, e->tcp_state);
	nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_ORIG, e->tcp_wscale[0]);
	nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_REPL, e->tcp_wscale[1]);
	nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG, e->tcp_flags[0]);
	nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, e->tcp_flags[0]);
	nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL, e->tcp_flags[1]);
	nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, e->tcp_flags[1]);
}

static int build_create(struct nlmsghdr *nlh, const struct sync_entry *e,
			uint32_t timeout, uint32_t seq)
{
	bool v6 = e->family == AF_INET6;
	struct nf_conntrack *ct;
	struct nfgenmsg *nfg;

	ct = nfct_new();
	if (!ct)
		return -ENOMEM;
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = e->family;
	nfg->version = NFNETLINK_V0;

	nfct_set_attr_u8(ct, ATTR_L3PROTO, e->family);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, e->proto);
	set_orig(ct, &e->orig, v6);
	/*
	 * The reply tuple before NAT: conntrack applies the binding to it.
	 * Given the translated one, it would see nothing to translate and
	 * leave the NAT bit unset, so packets would pass untranslated.
	 */
	nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
	if (e->zone)
		nfct_set_attr_u16(ct, ATTR_ZONE, e->zone);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	nfct_set_attr_u32(ct, ATTR_MARK, e->mark);
	nfct_set_attr_u32(ct, ATTR_STATUS,
			  e->status & (IPS_ASSURED | IPS_SEEN_REPLY));
	set_nat(ct, e, v6);
	if (e->has_tcp)
		set_tcp(ct, e);

	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	return 0;
}

/*
 * The requests of one batch, by sequence number from the first.  Only the
 * last asks for an acknowledgement: conntrack answers a refused request
 * anyway, and handles a send's requests in order, so the last one's
 * answer closes the batch.  Acknowledging every request took a third of
 * what the commit took without events.
 */
struct batch {
	char buf[BATCH_BYTES];
	struct cache_entry *entry[BATCH_BYTES / 64];
	struct nlmsghdr *last;
	size_t used;
	unsigned int count;
	uint32_t first_seq;
};

/* An answer: on a refusal the entry is marked not to be adopted. */
static void on_answer(struct batch *b, const struct nlmsgerr *err,
		      struct commit_result *r)
{
	uint32_t i = err->msg.nlmsg_seq - b->first_seq;

	if (!err->error)
		return;
	r->failed++;
	if (i < b->count)
		b->entry[i]->acked = false;
	log_warning("commit reason=\"%s\"", strerror(-err->error));
}

/* Send the batch and read the answers up to the last request's. */
static int flush(struct kernel *k, struct batch *b, struct commit_result *r)
{
	unsigned int portid = mnl_socket_get_portid(k->ct);
	static char rx[64 * 1024];
	const struct nlmsgerr *err;
	const struct nlmsghdr *nlh;
	bool done = false;
	ssize_t n;
	int len;

	if (!b->count)
		return 0;
	b->last->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(k->ct, b->buf, b->used) < 0)
		return -errno;
	while (!done) {
		n = mnl_socket_recvfrom(k->ct, rx, sizeof(rx));
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (void *)rx; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != portid)
				continue;
			err = mnl_nlmsg_get_payload(nlh);
			on_answer(b, err, r);
			if (err->msg.nlmsg_seq == b->last->nlmsg_seq)
				done = true;
		}
	}
	b->used = 0;
	b->count = 0;
	return 0;
}

/*
 * The time a connection is committed with.  Traffic refreshes a
 * conntrack timeout without an event, so the time a cached entry has left
 * is only what it had when the peer last announced it: nf_ckpt announces
 * a live flagged connection again every 30 s (its walk starting passes 5
 * s apart), and a UDP flow with no reply has 30 s.  One whose cached time
 * ran out less than STALE_GRACE_S ago may well be alive: it is committed
 * with STALE_TIMEOUT_S, which its traffic extends if it is; one gone
 * longer is not committed (expired).
 */
#define STALE_GRACE_S		45
#define STALE_TIMEOUT_S		30

static uint32_t commit_timeout(const struct cache_entry *ce, uint64_t now)
{
	uint32_t left = cache_timeout_left(ce, now);
	uint64_t stale_s;

	if (left)
		return left;
	stale_s = (now - ce->stamp_ms) / 1000 - ce->e.timeout;
	return stale_s < STALE_GRACE_S ? STALE_TIMEOUT_S : 0;
}

/*
 * Create every connection of C that has time left.  The acked field of an
 * entry says, after this, whether conntrack took it (and nf_ckpt should
 * adopt it).
 */
static int create_all(struct kernel *k, struct cache *c, uint64_t now,
		      struct commit_result *r)
{
	static struct batch b;
	struct cache_entry *ce;
	struct nlmsghdr *nlh;
	struct cache_iter it;
	uint32_t left;
	int err;

	b.used = 0;
	b.count = 0;
	cache_for_each(c, it, ce) {
		ce->acked = false;
		left = commit_timeout(ce, now);
		if (!left) {
			r->expired++;
			continue;
		}
		if (b.used + MSG_ROOM > sizeof(b.buf) ||
		    b.count == ARRAY_SIZE(b.entry)) {
			err = flush(k, &b, r);
			if (err)
				return err;
		}
		if (!b.count)
			b.first_seq = k->seq + 1;
		nlh = mnl_nlmsg_put_header(b.buf + b.used);
		err = build_create(nlh, &ce->e, left, ++k->seq);
		if (err)
			return err;
		b.used += nlh->nlmsg_len;
		b.last = nlh;
		b.entry[b.count++] = ce;
		ce->acked = true;
	}
	err = flush(k, &b, r);
	r->created = c->count - r->expired - r->failed;
	return err;
}

int kernel_commit(struct kernel *k, struct cache *c, uint64_t now,
		  struct commit_result *r)
{
	uint64_t start = now_ms(), created;
	int err, listen_err;

	memset(r, 0, sizeof(*r));
	err = kernel_events_listen(k, false);
	if (err)
		log_warning("commit reason=\"cannot leave the event groups: %s\"",
			    strerror(-err));
	err = create_all(k, c, now, r);
	created = now_ms();
	if (!err)
		err = ckpt_adopt(k, c, r);
	r->adopt_ms = now_ms() - created;
	listen_err = kernel_events_listen(k, true);
	if (listen_err) {
		/* Without events this node would replicate nothing more. */
		log_err("commit reason=\"cannot join the event groups again: %s\"",
			strerror(-listen_err));
		if (!err)
			err = listen_err;
	}
	r->ms = now_ms() - start;
	return err;
}

void commit_result_str(const struct commit_result *r, char *buf, size_t len)
{
	const struct {
		const char *name;
		uint64_t value;
	} field[] = {
		{ "created", r->created }, { "failed", r->failed },
		{ "expired", r->expired }, { "adopted", r->adopted },
		{ "adopt_failed", r->adopt_failed }, { "ms", r->ms },
		{ "adopt_ms", r->adopt_ms },
	};
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(field) && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%s=%llu", i ? " " : "",
			     field[i].name, (unsigned long long)field[i].value);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
