// SPDX-License-Identifier: GPL-2.0
/*
 * A generic netlink family's id and a multicast group's id (nlfamily.h).
 */

#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "nlfamily.h"

static int on_group(const struct nlattr *attr, void *data)
{
	struct nl_family *f = data;
	struct nlattr *a, *name = NULL, *id = NULL;

	mnl_attr_for_each_nested(a, attr) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
			name = a;
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
			id = a;
	}
	if (f->group && name && id && !strcmp(mnl_attr_get_str(name), f->group))
		f->group_id = mnl_attr_get_u32(id);
	return MNL_CB_OK;
}

static int on_family_attr(const struct nlattr *attr, void *data)
{
	struct nl_family *f = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
		f->id = mnl_attr_get_u16(attr);
	else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
		mnl_attr_parse_nested(attr, on_group, data);
	return MNL_CB_OK;
}

int nl_family_parse(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), on_family_attr,
			      data);
}
