// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_nlfuzz: send nf_ckpt malformed and random requests, to show that the
 * kernel side refuses them without harm.  Each request is one of:
 *
 *   - a random command (0 to 31) with random attributes: random types
 *     (0 to 31), random lengths, random nesting up to three levels;
 *   - a well-formed FLAG_SET, RULE_ADD or SYNC_SET request with one byte,
 *     one length or one type changed at random;
 *   - a request cut short at a random length.
 *
 *   ckpt_nlfuzz COUNT [SEED]
 *
 * Prints how many requests were accepted and refused, by errno.  Exit 0
 * if every request was answered (accepted or refused); the caller checks
 * the kernel log.  Deterministic for a given SEED.
 *
 *   ckpt_nlfuzz probe
 *
 * Sends a fixed list of malformed requests (wrong attribute lengths, an
 * unknown attribute, a set reserved field, a flat attribute where a nest
 * belongs, ...) and prints the kernel's answer to each; exit 1 unless
 * every one is refused with an extack message.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/nf_ckpt.h>

#define MSG_MAX	1024

static unsigned long long rng_state;

static unsigned int rnd(unsigned int n)
{
	/* xorshift64*: good enough, and the same everywhere for a seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned int)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static void put_random_attrs(struct nlmsghdr *nlh, int depth)
{
	unsigned int n = rnd(5), i, len;
	unsigned char data[40];
	struct nlattr *nest;

	for (i = 0; i < n; i++) {
		if (nlh->nlmsg_len > MSG_MAX - 128)
			return;
		if (depth < 3 && rnd(3) == 0) {
			nest = mnl_attr_nest_start(nlh, (uint16_t)rnd(32));
			put_random_attrs(nlh, depth + 1);
			mnl_attr_nest_end(nlh, nest);
			continue;
		}
		len = rnd(sizeof(data) + 1);
		for (unsigned int j = 0; j < len; j++)
			data[j] = (unsigned char)rnd(256);
		mnl_attr_put(nlh, (uint16_t)rnd(32), len, data);
	}
}

static void put_tuple(struct nlmsghdr *nlh)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);

	/* UDP 192.0.2.2:4660 -> 198.51.100.2:53, in network byte order */
	mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, 17);
	mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_SRC_V4, 0x020200c0);
	mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_DST_V4, 0x026433c6);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_PORT, 0x3412);
	mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_DST_PORT, 0x3500);
	mnl_attr_nest_end(nlh, nest);
}

static void put_valid(struct nlmsghdr *nlh, struct genlmsghdr *g)
{
	struct nlattr *nest;

	switch (rnd(3)) {
	case 0:
		g->cmd = NF_CKPT_CMD_FLAG_SET;
		put_tuple(nlh);
		mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, 5);
		break;
	case 1:
		g->cmd = NF_CKPT_CMD_SYNC_SET;
		put_tuple(nlh);
		mnl_attr_put_u8(nlh, NF_CKPT_A_SYNC, NF_CKPT_SYNC_DONE);
		break;
	default:
		g->cmd = NF_CKPT_CMD_RULE_ADD;
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_RULE);
		mnl_attr_put_u8(nlh, NF_CKPT_RULE_A_PROTO, 6);
		mnl_attr_put_u32(nlh, NF_CKPT_RULE_A_ADDR_V4, 0x020200c0);
		mnl_attr_put_u16(nlh, NF_CKPT_RULE_A_PORT, (uint16_t)rnd(65536));
		mnl_attr_put_u32(nlh, NF_CKPT_RULE_A_REMOTE_V4, 0x006433c6);
		mnl_attr_put_u8(nlh, NF_CKPT_RULE_A_REMOTE_LEN, (uint8_t)rnd(40));
		mnl_attr_nest_end(nlh, nest);
		break;
	}
}

/* One byte of the attributes changed: a value, a length or a type. */
static void mutate(struct nlmsghdr *nlh)
{
	unsigned char *payload = (unsigned char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	if (!len)
		return;
	payload[rnd(len)] = (unsigned char)rnd(256);
}

static void build(struct nlmsghdr *nlh, uint16_t family, uint32_t seq)
{
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (rnd(8) == 0)
		nlh->nlmsg_flags |= NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->version = NF_CKPT_FAMILY_VERSION;
	g->reserved = rnd(16) == 0 ? (uint16_t)rnd(65536) : 0;

	switch (rnd(3)) {
	case 0:
		g->cmd = (uint8_t)rnd(32);
		put_random_attrs(nlh, 0);
		break;
	case 1:
		put_valid(nlh, g);
		mutate(nlh);
		break;
	default:
		put_valid(nlh, g);
		nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN +
			rnd(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN + 1);
		break;
	}
}

static int on_family_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
		*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, on_family_attr, data);
}

static uint16_t resolve(struct mnl_socket *nl, unsigned int portid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	uint16_t family = 0;
	ssize_t n;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NF_CKPT_FAMILY_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return 0;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n > 0)
		mnl_cb_run(buf, (size_t)n, 1, portid, on_family, &family);
	return family;
}

static char extack_msg[256];

/* Keep the extack message of an error, if the kernel attached one. */
static void read_extack(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t offset = sizeof(*e);

	extack_msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - NLMSG_HDRLEN;
	mnl_attr_for_each(attr, nlh, offset) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
			snprintf(extack_msg, sizeof(extack_msg), "%s",
				 mnl_attr_get_str(attr));
	}
}

/* Read until the request's ACK or error; returns its errno, 0 if none. */
static int answer(struct mnl_socket *nl, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				read_extack(nlh);
				return -((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
		}
	}
}

/* One malformed request of the probe list; returns its type for the tuple. */
static const char *build_probe(struct nlmsghdr *nlh, unsigned int i)
{
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *nest;

	g->cmd = NF_CKPT_CMD_FLAG_SET;
	g->version = NF_CKPT_FAMILY_VERSION;
	switch (i) {
	case 0:
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
		mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, 17);
		mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_V4, 1);
		mnl_attr_nest_end(nlh, nest);
		return "IPv4 address of 2 bytes";
	case 1:
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
		mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_SRC_V6, 1);
		mnl_attr_nest_end(nlh, nest);
		return "IPv6 address of 4 bytes";
	case 2:
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
		mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_SRC_PORT, 1);
		mnl_attr_nest_end(nlh, nest);
		return "port of 4 bytes";
	case 3:
		mnl_attr_put_u32(nlh, NF_CKPT_A_TUPLE, 1);
		return "tuple that is not a nest";
	case 4:
		put_tuple(nlh);
		mnl_attr_put_u32(nlh, 99, 1);
		return "unknown attribute type 99";
	case 5:
		put_tuple(nlh);
		mnl_attr_put_u8(nlh, NF_CKPT_A_ZONE, 1);
		return "zone of 1 byte";
	case 6:
		put_tuple(nlh);
		mnl_attr_put_u32(nlh, NF_CKPT_A_BUDGET, 1);
		return "attribute the operation does not take";
	case 7:
		g->reserved = 1;
		put_tuple(nlh);
		return "reserved header field set";
	case 8:
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
		mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, 17);
		mnl_attr_put_u32(nlh, NF_CKPT_TUPLE_A_SRC_V4, 1);
		mnl_attr_put_strz(nlh, NF_CKPT_TUPLE_A_DST_V6, "0123456789abcde");
		mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_SRC_PORT, 1);
		mnl_attr_put_u16(nlh, NF_CKPT_TUPLE_A_DST_PORT, 1);
		mnl_attr_nest_end(nlh, nest);
		return "IPv4 source with an IPv6 destination";
	case 9:
		g->cmd = NF_CKPT_CMD_CONFIG_SET;
		mnl_attr_put_u8(nlh, NF_CKPT_A_MARK_BIT, 32);
		return "mark bit 32";
	case 10:
		g->cmd = NF_CKPT_CMD_RULE_ADD;
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_RULE);
		mnl_attr_put_u32(nlh, NF_CKPT_RULE_A_ADDR_V4, 1);
		mnl_attr_put_u8(nlh, NF_CKPT_RULE_A_REMOTE_LEN, 200);
		mnl_attr_nest_end(nlh, nest);
		return "rule remote prefix length 200";
	case 11:
		g->cmd = NF_CKPT_CMD_SYNC_SET;
		put_tuple(nlh);
		mnl_attr_put_u8(nlh, NF_CKPT_A_SYNC, 7);
		return "sync state 7";
	case 12:
		put_tuple(nlh);
		nest = mnl_attr_nest_start(nlh, NF_CKPT_A_TUPLE);
		mnl_attr_put_u8(nlh, NF_CKPT_TUPLE_A_PROTO, 1);
		mnl_attr_nest_end(nlh, nest);
		return "an incomplete second tuple in one request";
	case 13:
		mnl_attr_put_u32(nlh, NF_CKPT_A_OWNER, 1);
		return "a flag request without a tuple";
	}
	return NULL;
}

static int run_probe(struct mnl_socket *nl, uint16_t family)
{
	char buf[MSG_MAX];
	struct nlmsghdr *nlh;
	const char *what;
	unsigned int i;
	int err, bad = 0;

	for (i = 0; ; i++) {
		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = family;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = i + 2;
		what = build_probe(nlh, i);
		if (!what)
			break;
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			return 1;
		err = answer(nl, i + 2);
		printf("%s: %s: %s\n", what, err > 0 ? strerror(err) : "accepted",
		       extack_msg[0] ? extack_msg : "(no extack message)");
		if (err <= 0 || !extack_msg[0])
			bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	static unsigned long by_errno[256];
	unsigned long count, i, accepted = 0;
	char buf[MSG_MAX + 256];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	unsigned int portid;
	uint16_t family;
	int err, e;

	count = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	if (!count && !(argc == 2 && !strcmp(argv[1], "probe"))) {
		fprintf(stderr, "usage: ckpt_nlfuzz COUNT [SEED] | probe\n");
		return 2;
	}
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	if (!rng_state)
		rng_state = 1;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ckpt_nlfuzz: netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &(int){ 1 }, sizeof(int));
	family = resolve(nl, portid);
	if (!family) {
		fprintf(stderr, "ckpt_nlfuzz: no nf_ckpt family\n");
		return 1;
	}
	if (!count) {
		err = run_probe(nl, family);
		mnl_socket_close(nl);
		return err;
	}

	for (i = 0; i < count; i++) {
		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		build(nlh, family, (uint32_t)(i + 2));
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
			perror("ckpt_nlfuzz: send");
			return 1;
		}
		err = answer(nl, (uint32_t)(i + 2));
		if (err < 0) {
			fprintf(stderr, "ckpt_nlfuzz: request %lu: no answer: %s\n",
				i, strerror(-err));
			return 1;
		}
		if (err)
			by_errno[err & 255]++;
		else
			accepted++;
	}

	printf("requests %lu accepted %lu", count, accepted);
	for (e = 1; e < 256; e++) {
		if (by_errno[e])
			printf(" %s %lu", strerrorname_np(e) ?: "?", by_errno[e]);
	}
	printf("\n");
	mnl_socket_close(nl);
	return 0;
}
