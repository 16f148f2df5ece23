// SPDX-License-Identifier: GPL-2.0
/*
 * ckptctl monitor: print every sync state change the module announces, one
 * line each, until interrupted.
 */

#include <stdio.h>
#include <linux/nf_ckpt.h>

#include "ckptctl.h"

struct monitor {
	bool json;
	int err;
};

static int on_notification(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[NF_CKPT_A_MAX + 1];
	struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(msg));
	struct monitor *m = arg;

	if (gnlh->cmd != NF_CKPT_CMD_SYNC_NTF)
		return NL_OK;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, NF_CKPT_A_MAX, NULL) < 0) {
		fprintf(stderr, "ckptctl: unreadable notification\n");
		return NL_OK;
	}

	if (!m->json)
		printf("sync ");
	ckptctl_print_entry(attrs, &m->json);
	fflush(stdout);
	return NL_OK;
}

int ckptctl_monitor(struct ckptctl *ctl, int argc, char **argv)
{
	struct monitor m = { .json = ctl->json };
	int err;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "ckptctl: monitor takes no arguments (put -j before the command)\n");
		return CKPTCTL_USAGE;
	}
	if (ckpt_nl_subscribe(&ctl->nl, NF_CKPT_MCGRP_SYNC))
		return -1;

	nl_socket_modify_cb(ctl->nl.sock, NL_CB_VALID, NL_CB_CUSTOM,
			    on_notification, &m);
	for (;;) {
		err = nl_recvmsgs_default(ctl->nl.sock);
		if (err < 0) {
			fprintf(stderr, "ckptctl: monitor: %s\n", nl_geterror(err));
			return -1;
		}
	}
}
