/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer to a generic netlink CTRL_CMD_GETFAMILY (libmnl): the
 * family's id and the id of one of its multicast groups, by name.
 */
#ifndef CKPT_NLFAMILY_H
#define CKPT_NLFAMILY_H

#include <stdint.h>
#include <linux/netlink.h>

struct nl_family {
	const char *group;	/* the multicast group wanted, or NULL */
	uint16_t id;		/* 0: not in the answer */
	uint32_t group_id;	/* 0: no such group */
};

/* An mnl_cb_t for the answer; DATA is a struct nl_family. */
int nl_family_parse(const struct nlmsghdr *nlh, void *data);

#endif /* CKPT_NLFAMILY_H */
