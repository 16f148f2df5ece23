/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckptctl: administration of nf_ckpt over its generic netlink family.
 */
#ifndef CKPTCTL_H
#define CKPTCTL_H

#include <stdbool.h>
#include <netlink/genl/genl.h>

struct ckpt_nl {
	struct nl_sock *sock;
	int family;
};

struct ckptctl {
	struct ckpt_nl nl;
	bool json;
};

typedef int (*ckpt_nl_reply_fn)(struct nlattr **attrs, void *arg);

/* How a connection is named on the command line. */
extern const char ckptctl_tuple_usage[];

/* What a command returns for a usage error; ckptctl then exits 2. */
#define CKPTCTL_USAGE	(-2)

int ckptctl_number(const char *s, const char *what, unsigned long max,
		   unsigned long *out);
int ckpt_nl_open(struct ckpt_nl *nl);
void ckpt_nl_close(struct ckpt_nl *nl);
struct nl_msg *ckpt_nl_request(struct ckpt_nl *nl, int cmd, int flags);
int ckpt_nl_transact(struct ckpt_nl *nl, struct nl_msg *msg,
		     ckpt_nl_reply_fn fn, void *arg);

int ckptctl_stats(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_budget(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_mark_bit(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_set(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_clear(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_get(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_list(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_sync_set(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_monitor(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_rule(struct ckptctl *ctl, int argc, char **argv);
int ckptctl_print_entry(struct nlattr **attrs, void *arg);
int ckpt_nl_subscribe(struct ckpt_nl *nl, const char *group);

#endif /* CKPTCTL_H */
