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

/*
 * The "filter" chain runs before DNAT (priority mangle), on packets in
 * the original direction of their connection: every packet of a
 * connection a remote peer opened to a filtered mapping is dropped unless
 * a FILTER allows the peer, so a FILTER added later cuts connections
 * already open too (RFC 6887 section 13.3); replies to the host's own
 * outbound traffic are in the reply direction, and pass.
 */
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
	"	set filtered_tcp {\n"
	"		type ipv4_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	set filtered_udp {\n"
	"		type ipv4_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	set allowed_tcp {\n"
	"		type ipv4_addr . inet_service . ipv4_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	set allowed_port_tcp {\n"
	"		type ipv4_addr . inet_service . ipv4_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	set allowed_udp {\n"
	"		type ipv4_addr . inet_service . ipv4_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	set allowed_port_udp {\n"
	"		type ipv4_addr . inet_service . ipv4_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	chain filter {\n"
	"		type filter hook prerouting priority mangle; policy accept;\n"
	"		ct direction original ip daddr . tcp dport @filtered_tcp ip daddr . tcp dport . ip saddr . tcp sport != @allowed_tcp ip daddr . tcp dport . ip saddr . tcp sport != @allowed_port_tcp drop\n"
	"		ct direction original ip daddr . udp dport @filtered_udp ip daddr . udp dport . ip saddr . udp sport != @allowed_udp ip daddr . udp dport . ip saddr . udp sport != @allowed_port_udp drop\n"
	"	}\n"
	"	chain prerouting {\n"
	"		type nat hook prerouting priority dstnat; policy accept;\n"
	"		dnat ip to ip daddr . tcp dport map @map_tcp\n"
	"		dnat ip to ip daddr . udp dport map @map_udp\n"
	"	}\n"
	"}\n";

/*
 * IPv6 is routed, not translated: pcpd is its firewall (RFC 6887 Figure
 * 5).  A new TCP or UDP connection coming in on an outside interface is
 * dropped unless a mapping opened its internal endpoint; replies, and the
 * connections PEER made, are established; what conntrack finds invalid
 * (a TCP packet of no connection, with loose pickup off) is dropped too.
 * The FILTERs work as IPv4's, on what comes from the outside.  Each %s
 * is the outside interfaces.
 */
static const char pcpd_ruleset6[] =
	"table ip6 pcpd {\n"
	"	set open_tcp {\n"
	"		type ipv6_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	set open_udp {\n"
	"		type ipv6_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	set filtered_tcp {\n"
	"		type ipv6_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	set filtered_udp {\n"
	"		type ipv6_addr . inet_service\n"
	"		flags timeout\n"
	"	}\n"
	"	set allowed_tcp {\n"
	"		type ipv6_addr . inet_service . ipv6_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	set allowed_port_tcp {\n"
	"		type ipv6_addr . inet_service . ipv6_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	set allowed_udp {\n"
	"		type ipv6_addr . inet_service . ipv6_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	set allowed_port_udp {\n"
	"		type ipv6_addr . inet_service . ipv6_addr . inet_service\n"
	"		flags interval,timeout\n"
	"	}\n"
	"	chain filter {\n"
	"		type filter hook prerouting priority mangle; policy accept;\n"
	"		iifname { %s } ct direction original ip6 daddr . tcp dport @filtered_tcp ip6 daddr . tcp dport . ip6 saddr . tcp sport != @allowed_tcp ip6 daddr . tcp dport . ip6 saddr . tcp sport != @allowed_port_tcp drop\n"
	"		iifname { %s } ct direction original ip6 daddr . udp dport @filtered_udp ip6 daddr . udp dport . ip6 saddr . udp sport != @allowed_udp ip6 daddr . udp dport . ip6 saddr . udp sport != @allowed_port_udp drop\n"
	"	}\n"
	"	chain forward {\n"
	"		type filter hook forward priority filter; policy accept;\n"
	"		iifname { %s } ct state invalid drop\n"
	"		iifname { %s } ct state new ip6 daddr . tcp dport != @open_tcp drop\n"
	"		iifname { %s } ct state new ip6 daddr . udp dport != @open_udp drop\n"
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

static const char pcpd_tables[] =
	"add table ip pcpd\ndelete table ip pcpd\n"
	"add table ip6 pcpd\ndelete table ip6 pcpd\n";

/*
 * One transaction: pcpd's tables removed, then, when IPV4, the IPv4
 * ruleset and, with OUTSIDE, the IPv6 one, with no element.
 */
static int replace_tables(struct pcpd_nft *n, bool ipv4, const char *outside)
{
	char *v6 = NULL, *cmd;
	int err;

	if (outside && asprintf(&v6, pcpd_ruleset6, outside, outside, outside,
				outside, outside) < 0)
		return -1;
	if (asprintf(&cmd, "%s%s%s", pcpd_tables, ipv4 ? pcpd_ruleset : "",
		     v6 ? v6 : "") < 0) {
		free(v6);
		return -1;
	}
	err = run_nft(n, cmd);
	free(cmd);
	free(v6);
	return err;
}

/* pcpd's tables, anew, at once: whatever a previous run left is replaced. */
int pcpd_nft_setup(struct pcpd_nft *n, const char *outside)
{
	return replace_tables(n, true, outside);
}

/*
 * At stop: the IPv4 table goes, and with it every mapping; the IPv6
 * firewall stays, emptied, so that IPv6 is closed, not open, while pcpd
 * is away (nft delete table ip6 pcpd, to open it).
 */
int pcpd_nft_teardown(struct pcpd_nft *n, const char *outside)
{
	return replace_tables(n, false, outside);
}

/* The octets of A in its family: 4 for IPv4-mapped, else 16. */
static size_t addr_len(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a) ? 4 : 16;
}

static const uint8_t *addr_octets(const struct in6_addr *a)
{
	return a->s6_addr + 16 - addr_len(a);
}

/*
 * Address and port as a concatenation: 4 or 16 octets, then 2 padded to
 * 4.  The length written.
 */
static size_t put_concat(uint8_t *out, const uint8_t *addr, size_t alen,
			 uint16_t port)
{
	uint16_t be = htons(port);

	memset(out, 0, alen + 4);
	memcpy(out, addr, alen);
	memcpy(out + alen, &be, 2);
	return alen + 4;
}

static size_t put_endpoint(uint8_t *out, const struct in6_addr *a,
			   uint16_t port)
{
	return put_concat(out, addr_octets(a), addr_len(a), port);
}

static struct nftnl_set *set_named(const char *prefix, uint8_t protocol)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char name[32];

	if (!s)
		return NULL;
	snprintf(name, sizeof(name), "%s_%s", prefix,
		 protocol == IPPROTO_TCP ? "tcp" : "udp");
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "pcpd");
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	return s;
}

/* One element into S: KEY, and KEY_END, DATA, a timeout when given. */
static int add_elem(struct nftnl_set *s, const uint8_t *key, size_t klen,
		    const uint8_t *key_end, const uint8_t *data, size_t dlen,
		    uint32_t timeout)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		return -1;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
	if (key_end)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, key_end, klen);
	if (data)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, dlen);
	if (timeout)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT,
				       (uint64_t)timeout * 1000);
	nftnl_set_elem_add(s, e);
	return 0;
}

/*
 * M's DNAT element, with ADD its target and timeout too; for IPv6, its
 * element of the "open" set.
 */
static struct nftnl_set *map_elements(const struct pcpd_nft_mapping *m, bool add)
{
	bool v6 = addr_len(&m->external_addr) == 16;
	struct nftnl_set *s = set_named(v6 ? "open" : "map", m->protocol);
	uint8_t key[20], data[20];
	size_t klen, dlen = 0;

	klen = put_endpoint(key, &m->external_addr, m->external_port);
	if (add && !v6)
		dlen = put_endpoint(data, &m->internal_addr, m->internal_port);
	if (s && add_elem(s, key, klen, NULL, dlen ? data : NULL, dlen,
			  add ? m->timeout : 0)) {
		nftnl_set_free(s);
		return NULL;
	}
	return s;
}

/* M's element of the "filtered" set: its external address and port. */
static struct nftnl_set *filtered_elements(const struct pcpd_nft_mapping *m,
					   bool add)
{
	struct nftnl_set *s = set_named("filtered", m->protocol);
	uint8_t key[20];
	size_t klen = put_endpoint(key, &m->external_addr, m->external_port);

	if (s && add_elem(s, key, klen, NULL, NULL, 0, add ? m->timeout : 0)) {
		nftnl_set_free(s);
		return NULL;
	}
	return s;
}

/* The mask of a prefix of LEN bits: octet I of it. */
static uint8_t mask_octet(unsigned int len, unsigned int i)
{
	if (len >= 8 * (i + 1))
		return 0xff;
	return len > 8 * i ? (uint8_t)(0xff << (8 - (len - 8 * i))) : 0;
}

/* Does filter A allow only peers B allows as well? */
static bool filter_within(const struct map_filter *a, const struct map_filter *b)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->addr); i++) {
		if ((a->addr[i] ^ b->addr[i]) & mask_octet(b->prefix_len, i))
			return false;
	}
	return a->prefix_len >= b->prefix_len && (!b->port || a->port == b->port);
}

/*
 * Whether filter I of M adds anything: not within another one (the first
 * of equal ones stays).  The kernel refuses a range that starts inside
 * another of the set, and FILTERs may overlap (RFC 6887 section 13.3).
 */
static bool filter_needed(const struct pcpd_nft_mapping *m, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < m->n_filters; j++) {
		if (j == i || !filter_within(&m->filters[i], &m->filters[j]))
			continue;
		if (!filter_within(&m->filters[j], &m->filters[i]) || j < i)
			return false;
	}
	return true;
}

/* Does FILTER I of M go in the "allowed_port" set (WITH_PORT) or "allowed"? */
static bool filter_in(const struct pcpd_nft_mapping *m, unsigned int i,
		      bool with_port)
{
	return filter_needed(m, i) && !!m->filters[i].port == with_port;
}

/*
 * M's FILTERs: external address . port . remote prefix . remote port,
 * each a range from the lowest to the highest, those within another left
 * out.  A FILTER for every port goes in the "allowed" set, one for a port
 * in "allowed_port": in one set the kernel refuses a range that overlaps
 * another without holding it, which any port of a prefix and one port of
 * a longer one would.  NULL when WITH_PORT's set has none of them, or
 * memory runs out (*FAILED).
 */
static struct nftnl_set *allowed_elements(const struct pcpd_nft_mapping *m,
					  bool add, bool with_port,
					  bool *failed)
{
	size_t alen = addr_len(&m->external_addr), klen, j;
	uint8_t key[40], end[40], lo[16], hi[16];
	const struct map_filter *f;
	struct nftnl_set *s = NULL;
	unsigned int i;

	for (i = 0; i < m->n_filters; i++) {
		if (!filter_in(m, i, with_port))
			continue;
		if (!s) {
			s = set_named(with_port ? "allowed_port" : "allowed", m->protocol);
			if (!s)
				break;
		}
		f = &m->filters[i];
		for (j = 0; j < alen; j++) {
			lo[j] = f->addr[j] & mask_octet(f->prefix_len, (unsigned int)j);
			hi[j] = f->addr[j] | (uint8_t)~mask_octet(f->prefix_len, (unsigned int)j);
		}
		klen = put_endpoint(key, &m->external_addr, m->external_port);
		memcpy(end, key, klen);
		put_concat(key + klen, lo, alen, f->port);
		klen += put_concat(end + klen, hi, alen, f->port ? f->port : 65535);
		if (add_elem(s, key, klen, end, NULL, 0, add ? m->timeout : 0)) {
			nftnl_set_free(s);
			s = NULL;
			break;
		}
	}
	*failed = !s && i < m->n_filters;
	return s;
}

/*
 * The element sets of M: its DNAT element, and its filters if any; a
 * NULL in SETS is memory that ran out.
 */
static void mapping_sets(const struct pcpd_nft_mapping *m, bool add,
			struct nftnl_set **sets, unsigned int *n)
{
	struct nftnl_set *s;
	bool with_port = false, failed;

	sets[(*n)++] = map_elements(m, add);
	if (!m->n_filters)
		return;
	sets[(*n)++] = filtered_elements(m, add);
	do {
		s = allowed_elements(m, add, with_port, &failed);
		if (s || failed)
			sets[(*n)++] = s;
		with_port = !with_port;
	} while (with_port);
}

static void put_elem_msg(struct pcpd_nft *n, struct mnl_nlmsg_batch *b,
			 uint16_t type, uint16_t flags, uint16_t family,
			 struct nftnl_set *s)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
				    family, flags | NLM_F_ACK, ++n->seq);
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

/*
 * One transaction: OLD's elements out, M's in (either may be NULL).  An
 * error anywhere leaves the kernel as it was.
 */
static int transact(struct pcpd_nft *n, const struct pcpd_nft_mapping *old,
		    const struct pcpd_nft_mapping *m)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *sets[8] = { NULL };
	unsigned int n_del = 0, n_sets = 0, i;
	const struct pcpd_nft_mapping *any = m ? m : old;
	uint16_t family = addr_len(&any->external_addr) == 16 ? NFPROTO_IPV6 :
			  NFPROTO_IPV4;
	struct mnl_nlmsg_batch *b;
	uint32_t first;
	int err = -ENOMEM;

	if (old)
		mapping_sets(old, false, sets, &n_del);
	n_sets = n_del;
	if (m)
		mapping_sets(m, true, sets, &n_sets);
	for (i = 0; i < n_sets; i++) {
		if (!sets[i])
			goto free;
	}

	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	first = ++n->seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), first);
	mnl_nlmsg_batch_next(b);
	for (i = 0; i < n_sets; i++)
		put_elem_msg(n, b, i < n_del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
			     i < n_del ? 0 : NLM_F_CREATE | NLM_F_EXCL, family, sets[i]);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), ++n->seq);
	mnl_nlmsg_batch_next(b);

	err = send_batch(n, b, first);
	mnl_nlmsg_batch_stop(b);
free:
	for (i = 0; i < n_sets; i++) {
		if (sets[i])
			nftnl_set_free(sets[i]);
	}
	return err;
}

int pcpd_nft_add(struct pcpd_nft *n, const struct pcpd_nft_mapping *m,
		 const struct pcpd_nft_mapping *old)
{
	return transact(n, old, m);
}

int pcpd_nft_del(struct pcpd_nft *n, const struct pcpd_nft_mapping *m)
{
	return transact(n, m, NULL);
}
