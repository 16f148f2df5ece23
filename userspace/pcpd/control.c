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

/*
 * One writer for both forms: an item is "KIND k=v ..." on a line of its
 * own, or an object in KIND's JSON array; a header field is "k=v" on a
 * line, or a member of the top object.
 */
struct out {
	FILE *f;
	bool json;
	bool first;	/* no field yet in this item or object */
	bool item;	/* in an item, rather than the header */
};

static void key(struct out *o, const char *k)
{
	if (o->json)
		fprintf(o->f, "%s\"%s\":", o->first ? "" : ",", k);
	else
		fprintf(o->f, "%s%s=", o->item && !o->first ? " " : "", k);
	o->first = false;
}

static void end_field(struct out *o)
{
	if (!o->json && !o->item)
		fputc('\n', o->f);
}

static void num(struct out *o, const char *k, unsigned long long v)
{
	key(o, k);
	fprintf(o->f, "%llu", v);
	end_field(o);
}

static void str(struct out *o, const char *k, const char *v)
{
	key(o, k);
	fprintf(o->f, o->json ? "\"%s\"" : "%s", v);
	end_field(o);
}

static void flag(struct out *o, const char *k, bool v)
{
	key(o, k);
	fputs(o->json ? (v ? "true" : "false") : (v ? "yes" : "no"), o->f);
	end_field(o);
}

static void addr(struct out *o, const char *k, const struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	str(o, k, addr_str(a, buf));
}

static void subscriber(struct out *o, const char *k, uint64_t id)
{
	char buf[INET6_ADDRSTRLEN];

	str(o, k, pcpd_key_str(id, buf, sizeof(buf)));
}

static void item_start(struct out *o, const char *kind, bool *first_item)
{
	if (o->json)
		fprintf(o->f, "%s{", *first_item ? "" : ",");
	else
		fprintf(o->f, "%s ", kind);
	*first_item = false;
	o->first = true;
	o->item = true;
}

static void item_end(struct out *o)
{
	fputs(o->json ? "}" : "\n", o->f);
	o->item = false;
}

static uint32_t left(uint64_t expires)
{
	uint64_t now = now_seconds();

	return expires > now ? (uint32_t)(expires - now) : 0;
}

static void put_mappings(const struct pcpd *d, struct out *o)
{
	const struct pcpd_mapping *m;
	bool first = true;
	unsigned int i;

	for (i = 0; i < PCPD_MAP_BUCKETS; i++) {
		for (m = d->table.buckets[i]; m; m = m->next) {
			item_start(o, "map", &first);
			num(o, "proto", m->protocol);
			addr(o, "internal", &m->internal_addr);
			num(o, "internal_port", m->internal_port);
			addr(o, "external", &m->external_addr);
			num(o, "external_port", m->external_port);
			num(o, "lifetime", left(m->expires));
			subscriber(o, "subscriber", m->subscriber);
			flag(o, "checkpoint", m->checkpoint);
			flag(o, "standby", m->standby);
			num(o, "filters", m->n_filters);
			item_end(o);
		}
	}
}

static void put_peers(const struct pcpd *d, struct out *o)
{
	const struct pcpd_peer *p;
	bool first = true;
	unsigned int i;

	for (i = 0; i < PCPD_PEER_BUCKETS; i++) {
		for (p = d->peers.buckets[i]; p; p = p->next) {
			item_start(o, "peer", &first);
			num(o, "proto", p->flow.protocol);
			addr(o, "internal", &p->flow.internal);
			num(o, "internal_port", p->flow.internal_port);
			addr(o, "remote", &p->flow.remote);
			num(o, "remote_port", p->flow.remote_port);
			addr(o, "external", &p->flow.external);
			num(o, "external_port", p->flow.external_port);
			num(o, "lifetime", left(p->expires));
			flag(o, "checkpoint", p->checkpoint);
			item_end(o);
		}
	}
}

static void put_subscribers(const struct pcpd *d, struct out *o)
{
	const struct pcpd_subscriber *s;
	bool first = true;
	unsigned int i;

	for (i = 0; i < PCPD_SUBSCRIBER_BUCKETS; i++) {
		for (s = d->subs.buckets[i]; s; s = s->next) {
			item_start(o, "subscriber", &first);
			subscriber(o, "addr", s->id);
			num(o, "mappings", s->mappings);
			num(o, "peers", s->peers);
			num(o, "quota", d->table.cfg.quota);
			num(o, "checkpointed", s->checkpointed);
			num(o, "max", s->class->limits.max_entries);
			str(o, "class", s->class->name);
			num(o, "granted", s->granted);
			num(o, "forced", s->forced);
			num(o, "refused_quota", s->refused_quota);
			num(o, "refused_rate", s->refused_rate);
			num(o, "refused_policy", s->refused_policy);
			item_end(o);
		}
	}
}

/* In JSON, the items of KIND go in an array of that name. */
static void put_items(const struct pcpd *d, struct out *o, const char *kind,
		      void (*put)(const struct pcpd *, struct out *))
{
	if (o->json)
		fprintf(o->f, ",\"%s\":[", kind);
	put(d, o);
	if (o->json)
		fputc(']', o->f);
}

static void put_status(const struct pcpd *d, FILE *f, bool json)
{
	struct out o = { .f = f, .json = json, .first = true };

	if (json)
		fputc('{', f);
	num(&o, "epoch", epoch(d));
	num(&o, "mappings", d->table.count);
	num(&o, "peers", d->peers.count);
	num(&o, "subscribers", d->subs.count);
	str(&o, "replica", !d->replica.path ? "none" :
			   d->replica.fd >= 0 ? "connected" : "absent");
	flag(&o, "checkpoint", pcpd_ckpt_available(&d->ckpt));
	num(&o, "sync_wait_ms", d->replica.path ? d->cfg.sync_wait_ms : 0);
	num(&o, "answers_waiting", d->n_pending);
	num(&o, "sync_confirmed", d->sync_confirmed);
	num(&o, "sync_timeouts", d->sync_timeouts);
	flag(&o, "sync_listening", d->ckpt.sync_listening);
	put_items(d, &o, "map", put_mappings);
	put_items(d, &o, "peer", put_peers);
	put_items(d, &o, "subscriber", put_subscribers);
	if (json)
		fputs("}\n", f);
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
