// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: endpoint rules in nf_ckpt over generic netlink (see ckpt.h).
 * Every request asks for extended acks and waits for its answer, so that
 * a mapping is answered as check-pointed only once its rule is in place.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nf_ckpt.h>

#include "ckpt.h"
#include "nlfamily.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static struct nlmsghdr *request(struct pcpd_ckpt *c, char *buf, uint16_t type,
				uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++c->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : NF_CKPT_FAMILY_VERSION;
	return nlh;
}

/* The extack message of an error answer, if it carries one. */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, off)
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
			return mnl_attr_get_str(attr);
	return NULL;
}

static int transact(struct pcpd_ckpt *c, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data, const char **msg)
{
	static char buf[8192];
	unsigned int portid = mnl_socket_get_portid(c->nl);
	const struct nlmsghdr *ans;
	ssize_t n;
	int ret;

	if (msg)
		*msg = NULL;
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(c->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ans = (const struct nlmsghdr *)buf;
		if (msg && ans->nlmsg_type == NLMSG_ERROR)
			*msg = extack_msg(ans);
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb,
				 data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

int pcpd_ckpt_open(struct pcpd_ckpt *c)
{
	struct nl_family f = { .group = NF_CKPT_MCGRP_SYNC };
	char buf[512];
	struct nlmsghdr *nlh;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!c->nl || mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto close;
	mnl_socket_setsockopt(c->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = request(c, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NF_CKPT_FAMILY_NAME);
	if (transact(c, nlh, nl_family_parse, &f, NULL) || !f.id)
		goto close;
	c->family = f.id;
	c->sync_group = f.group_id;
	return 0;

close:
	pcpd_ckpt_close(c);
	return -1;
}

void pcpd_ckpt_close(struct pcpd_ckpt *c)
{
	if (c->sync)
		mnl_socket_close(c->sync);
	c->sync = NULL;
	if (c->nl)
		mnl_socket_close(c->nl);
	c->nl = NULL;
	c->family = 0;
}

bool pcpd_ckpt_available(const struct pcpd_ckpt *c)
{
	return c->family != 0;
}

/* Address A as attribute V4 (4 octets) or V6 (16), by its family. */
static void put_addr(struct nlmsghdr *nlh, uint16_t v4, uint16_t v6,
		     const struct in6_addr *a)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		mnl_attr_put(nlh, v4, 4, a->s6_addr + 12);
	else
		mnl_attr_put(nlh, v6, 16, a);
}

static void get_addr(const struct nlattr *a, struct in6_addr *out)
{
	if (mnl_attr_get_payload_len(a) == 16) {
		memcpy(out, mnl_attr_get_payload(a), 16);
	} else if (mnl_attr_get_payload_len(a) == 4) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = out->s6_addr[11] = 0xff;
		memcpy(out->s6_addr + 12, mnl_attr_get_payload(a), 4);
	}
}

static int rule_request(struct pcpd_ckpt *c, uint8_t cmd,
			const struct pcpd_ckpt_rule *r, const char **msg)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	*msg = NULL;
	if (!c->family)
		return -EOPNOTSUPP;
	nlh = request(c, buf, c->family, cmd);
	nest = mnl_attr_nest_start(nlh, NF_CKPT_A_RULE);
	mnl_attr_put_u8(nlh, NF_CKPT_RULE_A_PROTO, r->protocol);
	put_addr(nlh, NF_CKPT_RULE_A_ADDR_V4, NF_CKPT_RULE_A_ADDR_V6,
		 &r->internal_addr);
	mnl_attr_put_u16(nlh, NF_CKPT_RULE_A_PORT, htons(r->internal_port));
	mnl_attr_nest_end(nlh, nest);
	if (cmd == NF_CKPT_CMD_RULE_ADD)
		mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, r->owner);
	return transact(c, nlh, NULL, NULL, msg);
}

int pcpd_ckpt_rule_add(struct pcpd_ckpt *c, const struct pcpd_ckpt_rule *r,
		       const char **msg)
{
	int err = rule_request(c, NF_CKPT_CMD_RULE_ADD, r, msg);

	return err == -EEXIST ? 0 : err;	/* already protected */
}

int pcpd_ckpt_rule_del(struct pcpd_ckpt *c, const struct pcpd_ckpt_rule *r,
		       const char **msg)
{
	int err = rule_request(c, NF_CKPT_CMD_RULE_DEL, r, msg);

	return err == -ENOENT ? 0 : err;	/* already gone */
}

static void put_tuple(struct nlmsghdr *nlh, const struct pcpd_ckpt_flow *f)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);

	mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, f->protocol);
	put_addr(nlh, NF_CKPT_TUPLE_A_SRC_V4, NF_CKPT_TUPLE_A_SRC_V6, &f->src);
	put_addr(nlh, NF_CKPT_TUPLE_A_DST_V4, NF_CKPT_TUPLE_A_DST_V6, &f->dst);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_PORT, htons(f->sport));
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_DST_PORT, htons(f->dport));
	mnl_attr_nest_end(nlh, nest);
}

static int on_entry_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NF_CKPT_A_SYNC)
		*(bool *)data = mnl_attr_get_u8(a) == NF_CKPT_SYNC_DONE;
	return MNL_CB_OK;
}

static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), on_entry_attr,
			      data);
}

int pcpd_ckpt_flag_get(struct pcpd_ckpt *c, const struct pcpd_ckpt_flow *f,
		       bool *synced)
{
	char buf[512];
	struct nlmsghdr *nlh;

	*synced = false;
	if (!c->family)
		return -EOPNOTSUPP;
	nlh = request(c, buf, c->family, NF_CKPT_CMD_ENTRY_GET);
	put_tuple(nlh, f);
	return transact(c, nlh, on_entry, synced, NULL);
}

int pcpd_ckpt_flag(struct pcpd_ckpt *c, const struct pcpd_ckpt_flow *f,
		   bool set, const char **msg)
{
	char buf[512];
	struct nlmsghdr *nlh;
	int err;

	*msg = NULL;
	if (!c->family)
		return -EOPNOTSUPP;
	nlh = request(c, buf, c->family,
		      set ? NF_CKPT_CMD_FLAG_SET : NF_CKPT_CMD_FLAG_CLEAR);
	put_tuple(nlh, f);
	if (set)
		mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, f->owner);
	err = transact(c, nlh, NULL, NULL, msg);
	return !set && err == -ENOENT ? 0 : err;	/* already gone */
}

int pcpd_ckpt_sync_open(struct pcpd_ckpt *c)
{
	int err;

	if (!c->family || !c->sync_group)
		return -EOPNOTSUPP;
	c->sync = mnl_socket_open2(NETLINK_GENERIC, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!c->sync)
		return -errno;
	if (mnl_socket_bind(c->sync, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(c->sync);
		c->sync = NULL;
		return err;
	}
	c->sync_listening = false;
	return mnl_socket_get_fd(c->sync);
}

int pcpd_ckpt_sync_listen(struct pcpd_ckpt *c, bool on)
{
	int opt = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;

	if (!c->sync)
		return -EOPNOTSUPP;
	if (c->sync_listening == on)
		return 0;
	if (mnl_socket_setsockopt(c->sync, opt, &c->sync_group,
				  sizeof(c->sync_group)) < 0)
		return -errno;
	c->sync_listening = on;
	return 0;
}

static int on_tuple_attr(const struct nlattr *a, void *data)
{
	struct pcpd_ckpt_flow *f = data;

	switch (mnl_attr_get_type(a)) {
	case NF_CKPT_TUPLE_A_PROTO:
		f->protocol = mnl_attr_get_u8(a);
		break;
	case NF_CKPT_TUPLE_A_SRC_V4:
	case NF_CKPT_TUPLE_A_SRC_V6:
		get_addr(a, &f->src);
		break;
	case NF_CKPT_TUPLE_A_DST_V4:
	case NF_CKPT_TUPLE_A_DST_V6:
		get_addr(a, &f->dst);
		break;
	case NF_CKPT_TUPLE_A_SRC_PORT:
		f->sport = ntohs(mnl_attr_get_u16(a));
		break;
	case NF_CKPT_TUPLE_A_DST_PORT:
		f->dport = ntohs(mnl_attr_get_u16(a));
		break;
	}
	return MNL_CB_OK;
}

struct sync_ntf {
	struct pcpd_ckpt_flow flow;
	bool tuple, done;
};

static int on_ntf_attr(const struct nlattr *a, void *data)
{
	struct sync_ntf *n = data;

	if (mnl_attr_get_type(a) == NF_CKPT_A_TUPLE) {
		n->tuple = true;
		mnl_attr_parse_nested(a, on_tuple_attr, &n->flow);
	} else if (mnl_attr_get_type(a) == NF_CKPT_A_SYNC) {
		n->done = mnl_attr_get_u8(a) == NF_CKPT_SYNC_DONE;
	}
	return MNL_CB_OK;
}

int pcpd_ckpt_sync_read(struct pcpd_ckpt *c, pcpd_ckpt_done_fn done,
			void *arg)
{
	static char buf[16384];
	const struct genlmsghdr *g;
	const struct nlmsghdr *nlh;
	struct sync_ntf n;
	ssize_t len;
	int rest;

	while ((len = mnl_socket_recvfrom(c->sync, buf, sizeof(buf))) > 0) {
		rest = (int)len;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest)) {
			g = mnl_nlmsg_get_payload(nlh);
			if (nlh->nlmsg_type != c->family ||
			    g->cmd != NF_CKPT_CMD_SYNC_NTF)
				continue;
			memset(&n, 0, sizeof(n));
			mnl_attr_parse(nlh, sizeof(*g), on_ntf_attr, &n);
			if (n.tuple && n.done)
				done(arg, &n.flow);
		}
	}
	return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
}

/* The connections a dump found through one endpoint. */
struct endpoint_dump {
	const struct pcpd_ckpt_rule *rule;
	struct pcpd_ckpt_flow *found;
	unsigned int n, cap;
	bool failed;
};

struct dumped {
	struct pcpd_ckpt_flow orig, reply;
	bool has_orig, has_reply;
};

static int on_dumped_attr(const struct nlattr *a, void *data)
{
	struct dumped *e = data;

	if (mnl_attr_get_type(a) == NF_CKPT_A_TUPLE) {
		e->has_orig = true;
		mnl_attr_parse_nested(a, on_tuple_attr, &e->orig);
	} else if (mnl_attr_get_type(a) == NF_CKPT_A_REPLY) {
		e->has_reply = true;
		mnl_attr_parse_nested(a, on_tuple_attr, &e->reply);
	}
	return MNL_CB_OK;
}

static int on_dumped(const struct nlmsghdr *nlh, void *data)
{
	struct endpoint_dump *d = data;
	const struct pcpd_ckpt_rule *r = d->rule;
	struct pcpd_ckpt_flow *grown;
	struct dumped e = { 0 };

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), on_dumped_attr, &e);
	if (!e.has_orig || !e.has_reply || e.orig.protocol != r->protocol)
		return MNL_CB_OK;
	if (!(!memcmp(&e.orig.src, &r->internal_addr, sizeof(r->internal_addr)) &&
	      e.orig.sport == r->internal_port) &&
	    !(!memcmp(&e.reply.src, &r->internal_addr, sizeof(r->internal_addr)) &&
	      e.reply.sport == r->internal_port))
		return MNL_CB_OK;
	if (d->n == d->cap) {
		grown = realloc(d->found, (d->cap ? 2 * d->cap : 16) * sizeof(*grown));
		if (!grown) {
			d->failed = true;
			return MNL_CB_OK;
		}
		d->found = grown;
		d->cap = d->cap ? 2 * d->cap : 16;
	}
	d->found[d->n++] = e.orig;
	return MNL_CB_OK;
}

int pcpd_ckpt_clear_endpoint(struct pcpd_ckpt *c, const struct pcpd_ckpt_rule *r,
			     uint32_t owner, pcpd_ckpt_keep_fn keep, void *arg)
{
	struct endpoint_dump d = { .rule = r };
	const char *msg;
	char buf[512];
	struct nlmsghdr *nlh;
	unsigned int i;
	int err, n = 0;

	if (!c->family)
		return -EOPNOTSUPP;
	nlh = request(c, buf, c->family, NF_CKPT_CMD_ENTRY_GET);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, owner);
	err = transact(c, nlh, on_dumped, &d, NULL);
	/* The dump's requests go after it: one socket, one answer at a time. */
	for (i = 0; !err && i < d.n; i++) {
		if (keep && keep(arg, &d.found[i]))
			continue;
		d.found[i].owner = owner;
		if (!pcpd_ckpt_flag(c, &d.found[i], false, &msg))
			n++;
	}
	free(d.found);
	if (!err && d.failed)
		err = -ENOMEM;
	return err ? err : n;
}
