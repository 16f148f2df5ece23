// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: endpoint rules in nf_ckpt over generic netlink (see ckpt.h).
 * Every request asks for extended acks and waits for its answer, so that
 * a mapping is answered as check-pointed only once its rule is in place.
 */

#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nf_ckpt.h>

#include "ckpt.h"

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

static int on_family_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
		*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), on_family_attr,
			      data);
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
	if (transact(c, nlh, on_family, &c->family, NULL) || !c->family)
		goto close;
	return 0;

close:
	pcpd_ckpt_close(c);
	return -1;
}

void pcpd_ckpt_close(struct pcpd_ckpt *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	c->nl = NULL;
	c->family = 0;
}

bool pcpd_ckpt_available(const struct pcpd_ckpt *c)
{
	return c->family != 0;
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
	mnl_attr_put(nlh, NF_CKPT_RULE_A_ADDR_V4, 4, &r->internal_addr);
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

int pcpd_ckpt_flag(struct pcpd_ckpt *c, const struct pcpd_ckpt_flow *f,
		   bool set, const char **msg)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int err;

	*msg = NULL;
	if (!c->family)
		return -EOPNOTSUPP;
	nlh = request(c, buf, c->family,
		      set ? NF_CKPT_CMD_FLAG_SET : NF_CKPT_CMD_FLAG_CLEAR);
	nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
	mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, f->protocol);
	mnl_attr_put(nlh, NF_CKPT_TUPLE_A_SRC_V4, 4, &f->src);
	mnl_attr_put(nlh, NF_CKPT_TUPLE_A_DST_V4, 4, &f->dst);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_PORT, htons(f->sport));
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_DST_PORT, htons(f->dport));
	mnl_attr_nest_end(nlh, nest);
	if (set)
		mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, f->owner);
	err = transact(c, nlh, NULL, NULL, msg);
	return !set && err == -ENOENT ? 0 : err;	/* already gone */
}
