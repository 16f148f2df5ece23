// SPDX-License-Identifier: GPL-2.0
/*
 * ckptctl set|clear|get|list: flagged connections.  A connection is named
 * the way conntrack(8) takes it:
 *
 *   -p PROTO -s SRC -d DST --sport PORT --dport PORT [-w ZONE]
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
#include "util.h"

const char ckptctl_tuple_usage[] =
	"-p PROTO -s SRC -d DST --sport PORT --dport PORT [-w ZONE]";

struct tuple {
	int family;
	uint8_t proto;
	union { struct in_addr v4; struct in6_addr v6; } src, dst;
	int sport, dport;	/* -1: not given */
	bool has_src, has_dst;
};

struct entry_args {
	struct tuple tuple;
	bool has_tuple;
	uint16_t zone;
	uint32_t owner;
	bool has_owner;
	int sync;	/* -1: not given */
};

static int parse_u32(const char *s, const char *what, uint32_t max,
		     uint32_t *out)
{
	unsigned long v;

	if (ckptctl_number(s, what, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_proto(const char *s, uint8_t *proto)
{
	const struct protoent *p = getprotobyname(s);
	uint32_t v;

	if (p) {
		*proto = (uint8_t)p->p_proto;
		return 0;
	}
	if (parse_u32(s, "protocol", 255, &v))
		return -1;
	*proto = (uint8_t)v;
	return 0;
}

static int parse_addr(const char *s, int *family, void *addr)
{
	int f = strchr(s, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(f, s, addr) != 1) {
		fprintf(stderr, "ckptctl: bad address '%s'\n", s);
		return -1;
	}
	if (*family && *family != f) {
		fprintf(stderr, "ckptctl: source and destination are of different families\n");
		return -1;
	}
	*family = f;
	return 0;
}

static int parse_entry_args(int argc, char **argv, struct entry_args *a)
{
	static const struct option options[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ "zone", required_argument, NULL, 'w' },
		{ "owner", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	struct tuple *t = &a->tuple;
	uint32_t v;
	int opt;

	t->sport = -1;
	t->dport = -1;
	a->sync = -1;
	optind = 0;	/* glibc: start afresh, with default ordering */
	while ((opt = getopt_long(argc, argv, "p:s:d:w:o:", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_proto(optarg, &t->proto))
				return -1;
			break;
		case 's':
			if (parse_addr(optarg, &t->family, &t->src))
				return -1;
			t->has_src = true;
			break;
		case 'd':
			if (parse_addr(optarg, &t->family, &t->dst))
				return -1;
			t->has_dst = true;
			break;
		case 'S':
		case 'D':
			if (parse_u32(optarg, "port", 65535, &v))
				return -1;
			*(opt == 'S' ? &t->sport : &t->dport) = (int)v;
			break;
		case 'w':
			if (parse_u32(optarg, "zone", 65535, &v))
				return -1;
			a->zone = (uint16_t)v;
			break;
		case 'o':
			if (parse_u32(optarg, "owner", UINT32_MAX, &a->owner))
				return -1;
			a->has_owner = true;
			break;
		case 'y':
			if (!strcmp(optarg, "done")) {
				a->sync = NF_CKPT_SYNC_DONE;
			} else if (!strcmp(optarg, "pending")) {
				a->sync = NF_CKPT_SYNC_PENDING;
			} else {
				fprintf(stderr, "ckptctl: sync state must be done or pending, not '%s'\n",
					optarg);
				return -1;
			}
			break;
		default:
			fprintf(stderr,
				"ckptctl: %s: bad option '%s'; global options go before the command\n",
				argv[0], argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ckptctl: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	a->has_tuple = t->family || t->proto || t->sport >= 0 || t->dport >= 0;
	return 0;
}

/* What a command takes besides its tuple. */
enum {
	TAKES_TUPLE = 1 << 0,
	TAKES_OWNER = 1 << 1,
	TAKES_STATE = 1 << 2,
};

/* Does A hold what the command NAME takes, and only that? */
static int check_entry_args(const char *name, const struct entry_args *a,
			    unsigned int takes)
{
	const struct tuple *t = &a->tuple;

	if (takes & TAKES_TUPLE) {
		/* Port 0 is sent: the kernel says why it names no connection. */
		if (!t->proto || !t->has_src || !t->has_dst || t->sport < 0 ||
		    t->dport < 0) {
			fprintf(stderr, "ckptctl: %s needs a TUPLE: %s\n", name,
				ckptctl_tuple_usage);
			return -1;
		}
	} else if (a->has_tuple || a->zone) {
		fprintf(stderr, "ckptctl: %s takes no tuple; use get for one connection\n",
			name);
		return -1;
	}
	if (a->has_owner && !(takes & TAKES_OWNER)) {
		fprintf(stderr, "ckptctl: %s takes no -o OWNER\n", name);
		return -1;
	}
	if ((a->sync >= 0) != !!(takes & TAKES_STATE)) {
		fprintf(stderr, takes & TAKES_STATE ?
			"ckptctl: %s needs --state done|pending\n" :
			"ckptctl: %s takes no --state\n", name);
		return -1;
	}
	return 0;
}

/* The kernel checks the tuple and says what is wrong; we only send it. */
static int put_tuple(struct nl_msg *msg, const struct entry_args *a)
{
	const struct tuple *t = &a->tuple;
	struct nlattr *nest;

	nest = nla_nest_start(msg, NF_CKPT_A_TUPLE);
	if (!nest)
		return -1;
	if (t->proto)
		NLA_PUT_U8(msg, NF_CKPT_TUPLE_A_PROTO, t->proto);
	if (t->family == AF_INET) {
		NLA_PUT(msg, NF_CKPT_TUPLE_A_SRC_V4, 4, &t->src.v4);
		NLA_PUT(msg, NF_CKPT_TUPLE_A_DST_V4, 4, &t->dst.v4);
	} else if (t->family == AF_INET6) {
		NLA_PUT(msg, NF_CKPT_TUPLE_A_SRC_V6, 16, &t->src.v6);
		NLA_PUT(msg, NF_CKPT_TUPLE_A_DST_V6, 16, &t->dst.v6);
	}
	if (t->sport >= 0)
		NLA_PUT_U16(msg, NF_CKPT_TUPLE_A_SRC_PORT, htons((uint16_t)t->sport));
	if (t->dport >= 0)
		NLA_PUT_U16(msg, NF_CKPT_TUPLE_A_DST_PORT, htons((uint16_t)t->dport));
	nla_nest_end(msg, nest);

	if (a->zone)
		NLA_PUT_U16(msg, NF_CKPT_A_ZONE, a->zone);
	return 0;

nla_put_failure:
	return -1;
}

static void format_tuple(struct nlattr *nest, char *buf, size_t len,
			 bool json)
{
	struct nlattr *tb[NF_CKPT_TUPLE_A_MAX + 1];
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";
	unsigned int sport = 0, dport = 0, proto = 0;

	if (nla_parse_nested(tb, NF_CKPT_TUPLE_A_MAX, nest, NULL) < 0) {
		snprintf(buf, len, json ? "null" : "?");
		return;
	}
	if (tb[NF_CKPT_TUPLE_A_PROTO])
		proto = nla_get_u8(tb[NF_CKPT_TUPLE_A_PROTO]);
	if (tb[NF_CKPT_TUPLE_A_SRC_V4] && tb[NF_CKPT_TUPLE_A_DST_V4]) {
		inet_ntop(AF_INET, nla_data(tb[NF_CKPT_TUPLE_A_SRC_V4]), src, sizeof(src));
		inet_ntop(AF_INET, nla_data(tb[NF_CKPT_TUPLE_A_DST_V4]), dst, sizeof(dst));
	} else if (tb[NF_CKPT_TUPLE_A_SRC_V6] && tb[NF_CKPT_TUPLE_A_DST_V6]) {
		inet_ntop(AF_INET6, nla_data(tb[NF_CKPT_TUPLE_A_SRC_V6]), src, sizeof(src));
		inet_ntop(AF_INET6, nla_data(tb[NF_CKPT_TUPLE_A_DST_V6]), dst, sizeof(dst));
	}
	if (tb[NF_CKPT_TUPLE_A_SRC_PORT])
		sport = ntohs(nla_get_u16(tb[NF_CKPT_TUPLE_A_SRC_PORT]));
	if (tb[NF_CKPT_TUPLE_A_DST_PORT])
		dport = ntohs(nla_get_u16(tb[NF_CKPT_TUPLE_A_DST_PORT]));

	if (json)
		snprintf(buf, len, "{\"proto\":%u,\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u}",
			 proto, src, dst, sport, dport);
	else
		snprintf(buf, len, "proto=%u src=%s dst=%s sport=%u dport=%u",
			 proto, src, dst, sport, dport);
}

static uint32_t get_u32_or(struct nlattr *a, uint32_t def)
{
	return a ? nla_get_u32(a) : def;
}

/* Conntrack's TCP states (TCP_CONNTRACK_*), as conntrack(8) names them. */
static const char *tcp_state_name(unsigned int state)
{
	static const char * const names[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "UNKNOWN";
}

int ckptctl_print_entry(struct nlattr **attrs, void *arg)
{
	static const char * const sync_names[] = { "pending", "done" };
	char orig[256], reply[256], tcp[40] = "";
	bool json = *(bool *)arg;
	unsigned int sync = 0;

	if (!attrs[NF_CKPT_A_TUPLE] || !attrs[NF_CKPT_A_REPLY]) {
		fprintf(stderr, "ckptctl: entry without its tuples\n");
		return -1;
	}
	format_tuple(attrs[NF_CKPT_A_TUPLE], orig, sizeof(orig), json);
	format_tuple(attrs[NF_CKPT_A_REPLY], reply, sizeof(reply), json);
	if (attrs[NF_CKPT_A_SYNC])
		sync = nla_get_u8(attrs[NF_CKPT_A_SYNC]) ? 1 : 0;
	if (attrs[NF_CKPT_A_TCP_STATE])
		snprintf(tcp, sizeof(tcp), json ? ",\"tcp_state\":\"%s\"" : " tcp_state=%s",
			 tcp_state_name(nla_get_u8(attrs[NF_CKPT_A_TCP_STATE])));

	printf(json ?
	       "{\"orig\":%s,\"reply\":%s,\"zone\":%u,\"owner\":%" PRIu32
	       ",\"timeout\":%" PRIu32 ",\"status\":%" PRIu32
	       "%s,\"sync\":\"%s\"}\n" :
	       "%s reply: %s zone=%u owner=%" PRIu32 " timeout=%" PRIu32
	       " status=0x%" PRIx32 "%s sync=%s\n",
	       orig, reply,
	       attrs[NF_CKPT_A_ZONE] ? nla_get_u16(attrs[NF_CKPT_A_ZONE]) : 0,
	       get_u32_or(attrs[NF_CKPT_A_OWNER], 0),
	       get_u32_or(attrs[NF_CKPT_A_TIMEOUT], 0),
	       get_u32_or(attrs[NF_CKPT_A_STATUS], 0), tcp, sync_names[sync]);
	return 0;
}

static int run_entry_cmd(struct ckptctl *ctl, int cmd, int flags,
			 unsigned int takes, int argc, char **argv)
{
	struct entry_args a = { 0 };
	struct nl_msg *msg;

	if (parse_entry_args(argc, argv, &a) ||
	    check_entry_args(argv[0], &a, takes))
		return CKPTCTL_USAGE;

	msg = ckpt_nl_request(&ctl->nl, cmd, flags);
	if (!msg)
		return -1;
	if (!(flags & NLM_F_DUMP) && put_tuple(msg, &a))
		goto fail;
	if (a.has_owner && nla_put_u32(msg, NF_CKPT_A_OWNER, a.owner) < 0)
		goto fail;
	if (a.sync >= 0 && nla_put_u8(msg, NF_CKPT_A_SYNC, (uint8_t)a.sync) < 0)
		goto fail;

	return ckpt_nl_transact(&ctl->nl, msg,
				cmd == NF_CKPT_CMD_ENTRY_GET ? ckptctl_print_entry : NULL,
				&ctl->json);

fail:
	fprintf(stderr, "ckptctl: request too large\n");
	nlmsg_free(msg);
	return -1;
}

int ckptctl_set(struct ckptctl *ctl, int argc, char **argv)
{
	return run_entry_cmd(ctl, NF_CKPT_CMD_FLAG_SET, 0,
			     TAKES_TUPLE | TAKES_OWNER, argc, argv);
}

int ckptctl_clear(struct ckptctl *ctl, int argc, char **argv)
{
	return run_entry_cmd(ctl, NF_CKPT_CMD_FLAG_CLEAR, 0, TAKES_TUPLE,
			     argc, argv);
}

int ckptctl_get(struct ckptctl *ctl, int argc, char **argv)
{
	return run_entry_cmd(ctl, NF_CKPT_CMD_ENTRY_GET, 0, TAKES_TUPLE,
			     argc, argv);
}

int ckptctl_list(struct ckptctl *ctl, int argc, char **argv)
{
	return run_entry_cmd(ctl, NF_CKPT_CMD_ENTRY_GET, NLM_F_DUMP,
			     TAKES_OWNER, argc, argv);
}

int ckptctl_sync_set(struct ckptctl *ctl, int argc, char **argv)
{
	return run_entry_cmd(ctl, NF_CKPT_CMD_SYNC_SET, 0,
			     TAKES_TUPLE | TAKES_STATE, argc, argv);
}
