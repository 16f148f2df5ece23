// SPDX-License-Identifier: GPL-2.0
/*
 * pcpc: a small PCP client (RFC 6887) that can ask for check-pointing
 * (RFC 7767) and says whether it was granted.  See pcpc(1).
 *
 *   pcpc [-j] -s SERVER map -p PROTO --port PORT [--lifetime S]
 *        [--suggest-port PORT] [--prefer-failure] [--checkpoint]
 *        [--nonce HEX] [--delete] [--third-party ADDR] [--filter ADDR[/LEN][:PORT]]
 *   pcpc [-j] -s SERVER peer -p PROTO --port PORT --peer ADDR:PORT
 *        [--lifetime S] [--suggest-port PORT] [--checkpoint] [--nonce HEX]
 *   pcpc [-j] -s SERVER announce
 *   pcpc [-j] -s SERVER watch [--timeout S]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcp.h"
#include "util.h"

#define TRIES	3	/* one second apart */

struct pcpc {
	bool json;
	struct sockaddr_storage server;	/* IPv4 or IPv6 */
	struct pcp_request req;
};

/*
 * "[ADDR]REST" (IPv6) or "ADDR:REST": the address into ADDR (SIZE), and
 * where REST begins.  NULL if S has no such shape.
 */
static const char *split_addr(const char *s, char *addr, size_t size,
			      const char *stop)
{
	const char *end;

	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= size)
			return NULL;
		memcpy(addr, s + 1, (size_t)(end - s - 1));
		addr[end - s - 1] = '\0';
		return end + 1;
	}
	end = s + strcspn(s, stop);
	if ((size_t)(end - s) >= size)
		return NULL;
	memcpy(addr, s, (size_t)(end - s));
	addr[end - s] = '\0';
	return end;
}

static int print_usage(FILE *f)
{
	fprintf(f,
		"usage: pcpc [-j|--json] -s|--server SERVER map -p PROTO --port PORT\n"
		"            [--lifetime S] [--suggest-port PORT] [--prefer-failure]\n"
		"            [--checkpoint] [--nonce HEX] [--delete] [--third-party ADDR]\n"
		"            [--filter ADDR[/LEN][:PORT]|[ADDR6][/LEN][:PORT]|clear...]\n"
		"       pcpc [-j] -s SERVER peer -p PROTO --port PORT\n"
		"            --peer ADDR:PORT|[ADDR6]:PORT [--lifetime S]\n"
		"            [--suggest-port PORT] [--checkpoint] [--nonce HEX]\n"
		"       pcpc [-j] -s SERVER announce\n"
		"       pcpc [-j] -s SERVER watch [--timeout S]\n");
	return 2;
}

static int bad_value(const char *what, const char *value)
{
	fprintf(stderr, "pcpc: bad %s '%s'\n", what, value);
	return -1;
}

/* The remote peer of a PEER request: IPV4:PORT or [IPV6]:PORT. */
static int parse_peer(const char *s, struct pcp_request *r)
{
	char addr[INET6_ADDRSTRLEN];
	const char *rest = split_addr(s, addr, sizeof(addr), ":");
	unsigned long port;

	if (!rest || *rest != ':' || parse_number(rest + 1, 65535, &port) ||
	    !port || parse_addr46(addr, &r->peer_addr))
		return -1;
	r->peer_port = (uint16_t)port;
	return 0;
}

/* What a bad --filter is told it should have been. */
#define FILTER_FORMS "filter (ADDR[/LEN][:PORT], [ADDR6][/LEN][:PORT] or clear)"

/*
 * A FILTER option's remote peer: IPV4[/LEN][:PORT] or
 * [IPV6][/LEN][:PORT] ("clear": prefix length 0).
 */
static int parse_filter(const char *s, struct pcp_request *r)
{
	struct pcp_filter *f = &r->filters[r->n_filters];
	char addr[INET6_ADDRSTRLEN], *end;
	const char *rest;
	unsigned long len = 128, port = 0;
	bool v4;

	/* Prefix length 0: the server drops every filter the mapping has. */
	if (!strcmp(s, "clear")) {
		memset(f, 0, sizeof(*f));
		r->n_filters++;
		return 0;
	}
	rest = split_addr(s, addr, sizeof(addr), "/:");
	if (!rest || parse_addr46(addr, &f->addr))
		return -1;
	v4 = pcp_addr_is_v4mapped(&f->addr);
	if (*rest == '/') {
		len = strtoul(rest + 1, &end, 10);
		if (end == rest + 1 || len > (v4 ? 32 : 128))
			return -1;
		if (v4)
			len += 96;	/* of the IPv4-mapped address */
		rest = end;
	}
	if (*rest == ':' && (parse_number(rest + 1, 65535, &port)))
		return -1;
	if (*rest && *rest != ':')
		return -1;
	f->prefix_len = (uint8_t)len;
	f->port = (uint16_t)port;
	r->n_filters++;
	return 0;
}

static int parse_map(int argc, char **argv, struct pcp_request *r)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'P' },
		{ "lifetime", required_argument, NULL, 't' },
		{ "suggest-port", required_argument, NULL, 'S' },
		{ "prefer-failure", no_argument, NULL, 'f' },
		{ "checkpoint", no_argument, NULL, 'c' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "delete", no_argument, NULL, 'd' },
		{ "peer", required_argument, NULL, 'r' },
		{ "third-party", required_argument, NULL, 'T' },
		{ "filter", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	static char name[16];	/* argv[0] while getopt runs */
	const struct protoent *pe;
	bool nonce = false;
	unsigned long v;
	int opt;

	r->opcode = strcmp(cmd, "peer") ? PCP_OP_MAP : PCP_OP_PEER;
	/* getopt's messages name the command as argv[0]. */
	snprintf(name, sizeof(name), "pcpc %s", cmd);
	argv[0] = name;
	r->lifetime = 3600;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "p:", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pe = getprotobyname(optarg);
			if (!pe && parse_number(optarg, 255, &v))
				return bad_value("protocol", optarg);
			r->protocol = pe ? (uint8_t)pe->p_proto : (uint8_t)v;
			break;
		case 'P':
		case 'S':
			if (parse_number(optarg, 65535, &v))
				return bad_value("port", optarg);
			*(opt == 'P' ? &r->internal_port : &r->external_port) = (uint16_t)v;
			break;
		case 't':
			if (parse_number(optarg, UINT32_MAX, &v))
				return bad_value("lifetime", optarg);
			r->lifetime = (uint32_t)v;
			break;
		case 'f':
			r->prefer_failure = true;
			break;
		case 'c':
			r->checkpoint = true;
			break;
		case 'n':
			if (parse_hex(optarg, r->nonce, PCP_NONCE_LEN)) {
				fprintf(stderr, "pcpc: a nonce is %d hex digits\n",
					2 * PCP_NONCE_LEN);
				return -1;
			}
			nonce = true;
			break;
		case 'd':
			r->lifetime = 0;
			break;
		case 'r':
			if (parse_peer(optarg, r))
				return bad_value("peer (ADDR:PORT or [ADDR6]:PORT)", optarg);
			break;
		case 'T':
			r->third_party = true;
			if (parse_addr46(optarg, &r->third_party_addr))
				return bad_value("third-party address", optarg);
			break;
		case 'F':
			if (r->n_filters == PCP_MAX_FILTERS || parse_filter(optarg, r))
				return bad_value(FILTER_FORMS, optarg);
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || !r->protocol || !r->internal_port) {
		fprintf(stderr, "pcpc: %s needs -p PROTO and --port PORT\n", cmd);
		return -1;
	}
	if (r->opcode == PCP_OP_PEER && !r->peer_port) {
		fprintf(stderr, "pcpc: peer needs --peer ADDR:PORT\n");
		return -1;
	}
	if (!nonce && getentropy(r->nonce, PCP_NONCE_LEN)) {
		perror("pcpc: nonce");
		return -1;
	}
	return 0;
}

/* Send the request and wait for its answer, retrying TRIES times. */
static ssize_t exchange(struct pcpc *c, uint8_t *out, size_t out_len)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	uint8_t msg[PCP_MAX_LEN];
	struct pollfd pfd;
	ssize_t n = -1;
	size_t len;
	int fd, i;

	fd = socket(c->server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&c->server, sizeof(c->server)) ||
	    getsockname(fd, (struct sockaddr *)&local, &llen)) {
		perror("pcpc: socket");
		goto close;
	}
	/* The client field is our source address, IPv4-mapped for IPv4. */
	if (local.ss_family == AF_INET6) {
		c->req.client = ((struct sockaddr_in6 *)&local)->sin6_addr;
	} else {
		c->req.client.s6_addr[10] = c->req.client.s6_addr[11] = 0xff;
		memcpy(c->req.client.s6_addr + 12,
		       &((struct sockaddr_in *)&local)->sin_addr, 4);
	}
	len = pcp_build_request(&c->req, msg);

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (i = 0; i < TRIES && n < 0; i++) {
		if (send(fd, msg, len, 0) < 0) {
			perror("pcpc: send");
			break;
		}
		if (poll(&pfd, 1, 1000) == 1)
			n = recv(fd, out, out_len, 0);
	}
	if (n < 0)
		fprintf(stderr, "pcpc: no answer from the server after %d tries\n", TRIES);
close:
	if (fd >= 0)
		close(fd);
	return n;
}

/* One field of the answer: "key: value" lines, or members of one object. */
static void print_field(bool json, bool first, const char *key,
			const char *value, bool quoted)
{
	if (!json) {
		printf("%s: %s\n", key, value);
		return;
	}
	printf(quoted ? "%s\"%s\":\"%s\"" : "%s\"%s\":%s", first ? "{" : ",",
	       key, value);
}

static void print_number(bool json, const char *key, unsigned long value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lu", value);
	print_field(json, false, key, buf, false);
}

static void print(const struct pcpc *c, const struct pcp_request *r,
		  const struct pcp_response *resp)
{
	char ext[INET6_ADDRSTRLEN];

	if (pcp_addr_is_v4mapped(&resp->external_addr))
		inet_ntop(AF_INET, resp->external_addr.s6_addr + 12, ext, sizeof(ext));
	else
		inet_ntop(AF_INET6, &resp->external_addr, ext, sizeof(ext));

	print_field(c->json, true, "result", pcp_result_name(resp->result), true);
	print_number(c->json, "lifetime", resp->lifetime);
	print_number(c->json, "epoch", resp->epoch);
	print_number(c->json, "protocol", r->protocol);
	print_number(c->json, "internal_port", r->internal_port);
	print_field(c->json, false, "external_addr", ext, true);
	print_number(c->json, "external_port", resp->external_port);
	print_field(c->json, false, "checkpoint_requested",
		    c->req.checkpoint ? "true" : "false", false);
	print_field(c->json, false, "checkpoint_granted",
		    resp->checkpoint ? "true" : "false", false);
	/* A server that did it for the third party says so by echoing it. */
	if (r->third_party)
		print_field(c->json, false, "third_party_echoed",
			    resp->third_party ? "true" : "false", false);
	if (r->opcode == PCP_OP_MAP || r->opcode == PCP_OP_PEER) {
		char nonce[2 * PCP_NONCE_LEN + 1];
		unsigned int i;

		for (i = 0; i < PCP_NONCE_LEN; i++)
			sprintf(nonce + 2 * i, "%02x", r->nonce[i]);
		print_field(c->json, false, "nonce", nonce, true);
	}
	if (c->json)
		printf("}\n");
}

/*
 * Wait for an unsolicited ANNOUNCE from the server on 224.0.0.1:5350 (RFC
 * 6887 section 14.1.3): a server that restarted or took over.  The epoch
 * it carries is printed; exit 1 when none came within TIMEOUT seconds.
 */
static int watch(struct pcpc *c, int argc, char **argv)
{
	struct sockaddr_in local = { .sin_family = AF_INET,
				     .sin_port = htons(PCP_CLIENT_PORT) };
	struct pcp_response resp;
	struct pcp_request back;
	struct sockaddr_in from;
	socklen_t flen;
	uint8_t msg[PCP_MAX_LEN];
	unsigned long timeout = 10;
	struct pollfd pfd;
	int fd, one = 1, ret = 1;
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "--timeout")) {
		if (parse_number(argv[2], 86400, &timeout)) {
			bad_value("timeout", argv[2]);
			return 2;
		}
	} else if (argc != 1) {
		return print_usage(stderr);
	}
	if (c->server.ss_family != AF_INET) {
		fprintf(stderr, "pcpc: unsolicited ANNOUNCEs are awaited on IPv4's 224.0.0.1 only; give an IPv4 server\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		perror("pcpc: listening on port 5350");
		goto close;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, (int)timeout * 1000) == 1) {
		flen = sizeof(from);
		n = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&from, &flen);
		/* Only the server's, from its PCP port (section 8.3). */
		if (n < 0 ||
		    from.sin_addr.s_addr != ((struct sockaddr_in *)&c->server)->sin_addr.s_addr ||
		    from.sin_port != htons(PCP_SERVER_PORT) ||
		    pcp_parse_response(msg, (size_t)n, &back, &resp) ||
		    (msg[1] & 0x7f) != PCP_OP_ANNOUNCE)
			continue;
		c->req.opcode = PCP_OP_ANNOUNCE;
		print(c, &c->req, &resp);
		ret = 0;
		goto close;
	}
	fprintf(stderr, "pcpc: no announcement within %lu s\n", timeout);
close:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The server's address, IPv4 or IPv6, on the PCP port. */
static int server_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(PCP_SERVER_PORT);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) != 1)
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(PCP_SERVER_PORT);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option global[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "server", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcp_response resp;
	struct pcp_request back;
	uint8_t out[PCP_MAX_LEN + 4];
	struct pcpc c = { 0 };
	const char *server = NULL;
	ssize_t n;
	int opt;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_usage(stdout);
		return 0;
	}
	while ((opt = getopt_long(argc, argv, "+js:", global, NULL)) != -1) {
		if (opt == 'j')
			c.json = true;
		else if (opt == 's')
			server = optarg;
		else
			return print_usage(stderr);
	}
	if (!server || optind >= argc)
		return print_usage(stderr);
	if (server_addr(server, &c.server)) {
		fprintf(stderr, "pcpc: bad server address '%s'\n", server);
		return 2;
	}

	if (!strcmp(argv[optind], "watch"))
		return watch(&c, argc - optind, argv + optind);
	if (!strcmp(argv[optind], "announce"))
		c.req.opcode = PCP_OP_ANNOUNCE;
	else if ((strcmp(argv[optind], "map") && strcmp(argv[optind], "peer")) ||
		 parse_map(argc - optind, argv + optind, &c.req))
		return print_usage(stderr);

	n = exchange(&c, out, sizeof(out));
	if (n < 0)
		return 1;
	if (pcp_parse_response(out, (size_t)n, &back, &resp)) {
		fprintf(stderr, "pcpc: malformed response of %zd octets\n", n);
		return 1;
	}
	print(&c, &c.req, &resp);
	return resp.result == PCP_SUCCESS ? 0 : 1;
}
