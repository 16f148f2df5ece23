// SPDX-License-Identifier: GPL-2.0
/*
 * ckptctl: talking to the nf_ckpt generic netlink family.  Every request
 * asks for extended ACKs, and the kernel's extack message is what the user
 * sees when a request is refused.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/nf_ckpt.h>
#include <netlink/genl/ctrl.h>

#include "ckptctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct transaction {
	ckpt_nl_reply_fn fn;
	void *arg;
	int err;
	bool done;
};

int ckpt_nl_open(struct ckpt_nl *nl)
{
	int one = 1;
	int err;

	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		fprintf(stderr, "ckptctl: out of memory\n");
		return -ENOMEM;
	}

	err = genl_connect(nl->sock);
	if (err < 0) {
		fprintf(stderr, "ckptctl: generic netlink: %s\n", nl_geterror(err));
		goto free_sock;
	}

	setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sock, NF_CKPT_FAMILY_NAME);
	if (nl->family < 0) {
		fprintf(stderr,
			"ckptctl: no %s family in this network namespace; is nf_ckpt loaded?\n",
			NF_CKPT_FAMILY_NAME);
		err = nl->family;
		goto free_sock;
	}
	return 0;

free_sock:
	nl_socket_free(nl->sock);
	nl->sock = NULL;
	return err;
}

void ckpt_nl_close(struct ckpt_nl *nl)
{
	if (nl->sock)
		nl_socket_free(nl->sock);
	nl->sock = NULL;
}

/*
 * A request of the family; the socket is opened with the first one, so
 * that a command's arguments are checked before the kernel is asked.
 */
struct nl_msg *ckpt_nl_request(struct ckpt_nl *nl, int cmd, int flags)
{
	struct nl_msg *msg;

	if (!nl->sock && ckpt_nl_open(nl))
		return NULL;

	msg = nlmsg_alloc();
	if (!msg)
		return NULL;

	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, NF_CKPT_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* The extack message the kernel attached to an error, if any. */
static const char *extack_message(const struct nlmsgerr *e)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	const struct nlattr *attr;
	size_t offset = sizeof(*e);
	int len, rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - NLMSG_HDRLEN;

	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)offset;
	if (len <= 0)
		return NULL;

	attr = (const void *)((const char *)e + offset);
	nla_for_each_attr(attr, (struct nlattr *)attr, len, rem) {
		if (nla_type(attr) == NLMSGERR_ATTR_MSG && nla_len(attr) > 0 &&
		    ((const char *)nla_data(attr))[nla_len(attr) - 1] == '\0')
			return nla_data(attr);
	}
	return NULL;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct transaction *t = arg;
	const char *msg = extack_message(e);

	(void)who;
	t->err = e->error;
	t->done = true;
	if (msg)
		fprintf(stderr, "ckptctl: kernel: %s (%s)\n", msg, strerror(-e->error));
	else if (e->error == -EPERM)
		fprintf(stderr, "ckptctl: kernel: %s: nf_ckpt needs CAP_NET_ADMIN over this network namespace\n",
			strerror(-e->error));
	else
		fprintf(stderr, "ckptctl: kernel: %s\n", strerror(-e->error));
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct transaction *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

/* The end of a dump, which carries the dump's error, if any. */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct transaction *t = arg;
	int err = 0;

	t->done = true;
	if (nlmsg_datalen(nlh) >= (int)sizeof(err))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err < 0) {
		fprintf(stderr, "ckptctl: kernel: dump failed: %s\n", strerror(-err));
		t->err = err;
	}
	return NL_STOP;
}

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[NF_CKPT_A_MAX + 1];
	struct transaction *t = arg;
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, attrs, NF_CKPT_A_MAX, NULL);
	if (err < 0) {
		fprintf(stderr, "ckptctl: unreadable reply: %s\n", nl_geterror(err));
		t->err = -EPROTO;
		return NL_STOP;
	}
	if (t->fn)
		t->err = t->fn(attrs, t->arg);
	return t->err ? NL_STOP : NL_OK;
}

/*
 * Send MSG (consumed) and read until its ACK or error, handing every reply
 * message to FN.  Returns 0 or a negative errno; the kernel's reason has
 * been printed.
 */
int ckpt_nl_transact(struct ckpt_nl *nl, struct nl_msg *msg,
		     ckpt_nl_reply_fn fn, void *arg)
{
	struct transaction t = { .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &t);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_reply, &t);

	err = nl_send_auto(nl->sock, msg);
	nlmsg_free(msg);
	if (err < 0) {
		fprintf(stderr, "ckptctl: send: %s\n", nl_geterror(err));
		goto free_cb;
	}

	while (!t.done && !t.err) {
		err = nl_recvmsgs(nl->sock, cb);
		if (err < 0 && !t.err) {
			fprintf(stderr, "ckptctl: receive: %s\n", nl_geterror(err));
			break;
		}
	}
	err = t.err;

free_cb:
	nl_cb_put(cb);
	return err < 0 ? err : 0;
}

/* Join a multicast group of the family; replies then come unasked. */
int ckpt_nl_subscribe(struct ckpt_nl *nl, const char *group)
{
	int id, err;

	if (!nl->sock && ckpt_nl_open(nl))
		return -1;

	id = genl_ctrl_resolve_grp(nl->sock, NF_CKPT_FAMILY_NAME, group);
	if (id < 0) {
		fprintf(stderr, "ckptctl: no multicast group '%s': %s\n", group,
			nl_geterror(id));
		return id;
	}
	err = nl_socket_add_membership(nl->sock, id);
	if (err < 0) {
		fprintf(stderr, "ckptctl: cannot join group '%s': %s\n", group,
			nl_geterror(err));
		return err;
	}
	nl_socket_disable_seq_check(nl->sock);
	return 0;
}
