// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd: the nf_ckpt generic netlink family.  Requests go on one
 * socket; the clear group's notifications arrive on another, so that a
 * burst of them never stands between a request and its answer.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/nf_ckpt.h>

#include "kernel.h"
#include "log.h"
#include "nlfamily.h"

#define TUPLES_PER_MSG	64

static struct nlmsghdr *genl_request(struct kernel *k, void *buf, uint16_t type,
				     uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++k->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : NF_CKPT_FAMILY_VERSION;
	return nlh;
}

/* Send NLH on the request socket and run CB over the answer. */
static int genl_transact(struct kernel *k, struct nlmsghdr *nlh, mnl_cb_t cb,
			 void *data)
{
	unsigned int portid = mnl_socket_get_portid(k->genl);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(k->genl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(k->genl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static int on_stats_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NF_CKPT_STATS_A_MARK_BIT)
		*(uint8_t *)data = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

static int on_stats(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == NF_CKPT_A_STATS)
			mnl_attr_parse_nested(attr, on_stats_attr, data);
	return MNL_CB_OK;
}

int ckpt_open(struct kernel *k)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_family fi = { .group = NF_CKPT_MCGRP_CLEAR };
	struct nlmsghdr *nlh;
	uint8_t bit = 32;
	int one = 1;

	nlh = genl_request(k, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NF_CKPT_FAMILY_NAME);
	if (genl_transact(k, nlh, nl_family_parse, &fi) || !fi.id) {
		log_err("kernel reason=\"no nf_ckpt family in this network namespace; is nf_ckpt loaded?\"");
		return -1;
	}
	if (!fi.group_id) {
		log_err("kernel reason=\"nf_ckpt has no clear group: the module is older than this ckpt-syncd\"");
		return -1;
	}
	k->family = fi.id;

	nlh = genl_request(k, buf, k->family, NF_CKPT_CMD_STATS_GET, NLM_F_ACK);
	if (genl_transact(k, nlh, on_stats, &bit) || bit > 31) {
		log_err("kernel reason=\"nf_ckpt did not say which mark bit is the flag\"");
		return -1;
	}
	k->mark_bit = 1u << bit;

	if (mnl_socket_setsockopt(k->ntf, NETLINK_ADD_MEMBERSHIP, &fi.group_id,
				  sizeof(fi.group_id))) {
		log_err("kernel reason=\"cannot join nf_ckpt's clear group: %s\"",
			strerror(errno));
		return -1;
	}
	mnl_socket_setsockopt(k->genl, NETLINK_EXT_ACK, &one, sizeof(one));
	/* A refused report of 64 is answered without a copy of the request. */
	mnl_socket_setsockopt(k->genl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static void put_tuple(struct nlmsghdr *nlh, const struct sync_entry *e)
{
	size_t alen = sync_addr_len(e->family);
	bool v6 = alen == 16;
	struct nlattr *nest;

	nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
	mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, e->proto);
	mnl_attr_put(nlh, v6 ? NF_CKPT_TUPLE_A_SRC_V6 : NF_CKPT_TUPLE_A_SRC_V4,
		     alen, e->orig.src);
	mnl_attr_put(nlh, v6 ? NF_CKPT_TUPLE_A_DST_V6 : NF_CKPT_TUPLE_A_DST_V4,
		     alen, e->orig.dst);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_PORT, e->orig.sport);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_DST_PORT, e->orig.dport);
	mnl_attr_nest_end(nlh, nest);
}

/*
 * The reports in few requests, up to 64 connections of one zone each, all
 * in one send and none acknowledged: a refusal (a connection that died
 * meanwhile) comes back as an error message, counted by
 * kernel_drain_reports(), and does not keep the rest of its request from
 * being done.
 */
void kernel_report_sync(struct kernel *k, const struct sync_entry **v,
			unsigned int n, uint8_t state)
{
	static char buf[64 * 1024];
	struct nlmsghdr *nlh = NULL;
	unsigned int i, in_msg = 0;
	size_t used = 0;

	for (i = 0; i < n; i++) {
		if (nlh && (in_msg == TUPLES_PER_MSG ||
			    v[i]->zone != v[i - 1]->zone)) {
			used += nlh->nlmsg_len;
			nlh = NULL;
		}
		if (!nlh && used + 8192 > sizeof(buf)) {
			if (mnl_socket_sendto(k->genl, buf, used) < 0)
				k->report_errors++;
			used = 0;
		}
		if (!nlh) {
			nlh = genl_request(k, buf + used, k->family,
					   NF_CKPT_CMD_SYNC_SET, 0);
			mnl_attr_put_u16(nlh, NF_CKPT_A_ZONE, v[i]->zone);
			mnl_attr_put_u8(nlh, NF_CKPT_A_SYNC, state);
			in_msg = 0;
		}
		put_tuple(nlh, v[i]);
		in_msg++;
	}
	if (nlh)
		used += nlh->nlmsg_len;
	if (used && mnl_socket_sendto(k->genl, buf, used) < 0)
		k->report_errors++;
}

void kernel_drain_reports(struct kernel *k)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *nlh;
	ssize_t n;

	while ((n = recv(mnl_socket_get_fd(k->genl), buf, sizeof(buf),
			 MSG_DONTWAIT)) > 0) {
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, (int)n);
		     nlh = mnl_nlmsg_next(nlh, (int *)&n))
			if (nlh->nlmsg_type == NLMSG_ERROR)
				k->report_errors++;
	}
}

struct ntf_parse {
	struct sync_entry e;
	bool tuple;
};

static int on_ntf_tuple(const struct nlattr *attr, void *data)
{
	struct ntf_parse *p = data;
	struct sync_entry *e = &p->e;

	switch (mnl_attr_get_type(attr)) {
	case NF_CKPT_TUPLE_A_PROTO:
		e->proto = mnl_attr_get_u8(attr);
		break;
	case NF_CKPT_TUPLE_A_SRC_V4:
	case NF_CKPT_TUPLE_A_DST_V4:
	case NF_CKPT_TUPLE_A_SRC_V6:
	case NF_CKPT_TUPLE_A_DST_V6: {
		uint16_t t = mnl_attr_get_type(attr);
		bool src = t == NF_CKPT_TUPLE_A_SRC_V4 ||
			   t == NF_CKPT_TUPLE_A_SRC_V6;
		size_t len = mnl_attr_get_payload_len(attr);

		if (len != 4 && len != 16)
			return MNL_CB_ERROR;
		e->family = len == 16 ? AF_INET6 : AF_INET;
		memcpy(src ? e->orig.src : e->orig.dst,
		       mnl_attr_get_payload(attr), len);
		p->tuple = true;
		break;
	}
	case NF_CKPT_TUPLE_A_SRC_PORT:
		e->orig.sport = mnl_attr_get_u16(attr);
		break;
	case NF_CKPT_TUPLE_A_DST_PORT:
		e->orig.dport = mnl_attr_get_u16(attr);
		break;
	}
	return MNL_CB_OK;
}

static int on_ntf_attr(const struct nlattr *attr, void *data)
{
	struct ntf_parse *p = data;

	if (mnl_attr_get_type(attr) == NF_CKPT_A_TUPLE)
		return mnl_attr_parse_nested(attr, on_ntf_tuple, data);
	if (mnl_attr_get_type(attr) == NF_CKPT_A_ZONE)
		p->e.zone = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

/* A CLEAR_NTF says a connection is no longer flagged: hand it on. */
int kernel_read_notifications(struct kernel *k, kernel_entry_fn fn, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *g;
	struct ntf_parse p;
	ssize_t n;
	int len;

	while ((n = recv(mnl_socket_get_fd(k->ntf), buf, sizeof(buf),
			 MSG_DONTWAIT)) > 0) {
		len = (int)n;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != k->family)
				continue;
			g = mnl_nlmsg_get_payload(nlh);
			if (g->cmd != NF_CKPT_CMD_CLEAR_NTF)
				continue;
			memset(&p, 0, sizeof(p));
			if (mnl_attr_parse(nlh, sizeof(*g), on_ntf_attr, &p) < 0 ||
			    !p.tuple)
				continue;
			fn(arg, &p.e, true);
		}
	}
	return n < 0 && errno == ENOBUFS ? -ENOBUFS : 0;
}

/* Send the batch in BUF and wait for every request's answer. */
static int flush_acked(struct kernel *k, char *buf, size_t *used,
		       unsigned int *pending, uint64_t *failed)
{
	unsigned int portid = mnl_socket_get_portid(k->genl);
	char rx[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	if (!*used)
		return 0;
	if (mnl_socket_sendto(k->genl, buf, *used) < 0)
		return -errno;
	*used = 0;
	while (*pending) {
		n = mnl_socket_recvfrom(k->genl, rx, sizeof(rx));
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (void *)rx; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != portid)
				continue;
			(*pending)--;
			if (err->error)
				(*failed)++;
		}
	}
	return 0;
}

/* Close the request being built: its owner and zone, then its length. */
static void end_adopt(struct nlmsghdr *nlh, const struct sync_entry *e,
		      size_t *used)
{
	mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, e->owner);
	mnl_attr_put_u16(nlh, NF_CKPT_A_ZONE, e->zone);
	*used += nlh->nlmsg_len;
}

/*
 * Flag the committed connections in nf_ckpt, up to 64 a request, each
 * request for one owner and zone.  A request stops at its first failure
 * (the budget, or a connection gone meanwhile); its tuples are counted as
 * failed, though those before the failure were flagged.
 */
int ckpt_adopt(struct kernel *k, struct cache *c, struct commit_result *r)
{
	static char buf[64 * 1024];
	const struct sync_entry *first = NULL;
	unsigned int pending = 0, in_msg = 0;
	struct nlmsghdr *nlh = NULL;
	struct cache_entry *ce;
	uint64_t failed = 0, tuples = 0;
	struct cache_iter it;
	size_t used = 0;
	int err;

	cache_for_each(c, it, ce) {
		if (!ce->acked)	/* not committed */
			continue;
		if (nlh && (in_msg == TUPLES_PER_MSG ||
			    first->owner != ce->e.owner ||
			    first->zone != ce->e.zone)) {
			end_adopt(nlh, first, &used);
			nlh = NULL;
		}
		if (!nlh && used + 8192 > sizeof(buf)) {
			err = flush_acked(k, buf, &used, &pending, &failed);
			if (err)
				return err;
		}
		if (!nlh) {
			nlh = genl_request(k, buf + used, k->family,
					   NF_CKPT_CMD_FLAG_SET, NLM_F_ACK);
			pending++;
			in_msg = 0;
			first = &ce->e;
		}
		put_tuple(nlh, &ce->e);
		in_msg++;
		tuples++;
	}
	if (nlh)
		end_adopt(nlh, first, &used);
	err = flush_acked(k, buf, &used, &pending, &failed);

	/* A failed request's tuples are counted as failed. */
	r->adopt_failed = failed * TUPLES_PER_MSG;
	if (r->adopt_failed > tuples)
		r->adopt_failed = tuples;
	r->adopted = tuples - r->adopt_failed;
	return err;
}
