// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: conntrack over ctnetlink.  The event socket carries a socket
 * filter on the flag's mark bit, so the kernel hands this daemon the
 * events of flagged connections only; an unflagged connection costs it
 * nothing.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "kernel.h"
#include "log.h"
#include "util.h"


static struct mnl_socket *open_socket(int bus, unsigned int groups,
				      unsigned int rcvbuf)
{
	struct mnl_socket *nl = mnl_socket_open(bus);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	if (rcvbuf &&
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	return nl;
}

/* Pass only events whose mark has the flag bit. */
static int filter_flagged(struct kernel *k)
{
	struct nfct_filter_dump_mark m = { .val = k->mark_bit,
					   .mask = k->mark_bit };
	struct nfct_filter *f = nfct_filter_create();
	int err;

	if (!f)
		return -1;
	nfct_filter_add_attr(f, NFCT_FILTER_MARK, &m);
	err = nfct_filter_attach(mnl_socket_get_fd(k->events), f);
	nfct_filter_destroy(f);
	return err;
}

int kernel_events_listen(struct kernel *k, bool on)
{
	static const int group[] = { NFNLGRP_CONNTRACK_NEW,
				     NFNLGRP_CONNTRACK_UPDATE,
				     NFNLGRP_CONNTRACK_DESTROY };
	int fd = mnl_socket_get_fd(k->events);
	int opt = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(group); i++)
		if (setsockopt(fd, SOL_NETLINK, opt, &group[i], sizeof(group[i])))
			return -errno;
	return 0;
}

int kernel_open(struct kernel *k, unsigned int rcvbuf)
{
	memset(k, 0, sizeof(*k));
	k->events = open_socket(NETLINK_NETFILTER, 0, rcvbuf);
	k->ct = open_socket(NETLINK_NETFILTER, 0, rcvbuf);
	k->genl = open_socket(NETLINK_GENERIC, 0, 0);
	k->ntf = open_socket(NETLINK_GENERIC, 0, rcvbuf);
	if (!k->events || !k->ct || !k->genl || !k->ntf) {
		log_err("kernel reason=\"cannot open netlink sockets: %s\"",
			strerror(errno));
		goto close;
	}
	if (ckpt_open(k))
		goto close;
	if (filter_flagged(k)) {
		log_err("kernel reason=\"cannot attach the mark filter: %s\"",
			strerror(errno));
		goto close;
	}
	if (kernel_events_listen(k, true)) {
		log_err("kernel reason=\"cannot join conntrack's event groups: %s\"",
			strerror(errno));
		goto close;
	}
	return 0;

close:
	kernel_close(k);
	return -1;
}

void kernel_close(struct kernel *k)
{
	if (k->events)
		mnl_socket_close(k->events);
	if (k->ct)
		mnl_socket_close(k->ct);
	if (k->genl)
		mnl_socket_close(k->genl);
	if (k->ntf)
		mnl_socket_close(k->ntf);
	memset(k, 0, sizeof(*k));
}

static void get_tuple(const struct nf_conntrack *ct, struct sync_tuple *t,
		      bool reply)
{
	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) == AF_INET6) {
		memcpy(t->src, nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_SRC :
					     ATTR_ORIG_IPV6_SRC), 16);
		memcpy(t->dst, nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_DST :
					     ATTR_ORIG_IPV6_DST), 16);
	} else {
		uint32_t src = nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_SRC :
						 ATTR_ORIG_IPV4_SRC);
		uint32_t dst = nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_DST :
						 ATTR_ORIG_IPV4_DST);

		memcpy(t->src, &src, 4);
		memcpy(t->dst, &dst, 4);
	}
	t->sport = nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC :
				     ATTR_ORIG_PORT_SRC);
	t->dport = nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_DST :
				     ATTR_ORIG_PORT_DST);
}

static void entry_from_ct(const struct nf_conntrack *ct, struct sync_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	e->proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	get_tuple(ct, &e->orig, false);
	get_tuple(ct, &e->reply, true);
	if (nfct_attr_is_set(ct, ATTR_ZONE) > 0)
		e->zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	e->status = nfct_get_attr_u32(ct, ATTR_STATUS);
	e->mark = nfct_get_attr_u32(ct, ATTR_MARK);
	e->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	if (e->proto == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) {
		e->has_tcp = true;
		e->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
		e->tcp_wscale[0] = nfct_get_attr_u8(ct, ATTR_TCP_WSCALE_ORIG);
		e->tcp_wscale[1] = nfct_get_attr_u8(ct, ATTR_TCP_WSCALE_REPL);
		e->tcp_flags[0] = nfct_get_attr_u8(ct, ATTR_TCP_FLAGS_ORIG);
		e->tcp_flags[1] = nfct_get_attr_u8(ct, ATTR_TCP_FLAGS_REPL);
	}
}

struct parse_ctx {
	struct kernel *k;
	kernel_entry_fn fn;
	void *arg;
};

static int on_ct(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *p = data;
	struct nf_conntrack *ct = nfct_new();
	struct sync_entry e;
	bool gone;

	if (!ct)
		return MNL_CB_ERROR;
	if (p->k)	/* an event, not a dump's answer */
		p->k->events_received++;
	if (nfct_nlmsg_parse(nlh, ct) == 0) {
		entry_from_ct(ct, &e);
		gone = (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE;
		p->fn(p->arg, &e, gone);
	}
	nfct_destroy(ct);
	return MNL_CB_OK;
}

int kernel_read_events(struct kernel *k, kernel_entry_fn fn, void *arg)
{
	static char buf[128 * 1024];
	struct parse_ctx p = { k, fn, arg };
	ssize_t n;

	while ((n = recv(mnl_socket_get_fd(k->events), buf, sizeof(buf),
			 MSG_DONTWAIT)) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, on_ct, &p);
	return n < 0 && errno == ENOBUFS ? -ENOBUFS : 0;
}

/* The flagged connections now, filtered by mark in the kernel. */
int kernel_dump_flagged(struct kernel *k, kernel_entry_fn fn,
			void (*between)(void *arg), void *arg)
{
	static char buf[128 * 1024];
	unsigned int portid = mnl_socket_get_portid(k->ct);
	struct nfct_filter_dump_mark m = { k->mark_bit, k->mark_bit };
	struct parse_ctx p = { NULL, fn, arg };
	struct nfct_filter_dump *f;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	/* BETWEEN may send requests of its own, with later numbers. */
	nlh->nlmsg_seq = seq = ++k->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	f = nfct_filter_dump_create();
	if (!f)
		return -ENOMEM;
	nfct_filter_dump_set_attr(f, NFCT_FILTER_DUMP_MARK, &m);
	nfct_nlmsg_build_filter(nlh, f);
	nfct_filter_dump_destroy(f);

	if (mnl_socket_sendto(k->ct, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(k->ct, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, on_ct, &p);
		if (ret > 0 && between)
			between(arg);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}
