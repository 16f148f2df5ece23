// SPDX-License-Identifier: GPL-2.0
/*
 * pcpd's control socket: "status" (key=value lines) or "status-json" (one
 * JSON object): the epoch, the mappings, the PEER connections, and each
 * subscriber's check-points against its quota.  pcpd --status asks it.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pcpd.h"

static const char *v4(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET, a->s6_addr + 12, buf, INET_ADDRSTRLEN);
}

static uint32_t left(uint64_t expires)
{
	uint64_t now = now_seconds();

	return expires > now ? (uint32_t)(expires - now) : 0;
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* Each item: "KIND k=v ..." or, in JSON, an object in KIND's array. */
static void item(FILE *f, bool json, bool *first, const char *kind,
		 const char *text, const char *obj)
{
	if (!json) {
		fprintf(f, "%s %s\n", kind, text);
		return;
	}
	fprintf(f, "%s%s", *first ? "" : ",", obj);
	*first = false;
}

static void put_mappings(const struct pcpd *d, FILE *f, bool json)
{
	char in[INET_ADDRSTRLEN], ex[INET_ADDRSTRLEN], sub[INET_ADDRSTRLEN];
	char text[256], obj[320];
	const struct pcpd_mapping *m;
	struct in_addr owner;
	bool first = true;
	unsigned int i;

	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = d->table.buckets[i]; m; m = m->next) {
			v4(&m->internal_addr, in);
			v4(&m->external_addr, ex);
			owner.s_addr = htonl(m->subscriber);
			inet_ntop(AF_INET, &owner, sub, sizeof(sub));
			snprintf(text, sizeof(text),
				 "proto=%u internal=%s internal_port=%u external=%s external_port=%u lifetime=%u subscriber=%s checkpoint=%s standby=%s",
				 m->protocol, in, m->internal_port, ex,
				 m->external_port, left(m->expires), sub,
				 yes(m->checkpoint), yes(m->standby));
			snprintf(obj, sizeof(obj),
				 "{\"proto\":%u,\"internal\":\"%s\",\"internal_port\":%u,\"external\":\"%s\",\"external_port\":%u,\"lifetime\":%u,\"checkpoint\":%s,\"standby\":%s}",
				 m->protocol, in, m->internal_port, ex,
				 m->external_port, left(m->expires),
				 m->checkpoint ? "true" : "false",
				 m->standby ? "true" : "false");
			item(f, json, &first, "map", text, obj);
		}
	}
}

static void put_peers(const struct pcpd *d, FILE *f, bool json)
{
	char in[INET_ADDRSTRLEN], rem[INET_ADDRSTRLEN], ex[INET_ADDRSTRLEN];
	char text[256], obj[320];
	const struct pcpd_peer *p;
	bool first = true;
	unsigned int i;

	for (i = 0; i < PCPD_PEER_BUCKETS; i++) {
		for (p = d->peers.buckets[i]; p; p = p->next) {
			inet_ntop(AF_INET, &p->flow.internal, in, sizeof(in));
			inet_ntop(AF_INET, &p->flow.remote, rem, sizeof(rem));
			inet_ntop(AF_INET, &p->flow.external, ex, sizeof(ex));
			snprintf(text, sizeof(text),
				 "proto=%u internal=%s internal_port=%u remote=%s remote_port=%u external=%s external_port=%u lifetime=%u checkpoint=%s",
				 p->flow.protocol, in, p->flow.internal_port, rem,
				 p->flow.remote_port, ex, p->flow.external_port,
				 left(p->expires), yes(p->checkpoint));
			snprintf(obj, sizeof(obj),
				 "{\"proto\":%u,\"internal\":\"%s\",\"internal_port\":%u,\"remote\":\"%s\",\"remote_port\":%u,\"external\":\"%s\",\"external_port\":%u,\"lifetime\":%u,\"checkpoint\":%s}",
				 p->flow.protocol, in, p->flow.internal_port, rem,
				 p->flow.remote_port, ex, p->flow.external_port,
				 left(p->expires), p->checkpoint ? "true" : "false");
			item(f, json, &first, "peer", text, obj);
		}
	}
}

static void put_subscribers(const struct pcpd *d, FILE *f, bool json)
{
	const struct pcpd_subscriber *s;
	char addr[INET_ADDRSTRLEN], text[256], obj[320];
	bool first = true;
	struct in_addr a;
	unsigned int i;

	for (i = 0; i < PCPD_SUBSCRIBER_BUCKETS; i++) {
		for (s = d->subs.buckets[i]; s; s = s->next) {
			a.s_addr = htonl(s->id);
			inet_ntop(AF_INET, &a, addr, sizeof(addr));
			snprintf(text, sizeof(text),
				 "addr=%s mappings=%u peers=%u quota=%u checkpointed=%u max=%u granted=%llu refused_quota=%llu refused_rate=%llu",
				 addr, s->mappings, s->peers, d->table.cfg.quota,
				 s->checkpointed, d->subs.policy.max_entries,
				 (unsigned long long)s->granted,
				 (unsigned long long)s->refused_quota,
				 (unsigned long long)s->refused_rate);
			snprintf(obj, sizeof(obj),
				 "{\"addr\":\"%s\",\"mappings\":%u,\"peers\":%u,\"quota\":%u,\"checkpointed\":%u,\"max\":%u,\"granted\":%llu,\"refused_quota\":%llu,\"refused_rate\":%llu}",
				 addr, s->mappings, s->peers, d->table.cfg.quota,
				 s->checkpointed, d->subs.policy.max_entries,
				 (unsigned long long)s->granted,
				 (unsigned long long)s->refused_quota,
				 (unsigned long long)s->refused_rate);
			item(f, json, &first, "subscriber", text, obj);
		}
	}
}

static void put_status(const struct pcpd *d, FILE *f, bool json)
{
	const char *replica = !d->replica.path ? "none" :
			      d->replica.fd >= 0 ? "connected" : "absent";

	if (json) {
		fprintf(f, "{\"epoch\":%u,\"mappings\":%u,\"peers\":%u,\"subscribers\":%u,\"replica\":\"%s\",\"checkpoint\":%s,\"map\":[",
			epoch(d), d->table.count, d->peers.count, d->subs.count,
			replica, pcpd_ckpt_available(&d->ckpt) ? "true" : "false");
		put_mappings(d, f, true);
		fputs("],\"peer\":[", f);
		put_peers(d, f, true);
		fputs("],\"subscriber\":[", f);
		put_subscribers(d, f, true);
		fputs("]}\n", f);
		return;
	}
	fprintf(f, "epoch=%u\nmappings=%u\npeers=%u\nsubscribers=%u\nreplica=%s\ncheckpoint=%s\n",
		epoch(d), d->table.count, d->peers.count, d->subs.count,
		replica, yes(pcpd_ckpt_available(&d->ckpt)));
	put_mappings(d, f, false);
	put_peers(d, f, false);
	put_subscribers(d, f, false);
}

/*
 * One client a turn of the loop, one command, answered at once.  A client
 * gets 100 ms to write its command and a second to take the answer, so
 * that none holds up PCP for longer (SIGPIPE is ignored).
 */
void control_serve(struct pcpd *d, int lfd)
{
	struct timeval rcv = { .tv_usec = 100000 }, snd = { .tv_sec = 1 };
	char cmd[64];
	ssize_t n;
	FILE *f;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
		n = recv(fd, cmd, sizeof(cmd) - 1, 0);
		f = n > 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			close(fd);
			return;
		}
		cmd[n] = '\0';
		cmd[strcspn(cmd, "\r\n")] = '\0';
		if (!strcmp(cmd, "status") || !strcmp(cmd, "status-json"))
			put_status(d, f, !strcmp(cmd, "status-json"));
		else
			fprintf(f, "error unknown command \"%s\"\n", cmd);
		fclose(f);
	}
}
