// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd: mappings in nftables.  The table is written once, in nft's own
 * language through libnftables, so that an operator reads in `nft list
 * table ip pcpd` what pcpd set up.  Mappings come and go as map elements
 * through libnftnl batches: a refresh deletes and re-adds its element in
 * one transaction, since a 6.1 kernel does not update the timeout of an
 * element that exists.  pcpd touches nothing outside its table.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <nftables/libnftables.h>

#include "nft.h"

static const char pcpd_ruleset[] =
	"table ip pcpd {\n"
	"	map map_tcp {\n"
	"		type ipv4_addr . inet_service : ipv4_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	map map_udp {\n"
	"		type ipv4_addr . inet_service : ipv4_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	chain prerouting {\n"
	"		type nat hook prerouting priority dstnat; policy accept;\n"
	"		dnat ip to ip daddr . tcp dport map @map_tcp\n"
	"		dnat ip to ip daddr . udp dport map @map_udp\n"
	"	}\n"
	"}\n";

int pcpd_nft_open(struct pcpd_nft *n)
{
	memset(n, 0, sizeof(*n));
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "pcpd: nftables netlink: %s\n", strerror(errno));
		goto close;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);

	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx)
		goto close;
	nft_ctx_buffer_error(n->ctx);
	return 0;

close:
	pcpd_nft_close(n);
	return -1;
}

void pcpd_nft_close(struct pcpd_nft *n)
{
	if (n->ctx)
		nft_ctx_free(n->ctx);
	if (n->nl)
		mnl_socket_close(n->nl);
	n->ctx = NULL;
	n->nl = NULL;
}

static int run_nft(struct pcpd_nft *n, const char *cmd)
{
	if (nft_run_cmd_from_buffer(n->ctx, cmd)) {
		fprintf(stderr, "pcpd: nft: %s", nft_ctx_get_error_buffer(n->ctx));
		return -1;
	}
	return 0;
}

/* pcpd's table, anew: whatever a previous run left is replaced. */
int pcpd_nft_setup(struct pcpd_nft *n)
{
	if (run_nft(n, "add table ip pcpd\ndelete table ip pcpd\n"))
		return -1;
	return run_nft(n, pcpd_ruleset);
}

int pcpd_nft_teardown(struct pcpd_nft *n)
{
	return run_nft(n, "add table ip pcpd\ndelete table ip pcpd\n");
}

/* Address and port as a concatenation: 4 octets, then 2 padded to 4. */
static void put_concat(uint8_t out[8], struct in_addr addr, uint16_t port)
{
	uint16_t be = htons(port);

	memset(out, 0, 8);
	memcpy(out, &addr, 4);
	memcpy(out + 4, &be, 2);
}

static struct nftnl_set *element_set(const struct pcpd_nft_mapping *m,
				     bool with_data)
{
	struct nftnl_set_elem *e;
	struct nftnl_set *s;
	uint8_t key[8], data[8];

	s = nftnl_set_alloc();
	e = nftnl_set_elem_alloc();
	if (!s || !e) {
		if (s)
			nftnl_set_free(s);
		if (e)
			nftnl_set_elem_free(e);
		return NULL;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "pcpd");
	nftnl_set_set_str(s, NFTNL_SET_NAME, m->protocol == IPPROTO_TCP ? "map_tcp" : "map_udp");

	put_concat(key, m->external_addr, m->external_port);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof(key));
	if (with_data) {
		put_concat(data, m->internal_addr, m->internal_port);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, sizeof(data));
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT,
				       (uint64_t)m->timeout * 1000);
	}
	nftnl_set_elem_add(s, e);
	return s;
}

static void put_elem_msg(struct pcpd_nft *n, struct mnl_nlmsg_batch *b,
			 uint16_t type, uint16_t flags, struct nftnl_set *s)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
				    NFPROTO_IPV4, flags | NLM_F_ACK, ++n->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	mnl_nlmsg_batch_next(b);
}

/* Send batch B as one transaction and read its acknowledgements. */
static int send_batch(struct pcpd_nft *n, struct mnl_nlmsg_batch *b,
		      uint32_t first_seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret, err = 0;
	ssize_t len;

	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(b),
			      mnl_nlmsg_batch_size(b)) < 0)
		return -errno;

	/* One ACK per message; the first error aborts the transaction. */
	for (uint32_t seq = first_seq + 1; seq < n->seq; seq++) {
		len = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)len, 0, n->portid, NULL, NULL);
		if (ret < 0) {
			err = -errno;
			break;
		}
	}

	/* Leave no answer of this batch to be read as the next one's. */
	while (err && recv(mnl_socket_get_fd(n->nl), buf, sizeof(buf),
			   MSG_DONTWAIT) > 0)
		;
	return err;
}

static int transact(struct pcpd_nft *n, struct nftnl_set *del,
		    struct nftnl_set *add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_nlmsg_batch *b;
	uint32_t first;
	int err;

	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	first = ++n->seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), first);
	mnl_nlmsg_batch_next(b);
	if (del)
		put_elem_msg(n, b, NFT_MSG_DELSETELEM, 0, del);
	if (add)
		put_elem_msg(n, b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, add);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), ++n->seq);
	mnl_nlmsg_batch_next(b);

	err = send_batch(n, b, first);
	mnl_nlmsg_batch_stop(b);
	return err;
}

/*
 * Install mapping M, or with REPLACE give an existing one its new target
 * and timeout, atomically.  0 or a negative errno.
 */
int pcpd_nft_add(struct pcpd_nft *n, const struct pcpd_nft_mapping *m,
		 bool replace)
{
	struct nftnl_set *add, *del = NULL;
	int err = -ENOMEM;

	add = element_set(m, true);
	if (replace)
		del = element_set(m, false);
	if (add && (!replace || del))
		err = transact(n, del, add);
	if (add)
		nftnl_set_free(add);
	if (del)
		nftnl_set_free(del);
	return err;
}

int pcpd_nft_del(struct pcpd_nft *n, const struct pcpd_nft_mapping *m)
{
	struct nftnl_set *del;
	int err;

	del = element_set(m, false);
	if (!del)
		return -ENOMEM;
	err = transact(n, del, NULL);
	nftnl_set_free(del);
	return err;
}
