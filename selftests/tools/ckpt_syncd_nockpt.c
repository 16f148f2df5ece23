// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-syncd's nf_ckpt side left out, for a benchmark on a kernel that
 * cannot load nf_ckpt (the build host).  Linked in place of ckpt.c, it
 * makes ckpt-syncd-nockpt: the flag is mark bit 31, set on connections
 * by whoever makes them (ckpt_bulk inject-flagged); no clear notification
 * ever comes; nothing is adopted.
 *
 * A sync report, in nf_ckpt one tuple of a 64-tuple SYNC_SET request (a
 * conntrack lookup and a state byte written; a notification too while
 * pcpd is in nf_ckpt's sync group), is stood in for by more work than
 * that: a ctnetlink IPCTNL_MSG_CT_GET of the connection, which looks it
 * up, copies the whole entry into an answer, and is waited for (reports
 * are not).  So a throughput measured with this binary is below what
 * ckpt-syncd does with nf_ckpt on the same CPUs while the sync group is
 * empty, as in bulk; ckpt_bulk's `get` and `report` measure the two side
 * by side where nf_ckpt loads.  With NOCKPT_REPORTS=none in its
 * environment it sends nothing in their place.
 *
 * Everything else (conntrack events and dumps, the caches, the link, the
 * peer's cache) is ckpt-syncd's own code.  Not installed.
 */

#include <stdlib.h>
#include <string.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "kernel.h"

#define NOCKPT_MARK_BIT	31

/* The lookups' own socket: k->ct may be in the middle of a dump. */
static struct mnl_socket *lookup;
static unsigned int lookup_portid;

int ckpt_open(struct kernel *k)
{
	const char *reports = getenv("NOCKPT_REPORTS");

	k->family = 0;
	k->mark_bit = 1u << NOCKPT_MARK_BIT;
	if (reports && !strcmp(reports, "none"))
		return 0;
	if (!lookup) {
		lookup = mnl_socket_open(NETLINK_NETFILTER);
		if (!lookup || mnl_socket_bind(lookup, 0, MNL_SOCKET_AUTOPID))
			return -1;
		lookup_portid = mnl_socket_get_portid(lookup);
	}
	return 0;
}

static void put_get(char *buf, const struct sync_entry *e)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nf_conntrack *ct = nfct_new();
	struct nfgenmsg *nfg;
	bool v6 = e->family == AF_INET6;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = e->family;
	nfg->version = NFNETLINK_V0;

	nfct_set_attr_u8(ct, ATTR_L3PROTO, e->family);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, e->proto);
	nfct_set_attr(ct, v6 ? ATTR_IPV6_SRC : ATTR_IPV4_SRC, e->orig.src);
	nfct_set_attr(ct, v6 ? ATTR_IPV6_DST : ATTR_IPV4_DST, e->orig.dst);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, e->orig.sport);
	nfct_set_attr_u16(ct, ATTR_PORT_DST, e->orig.dport);
	nfct_set_attr_u16(ct, ATTR_ZONE, e->zone);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
}

struct lookups {
	unsigned int pending;
	uint64_t refused;
};

/* A request is answered with the entry, or refused with an error. */
static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	struct lookups *l = data;

	(void)nlh;
	l->pending--;
	return MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct lookups *l = data;

	(void)nlh;
	l->pending--;
	l->refused++;
	return MNL_CB_OK;
}

/* 64 lookups a send, as nf_ckpt takes 64 reports a request. */
void kernel_report_sync(struct kernel *k, const struct sync_entry **v,
			unsigned int n, uint8_t state)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error };
	static char buf[64 * 512];
	char rx[MNL_SOCKET_BUFFER_SIZE];
	struct lookups l = { 0 };
	unsigned int i = 0;
	size_t used;
	ssize_t len;

	(void)state;
	if (!lookup)
		return;
	while (i < n) {
		for (used = 0; i < n && l.pending < 64; i++, l.pending++) {
			put_get(buf + used, v[i]);
			used += ((struct nlmsghdr *)(buf + used))->nlmsg_len;
		}
		if (mnl_socket_sendto(lookup, buf, used) < 0)
			goto fail;
		while (l.pending) {
			len = mnl_socket_recvfrom(lookup, rx, sizeof(rx));
			if (len <= 0)
				goto fail;
			mnl_cb_run2(rx, (size_t)len, 0, lookup_portid, on_entry,
				    &l, ctl, NLMSG_MIN_TYPE);
		}
	}
	k->report_errors += l.refused;
	return;
fail:
	k->report_errors += l.refused + 1;
}

void kernel_drain_reports(struct kernel *k)
{
	(void)k;
}

int kernel_read_notifications(struct kernel *k, kernel_entry_fn fn, void *arg)
{
	(void)k;
	(void)fn;
	(void)arg;
	return 0;
}

int ckpt_adopt(struct kernel *k, struct cache *c, struct commit_result *r)
{
	(void)k;
	(void)c;
	r->adopted = 0;
	r->adopt_failed = 0;
	return 0;
}
