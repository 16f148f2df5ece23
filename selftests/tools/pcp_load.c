// SPDX-License-Identifier: GPL-2.0
/*
 * pcp_load: PCP MAP requests as fast as a server answers them, for the
 * benchmark of pcpd.  N mappings of TCP internal ports FIRST..FIRST+N-1
 * are created, then each renewed once with its nonce; WINDOW requests are
 * in flight at once.  For each phase it prints the rate and the p50 and
 * p99 of the time from sending a request to its answer:
 *
 *   pcp_load SERVER N WINDOW [FIRST]
 *   create rate=... p50_us=... p99_us=... lost=...
 *   renew rate=... p50_us=... p99_us=... lost=...
 *
 * A request not answered within a second is sent again and counted lost.
 */

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcp.h"

struct slot {
	uint64_t sent_ns;
	bool done;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void send_map(int fd, const struct in6_addr *client, uint16_t port)
{
	struct pcp_request r = {
		.opcode = PCP_OP_MAP, .lifetime = 3600, .protocol = IPPROTO_TCP,
		.internal_port = port, .client = *client,
	};
	uint8_t msg[PCP_MAX_LEN];

	/* One nonce a port, so that the renewal gives the same. */
	memcpy(r.nonce, &port, sizeof(port));
	send(fd, msg, pcp_build_request(&r, msg), 0);
}

/* One phase: every port requested once, answered SUCCESS. */
static int phase(const char *name, int fd, const struct in6_addr *client,
		 unsigned int n, unsigned int window, uint16_t first)
{
	struct slot *s = calloc(n, sizeof(*s));
	uint64_t *lat = calloc(n, sizeof(*lat));
	unsigned int next = 0, done = 0, inflight = 0, lost = 0, i;
	uint64_t t0 = now_ns(), t;
	struct pcp_response resp;
	struct pcp_request back;
	uint8_t buf[PCP_MAX_LEN];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t len;

	if (!s || !lat)
		return -1;
	while (done < n) {
		while (inflight < window && next < n) {
			s[next].sent_ns = now_ns();
			send_map(fd, client, (uint16_t)(first + next));
			next++;
			inflight++;
		}
		if (poll(&pfd, 1, 1000) <= 0) {
			/* Send again whatever has waited a second. */
			t = now_ns();
			for (i = 0; i < next; i++) {
				if (!s[i].done && t - s[i].sent_ns > 1000000000u) {
					send_map(fd, client, (uint16_t)(first + i));
					lost++;
				}
			}
			continue;
		}
		while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			if (pcp_parse_response(buf, (size_t)len, &back, &resp) ||
			    back.internal_port < first ||
			    back.internal_port - first >= (int)n)
				continue;
			i = back.internal_port - first;
			if (s[i].done)
				continue;
			if (resp.result != PCP_SUCCESS) {
				fprintf(stderr, "pcp_load: port %u: %s\n",
					back.internal_port, pcp_result_name(resp.result));
				return -1;
			}
			s[i].done = true;
			lat[done++] = now_ns() - s[i].sent_ns;
			inflight--;
		}
	}
	t = now_ns() - t0;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%s rate=%llu p50_us=%llu p99_us=%llu lost=%u\n", name,
	       (unsigned long long)((uint64_t)n * 1000000000u / (t ? t : 1)),
	       (unsigned long long)(lat[n / 2] / 1000),
	       (unsigned long long)(lat[(uint64_t)n * 99 / 100] / 1000), lost);
	free(s);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in server = { .sin_family = AF_INET,
				      .sin_port = htons(PCP_SERVER_PORT) };
	struct sockaddr_in local;
	socklen_t llen = sizeof(local);
	struct in6_addr client = { 0 };
	unsigned int n, window, first;
	int fd, buf = 4 << 20;

	if (argc < 4 || inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
		fprintf(stderr, "usage: pcp_load SERVER N WINDOW [FIRST]\n");
		return 2;
	}
	n = (unsigned int)strtoul(argv[2], NULL, 10);
	window = (unsigned int)strtoul(argv[3], NULL, 10);
	first = argc > 4 ? (unsigned int)strtoul(argv[4], NULL, 10) : 10000;
	if (!n || !window || first + n > 65536) {
		fprintf(stderr, "pcp_load: N, WINDOW and FIRST out of range\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server)) ||
	    getsockname(fd, (struct sockaddr *)&local, &llen)) {
		perror("pcp_load");
		return 1;
	}
	client.s6_addr[10] = client.s6_addr[11] = 0xff;
	memcpy(client.s6_addr + 12, &local.sin_addr, 4);
	if (phase("create", fd, &client, n, window, (uint16_t)first) ||
	    phase("renew", fd, &client, n, window, (uint16_t)first))
		return 1;
	close(fd);
	return 0;
}
