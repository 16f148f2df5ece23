// SPDX-License-Identifier: GPL-2.0
/*
 * ckptctl rule add|del|list: endpoint rules for PCP MAP mappings.
 *
 *   rule add -a ADDR [-p PROTO] [--port PORT]
 *            [--remote PREFIX[/LEN]] [--remote-port PORT] [-o OWNER]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nf_ckpt.h>

#include "ckptctl.h"

struct rule_args {
	int family;
	struct in6_addr addr;
	int remote_family;
	struct in6_addr remote;
	int remote_len;		/* -1: not given */
	uint8_t proto;
	uint16_t port;
	uint16_t remote_port;
	uint32_t owner;
	bool has_owner;
};

static int parse_address(const char *s, int *family, struct in6_addr *addr)
{
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*family, s, addr) != 1) {
		fprintf(stderr, "ckptctl: bad address '%s'\n", s);
		return -1;
	}
	return 0;
}

static int parse_prefix(char *s, struct rule_args *a)
{
	char *slash = strchr(s, '/');
	unsigned long len;

	if (slash) {
		*slash = '\0';
		if (ckptctl_number(slash + 1, "prefix length", 128, &len))
			return -1;
		a->remote_len = (int)len;
	}
	return parse_address(s, &a->remote_family, &a->remote);
}

static int parse_rule_args(int argc, char **argv, struct rule_args *a)
{
	static const struct option options[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'P' },
		{ "remote", required_argument, NULL, 'r' },
		{ "remote-port", required_argument, NULL, 'R' },
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const struct protoent *pe;
	unsigned long v;
	int opt;

	a->remote_len = -1;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "p:a:o:", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pe = getprotobyname(optarg);
			if (pe) {
				a->proto = (uint8_t)pe->p_proto;
				break;
			}
			if (ckptctl_number(optarg, "protocol", 255, &v))
				return -1;
			a->proto = (uint8_t)v;
			break;
		case 'a':
			if (parse_address(optarg, &a->family, &a->addr))
				return -1;
			break;
		case 'P':
		case 'R':
			if (ckptctl_number(optarg, "port", 65535, &v))
				return -1;
			*(opt == 'P' ? &a->port : &a->remote_port) = (uint16_t)v;
			break;
		case 'r':
			if (parse_prefix(optarg, a))
				return -1;
			break;
		case 'o':
			if (ckptctl_number(optarg, "owner", UINT32_MAX, &v))
				return -1;
			a->owner = (uint32_t)v;
			a->has_owner = true;
			break;
		default:
			fprintf(stderr,
				"ckptctl: rule %s: bad option '%s'; global options go before the command\n",
				argv[0], argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ckptctl: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int put_address(struct nl_msg *msg, int v4, int v6, int family,
		       const struct in6_addr *addr)
{
	if (family == AF_INET)
		return nla_put(msg, v4, 4, addr);
	if (family == AF_INET6)
		return nla_put(msg, v6, 16, addr);
	return 0;
}

/* The kernel checks the rule and says what is wrong; we only send it. */
static int put_rule(struct nl_msg *msg, const struct rule_args *a)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, NF_CKPT_A_RULE);
	if (!nest ||
	    nla_put_u8(msg, NF_CKPT_RULE_A_PROTO, a->proto) < 0 ||
	    put_address(msg, NF_CKPT_RULE_A_ADDR_V4, NF_CKPT_RULE_A_ADDR_V6,
			a->family, &a->addr) < 0 ||
	    nla_put_u16(msg, NF_CKPT_RULE_A_PORT, htons(a->port)) < 0 ||
	    put_address(msg, NF_CKPT_RULE_A_REMOTE_V4, NF_CKPT_RULE_A_REMOTE_V6,
			a->remote_family, &a->remote) < 0 ||
	    nla_put_u16(msg, NF_CKPT_RULE_A_REMOTE_PORT, htons(a->remote_port)) < 0)
		return -1;
	if (a->remote_len >= 0 &&
	    nla_put_u8(msg, NF_CKPT_RULE_A_REMOTE_LEN, (uint8_t)a->remote_len) < 0)
		return -1;
	nla_nest_end(msg, nest);

	if (a->has_owner && nla_put_u32(msg, NF_CKPT_A_OWNER, a->owner) < 0)
		return -1;
	return 0;
}

static void format_address(struct nlattr **tb, int v4, int v6, char *buf,
			   size_t len)
{
	if (tb[v4])
		inet_ntop(AF_INET, nla_data(tb[v4]), buf, (socklen_t)len);
	else if (tb[v6])
		inet_ntop(AF_INET6, nla_data(tb[v6]), buf, (socklen_t)len);
	else
		snprintf(buf, len, "any");
}

static int print_rule(struct nlattr **attrs, void *arg)
{
	struct nlattr *tb[NF_CKPT_RULE_A_MAX + 1];
	char addr[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
	unsigned int proto = 0, port = 0, rport = 0, rlen = 0;
	bool json = *(bool *)arg;
	uint32_t owner = 0;

	if (!attrs[NF_CKPT_A_RULE] ||
	    nla_parse_nested(tb, NF_CKPT_RULE_A_MAX, attrs[NF_CKPT_A_RULE], NULL) < 0) {
		fprintf(stderr, "ckptctl: reply without a rule\n");
		return -1;
	}
	format_address(tb, NF_CKPT_RULE_A_ADDR_V4, NF_CKPT_RULE_A_ADDR_V6,
		       addr, sizeof(addr));
	format_address(tb, NF_CKPT_RULE_A_REMOTE_V4, NF_CKPT_RULE_A_REMOTE_V6,
		       remote, sizeof(remote));
	if (tb[NF_CKPT_RULE_A_PROTO])
		proto = nla_get_u8(tb[NF_CKPT_RULE_A_PROTO]);
	if (tb[NF_CKPT_RULE_A_PORT])
		port = ntohs(nla_get_u16(tb[NF_CKPT_RULE_A_PORT]));
	if (tb[NF_CKPT_RULE_A_REMOTE_PORT])
		rport = ntohs(nla_get_u16(tb[NF_CKPT_RULE_A_REMOTE_PORT]));
	if (tb[NF_CKPT_RULE_A_REMOTE_LEN])
		rlen = nla_get_u8(tb[NF_CKPT_RULE_A_REMOTE_LEN]);
	if (attrs[NF_CKPT_A_OWNER])
		owner = nla_get_u32(attrs[NF_CKPT_A_OWNER]);

	if (!json) {
		printf("proto=%u addr=%s port=%u remote=%s/%u remote_port=%u owner=%" PRIu32 "\n",
		       proto, addr, port, remote, rlen, rport, owner);
		return 0;
	}
	printf("{\"proto\":%u,\"addr\":\"%s\",\"port\":%u,\"remote\":\"%s\",",
	       proto, addr, port, remote);
	printf("\"remote_len\":%u,\"remote_port\":%u,\"owner\":%" PRIu32 "}\n",
	       rlen, rport, owner);
	return 0;
}

int ckptctl_rule(struct ckptctl *ctl, int argc, char **argv)
{
	struct rule_args a = { 0 };
	struct nl_msg *msg;
	int cmd, flags = 0;

	if (argc < 2) {
		fprintf(stderr, "ckptctl: usage: ckptctl rule add|del RULE, ckptctl rule list\n");
		return CKPTCTL_USAGE;
	}
	if (!strcmp(argv[1], "add")) {
		cmd = NF_CKPT_CMD_RULE_ADD;
	} else if (!strcmp(argv[1], "del")) {
		cmd = NF_CKPT_CMD_RULE_DEL;
	} else if (!strcmp(argv[1], "list")) {
		cmd = NF_CKPT_CMD_RULE_GET;
		flags = NLM_F_DUMP;
	} else {
		fprintf(stderr, "ckptctl: unknown rule command '%s'\n", argv[1]);
		return CKPTCTL_USAGE;
	}
	if (parse_rule_args(argc - 1, argv + 1, &a))
		return CKPTCTL_USAGE;
	if (cmd == NF_CKPT_CMD_RULE_GET && argc > 2) {
		fprintf(stderr, "ckptctl: rule list takes no arguments\n");
		return CKPTCTL_USAGE;
	}
	if (cmd != NF_CKPT_CMD_RULE_GET && !a.family) {
		fprintf(stderr, "ckptctl: rule %s needs -a ADDR, the mapping's internal address\n",
			argv[1]);
		return CKPTCTL_USAGE;
	}

	msg = ckpt_nl_request(&ctl->nl, cmd, flags);
	if (!msg)
		return -1;
	if (cmd != NF_CKPT_CMD_RULE_GET && put_rule(msg, &a)) {
		fprintf(stderr, "ckptctl: request too large\n");
		nlmsg_free(msg);
		return -1;
	}
	return ckpt_nl_transact(&ctl->nl, msg,
				cmd == NF_CKPT_CMD_RULE_GET ? print_rule : NULL,
				&ctl->json);
}
